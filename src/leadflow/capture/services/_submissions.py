"""Submissions on the request path: checked against the form, stored, answered.

The request path (landing page, JSON API) checks the payload against the form,
stores ONE row (`accepted`) with its `SubmissionAccepted` event and answers: the
cost of a bare insert plus reading the form. Bad input is still refused at once
(stored as `failed`, 422 with each field at fault). The relay then processes the
accepted ones in batches (`_processing`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadflow.capture.domain import (
    HONEYPOT_FIELD,
    FormField,
    SubmissionStatus,
    UpdateMode,
    clean_submission,
    mapped_values,
)
from leadflow.capture.events import SubmissionAccepted
from leadflow.capture.models import FormSubmission, MarketingForm
from leadflow.capture.services._forms import forget_form, form_fields, get_form
from leadflow.db.uow import UnitOfWork
from leadflow.errors import ErrorCode, NotFound, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.records.values import coerce_changes
from leadflow.registry.domain import Registry

SUBMISSIONS = cast(Table, FormSubmission.__table__)


@dataclass(frozen=True)
class SubmissionResult:
    """What a submitter is told: the stored submission (accepted, or stored for a
    no-update form), or that it was discarded (honeypot). `contact_id`/`lead_id` are
    known once the submission is processed (`GET /api/v1/submissions/{id}`)."""

    submission_id: int | None
    status: SubmissionStatus
    contact_id: int | None = None
    lead_id: int | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
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


def submission_contact(session: Session, submission_id: int) -> int | None:
    """The contact a processed submission matched or created (None until processed)."""
    return session.scalar(
        select(FormSubmission.contact_id).where(FormSubmission.id == submission_id)
    )


# --- the request path --------------------------------------------------------------------


def _field_at_fault(fields: Sequence[FormField], registry_field: str | None) -> str:
    """The form's input that feeds a contact or lead field (a registry error names the
    record's field, the submitter knows the form's)."""
    name = (registry_field or "").removeprefix("custom.")
    for spec in fields:
        for destination in (spec.contact_field, spec.lead_field):
            if destination is not None and destination.removeprefix("custom.") == name:
                return spec.name
    return registry_field or ""


def check_submission(
    form: MarketingForm, payload: Mapping[str, Any], registry: Registry
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The cleaned values, and the errors that refuse the submission (each naming the
    input at fault): the form's own rules, then the types of the contact and lead
    fields the inputs fill. Pure: the registry is in memory."""
    fields = form_fields(form)
    clean = clean_submission(fields, payload)
    if clean.errors:
        return clean.values, clean.errors
    mode = UpdateMode(form.update_mode)
    if mode is UpdateMode.NO_UPDATE:
        return clean.values, []
    for entity in ("contact", "lead"):
        try:
            coerce_changes(
                registry, entity, mapped_values(fields, clean.values, entity), creating=False
            )
        except ValidationFailed as exc:
            return clean.values, [
                {"field": _field_at_fault(fields, exc.field), "message": exc.message}
            ]
    return clean.values, []


_INSERT_SUBMISSION = insert(SUBMISSIONS).returning(SUBMISSIONS.c.id)
_NEW_SUBMISSION: dict[str, Any] = {
    "contact_id": None,
    "lead_id": None,
    "contact_created": False,
    "lead_created": False,
    "outcome": {},
    "errors": [],
    "processed_at": None,
}


def stored_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if key != "csrf_token"}


def accept_submission(
    form_id: int,
    payload: Mapping[str, Any],
    *,
    uow: UnitOfWork,
    known_contact_id: int | None = None,
    source_ip: str | None = None,
    form: MarketingForm | None = None,
) -> SubmissionResult:
    """Check one submission and store it: `accepted` with its SubmissionAccepted event,
    `stored` for a no-update form, `failed` with its errors for bad input (the caller
    commits it, then reports the errors). Inserts one row; reads the form unless the
    caller read it already (`form`, from a read session: on SQLite that read then
    waits for no writer)."""
    session = uow.session
    if form is None or form.id != form_id:
        form = get_form(session, form_id)
    if payload.get(HONEYPOT_FIELD):
        return SubmissionResult(None, SubmissionStatus.FAILED, discarded=True)
    _values, errors = check_submission(form, payload, uow.registry)
    now = utcnow()
    if errors:
        status = SubmissionStatus.FAILED
    elif form.update_mode == UpdateMode.NO_UPDATE:
        status = SubmissionStatus.STORED
    else:
        status = SubmissionStatus.ACCEPTED
    row = {
        **_NEW_SUBMISSION,
        "form_id": form.id,
        "payload": stored_payload(payload),
        "source_ip": source_ip,
        "created_at": now,
        "status": status.value,
        "errors": errors,
        "processed_at": None if status is SubmissionStatus.ACCEPTED else now,
    }
    submission_id: int = session.execute(_INSERT_SUBMISSION, row).scalar_one()
    if status is SubmissionStatus.ACCEPTED:
        uow.publish(SubmissionAccepted(submission_id, known_contact_id))
    return SubmissionResult(submission_id, status, errors=errors)


def refused(result: SubmissionResult) -> ValidationFailed:
    first = result.errors[0]
    return ValidationFailed(
        first["message"],
        code=ErrorCode.SUBMISSION_INVALID,
        field=first["field"] or None,
        extra={"errors": result.errors, "submission_id": result.submission_id},
    )


def do_accept_submission(
    form_id: int,
    payload: Mapping[str, Any],
    *,
    uow: UnitOfWork,
    known_contact_id: int | None = None,
    source_ip: str | None = None,
    form: MarketingForm | None = None,
) -> SubmissionResult:
    """Accept a submission in its own transaction.

    Raises ValidationFailed (code submission_invalid, `errors` listing each field)
    after the failed submission is committed, so the caller only renders it.
    """
    try:
        with uow:
            result = accept_submission(
                form_id,
                payload,
                uow=uow,
                known_contact_id=known_contact_id,
                source_ip=source_ip,
                form=form,
            )
            uow.commit()
    except IntegrityError as exc:
        if form is None:
            raise
        # The form given (kept by `cached_form`) was deleted meanwhile: the row's
        # foreign key refused it.
        forget_form(form_id)
        raise NotFound(f"No form with id {form_id}", field="id") from exc
    if result.errors:
        raise refused(result)
    return result
