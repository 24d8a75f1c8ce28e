"""The submission pipeline: one path for the landing page, the JSON API and resubmits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from leadflow.capture.domain import (
    HONEYPOT_FIELD,
    SubmissionStatus,
    UpdateMode,
    clean_submission,
    creates_contacts,
    creates_leads,
    mapped_values,
    submission_country,
)
from leadflow.capture.models import FormSubmission, MarketingForm
from leadflow.capture.services._forms import form_fields, get_form
from leadflow.contacts.models import Contact
from leadflow.contacts.services import update_contact
from leadflow.db.uow import UnitOfWork
from leadflow.errors import ErrorCode, LeadflowError, NotFound, ValidationFailed
from leadflow.interactions.domain import InteractionKind
from leadflow.interactions.services import record_interaction
from leadflow.leads.domain import LeadSource
from leadflow.leads.models import Lead
from leadflow.leads.services import create_lead, update_lead
from leadflow.lib.clock import utcnow
from leadflow.lib.crud import WriteContext
from leadflow.matching.domain import MatchOutcome
from leadflow.matching.services import load_strategies, match_contact, match_lead


@dataclass(frozen=True)
class SubmissionResult:
    """What a submitter is told: the stored submission, or that it was discarded (honeypot)."""

    submission_id: int | None
    status: SubmissionStatus
    contact_id: int | None
    lead_id: int | None
    errors: list[dict[str, str]]
    discarded: bool = False


def get_submission(session: Session, submission_id: int) -> FormSubmission:
    row = session.get(FormSubmission, submission_id)
    if row is None:
        raise NotFound(f"No submission with id {submission_id}", field="id")
    return row


def list_submissions(
    session: Session, form_id: int, *, status: str | None = None, limit: int = 100
) -> list[FormSubmission]:
    query = select(FormSubmission).where(FormSubmission.form_id == form_id)
    if status:
        query = query.where(FormSubmission.status == status)
    return list(session.scalars(query.order_by(FormSubmission.id.desc()).limit(limit)))


def _outcome_json(outcome: MatchOutcome | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return {
        "record_id": outcome.record_id,
        "created": outcome.created,
        "strategy_id": outcome.strategy_id,
        "strategy_name": outcome.strategy_name,
        "candidates": outcome.candidates,
        "reason": outcome.reason,
    }


def _known_contact(session: Session, contact_id: int | None) -> int | None:
    if contact_id is None:
        return None
    return contact_id if session.get(Contact, contact_id) is not None else None


def submit_form(
    form_id: int,
    payload: Mapping[str, Any],
    *,
    uow: UnitOfWork,
    known_contact_id: int | None = None,
    source_ip: str | None = None,
    submission_id: int | None = None,
) -> SubmissionResult:
    """Validate, store and process one submission as the form's update mode says.

    Invalid input is stored as a failed submission (the caller commits it, then
    reports the errors). `submission_id` re-runs a stored submission in place.
    """
    session = uow.session
    form = get_form(session, form_id)
    load_strategies(session, (form.contact_strategy_id, form.lead_strategy_id))
    if payload.get(HONEYPOT_FIELD):
        return SubmissionResult(None, SubmissionStatus.FAILED, None, None, [], discarded=True)
    fields = form_fields(form)
    clean = clean_submission(fields, payload)
    stored_payload = {key: value for key, value in payload.items() if key != "csrf_token"}
    # The row is written once, at the end, with its outcome: fewer statements while
    # the write lock is held. A resubmission updates its stored row in place.
    stored = _SubmissionRow(
        existing=get_submission(session, submission_id) if submission_id is not None else None,
        values={
            "form_id": form.id,
            "payload": stored_payload,
            "source_ip": source_ip,
            "created_at": utcnow(),
        },
    )
    if clean.errors:
        stored_id = stored.write(session, SubmissionStatus.FAILED, errors=clean.errors)
        return SubmissionResult(stored_id, SubmissionStatus.FAILED, None, None, clean.errors)
    mode = UpdateMode(form.update_mode)
    if mode is UpdateMode.NO_UPDATE:
        stored_id = stored.write(session, SubmissionStatus.STORED)
        return SubmissionResult(stored_id, SubmissionStatus.STORED, None, None, [])

    page_id = form.page_id
    contact_values = mapped_values(fields, clean.values, "contact")
    lead_values = mapped_values(fields, clean.values, "lead")
    if form.consent_field and clean.values.get(form.consent_field):
        contact_values["consent"] = "marketing"
    # Phones typed without a country code are read in the submitter's country.
    context = WriteContext(country=submission_country(fields, clean.values))

    contact_outcome: MatchOutcome | None = None
    contact_id: int | None = None
    if creates_contacts(mode):
        contact_outcome = match_contact(
            uow,
            contact_values,
            strategy_id=form.contact_strategy_id,
            create_values={**contact_values, "source": "landing_page"},
            context=context,
        )
        contact_id = contact_outcome.contact_id
        if contact_id is not None and not contact_outcome.created and contact_values:
            update_contact(contact_id, contact_values, uow=uow, context=context)
    else:
        contact_id = _known_contact(session, known_contact_id)

    lead_outcome: MatchOutcome | None = None
    lead_id: int | None = None
    if creates_leads(mode):
        lead_outcome = _lead_for(uow, form, page_id, lead_values, contact_id, mode, context)
        lead_id = lead_outcome.lead_id

    stored.values.update(
        contact_id=contact_id,
        lead_id=lead_id,
        contact_created=bool(contact_outcome and contact_outcome.created),
        lead_created=bool(lead_outcome and lead_outcome.created),
        outcome={"contact": _outcome_json(contact_outcome), "lead": _outcome_json(lead_outcome)},
    )
    stored_id = stored.write(session, SubmissionStatus.SUCCEEDED)
    if contact_id is not None:
        # Interactions belong to a contact: an only-leads submission of an unknown
        # visitor has none, and (as in the original) would not count toward scores.
        record_interaction(
            {
                "contact_id": contact_id,
                "lead_id": lead_id,
                "kind": InteractionKind.FORM_SUBMITTED.value,
                "target_id": str(form.id),
                "data": {"submission_id": stored_id, "page_id": page_id, "form_id": form.id},
            },
            uow=uow,
        )
    if not form.store_all_submissions:
        stored.delete(session)
    return SubmissionResult(stored_id, SubmissionStatus.SUCCEEDED, contact_id, lead_id, [])


_SUBMISSIONS = cast(Table, FormSubmission.__table__)
# Every column, so one compiled statement serves every submission.
_NEW_SUBMISSION: dict[str, Any] = {
    "contact_id": None,
    "lead_id": None,
    "contact_created": False,
    "lead_created": False,
    "outcome": {},
}
_SET_ONCE = ("form_id", "source_ip", "created_at")
_INSERT_SUBMISSION = insert(_SUBMISSIONS).returning(_SUBMISSIONS.c.id)
_DELETE_SUBMISSION = delete(_SUBMISSIONS).where(_SUBMISSIONS.c.id == bindparam("submission_id"))


@dataclass
class _SubmissionRow:
    """A submission's row, written once with its outcome: a Core insert for a new one
    (the ORM's flush of one object cost more than the insert), the stored row
    updated in place for a resubmission."""

    existing: FormSubmission | None
    values: dict[str, Any]
    id: int | None = None

    def write(
        self,
        session: Session,
        status: SubmissionStatus,
        *,
        errors: list[dict[str, str]] | None = None,
    ) -> int:
        self.values.update(status=status.value, errors=errors or [], processed_at=utcnow())
        if self.existing is not None:
            for name, value in self.values.items():
                if name not in _SET_ONCE:
                    setattr(self.existing, name, value)
            session.flush()
            self.id = self.existing.id
        else:
            row = {**_NEW_SUBMISSION, **self.values}
            self.id = session.execute(_INSERT_SUBMISSION, row).scalar_one()
        return self.id

    def delete(self, session: Session) -> None:
        if self.existing is not None:
            session.delete(self.existing)
            session.flush()
        else:
            session.execute(_DELETE_SUBMISSION, {"submission_id": self.id})


def _lead_for(
    uow: UnitOfWork,
    form: MarketingForm,
    page_id: int | None,
    lead_values: dict[str, Any],
    contact_id: int | None,
    mode: UpdateMode,
    context: WriteContext,
) -> MatchOutcome:
    create_values: dict[str, Any] = {
        "topic": form.name,
        **lead_values,
        "source": LeadSource.LANDING_PAGE.value,
        "campaign": form.campaign,
        "marketing_page_id": page_id,
        "marketing_form_id": form.id,
        "owner_id": form.owner_id,
        "parent_contact_id": contact_id,
    }
    if form.generate_leads_without_matching:
        lead = create_lead(create_values, uow=uow, context=context)
        return MatchOutcome(lead_id=lead.id, created=True, reason="generated without matching")
    outcome = match_lead(
        uow,
        {**lead_values, "marketing_page_id": page_id, "marketing_form_id": form.id},
        strategy_id=form.lead_strategy_id,
        create_values=create_values,
        context=context,
    )
    if outcome.lead_id is not None and not outcome.created:
        changes = dict(lead_values)
        if contact_id is not None:
            existing = uow.session.get(Lead, outcome.lead_id)
            # Contacts and leads: the matched contact becomes the parent. Only leads:
            # a known visitor fills an empty parent, an existing parent stays.
            if mode is UpdateMode.CONTACTS_AND_LEADS or (
                existing is not None and existing.parent_contact_id is None
            ):
                changes["parent_contact_id"] = contact_id
        if changes:
            update_lead(outcome.lead_id, changes, uow=uow, context=context)
    return outcome


def run_submission(
    new_uow: Callable[[], UnitOfWork],
    form_id: int,
    payload: Mapping[str, Any],
    *,
    known_contact_id: int | None = None,
    source_ip: str | None = None,
    submission_id: int | None = None,
) -> SubmissionResult:
    """Submit in one transaction; when processing fails, keep the failed submission.

    Raises ValidationFailed (code submission_invalid, `errors` listing each field)
    after the failed submission is committed, so the caller only renders it.
    """
    try:
        with new_uow() as uow:
            result = submit_form(
                form_id,
                payload,
                uow=uow,
                known_contact_id=known_contact_id,
                source_ip=source_ip,
                submission_id=submission_id,
            )
            uow.commit()
    except LeadflowError as exc:
        if isinstance(exc, NotFound) and exc.field == "id":
            raise
        errors = [{"field": exc.field or "", "message": exc.message}]
        with new_uow() as uow:
            failed_id = _store_failure(uow, form_id, payload, errors, source_ip, submission_id)
            uow.commit()
        raise ValidationFailed(
            exc.message,
            code=ErrorCode.SUBMISSION_INVALID,
            field=exc.field,
            extra={"errors": errors, "submission_id": failed_id},
        ) from exc
    if result.errors:
        first = result.errors[0]
        raise ValidationFailed(
            first["message"],
            code=ErrorCode.SUBMISSION_INVALID,
            field=first["field"],
            extra={"errors": result.errors, "submission_id": result.submission_id},
        )
    return result


def _store_failure(
    uow: UnitOfWork,
    form_id: int,
    payload: Mapping[str, Any],
    errors: list[dict[str, str]],
    source_ip: str | None,
    submission_id: int | None,
) -> int:
    now = utcnow()
    submission = uow.session.get(FormSubmission, submission_id) if submission_id else None
    if submission is None:
        submission = FormSubmission(
            form_id=form_id,
            payload={key: value for key, value in payload.items() if key != "csrf_token"},
            source_ip=source_ip,
            created_at=now,
            outcome={},
        )
        uow.session.add(submission)
    submission.status = SubmissionStatus.FAILED.value
    submission.errors = errors
    submission.processed_at = now
    uow.session.flush()
    return submission.id


def record_page_visit(page_id: int, contact_id: int, *, uow: UnitOfWork) -> bool:
    """A known visitor opened a landing page: a page_visited interaction (False if unknown)."""
    if uow.session.get(Contact, contact_id) is None:
        return False
    record_interaction(
        {
            "contact_id": contact_id,
            "kind": InteractionKind.PAGE_VISITED.value,
            "target_id": str(page_id),
            "data": {"page_id": page_id},
        },
        uow=uow,
    )
    return True


def do_record_page_visit(page_id: int, contact_id: int, *, uow: UnitOfWork) -> bool:
    """Record a known visitor's page visit in a transaction of its own (False if unknown)."""
    with uow:
        recorded = record_page_visit(page_id, contact_id, uow=uow)
        if recorded:
            uow.commit()
        return recorded
