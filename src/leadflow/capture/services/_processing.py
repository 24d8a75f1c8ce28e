"""Accepted submissions processed set-based, in the relay's batches.

The relay's `capture.submissions` handler processes every accepted submission of its
batch at once (`process_submissions`): matching through `matching.batch` (one lookup
per strategy for the whole batch, the same person twice in a batch created once;
`_sides`), multi-row inserts of contacts, leads and interactions, and the same events
the per-record services publish (ContactCreated, LeadCreated, InteractionRecorded,
ContactUpdated, LeadUpdated), so scoring, the process and automation work unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Row, bindparam, delete, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from leadflow.capture.domain import (
    SubmissionStatus,
    UpdateMode,
    creates_contacts,
    creates_leads,
)
from leadflow.capture.models import FormSubmission, MarketingForm
from leadflow.capture.services._forms import get_form
from leadflow.capture.services._sides import FormStrategies, MatchSide, SideItem, match_side
from leadflow.capture.services._submissions import (
    SUBMISSIONS,
    SubmissionResult,
    check_submission,
    get_submission,
    refused,
    stored_payload,
)
from leadflow.capture.services._work import SubmissionWork, outcome_json, prepare_work
from leadflow.contacts.models import Contact
from leadflow.contacts.services import update_contact
from leadflow.db.uow import UnitOfWork
from leadflow.errors import LeadflowError
from leadflow.interactions.domain import InteractionKind
from leadflow.interactions.services import record_interactions
from leadflow.leads.domain import LeadSource
from leadflow.leads.models import Lead
from leadflow.leads.services import update_lead
from leadflow.lib.clock import utcnow
from leadflow.matching.domain import MatchTarget
from leadflow.matching.services import load_strategies


def _lead_create_values(work: SubmissionWork, contact_id: int | None) -> dict[str, Any]:
    form = work.form
    return {
        "topic": form.name,
        **work.lead_values,
        "source": LeadSource.LANDING_PAGE.value,
        "campaign": form.campaign,
        "marketing_page_id": form.page_id,
        "marketing_form_id": form.id,
        "owner_id": form.owner_id,
        "parent_contact_id": contact_id,
    }


_SELECT_ACCEPTED = (
    select(FormSubmission.id, FormSubmission.form_id, FormSubmission.payload)
    .where(
        FormSubmission.id.in_(bindparam("ids", expanding=True)),
        FormSubmission.status == SubmissionStatus.ACCEPTED.value,
    )
    .order_by(FormSubmission.id)
)
_UPDATE_SUBMISSION = (
    update(SUBMISSIONS)
    .where(SUBMISSIONS.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        contact_id=bindparam("b_contact_id"),
        lead_id=bindparam("b_lead_id"),
        contact_created=bindparam("b_contact_created"),
        lead_created=bindparam("b_lead_created"),
        outcome=bindparam("b_outcome"),
        errors=bindparam("b_errors"),
        processed_at=bindparam("b_processed_at"),
    )
)


def process_submissions(
    known: Mapping[int, int | None], *, uow: UnitOfWork
) -> dict[int, SubmissionStatus]:
    """Process the accepted submissions among `known`'s keys (submission id -> the
    visitor the landing page knew) set-based; returns each one's new status.

    Idempotent: a submission no longer `accepted` (processed by an earlier delivery)
    is left alone, so a redelivered batch writes nothing twice. Input that no longer
    passes the form (changed since) fails alone; an error while writing fails the
    whole unit (the relay then runs its events one at a time).
    """
    session = uow.session
    if not known:
        return {}
    rows = _accepted(session, known)
    if not rows:
        return {}
    forms = _forms_of(session, rows)
    strategies = FormStrategies(session)
    works = [
        SubmissionWork(row.id, forms[row.form_id], dict(row.payload), known.get(row.id))
        for row in rows
    ]
    for work in works:
        prepare_work(work, uow.registry)
    live = [work for work in works if not work.errors]
    _match_contacts(uow, live, strategies)
    _match_leads(uow, live, strategies)
    _record_submitted(uow, live)
    return _write_outcomes(session, works)


def _accepted(session: Session, known: Mapping[int, int | None]) -> Sequence[Row[Any]]:
    """The submissions among `known` still accepted (locked on PostgreSQL)."""
    query = _SELECT_ACCEPTED
    if session.get_bind().dialect.name == "postgresql":
        # Another relay holding some (a lease that ran out under a slow batch) keeps them.
        query = query.with_for_update(skip_locked=True)
    return session.execute(query, {"ids": sorted(known)}).all()


def _forms_of(session: Session, rows: Sequence[Row[Any]]) -> dict[int, MarketingForm]:
    """The forms of the batch, their matching strategies loaded with them."""
    forms = {
        form.id: form
        for form in session.scalars(
            select(MarketingForm).where(MarketingForm.id.in_({row.form_id for row in rows}))
        )
    }
    load_strategies(
        session,
        {
            item
            for form in forms.values()
            for item in (form.contact_strategy_id, form.lead_strategy_id)
        },
    )
    return forms


def _match_contacts(
    uow: UnitOfWork, live: Sequence[SubmissionWork], strategies: FormStrategies
) -> None:
    """Each submission's contact: matched or created (forms that create contacts), or
    the known visitor (forms that do not); the matched ones updated."""
    contacts = MatchSide(MatchTarget.CONTACT)
    for work in live:
        if creates_contacts(work.mode):
            contacts.items.append(
                SideItem(
                    work, work.contact_values, {**work.contact_values, "source": "landing_page"}
                )
            )
    match_side(uow, contacts, strategies)
    for item, outcome in zip(contacts.items, contacts.decided, strict=True):
        assert outcome is not None
        item.work.contact_outcome = outcome
        item.work.contact_id = outcome.contact_id
        item.work.contact_created = outcome.created
    _load_contacts(uow.session, live)
    # The matched contacts' UPDATEs go out together at the next flush (an executemany
    # per set of changed columns), not one flush each.
    for item in contacts.items:
        work = item.work
        outcome = work.contact_outcome
        if outcome is not None and not outcome.created and work.contact_values:
            update_contact(
                work.contact_id or 0,
                work.contact_values,
                uow=uow,
                context=work.context,
                flush=False,
            )


def _load_contacts(session: Session, live: Sequence[SubmissionWork]) -> None:
    """One read brings every contact of the batch into the session: the updates and the
    leads' account and phone rules find them there. A known visitor no longer there is
    forgotten."""
    known_ids = {
        work.known_contact_id
        for work in live
        if not creates_contacts(work.mode) and work.known_contact_id is not None
    }
    wanted = {work.contact_id for work in live if work.contact_id is not None} | known_ids
    present: set[int] = set()
    if wanted:
        loaded = session.scalars(select(Contact).where(Contact.id.in_(sorted(wanted)))).all()
        present = {row.id for row in loaded}
    for work in live:
        if not creates_contacts(work.mode):
            known_id = work.known_contact_id
            work.contact_id = known_id if known_id in present else None


def _match_leads(
    uow: UnitOfWork, live: Sequence[SubmissionWork], strategies: FormStrategies
) -> None:
    """Each submission's lead (forms that create leads): matched and updated, or created."""
    leads = MatchSide(MatchTarget.LEAD)
    for work in live:
        if creates_leads(work.mode):
            match_values = {
                **work.lead_values,
                "marketing_page_id": work.form.page_id,
                "marketing_form_id": work.form.id,
            }
            leads.items.append(
                SideItem(work, match_values, _lead_create_values(work, work.contact_id))
            )
    matched_leads = match_side(uow, leads, strategies)
    if matched_leads:
        uow.session.scalars(select(Lead).where(Lead.id.in_(sorted(set(matched_leads))))).all()
    for item, outcome in zip(leads.items, leads.decided, strict=True):
        assert outcome is not None
        work = item.work
        work.lead_outcome = outcome
        work.lead_id = outcome.lead_id
        work.lead_created = outcome.created
        if outcome.created or outcome.lead_id is None:
            continue
        _update_matched_lead(uow, work, outcome.lead_id)


