"""Phones written through the record services and matched through the strategies, on both
databases: one normaliser, the region from the record, the submission, the org default."""

from __future__ import annotations

import pytest

from leadflow.accounts.services import create_account
from leadflow.bootstrap import Container
from leadflow.capture.services import create_lead_with_contact
from leadflow.contacts.services import create_contact, get_contact, update_contact
from leadflow.errors import ErrorCode, NotFound, ValidationFailed
from leadflow.leads.services import create_lead, get_lead, update_lead
from leadflow.matching.services import create_strategy, match_contact, match_lead
from leadflow.records.crud import WriteContext
from leadflow.switches.domain import PHONE_DEFAULT_REGION
from leadflow.switches.events import SettingChanged
from leadflow.switches.services import all_settings, set_setting, setting_value

NATIONAL = "020 7946 0542"
INTERNATIONAL = "+44 20 7946 0542"
E164 = "+442079460542"
KEY = PHONE_DEFAULT_REGION.key


def _default_region(container: Container, region: str | None) -> None:
    with container.uow() as uow:
        set_setting(KEY, region, uow=uow)
        uow.commit()
    container.relay.drain()


def _strategy(container: Container, target: str) -> int:
    with container.uow() as uow:
        strategy = create_strategy(
            {"name": f"{target} phone", "target": target, "fields": ["phone"]}, uow=uow
        )
        uow.commit()
        return strategy.id


# --- the org setting ---------------------------------------------------------------------


def test_the_default_region_is_unset_until_an_admin_sets_it(container: Container) -> None:
    with container.read_session() as session:
        assert setting_value(session, KEY) is None

    _default_region(container, "gb")

    with container.read_session() as session:
        assert setting_value(session, KEY) == "GB"
        assert [(d.key, value) for d, value in all_settings(session)] == [(KEY, "GB")]


def test_setting_the_region_publishes_and_clearing_returns_to_the_default(
    container: Container,
) -> None:
    seen: list[SettingChanged] = []
    container.bus.subscribe(SettingChanged, seen.append, name="test.setting_changed")

    _default_region(container, "GB")
    _default_region(container, "GB")
    _default_region(container, "")

    assert seen == [SettingChanged(KEY, "GB"), SettingChanged(KEY, None)]
    with container.read_session() as session:
        assert setting_value(session, KEY) is None


@pytest.mark.parametrize("value", ["ZZ", "UK", "United Kingdom", "GBR"])
def test_a_region_phonenumbers_does_not_know_is_refused(container: Container, value: str) -> None:
    _default_region(container, "GB")

    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        set_setting(KEY, value, uow=uow)

    assert (caught.value.code, caught.value.field) == (ErrorCode.SWITCH_VALUE_INVALID, "value")
    assert "not a region code phonenumbers knows" in caught.value.message
    with container.read_session() as session:
        assert setting_value(session, KEY) == "GB"


def test_an_unknown_setting_is_not_found(container: Container) -> None:
    with container.uow() as uow, pytest.raises(NotFound):
        set_setting("phones.no_such", "GB", uow=uow)


# --- writing ---------------------------------------------------------------------------


def test_a_lead_reads_a_national_number_in_the_org_default_region(container: Container) -> None:
    _default_region(container, "GB")

    with container.uow() as uow:
        lead = create_lead({"last_name": "Lovelace", "phone": NATIONAL}, uow=uow)
        uow.commit()

    assert (lead.phone, lead.phone_raw) == (E164, NATIONAL)


def test_a_lead_reads_it_in_its_parent_accounts_country_first(container: Container) -> None:
    _default_region(container, "US")
    with container.uow() as uow:
        account = create_account({"name": "Analytical", "country": "United Kingdom"}, uow=uow)
        lead = create_lead(
            {"last_name": "Lovelace", "phone": NATIONAL, "parent_account_id": account.id}, uow=uow
        )
        uow.commit()

    assert (lead.phone, lead.phone_raw) == (E164, NATIONAL)


def test_a_lead_reads_it_in_its_contacts_account_country(container: Container) -> None:
    with container.uow() as uow:
        account = create_account({"name": "Analytical", "country": "GB"}, uow=uow)
        contact = create_contact({"last_name": "Lovelace", "account_id": account.id}, uow=uow)
        lead = create_lead(
            {"last_name": "Lovelace", "phone": NATIONAL, "parent_contact_id": contact.id}, uow=uow
        )
        uow.commit()

    assert (lead.parent_account_id, lead.phone) == (account.id, E164)


def test_the_contacts_own_country_wins_over_its_account_and_the_context(
    container: Container,
) -> None:
    _default_region(container, "US")
    with container.uow() as uow:
        account = create_account({"name": "Analytical", "country": "DE"}, uow=uow)
        contact = create_contact(
            {"phone": "01 42 68 53 00", "country": "FR", "account_id": account.id},
            uow=uow,
            context=WriteContext(country="GB"),
        )
        uow.commit()

    assert contact.phone == "+33142685300"


def test_the_submission_country_comes_before_the_org_default(container: Container) -> None:
    _default_region(container, "US")

    with container.uow() as uow:
        lead = create_lead(
            {"last_name": "Lovelace", "phone": NATIONAL},
            uow=uow,
            context=WriteContext(country="GB"),
        )
        uow.commit()

    assert lead.phone == E164


def test_a_stored_unread_phone_is_read_when_the_contact_gains_a_country(
    container: Container,
) -> None:
    with container.uow() as uow:
        contact_id = create_contact({"last_name": "Lovelace", "phone": NATIONAL}, uow=uow).id
        uow.commit()
    with container.read_session() as session:
        assert get_contact(session, contact_id).phone == NATIONAL

    with container.uow() as uow:
        update_contact(contact_id, {"country": "GB"}, uow=uow)
        uow.commit()

    with container.read_session() as session:
        contact = get_contact(session, contact_id)
        assert (contact.phone, contact.phone_raw) == (E164, NATIONAL)


