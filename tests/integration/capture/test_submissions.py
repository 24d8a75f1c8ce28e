"""The submission pipeline per update mode, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.capture.models import FormSubmission, MarketingForm
from leadflow.capture.services import (
    SubmissionResult,
    create_form,
    do_accept_submission,
    do_resubmit,
    update_form,
)
from leadflow.contacts.models import Contact
from leadflow.contacts.services import create_contact
from leadflow.errors import ValidationFailed
from leadflow.interactions.models import Interaction
from leadflow.leads.models import Lead
from leadflow.matching.services import create_strategy, update_strategy


def _form(container: Container, **settings: Any) -> MarketingForm:
    with container.uow() as uow:
        form = create_form(
            {"name": "Webinar", "slug": "webinar", "campaign": "Spring", **settings}, uow=uow
        )
        uow.commit()
        return form


def _submit(container: Container, form_id: int, payload: dict[str, Any], **kwargs: Any) -> Any:
    """Accept the submission, then drain the outbox (the relay processes it): what the
    submission became."""
    accepted = do_accept_submission(form_id, payload, uow=container.uow(), **kwargs)
    container.relay.drain()
    with container.read_session() as session:
        row = session.get(FormSubmission, accepted.submission_id) if accepted.submission_id else None
        if row is None:
            return accepted
        return SubmissionResult(row.id, row.status, row.contact_id, row.lead_id, row.errors)


def _all(container: Container, model: Any) -> list[Any]:
    with container.read_session() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def test_contacts_and_leads_creates_both_linked_and_records_the_interaction(
    container: Container,
) -> None:
    form = _form(container)
    result = _submit(
        container,
        form.id,
        {"email": "ada@example.com", "first_name": "Ada", "company": "Analytical"},
    )
    [contact] = _all(container, Contact)
    [lead] = _all(container, Lead)
    [interaction] = _all(container, Interaction)
    [submission] = _all(container, FormSubmission)
    assert (result.contact_id, result.lead_id) == (contact.id, lead.id)
    assert contact.first_name == "Ada" and contact.source == "landing_page"
    assert lead.parent_contact_id == contact.id
    assert (lead.source, lead.campaign, lead.company_name) == (
        "landing_page",
        "Spring",
        "Analytical",
    )
    assert (lead.marketing_form_id, lead.marketing_page_id) == (form.id, form.page_id)
    assert (interaction.kind, interaction.target_id) == ("form_submitted", str(form.id))
    assert (interaction.contact_id, interaction.lead_id) == (contact.id, lead.id)
    assert interaction.data == {
        "submission_id": submission.id,
        "page_id": form.page_id,
        "form_id": form.id,
    }
    assert submission.status == "succeeded"
    assert submission.contact_created and submission.lead_created
    assert submission.outcome["contact"]["strategy_name"] == "Email"
    assert submission.outcome["lead"]["strategy_name"] == "Email and page"


def test_a_second_submission_updates_the_same_contact_and_lead(container: Container) -> None:
    form = _form(container)
    first = _submit(container, form.id, {"email": "ada@example.com", "first_name": "Ada"})
    second = _submit(container, form.id, {"email": "ADA@example.com ", "first_name": "Augusta"})
    [contact] = _all(container, Contact)
    [lead] = _all(container, Lead)
    assert (second.contact_id, second.lead_id) == (first.contact_id, first.lead_id)
    assert contact.first_name == "Augusta" and lead.first_name == "Augusta"
    assert len(_all(container, Interaction)) == 2
    latest = _all(container, FormSubmission)[-1]
    assert not latest.contact_created and not latest.lead_created


def test_generate_leads_without_matching_makes_a_lead_each_time(container: Container) -> None:
    form = _form(container, generate_leads_without_matching=True)
    _submit(container, form.id, {"email": "ada@example.com"})
    _submit(container, form.id, {"email": "ada@example.com"})
    assert len(_all(container, Contact)) == 1
    leads = _all(container, Lead)
    assert len(leads) == 2 and {lead.parent_contact_id for lead in leads} == {
        _all(container, Contact)[0].id
    }


def test_only_contacts_makes_no_lead(container: Container) -> None:
    form = _form(container, update_mode="only_contacts")
    result = _submit(container, form.id, {"email": "ada@example.com"})
    assert result.lead_id is None and _all(container, Lead) == []
    [interaction] = _all(container, Interaction)
    assert interaction.contact_id == result.contact_id and interaction.lead_id is None


def test_only_leads_creates_no_contact_and_no_interaction_for_a_stranger(
    container: Container,
) -> None:
    form = _form(container, update_mode="only_leads")
    result = _submit(container, form.id, {"email": "ada@example.com"})
    [lead] = _all(container, Lead)
    assert _all(container, Contact) == [] and _all(container, Interaction) == []
    assert lead.parent_contact_id is None and result.contact_id is None


def test_only_leads_takes_the_parent_from_the_known_visitor(container: Container) -> None:
    with container.uow() as uow:
        known = create_contact({"email": "known@example.com"}, uow=uow).id
        uow.commit()
    container.relay.drain()
    form = _form(container, update_mode="only_leads")
    _submit(container, form.id, {"email": "other@example.com"}, known_contact_id=known)
    [lead] = _all(container, Lead)
    assert lead.parent_contact_id == known
    assert len(_all(container, Contact)) == 1
    [interaction] = _all(container, Interaction)
    assert (interaction.contact_id, interaction.lead_id) == (known, lead.id)


def test_no_update_only_stores_the_submission(container: Container) -> None:
    form = _form(container, update_mode="no_update")
    result = _submit(container, form.id, {"email": "ada@example.com"})
    assert result.status == "stored"
    assert _all(container, Contact) == [] and _all(container, Lead) == []
    [submission] = _all(container, FormSubmission)
    assert submission.payload == {"email": "ada@example.com"}


def test_invalid_input_is_kept_as_a_failed_submission(container: Container) -> None:
    form = _form(container)
    with pytest.raises(ValidationFailed) as caught:
        _submit(container, form.id, {"email": "not-an-email"})
    assert caught.value.field == "email"
    assert caught.value.code == "submission_invalid"
    [submission] = _all(container, FormSubmission)
    assert submission.status == "failed"
    assert submission.errors == [
        {"field": "email", "message": "Email is not a valid email address"}
    ]
    assert _all(container, Contact) == []


def test_a_failed_submission_is_resubmitted_after_the_cause_is_fixed(container: Container) -> None:
    form = _form(container)
    with container.uow() as uow:
        update_form(
            form.id,
            {
                "fields": [
                    {
                        "name": "email",
                        "type": "email",
                        "required": True,
                        "contact_field": "email",
                        "lead_field": "email",
                    },
                    {"name": "size", "type": "text", "required": True},
                ]
            },
            uow=uow,
        )
        uow.commit()
    container.relay.drain()
    with pytest.raises(ValidationFailed):
        _submit(container, form.id, {"email": "ada@example.com"})
    [failed] = _all(container, FormSubmission)
    with container.uow() as uow:
        update_form(
            form.id,
            {
                "fields": [
                    {
                        "name": "email",
                        "type": "email",
                        "required": True,
                        "contact_field": "email",
                        "lead_field": "email",
                    }
                ]
            },
            uow=uow,
        )
        uow.commit()
    container.relay.drain()
    assert do_resubmit(failed.id, new_uow=container.uow) == "succeeded"
    container.relay.drain()
    [again] = _all(container, FormSubmission)
    assert again.id == failed.id and again.status == "succeeded" and again.errors == []
    assert again.contact_id is not None


def test_honeypot_submissions_are_discarded(container: Container) -> None:
    form = _form(container)
    result = _submit(container, form.id, {"email": "bot@example.com", "website_url": "http://spam"})
    assert result.discarded
    assert _all(container, FormSubmission) == [] and _all(container, Contact) == []


def test_several_matching_contacts_are_named_as_candidates(container: Container) -> None:
    with container.uow() as uow:
        first = create_contact({"email": "twin@example.com"}, uow=uow).id
        second = create_contact({"email": "twin@example.com"}, uow=uow).id
        uow.commit()
    container.relay.drain()
    form = _form(container)
    result = _submit(container, form.id, {"email": "twin@example.com"})
    [submission] = _all(container, FormSubmission)
    assert result.contact_id == second
    assert submission.outcome["contact"]["candidates"] == [first]


def test_missing_strategy_value_is_recorded_on_the_submission(container: Container) -> None:
    with container.uow() as uow:
        strategy = create_strategy(
            {"name": "Phone", "target": "contact", "fields": ["phone"]}, uow=uow
        )
        uow.commit()
    container.relay.drain()
    form = _form(container, contact_strategy_id=strategy.id)
    _submit(container, form.id, {"email": "ada@example.com"})
    [submission] = _all(container, FormSubmission)
    assert submission.outcome["contact"]["reason"] == "cannot match on 'Phone': no value for phone"
    assert submission.contact_created


def test_changing_the_default_later_leaves_existing_forms_alone(container: Container) -> None:
    form = _form(container)
    with container.uow() as uow:
        newer = create_strategy(
            {"name": "Phone", "target": "contact", "fields": ["phone"], "is_default": True}, uow=uow
        )
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        stored = session.get(MarketingForm, form.id)
        assert stored is not None and stored.contact_strategy_id != newer.id
    with container.uow() as uow:
        later = create_form({"name": "Later", "slug": "later"}, uow=uow)
        uow.commit()
    container.relay.drain()
    assert later.contact_strategy_id == newer.id


def test_consent_field_sets_marketing_consent(container: Container) -> None:
    form = _form(
        container,
        fields=[
            {
                "name": "email",
                "type": "email",
                "required": True,
                "contact_field": "email",
                "lead_field": "email",
            },
            {"name": "consent", "type": "checkbox", "label": "Send me news"},
        ],
        consent_field="consent",
    )
    _submit(container, form.id, {"email": "ada@example.com", "consent": "on"})
    [contact] = _all(container, Contact)
    assert contact.consent == "marketing"


def test_store_all_off_keeps_no_successful_submission(container: Container) -> None:
    form = _form(container, store_all_submissions=False)
    _submit(container, form.id, {"email": "ada@example.com"})
    with pytest.raises(ValidationFailed):
        _submit(container, form.id, {"email": "bad"})
    [kept] = _all(container, FormSubmission)
    assert kept.status == "failed"


def test_submit_form_inside_a_caller_transaction(container: Container) -> None:
    form = _form(container)
    with container.uow() as uow:
        result = submit_form(form.id, {"email": "ada@example.com"}, uow=uow)
        uow.rollback()
    assert result.contact_id is not None
    assert _all(container, Contact) == []


def test_strategy_renames_do_not_change_forms(container: Container) -> None:
    form = _form(container)
    assert form.contact_strategy_id is not None
    with container.uow() as uow:
        update_strategy(form.contact_strategy_id, {"name": "Mail"}, uow=uow)
        uow.commit()
    container.relay.drain()
    _submit(container, form.id, {"email": "ada@example.com"})
    [submission] = _all(container, FormSubmission)
    assert submission.outcome["contact"]["strategy_name"] == "Mail"


# The request path of one submission, after the form's first: reading the form and its
# two strategies, matching and (for a new person) creating the contact and the lead
# with their match keys, the submission, the interaction and the outbox rows. Scoring,
# the process and automation run later, in the relay's batches. PostgreSQL claims each
# key before creating its record and points it at the record after (two more
# statements per record); SQLite's writer holds the write lock, so it writes the key
# with its record. Transaction control is not counted: BEGIN, and on SQLite the
# unit's SAVEPOINT and RELEASE inside its group's transaction (group commit).
STATEMENTS = {
    "sqlite": {"new": 11, "known": 9},
    "postgresql": {"new": 13, "known": 9},
}


def test_a_submission_runs_a_fixed_number_of_statements(container: Container) -> None:
    from tests.support.queries import count_queries

    form = _form(container)
    _submit(container, form.id, {"email": "warm@example.com"})
    engines = (container.engine, container.read_engine)
    with count_queries(*engines) as new_person:
        _submit(container, form.id, {"email": "new@example.com", "first_name": "Neo"})
    with count_queries(*engines) as known_person:
        _submit(container, form.id, {"email": "new@example.com", "first_name": "Neo"})

    expected = STATEMENTS[container.engine.dialect.name]
    assert len(new_person) == expected["new"], new_person
    assert len(known_person) == expected["known"], known_person


def test_a_failure_inside_the_pipeline_keeps_the_submission_and_writes_nothing(
    container: Container,
) -> None:
    from leadflow.registry.services import add_custom_field

    with container.uow() as uow:
        add_custom_field(
            {"entity": "lead", "name": "seats", "label": "Seats", "type": "integer"}, uow=uow
        )
        uow.commit()
    container.relay.drain()
    form = _form(
        container,
        fields=[
            {
                "name": "email",
                "type": "email",
                "required": True,
                "contact_field": "email",
                "lead_field": "email",
            },
            {"name": "seats", "type": "text", "lead_field": "custom.seats"},
        ],
    )
    with pytest.raises(ValidationFailed) as caught:
        _submit(container, form.id, {"email": "ada@example.com", "seats": "a few"})
    assert caught.value.field == "seats"
    [submission] = _all(container, FormSubmission)
    assert submission.status == "failed" and submission.errors[0]["field"] == "seats"
    assert _all(container, Contact) == [] and _all(container, Lead) == []