def _update_matched_lead(uow: UnitOfWork, work: SubmissionWork, lead_id: int) -> None:
    changes = dict(work.lead_values)
    if work.contact_id is not None:
        existing = uow.session.get(Lead, lead_id)
        # Contacts and leads: the matched contact becomes the parent. Only leads:
        # a known visitor fills an empty parent, an existing parent stays.
        if work.mode is UpdateMode.CONTACTS_AND_LEADS or (
            existing is not None and existing.parent_contact_id is None
        ):
            changes["parent_contact_id"] = work.contact_id
    if changes:
        update_lead(lead_id, changes, uow=uow, context=work.context)


def _record_submitted(uow: UnitOfWork, live: Sequence[SubmissionWork]) -> None:
    """A form_submitted interaction per submission with a contact. Interactions belong to
    a contact: an only-leads submission of an unknown visitor has none (and, as before,
    would not count toward scores)."""
    record_interactions(
        [
            {
                "contact_id": work.contact_id,
                "lead_id": work.lead_id,
                "kind": InteractionKind.FORM_SUBMITTED.value,
                "target_id": str(work.form.id),
                "data": {
                    "submission_id": work.id,
                    "page_id": work.form.page_id,
                    "form_id": work.form.id,
                },
            }
            for work in live
            if work.contact_id is not None
        ],
        uow=uow,
    )