def test_a_read_phone_is_not_read_again_when_the_country_changes(container: Container) -> None:
    with container.uow() as uow:
        contact_id = create_contact({"phone": NATIONAL, "country": "GB"}, uow=uow).id
        uow.commit()

    with container.uow() as uow:
        update_contact(contact_id, {"country": "FR"}, uow=uow)
        uow.commit()

    with container.read_session() as session:
        assert get_contact(session, contact_id).phone == E164


def test_a_lead_update_normalises_like_a_create(container: Container) -> None:
    _default_region(container, "GB")
    with container.uow() as uow:
        lead_id = create_lead({"last_name": "Lovelace"}, uow=uow).id
        update_lead(lead_id, {"phone": NATIONAL}, uow=uow)
        uow.commit()

    with container.read_session() as session:
        lead = get_lead(session, lead_id)
        assert (lead.phone, lead.phone_raw) == (E164, NATIONAL)


def test_clearing_the_phone_clears_what_was_typed(container: Container) -> None:
    with container.uow() as uow:
        lead = create_lead({"phone": INTERNATIONAL}, uow=uow)
        assert (lead.phone, lead.phone_raw) == (E164, INTERNATIONAL)
        update_lead(lead.id, {"phone": ""}, uow=uow)
        uow.commit()

    assert (lead.phone, lead.phone_raw) == (None, None)


def test_what_was_typed_cannot_be_written_directly(container: Container) -> None:
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        create_lead({"phone_raw": NATIONAL}, uow=uow)

    assert caught.value.field == "phone_raw"
    assert caught.value.message == "Phone as typed is read-only"


# --- matching --------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["contact", "lead"])
def test_a_phone_strategy_matches_both_formats_in_the_default_region(
    container: Container, target: str
) -> None:
    _default_region(container, "GB")
    strategy_id = _strategy(container, target)
    match = match_contact if target == "contact" else match_lead

    with container.uow() as uow:
        first = match(uow, {"phone": INTERNATIONAL}, strategy_id=strategy_id)
        second = match(uow, {"phone": NATIONAL}, strategy_id=strategy_id)
        uow.commit()

    assert first.created and not second.created
    assert second.record_id == first.record_id


@pytest.mark.parametrize("target", ["contact", "lead"])
def test_without_a_region_the_formats_stay_apart(container: Container, target: str) -> None:
    strategy_id = _strategy(container, target)
    match = match_contact if target == "contact" else match_lead

    with container.uow() as uow:
        first = match(uow, {"phone": INTERNATIONAL}, strategy_id=strategy_id)
        again = match(uow, {"phone": "+442079460542"}, strategy_id=strategy_id)
        national = match(uow, {"phone": NATIONAL}, strategy_id=strategy_id)
        uow.commit()

    assert again.record_id == first.record_id and not again.created
    assert national.created and national.record_id != first.record_id


def test_a_lead_phone_is_matched_in_the_country_of_the_contact_it_will_have(
    container: Container,
) -> None:
    strategy_id = _strategy(container, "lead")
    with container.uow() as uow:
        contact = create_contact({"last_name": "Lovelace", "country": "GB"}, uow=uow)
        first = match_lead(uow, {"phone": INTERNATIONAL}, strategy_id=strategy_id)
        second = match_lead(
            uow,
            {"phone": NATIONAL},
            strategy_id=strategy_id,
            create_values={"phone": NATIONAL, "parent_contact_id": contact.id},
        )
        uow.commit()

    assert second.lead_id == first.lead_id and not second.created


def test_a_lead_made_with_its_contact_links_the_contact_that_has_the_number(
    container: Container,
) -> None:
    _default_region(container, "GB")
    with container.uow() as uow:
        create_strategy(
            {"name": "Phone", "target": "contact", "fields": ["phone"], "is_default": True},
            uow=uow,
        )
        existing = create_contact({"last_name": "Lovelace", "phone": INTERNATIONAL}, uow=uow)
        uow.commit()

    with container.uow() as uow:
        lead, outcome = create_lead_with_contact(
            {"last_name": "Lovelace", "phone": NATIONAL}, uow=uow
        )
        uow.commit()

    assert (outcome.contact_id, outcome.created) == (existing.id, False)
    assert (lead.parent_contact_id, lead.phone, lead.phone_raw) == (existing.id, E164, NATIONAL)


def test_a_lead_made_with_a_new_contact_gives_both_the_number_in_the_leads_region(
    container: Container,
) -> None:
    with container.uow() as uow:
        account = create_account({"name": "Analytical", "country": "GB"}, uow=uow)
        lead, outcome = create_lead_with_contact(
            {"last_name": "Lovelace", "phone": NATIONAL, "parent_account_id": account.id},
            uow=uow,
        )
        assert outcome.contact_id is not None
        contact = get_contact(uow.session, outcome.contact_id)
        uow.commit()

    assert (lead.phone, contact.phone, contact.phone_raw) == (E164, E164, NATIONAL)


def test_a_region_set_in_the_same_unit_of_work_is_the_one_read(container: Container) -> None:
    _default_region(container, "US")

    with container.uow() as uow:
        before = create_lead({"phone": "(202) 555-0143"}, uow=uow)
        set_setting(KEY, "GB", uow=uow)
        after = create_lead({"phone": NATIONAL}, uow=uow)
        uow.commit()

    assert (before.phone, after.phone) == ("+12025550143", E164)
