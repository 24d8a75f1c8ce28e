"""The submission pipeline per update mode, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.capture.models import FormSubmission, MarketingForm
from leadflow.capture.services import (
    accept_submission,
    create_form,
    do_accept_submission,
    do_process_submissions,
    do_resubmit,
    update_form,
)
from leadflow.contacts.models import Contact
from leadflow.contacts.services import create_contact
from leadflow.errors import ValidationFailed
from leadflow.interactions.models import Interaction
from leadflow.leads.models import Lead
from leadflow.matching.services import create_strategy, update_strategy
from tests.support.outbox import submit_and_process


def _form(container: Container, **settings: Any) -> MarketingForm:
    with container.uow() as uow:
        form = create_form(
            {"name": "Webinar", "slug": "webinar", "campaign": "Spring", **settings}, uow=uow
        )
        uow.commit()
        return form


def _submit(container: Container, form_id: int, payload: dict[str, Any], **kwargs: Any) -> Any:
    return submit_and_process(container, form_id, payload, **kwargs)


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


def test_accepting_inside_a_caller_transaction_rolls_back_with_it(container: Container) -> None:
    form = _form(container)
    with container.uow() as uow:
        result = accept_submission(form.id, {"email": "ada@example.com"}, uow=uow)
        uow.rollback()
    assert result.status == "accepted" and result.submission_id is not None
    container.relay.drain()
    assert _all(container, FormSubmission) == [] and _all(container, Contact) == []


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


# The request path of one submission: reading the form, inserting the submission and
# its outbox row; nothing else (the floor endpoint is its one insert). Matching and the
# records follow in the relay's batch. Transaction control is not counted: BEGIN, and
# on SQLite the unit's SAVEPOINT and RELEASE inside its group's transaction.
REQUEST_STATEMENTS = 3
# The relay's batch of submissions, whatever their number: the submissions, their forms,
# the forms' strategies, one contact lookup, the new contacts (SQLite: their first id,
# one insert, their keys; PostgreSQL: their keys claimed, one insert returning ids, the
# keys pointed at them), the batch's contacts read back, the same four or five for
# leads, the interactions (SQLite: the first id, then one insert; PostgreSQL: one
# insert returning ids), the submissions' outcomes, and one insert of the outbox rows.
BATCH_STATEMENTS = {"sqlite": 17, "postgresql": 16}


def test_a_submission_runs_three_statements_on_the_request_path(container: Container) -> None:
    from tests.support.queries import count_queries

    form = _form(container)
    _submit(container, form.id, {"email": "warm@example.com"})
    engines = (container.engine, container.read_engine)
    with count_queries(*engines) as new_person:
        do_accept_submission(
            form.id, {"email": "new@example.com", "first_name": "Neo"}, uow=container.uow()
        )
    with count_queries(*engines) as known_person:
        do_accept_submission(
            form.id, {"email": "warm@example.com", "first_name": "Wa"}, uow=container.uow()
        )
    assert len(new_person) == REQUEST_STATEMENTS, new_person
    assert len(known_person) == REQUEST_STATEMENTS, known_person


@pytest.mark.parametrize("size", [2, 12])
def test_a_batch_runs_the_same_statements_whatever_its_size(
    container: Container, size: int
) -> None:
    from tests.support.queries import count_queries

    form = _form(container)
    _submit(container, form.id, {"email": "warm@example.com"})
    with container.uow() as uow:
        ids = [
            accept_submission(form.id, {"email": f"new{index}@example.com"}, uow=uow).submission_id
            for index in range(size)
        ]
        uow.commit()
    with count_queries(container.engine) as statements:
        statuses = do_process_submissions(
            {item: None for item in ids if item is not None}, new_uow=container.uow
        )
    assert set(statuses.values()) == {"succeeded"} and len(statuses) == size
    expected = BATCH_STATEMENTS[container.engine.dialect.name]
    assert len(statements) == expected, "\n".join(statements)


@pytest.mark.parametrize("size", [2, 12])
def test_a_batch_updates_its_known_contacts_in_one_statement(
    container: Container, size: int
) -> None:
    from tests.support.queries import count_queries

    form = _form(container)
    emails = [f"known{index}@example.com" for index in range(size)]
    with container.uow() as uow:
        for email in emails:
            create_contact({"email": email, "first_name": "Before"}, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.uow() as uow:
        ids = [
            accept_submission(
                form.id, {"email": email, "first_name": "After"}, uow=uow
            ).submission_id
            for email in emails
        ]
        uow.commit()
    with count_queries(container.engine) as statements:
        statuses = do_process_submissions(
            {item: None for item in ids if item is not None}, new_uow=container.uow
        )

    assert set(statuses.values()) == {"succeeded"} and len(statuses) == size
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE CONTACTS")]
    assert len(updates) == 1, "\n".join(updates)
    assert [contact.first_name for contact in _all(container, Contact)] == ["After"] * size


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