def _write_outcomes(
    session: Session, works: Sequence[SubmissionWork]
) -> dict[int, SubmissionStatus]:
    now = utcnow()
    statuses: dict[int, SubmissionStatus] = {}
    updates: list[dict[str, Any]] = []
    dropped: list[int] = []
    for work in works:
        status = SubmissionStatus.FAILED if work.errors else SubmissionStatus.SUCCEEDED
        statuses[work.id] = status
        if status is SubmissionStatus.SUCCEEDED and not work.form.store_all_submissions:
            dropped.append(work.id)
            continue
        updates.append(
            {
                "b_id": work.id,
                "b_status": status.value,
                "b_contact_id": work.contact_id,
                "b_lead_id": work.lead_id,
                "b_contact_created": work.contact_created,
                "b_lead_created": work.lead_created,
                "b_outcome": {}
                if work.errors
                else {
                    "contact": outcome_json(work.contact_outcome),
                    "lead": outcome_json(work.lead_outcome),
                },
                "b_errors": work.errors,
                "b_processed_at": now,
            }
        )
    if updates:
        session.connection().execute(_UPDATE_SUBMISSION, updates)
    if dropped:
        session.execute(delete(SUBMISSIONS).where(SUBMISSIONS.c.id.in_(dropped)))
    return statuses


# Errors of one submission's data: it fails alone, visibly. Anything else (the database
# went away, a lock) is left to the relay's retries.
SUBMISSION_ERRORS = (LeadflowError, IntegrityError, DataError)


def _mark_failed(uow: UnitOfWork, submission_id: int, exc: Exception) -> None:
    message = (
        exc.message if isinstance(exc, LeadflowError) else "the submission could not be stored"
    )
    where = exc.field if isinstance(exc, LeadflowError) else None
    with uow:
        session = uow.session
        session.execute(
            update(SUBMISSIONS)
            .where(SUBMISSIONS.c.id == submission_id)
            .values(
                status=SubmissionStatus.FAILED.value,
                errors=[{"field": where or "", "message": message}],
                processed_at=utcnow(),
            )
        )
        uow.commit()


def do_process_submissions(
    known: Mapping[int, int | None], *, new_uow: Callable[[], UnitOfWork]
) -> dict[int, SubmissionStatus]:
    """Process accepted submissions in one transaction (the relay's batch handler).

    One submission alone whose processing fails on its data is marked failed with the
    error (and the error is not raised): the relay's retry of a failed batch runs its
    events one at a time, so a bad one fails alone and the rest take effect.
    """
    try:
        with new_uow() as uow:
            statuses = process_submissions(known, uow=uow)
            uow.commit()
            return statuses
    except SUBMISSION_ERRORS as exc:
        if len(known) != 1:
            raise
        [submission_id] = known
        _mark_failed(new_uow(), submission_id, exc)
        return {submission_id: SubmissionStatus.FAILED}


def do_resubmit(
    submission_id: int,
    *,
    new_uow: Callable[[], UnitOfWork],
    payload: Mapping[str, Any] | None = None,
) -> SubmissionStatus:
    """Process a stored submission again, at once (a person asked): on its stored
    payload, or a corrected `payload`. Raises ValidationFailed when it fails again,
    after its new errors are stored."""
    with new_uow() as uow:
        row = get_submission(uow.session, submission_id)
        form = get_form(uow.session, row.form_id)
        if payload is not None:
            row.payload = stored_payload(payload)
        _values, errors = check_submission(form, row.payload, uow.registry)
        if not errors and form.update_mode != UpdateMode.NO_UPDATE:
            row.status = SubmissionStatus.ACCEPTED.value
            uow.session.flush()
            status = process_submissions({submission_id: None}, uow=uow)[submission_id]
            uow.commit()
            if status is SubmissionStatus.SUCCEEDED:
                return status
        else:
            row.status = (SubmissionStatus.FAILED if errors else SubmissionStatus.STORED).value
            row.errors = errors
            row.processed_at = utcnow()
            uow.commit()
            if not errors:
                return SubmissionStatus.STORED
    with new_uow() as uow:
        stored = get_submission(uow.session, submission_id)
        errors = list(stored.errors)
    if not errors:
        errors = [{"field": "", "message": "The submission could not be processed"}]
    raise refused(SubmissionResult(submission_id, SubmissionStatus.FAILED, errors=errors))
