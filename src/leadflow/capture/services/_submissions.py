"""Submissions: accepted on the request path, processed in batches by the relay.

The request path (landing page, JSON API) checks the payload against the form,
stores ONE row (`accepted`) with its `SubmissionAccepted` event and answers: the
cost of a bare insert plus reading the form. Bad input is still refused at once
(stored as `failed`, 422 with each field at fault). The relay's
`capture.submissions` handler then processes every accepted submission of its
batch set-based (`process_submissions`): matching through `matching.batch` (one
lookup per strategy for the whole batch, the same person twice in a batch created
once), multi-row inserts of contacts, leads and interactions, and the same events
the per-record services publish (ContactCreated, LeadCreated, InteractionRecorded,
ContactUpdated, LeadUpdated), so scoring, the process and automation work unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from leadflow.capture.domain import (
    HONEYPOT_FIELD,
    FormField,
    SubmissionStatus,
    UpdateMode,
    clean_submission,
    creates_contacts,
    creates_leads,
    mapped_values,
    submission_country,
)
from leadflow.capture.events import SubmissionAccepted
from leadflow.capture.models import FormSubmission, MarketingForm
from leadflow.capture.services._forms import forget_form, form_fields, get_form
from leadflow.contacts.events import ContactCreated
from leadflow.contacts.models import Contact
from leadflow.contacts.services import phone_region_for, prepare_person, update_contact
from leadflow.db.uow import UnitOfWork
from leadflow.errors import ErrorCode, LeadflowError, NotFound, ValidationFailed
from leadflow.interactions.domain import InteractionKind
from leadflow.interactions.services import record_interaction, record_interactions
from leadflow.leads.domain import LeadSource
from leadflow.leads.events import LeadCreated
from leadflow.leads.models import Lead
from leadflow.leads.services import LEADS, update_lead
from leadflow.lib.bulk import insert_rows
from leadflow.lib.clock import utcnow
from leadflow.lib.crud import NO_CONTEXT, WriteContext
from leadflow.lib.records import coerce_changes
from leadflow.matching.batch import Candidate, assign_keys, claim_keys, match_many
from leadflow.matching.domain import MatchOutcome, MatchTarget
from leadflow.matching.models import MatchingStrategy
from leadflow.matching.services import load_strategies, match_contact, match_lead
from leadflow.registry.domain import Registry

_SUBMISSIONS = cast(Table, FormSubmission.__table__)
_CONTACTS = cast(Table, Contact.__table__)
_LEADS = cast(Table, Lead.__table__)


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


_INSERT_SUBMISSION = insert(_SUBMISSIONS).returning(_SUBMISSIONS.c.id)
_NEW_SUBMISSION: dict[str, Any] = {
    "contact_id": None,
    "lead_id": None,
    "contact_created": False,
    "lead_created": False,
    "outcome": {},
    "errors": [],
    "processed_at": None,
}


def _stored_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
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
        "payload": _stored_payload(payload),
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


def _refused(result: SubmissionResult) -> ValidationFailed:
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
        raise _refused(result)
    return result


# --- processing, set-based ---------------------------------------------------------------


@dataclass
class _Work:
    """One accepted submission on its way through the batch."""

    id: int
    form: MarketingForm
    payload: dict[str, Any]
    known_contact_id: int | None
    mode: UpdateMode = UpdateMode.CONTACTS_AND_LEADS
    contact_values: dict[str, Any] = field(default_factory=dict)
    lead_values: dict[str, Any] = field(default_factory=dict)
    context: WriteContext = NO_CONTEXT
    contact_id: int | None = None
    lead_id: int | None = None
    contact_created: bool = False
    lead_created: bool = False
    contact_outcome: MatchOutcome | None = None
    lead_outcome: MatchOutcome | None = None
    errors: list[dict[str, str]] = field(default_factory=list)


def _prepare(work: _Work, registry: Registry) -> None:
    form = work.form
    values, errors = check_submission(form, work.payload, registry)
    if errors:
        work.errors = errors
        return
    fields = form_fields(form)
    work.mode = UpdateMode(form.update_mode)
    work.contact_values = mapped_values(fields, values, "contact")
    work.lead_values = mapped_values(fields, values, "lead")
    if form.consent_field and values.get(form.consent_field):
        work.contact_values["consent"] = "marketing"
    # Phones typed without a country code are read in the submitter's country.
    work.context = WriteContext(country=submission_country(fields, values))


def _strategy(
    session: Session, strategy_id: int | None, target: MatchTarget
) -> MatchingStrategy | None:
    if strategy_id is not None:
        found = session.get(MatchingStrategy, strategy_id)
        return found if found is not None and found.target == target.value else None
    return session.scalars(
        select(MatchingStrategy)
        .where(MatchingStrategy.target == target.value, MatchingStrategy.is_default.is_(True))
        .order_by(MatchingStrategy.id)
        .limit(1)
    ).first()


def _outcome(
    target: MatchTarget,
    record_id: int | None,
    strategy: MatchingStrategy | None,
    *,
    created: bool,
    candidates: list[int] | None = None,
    reason: str | None = None,
) -> MatchOutcome:
    return MatchOutcome(
        contact_id=record_id if target is MatchTarget.CONTACT else None,
        lead_id=record_id if target is MatchTarget.LEAD else None,
        created=created,
        strategy_id=strategy.id if strategy else None,
        strategy_name=strategy.name if strategy else None,
        candidates=candidates or [],
        reason=reason,
    )


@dataclass
class _Side:
    """One target's step of the batch: who to match, what to create, what to update."""

    target: MatchTarget
    # (work, values to match on, values to create with)
    items: list[tuple[_Work, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    # Filled by `_match_side`: per item, the record or None (create).
    decided: list[MatchOutcome | None] = field(default_factory=list)


def _region(
    session: Session, values: Mapping[str, Any], context: WriteContext
) -> Callable[[], str | None]:
    return lambda: phone_region_for(session, values, None, context)


def _match_side(
    uow: UnitOfWork,
    side: _Side,
    strategy_of: Callable[[_Work, MatchTarget], MatchingStrategy | None],
) -> list[int]:
    """Match every item of the side, create the new records (once per person), point
    their keys at them; returns the ids of records matched (not created) to update."""
    session = uow.session
    outcomes: list[MatchOutcome | None] = [None] * len(side.items)
    # Items that create a record, and items that share another item's new record.
    creates: list[int] = []
    shares: dict[int, int] = {}
    by_strategy: dict[int, tuple[MatchingStrategy, list[int]]] = {}
    for index, (work, _values, _create) in enumerate(side.items):
        if side.target is MatchTarget.LEAD and work.form.generate_leads_without_matching:
            creates.append(index)
            outcomes[index] = MatchOutcome(created=True, reason="generated without matching")
            continue
        strategy = strategy_of(work, side.target)
        if strategy is None:
            creates.append(index)
            reason = f"no {side.target.value} matching strategy is set"
            outcomes[index] = _outcome(side.target, None, None, created=True, reason=reason)
            continue
        by_strategy.setdefault(strategy.id, (strategy, []))[1].append(index)
    # One strategy after another, each creating its new records before the next looks:
    # forms of one batch matching the same person on different strategies find them.
    for strategy, indexes in by_strategy.values():
        group: list[int] = []
        candidates = [
            Candidate(
                side.items[index][1],
                _region(
                    session,
                    {**side.items[index][1], **side.items[index][2]},
                    side.items[index][0].context,
                ),
            )
            for index in indexes
        ]
        found = match_many(session, uow.registry, strategy, candidates)
        first_of_key: dict[str, int] = {}
        new_keys: list[str] = []
        for index, match in zip(indexes, found, strict=True):
            if match.record_id is not None:
                outcomes[index] = _outcome(
                    side.target,
                    match.record_id,
                    strategy,
                    created=False,
                    candidates=match.candidates,
                )
            elif match.key is None:
                group.append(index)
                outcomes[index] = _outcome(
                    side.target, None, strategy, created=True, reason=match.reason
                )
            elif match.first:
                first_of_key[match.key] = index
                new_keys.append(match.key)
            else:
                shares[index] = first_of_key[match.key]
        won = claim_keys(session, strategy.id, new_keys)
        for key in new_keys:
            index = first_of_key[key]
            if key in won:
                group.append(index)
                outcomes[index] = _outcome(side.target, None, strategy, created=True)
            else:
                # PostgreSQL: another process created this person meanwhile (or holds a
                # stale key): the single path finds the winner or takes the key over.
                outcomes[index] = _single_match(uow, side, index, strategy.id)
        created = _created(uow, side, sorted(group), outcomes)
        assign_keys(
            session,
            strategy.id,
            {key: created[first_of_key[key]] for key in new_keys if key in won},
        )
    _created(uow, side, sorted(creates), outcomes)
    for index, first in shares.items():
        first_outcome = outcomes[first]
        assert first_outcome is not None
        outcomes[index] = _with_record(
            side.target,
            MatchOutcome(
                strategy_id=first_outcome.strategy_id, strategy_name=first_outcome.strategy_name
            ),
            first_outcome.record_id,
        )
    side.decided = outcomes
    return [
        outcome.record_id
        for outcome in outcomes
        if outcome is not None and not outcome.created and outcome.record_id is not None
    ]


def _created(
    uow: UnitOfWork, side: _Side, indexes: list[int], outcomes: list[MatchOutcome | None]
) -> dict[int, int]:
    """Create the records of these items; their outcomes name them."""
    created = _create_records(uow, side, indexes)
    for index, record_id in created.items():
        outcome = outcomes[index]
        assert outcome is not None
        outcomes[index] = _with_record(side.target, outcome, record_id)
    return created


def _with_record(target: MatchTarget, outcome: MatchOutcome, record_id: int | None) -> MatchOutcome:
    return MatchOutcome(
        contact_id=record_id if target is MatchTarget.CONTACT else None,
        lead_id=record_id if target is MatchTarget.LEAD else None,
        created=outcome.created,
        strategy_id=outcome.strategy_id,
        strategy_name=outcome.strategy_name,
        candidates=outcome.candidates,
        reason=outcome.reason,
    )


def _single_match(uow: UnitOfWork, side: _Side, index: int, strategy_id: int) -> MatchOutcome:
    work, values, create_values = side.items[index]
    match = match_contact if side.target is MatchTarget.CONTACT else match_lead
    return match(
        uow, values, strategy_id=strategy_id, create_values=create_values, context=work.context
    )


def _create_records(uow: UnitOfWork, side: _Side, indexes: list[int]) -> dict[int, int]:
    """The new records of the side in one multi-row insert (the values coerced and
    prepared as `create_contact`/`create_lead` do); their Created events."""
    if not indexes:
        return {}
    session = uow.session
    entity = side.target.value
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for index in indexes:
        work, _values, create_values = side.items[index]
        builtin, custom = coerce_changes(uow.registry, entity, create_values, creating=True)
        if side.target is MatchTarget.CONTACT:
            prepare_person(session, builtin, None, work.context)
        else:
            assert LEADS.prepare is not None
            LEADS.prepare(session, builtin, None, work.context)
            if builtin.get("sales_ready"):
                # Created sales-ready by whoever supplied it: a manual mark (create_lead).
                builtin["sales_ready_at"] = now
                builtin["sales_ready_source"] = "manual"
        rows.append(
            {
                **builtin,
                "custom": {name: value for name, value in custom.items() if value is not None},
                "created_at": now,
                "updated_at": now,
            }
        )
    table = _CONTACTS if side.target is MatchTarget.CONTACT else _LEADS
    ids = insert_rows(session, table, rows)
    if side.target is MatchTarget.CONTACT:
        uow.publish(*(ContactCreated(record_id) for record_id in ids))
    else:
        uow.publish(*(LeadCreated(record_id) for record_id in ids))
    return dict(zip(indexes, ids, strict=True))


def _lead_create_values(work: _Work, contact_id: int | None) -> dict[str, Any]:
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


_SELECT_ACCEPTED = (
    select(FormSubmission.id, FormSubmission.form_id, FormSubmission.payload)
    .where(
        FormSubmission.id.in_(bindparam("ids", expanding=True)),
        FormSubmission.status == SubmissionStatus.ACCEPTED.value,
    )
    .order_by(FormSubmission.id)
)
_UPDATE_SUBMISSION = (
    update(_SUBMISSIONS)
    .where(_SUBMISSIONS.c.id == bindparam("b_id"))
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
    query = _SELECT_ACCEPTED
    if session.get_bind().dialect.name == "postgresql":
        # Another relay holding some (a lease that ran out under a slow batch) keeps them.
        query = query.with_for_update(skip_locked=True)
    rows = session.execute(query, {"ids": sorted(known)}).all()
    if not rows:
        return {}
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
    resolved: dict[tuple[int | None, MatchTarget], MatchingStrategy | None] = {}

    def strategy_of(work: _Work, target: MatchTarget) -> MatchingStrategy | None:
        form = work.form
        wanted = (
            form.contact_strategy_id if target is MatchTarget.CONTACT else form.lead_strategy_id
        )
        if (wanted, target) not in resolved:
            resolved[(wanted, target)] = _strategy(session, wanted, target)
        return resolved[(wanted, target)]

    registry = uow.registry
    works = [
        _Work(row.id, forms[row.form_id], dict(row.payload), known.get(row.id)) for row in rows
    ]
    for work in works:
        _prepare(work, registry)
    live = [work for work in works if not work.errors]

    contacts = _Side(MatchTarget.CONTACT)
    for work in live:
        if creates_contacts(work.mode):
            contacts.items.append(
                (work, work.contact_values, {**work.contact_values, "source": "landing_page"})
            )
    _match_side(uow, contacts, strategy_of)
    for (work, _values, _create), outcome in zip(contacts.items, contacts.decided, strict=True):
        assert outcome is not None
        work.contact_outcome = outcome
        work.contact_id = outcome.contact_id
        work.contact_created = outcome.created
    known_ids = {
        work.known_contact_id
        for work in live
        if not creates_contacts(work.mode) and work.known_contact_id is not None
    }
    wanted = {work.contact_id for work in live if work.contact_id is not None} | known_ids
    # One read brings every contact of the batch into the session: the updates below
    # and the leads' account and phone rules find them there.
    present: set[int] = set()
    if wanted:
        loaded = session.scalars(select(Contact).where(Contact.id.in_(sorted(wanted)))).all()
        present = {row.id for row in loaded}
    for work in live:
        if not creates_contacts(work.mode):
            known_id = work.known_contact_id
            work.contact_id = known_id if known_id in present else None
    # The matched contacts' UPDATEs go out together at the next flush (an executemany
    # per set of changed columns), not one flush each.
    for work, _values, _create in contacts.items:
        outcome = work.contact_outcome
        if outcome is not None and not outcome.created and work.contact_values:
            update_contact(
                work.contact_id or 0,
                work.contact_values,
                uow=uow,
                context=work.context,
                flush=False,
            )

    leads = _Side(MatchTarget.LEAD)
    for work in live:
        if creates_leads(work.mode):
            match_values = {
                **work.lead_values,
                "marketing_page_id": work.form.page_id,
                "marketing_form_id": work.form.id,
            }
            leads.items.append((work, match_values, _lead_create_values(work, work.contact_id)))
    matched_leads = _match_side(uow, leads, strategy_of)
    if matched_leads:
        session.scalars(select(Lead).where(Lead.id.in_(sorted(set(matched_leads))))).all()
    for (work, _values, _create), outcome in zip(leads.items, leads.decided, strict=True):
        assert outcome is not None
        work.lead_outcome = outcome
        work.lead_id = outcome.lead_id
        work.lead_created = outcome.created
        if outcome.created or outcome.lead_id is None:
            continue
        changes = dict(work.lead_values)
        if work.contact_id is not None:
            existing = session.get(Lead, outcome.lead_id)
            # Contacts and leads: the matched contact becomes the parent. Only leads:
            # a known visitor fills an empty parent, an existing parent stays.
            if work.mode is UpdateMode.CONTACTS_AND_LEADS or (
                existing is not None and existing.parent_contact_id is None
            ):
                changes["parent_contact_id"] = work.contact_id
        if changes:
            update_lead(outcome.lead_id, changes, uow=uow, context=work.context)

    # Interactions belong to a contact: an only-leads submission of an unknown visitor
    # has none (and, as before, would not count toward scores).
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
    return _write_outcomes(session, works)


def _write_outcomes(session: Session, works: Sequence[_Work]) -> dict[int, SubmissionStatus]:
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
                    "contact": _outcome_json(work.contact_outcome),
                    "lead": _outcome_json(work.lead_outcome),
                },
                "b_errors": work.errors,
                "b_processed_at": now,
            }
        )
    if updates:
        session.connection().execute(_UPDATE_SUBMISSION, updates)
    if dropped:
        session.execute(delete(_SUBMISSIONS).where(_SUBMISSIONS.c.id.in_(dropped)))
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
            update(_SUBMISSIONS)
            .where(_SUBMISSIONS.c.id == submission_id)
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
            row.payload = _stored_payload(payload)
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
    raise _refused(SubmissionResult(submission_id, SubmissionStatus.FAILED, errors=errors))


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
