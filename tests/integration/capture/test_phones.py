"""Phones in form submissions: leads and contacts read a number the same way, and a phone
strategy finds the same person whether the number came national or international."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.capture.models import MarketingForm
from leadflow.capture.services import create_form
from leadflow.contacts.models import Contact
from leadflow.leads.models import Lead
from leadflow.matching.domain import match_key
from leadflow.matching.models import MatchingStrategy, MatchKey
from leadflow.matching.services import create_strategy
from leadflow.switches.domain import PHONE_DEFAULT_REGION
from leadflow.switches.services import set_setting
from tests.support.outbox import submit_and_process

NATIONAL = "020 7946 0542"
INTERNATIONAL = "+44 20 7946 0542"
E164 = "+442079460542"

EMAIL = {
    "name": "email",
    "type": "email",
    "required": True,
    "contact_field": "email",
    "lead_field": "email",
}
PHONE = {"name": "phone", "type": "phone", "contact_field": "phone", "lead_field": "phone"}
COUNTRY = {"name": "country", "label": "Country", "contact_field": "country"}


def _default_region(container: Container, region: str | None) -> None:
    with container.uow() as uow:
        set_setting(PHONE_DEFAULT_REGION.key, region, uow=uow)
        uow.commit()


def _phone_strategies(container: Container) -> tuple[int, int]:
    with container.uow() as uow:
        contact = create_strategy(
            {"name": "Contact phone", "target": "contact", "fields": ["phone"]}, uow=uow
        )
        lead = create_strategy(
            {"name": "Lead phone", "target": "lead", "fields": ["phone"]}, uow=uow
        )
        uow.commit()
        return contact.id, lead.id


def _form(container: Container, **settings: Any) -> MarketingForm:
    with container.uow() as uow:
        form = create_form({"name": "Callback", "slug": "callback", **settings}, uow=uow)
        uow.commit()
        return form


def _phone_form(container: Container, *fields: dict[str, Any], **settings: Any) -> MarketingForm:
    contact_strategy, lead_strategy = _phone_strategies(container)
    return _form(
        container,
        fields=[EMAIL, PHONE, *fields],
        contact_strategy_id=contact_strategy,
        lead_strategy_id=lead_strategy,
        **settings,
    )


def _submit(container: Container, form_id: int, payload: dict[str, Any]) -> Any:
    return submit_and_process(container, form_id, payload)


def _phones(container: Container, model: Any) -> list[tuple[int, str | None, str | None]]:
    with container.read_session() as session:
        rows = session.execute(select(model.id, model.phone, model.phone_raw).order_by(model.id))
        return [tuple(row) for row in rows]


def test_a_lead_phone_is_normalised_like_its_contacts(container: Container) -> None:
    _default_region(container, "GB")
    form = _form(container)

    result = _submit(container, form.id, {"email": "ada@example.com", "phone": NATIONAL})

    assert _phones(container, Contact) == [(result.contact_id, E164, NATIONAL)]
    assert _phones(container, Lead) == [(result.lead_id, E164, NATIONAL)]


def test_without_any_region_both_keep_the_number_as_typed(container: Container) -> None:
    form = _form(container)

    result = _submit(container, form.id, {"email": "ada@example.com", "phone": NATIONAL})

    assert _phones(container, Contact) == [(result.contact_id, NATIONAL, NATIONAL)]
    assert _phones(container, Lead) == [(result.lead_id, NATIONAL, NATIONAL)]


def test_an_unreadable_phone_does_not_refuse_the_submission(container: Container) -> None:
    _default_region(container, "GB")
    form = _form(container)

    result = _submit(container, form.id, {"email": "ada@example.com", "phone": "after 6pm"})

    assert result.status == "succeeded"
    assert _phones(container, Contact) == [(result.contact_id, "after 6pm", "after 6pm")]
    assert _phones(container, Lead) == [(result.lead_id, "after 6pm", "after 6pm")]


def test_a_phone_strategy_finds_one_person_and_one_lead_across_formats(
    container: Container,
) -> None:
    _default_region(container, "GB")
    form = _phone_form(container)

    first = _submit(container, form.id, {"email": "ada@example.com", "phone": INTERNATIONAL})
    second = _submit(container, form.id, {"email": "ada@work.example", "phone": NATIONAL})

    assert (second.contact_id, second.lead_id) == (first.contact_id, first.lead_id)
    # The last submission's typing is what is kept beside the number.
    assert _phones(container, Contact) == [(first.contact_id, E164, NATIONAL)]
    assert _phones(container, Lead) == [(first.lead_id, E164, NATIONAL)]


def test_the_national_number_first_then_the_international_one_match_too(
    container: Container,
) -> None:
    _default_region(container, "GB")
    form = _phone_form(container)

    first = _submit(container, form.id, {"email": "ada@example.com", "phone": NATIONAL})
    second = _submit(container, form.id, {"email": "ada@example.com", "phone": INTERNATIONAL})

    assert (second.contact_id, second.lead_id) == (first.contact_id, first.lead_id)
    assert _phones(container, Lead) == [(first.lead_id, E164, INTERNATIONAL)]


def test_the_keys_the_phone_strategies_claim_hold_the_e164_number(container: Container) -> None:
    _default_region(container, "GB")
    form = _phone_form(container)

    first = _submit(container, form.id, {"email": "ada@example.com", "phone": NATIONAL})
    _submit(container, form.id, {"email": "ada@example.com", "phone": INTERNATIONAL})

    with container.read_session() as session:
        strategies = {
            s.target: s.id
            for s in session.scalars(
                select(MatchingStrategy).where(MatchingStrategy.seed_key.is_(None))
            )
        }
        keys = {(k.strategy_id, k.key, k.record_id) for k in session.scalars(select(MatchKey))}
    key = match_key(["phone"], {"phone": E164})
    assert keys == {
        (strategies["contact"], key, first.contact_id),
        (strategies["lead"], key, first.lead_id),
    }


def test_the_submitted_country_reads_the_number_when_there_is_no_default(
    container: Container,
) -> None:
    form = _phone_form(container, COUNTRY)

    first = _submit(
        container,
        form.id,
        {"email": "ada@example.com", "phone": NATIONAL, "country": "United Kingdom"},
    )
    second = _submit(container, form.id, {"email": "ada@example.com", "phone": INTERNATIONAL})

    assert (second.contact_id, second.lead_id) == (first.contact_id, first.lead_id)
    assert _phones(container, Lead) == [(first.lead_id, E164, INTERNATIONAL)]


def test_an_only_leads_form_reads_the_number_in_the_submitted_country(
    container: Container,
) -> None:
    form = _phone_form(container, {"name": "country", "label": "Country"}, update_mode="only_leads")

    first = _submit(
        container, form.id, {"email": "ada@example.com", "phone": NATIONAL, "country": "GB"}
    )
    second = _submit(container, form.id, {"email": "ada@example.com", "phone": INTERNATIONAL})

    assert first.contact_id is None
    assert second.lead_id == first.lead_id
    assert _phones(container, Lead) == [(first.lead_id, E164, INTERNATIONAL)]


def test_the_record_country_wins_over_the_submission_and_the_default(
    container: Container,
) -> None:
    _default_region(container, "US")
    form = _form(container, fields=[EMAIL, PHONE, COUNTRY])

    result = _submit(
        container,
        form.id,
        {"email": "jean@example.com", "phone": "01 42 68 53 00", "country": "France"},
    )

    assert _phones(container, Contact) == [(result.contact_id, "+33142685300", "01 42 68 53 00")]
    # The lead has no country of its own: its parent contact's is used.
    assert _phones(container, Lead) == [(result.lead_id, "+33142685300", "01 42 68 53 00")]


def test_a_known_contacts_country_reads_the_number_of_a_later_submission(
    container: Container,
) -> None:
    form = _form(container, fields=[EMAIL, PHONE, COUNTRY])
    _submit(container, form.id, {"email": "ada@example.com", "country": "GB"})

    result = _submit(container, form.id, {"email": "ada@example.com", "phone": NATIONAL})

    assert _phones(container, Contact) == [(result.contact_id, E164, NATIONAL)]
    assert _phones(container, Lead) == [(result.lead_id, E164, NATIONAL)]


def test_a_national_number_costs_one_fixed_read_per_submission(
    container: Container,
) -> None:
    from tests.support.queries import count_queries

    _default_region(container, "GB")
    form = _phone_form(container)
    _submit(container, form.id, {"email": "warm@example.com", "phone": "+44 20 7946 0001"})
    engines = (container.engine, container.read_engine)
    with count_queries(*engines) as international:
        _submit(container, form.id, {"email": "one@example.com", "phone": "+44 20 7946 0002"})
    with count_queries(*engines) as national:
        _submit(container, form.id, {"email": "two@example.com", "phone": "020 7946 0003"})

    # A number with its country code needs no region. A national one reads the org
    # default once (the session keeps it for the contact, the lead and both keys); the
    # lead's parent contact (whose country comes first) is the one this unit of work
    # has just written, which its session still holds.
    def reads(statements: list[str], table: str) -> int:
        return sum(1 for s in statements if s.lstrip().startswith(f"SELECT {table}."))

    assert len(national) == len(international) + 1
    assert (reads(national, "org_settings"), reads(international, "org_settings")) == (1, 0)
    assert reads(national, "contacts") == reads(international, "contacts")
