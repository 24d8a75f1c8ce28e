"""Duplicates use cases: creation by hand that refuses a match, candidate pairs, merge.

Candidate pairs come from the last background check (`duplicates.tasks`), kept in
`duplicate_candidates`: finding them is a GROUP BY over every record per strategy,
seconds at a million records, so a page never runs it.

Creation by hand claims the same match keys capture claims (matching/services.py), so a
person typed in twice, or typed in while a form creates them, is one record. A merge moves
what points at the other record to the survivor in one set-based statement per table, marks
the other (`merged_into_id`), and keeps it so old links redirect.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from leadflow.activities.models import Activity
from leadflow.capture.models import EventRegistration, FormSubmission
from leadflow.contacts.events import ContactUpdated
from leadflow.contacts.models import Contact
from leadflow.contacts.services import create_contact, update_contact
from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.duplicates.domain import CHECK_TASK, CheckState
from leadflow.duplicates.errors import DuplicateFound
from leadflow.duplicates.events import RecordsMerged
from leadflow.duplicates.models import DuplicateCandidate, DuplicateCheck
from leadflow.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from leadflow.interactions.models import Interaction
from leadflow.leads.events import LeadUpdated
from leadflow.leads.models import Lead
from leadflow.leads.services import create_lead, update_lead
from leadflow.lib.clock import utcnow
from leadflow.matching.domain import MatchTarget
from leadflow.matching.services import duplicate_groups, match_contact, match_lead
from leadflow.opportunities.models import Opportunity
from leadflow.process import services as process
from leadflow.process.models import StageTransition
from leadflow.records.values import to_public
from leadflow.registry.domain import Registry
from leadflow.sales.models import Assignment, Notification, Recycle, Task

MODELS: dict[str, type[Contact] | type[Lead]] = {"contact": Contact, "lead": Lead}
# Pairs a check keeps per strategy, newest first.
CANDIDATE_LIMIT = 100
# Fields a merge never copies: identity, bookkeeping, and what the merge itself sets.
NOT_MERGED = frozenset({"id", "created_at", "updated_at", "merged_into_id", "phone_raw"})


def _title(entity: str, values: Mapping[str, Any]) -> str:
    if entity == "contact":
        names = " ".join(str(values[n]) for n in ("first_name", "last_name") if values.get(n))
        return names or str(values.get("email") or f"Contact #{values['id']}")
    return str(
        values.get("topic")
        or " ".join(str(values[n]) for n in ("first_name", "last_name") if values.get(n))
        or f"Lead #{values['id']}"
    )


def _refuse_match(
    uow: UnitOfWork, entity: str, record_id: int | None, strategy: str | None
) -> None:
    if record_id is None:
        return
    row = uow.session.get(MODELS[entity], record_id)
    values = to_public(row, uow.registry, entity) if row is not None else {"id": record_id}
    raise DuplicateFound(entity, record_id, _title(entity, values), strategy)


def create_contact_checked(
    data: Mapping[str, Any], *, uow: UnitOfWork, create_anyway: bool = False
) -> Contact:
    """A contact typed in by hand: refused with DuplicateFound when the default contact
    strategy matches an existing one, unless `create_anyway`."""
    if create_anyway:
        return create_contact(data, uow=uow)
    outcome = match_contact(uow, data)
    if not outcome.created:
        _refuse_match(uow, "contact", outcome.contact_id, outcome.strategy_name)
    contact = uow.session.get(Contact, outcome.contact_id)
    assert contact is not None
    return contact


def create_lead_checked(
    data: Mapping[str, Any], *, uow: UnitOfWork, create_anyway: bool = False
) -> Lead:
    """A lead typed in by hand, refused like `create_contact_checked` when the default lead
    strategy (email and page) finds one; a lead without a page cannot match it."""
    if create_anyway:
        return create_lead(data, uow=uow)
    outcome = match_lead(uow, data)
    if not outcome.created:
        _refuse_match(uow, "lead", outcome.lead_id, outcome.strategy_name)
    lead = uow.session.get(Lead, outcome.lead_id)
    assert lead is not None
    return lead


# --- Candidates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CandidatePair:
    entity: str
    first_id: int
    second_id: int
    first_title: str
    second_title: str
    strategy: str
    count: int


@dataclass(frozen=True)
class Candidates:
    """The pairs the last check found that are still both there and unmerged, and the
    state of the checks."""

    pairs: list[CandidatePair]
    check: CheckState


def find_candidates(
    session: Session,
    registry: Registry,
    entity: str,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[DuplicateCandidate]:
    """Records that share a match key under a strategy of their kind, found now by the
    database (the costly half of a check: run it in a read session)."""
    found_at = utcnow()
    groups = duplicate_groups(
        session, registry, _target(entity), limit=CANDIDATE_LIMIT, progress=progress
    )
    return [
        DuplicateCandidate(
            entity=entity,
            strategy_id=strategy.id,
            strategy_name=strategy.name,
            first_id=low,
            second_id=high,
            size=count,
            found_at=found_at,
        )
        for strategy, (low, high), count in groups
    ]


def check_state(session: Session, entity: str) -> CheckState:
    row = session.get(DuplicateCheck, _target(entity).value)
    if row is None:
        return CheckState()
    return CheckState(row.started_at, row.finished_at, row.seconds, row.requested_at)


def _check_row(uow: UnitOfWork, entity: str, *, lock: bool = False) -> DuplicateCheck:
    session = uow.session
    row = session.get(DuplicateCheck, entity, with_for_update=lock)
    if row is None:
        # The entity's first check: two processes may get here at once, so the row is
        # inserted unless one is there by now, and read back, rather than added.
        session.execute(
            _insert(session)(DuplicateCheck).values(entity=entity).on_conflict_do_nothing()
        )
        row = session.get(DuplicateCheck, entity, with_for_update=lock, populate_existing=True)
        assert row is not None
    return row


def _insert(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert
    return sqlite_insert


def request_checks(entities: Collection[str], *, uow: UnitOfWork) -> list[str]:
    """Note that records of these entities changed; returns those that had no check
    waiting yet (the caller queues one for each)."""
    now = utcnow()
    waiting = []
    for entity in sorted(entities):
        row = _check_row(uow, _target(entity).value)
        if row.requested_at is None:
            row.requested_at = now
            waiting.append(entity)
    uow.session.flush()
    return waiting


def check_now(entities: Collection[str], *, uow: UnitOfWork) -> None:
    """Queue a check of each entity once this unit commits, whatever pause a large
    database's checks keep ("Check now")."""
    for entity in entities:
        row = _check_row(uow, _target(entity).value)
        row.requested_at = row.requested_at or utcnow()
        uow.enqueue_after_commit(CHECK_TASK, row.entity, True)
    uow.session.flush()


def start_check(entity: str, *, uow: UnitOfWork) -> datetime:
    """Mark the entity's check as running (the page says so); returns its start."""
    row = _check_row(uow, _target(entity).value)
    row.started_at = utcnow()
    uow.session.flush()
    return row.started_at


def store_check(
    entity: str,
    found: list[DuplicateCandidate],
    *,
    started_at: datetime,
    seconds: float,
    uow: UnitOfWork,
) -> None:
    """The check's pairs replace the last ones; a change noted before it started is
    answered by it, one noted since waits for the next."""
    session = uow.session
    # Two checks of one entity storing at once (two workers on PostgreSQL) take turns on
    # the entity's row, so the later one's DELETE sees, and replaces, the earlier's pairs.
    row = _check_row(uow, entity, lock=True)
    session.execute(delete(DuplicateCandidate).where(DuplicateCandidate.entity == entity))
    session.add_all(found)
    row.started_at = started_at
    row.finished_at = utcnow()
    row.seconds = seconds
    row.candidates = len(found)
    if row.requested_at is not None and row.requested_at <= started_at:
        row.requested_at = None
    session.flush()


def candidate_pairs(
    session: Session, registry: Registry, entity: str, *, limit: int = CANDIDATE_LIMIT
) -> Candidates:
    """The last check's pairs (newest first) whose records are both still there and
    unmerged: the lowest and highest id of each group, and how many it held."""
    target = _target(entity).value
    model: Any = MODELS[target]
    first = aliased(model)
    second = aliased(model)
    stored = session.scalars(
        select(DuplicateCandidate)
        .join(first, first.id == DuplicateCandidate.first_id)
        .join(second, second.id == DuplicateCandidate.second_id)
        .where(
            DuplicateCandidate.entity == target,
            first.merged_into_id.is_(None),
            second.merged_into_id.is_(None),
        )
        .order_by(DuplicateCandidate.second_id.desc(), DuplicateCandidate.id)
        .limit(limit)
    ).all()
    ids = {record_id for row in stored for record_id in (row.first_id, row.second_id)}
    titles = {
        row.id: _title(target, to_public(row, registry, target))
        for row in session.scalars(select(model).where(model.id.in_(ids)))
    }
    pairs = [
        CandidatePair(
            target,
            row.first_id,
            row.second_id,
            titles[row.first_id],
            titles[row.second_id],
            row.strategy_name,
            row.size,
        )
        for row in stored
    ]
    return Candidates(pairs, check_state(session, target))


def _target(entity: str) -> MatchTarget:
    try:
        return MatchTarget(entity)
    except ValueError:
        raise ValidationFailed(
            f"Duplicates are found for contacts and leads, not {entity!r}",
            field="entity",
            code=ErrorCode.MERGE_ENTITY_UNKNOWN,
        ) from None


# --- Merge ---------------------------------------------------------------------------------


def mergeable_fields(registry: Registry, entity: str) -> list[str]:
    return [
        definition.name
        for definition in registry.fields_of(entity)
        if definition.writable and definition.name not in NOT_MERGED
    ]


def _pair(uow: UnitOfWork, entity: str, survivor_id: int, other_id: int) -> tuple[Any, Any]:
    model: Any = MODELS[entity]
    if survivor_id == other_id:
        raise ValidationFailed(
            "A record cannot be merged into itself",
            field="other_id",
            code=ErrorCode.MERGE_INTO_ITSELF,
        )
    rows = []
    for record_id, field in ((survivor_id, "survivor_id"), (other_id, "other_id")):
        row = uow.session.get(model, record_id)
        if row is None:
            raise NotFound(f"No {entity} with id {record_id}", field=field)
        if row.merged_into_id is not None:
            raise Conflict(
                f"{entity.capitalize()} {record_id} was already merged into {row.merged_into_id}",
                field=field,
                code=ErrorCode.ALREADY_MERGED,
            )
        rows.append(row)
    return rows[0], rows[1]


def _taken(uow: UnitOfWork, entity: str, other: Any, take: Collection[str]) -> dict[str, Any]:
    """The other record's values of the fields picked from it."""
    allowed = set(mergeable_fields(uow.registry, entity))
    unknown = sorted(set(take) - allowed)
    if unknown:
        raise ValidationFailed(
            f"Cannot take {', '.join(unknown)} from the other {entity}",
            field="take",
            code=ErrorCode.UNKNOWN_FIELD,
        )
    values = to_public(other, uow.registry, entity)
    custom = values.get("custom") or {}
    taken: dict[str, Any] = {}
    for name in take:
        definition = uow.registry.field(entity, name)
        if definition.custom:
            taken.setdefault("custom", {})[name] = custom.get(name)
        else:
            taken[name] = values.get(name)
    return taken


def _move(uow: UnitOfWork, column: Any, old: int, new: int) -> None:
    table: Table = column.table
    uow.session.execute(
        update(table)
        .where(column == old)
        .values({column.key: new})
        .execution_options(synchronize_session=False)
    )


def merge_contacts(
    survivor_id: int,
    other_id: int,
    *,
    take: Collection[str] = (),
    uow: UnitOfWork,
    by_user_id: int | None = None,
) -> Contact:
    """Merge contact `other_id` into `survivor_id`: the survivor takes the fields named in
    `take` from the other; leads, interactions, opportunities, event registrations,
    submissions and activities move to it; the other is marked merged and kept."""
    survivor, other = _pair(uow, "contact", survivor_id, other_id)
    values = _taken(uow, "contact", other, take)
    if "email" in values and other.email == survivor.email:
        values.pop("email")
    # The survivor's leads as well as the moved ones: all now read the interactions of
    # both, so scoring rescores them (it rescores on a change of parent contact).
    touched_leads = list(
        uow.session.scalars(
            select(Lead.id).where(Lead.parent_contact_id.in_([other_id, survivor_id]))
        )
    )
    for column in (
        Lead.__table__.c.parent_contact_id,
        Interaction.__table__.c.contact_id,
        Opportunity.__table__.c.contact_id,
        FormSubmission.__table__.c.contact_id,
        Activity.__table__.c.contact_id,
    ):
        _move(uow, column, other_id, survivor_id)
    registrations = cast(Table, EventRegistration.__table__)
    already = select(registrations.c.event_id).where(registrations.c.contact_id == survivor_id)
    uow.session.execute(
        update(registrations)
        .where(
            and_(registrations.c.contact_id == other_id, registrations.c.event_id.not_in(already))
        )
        .values(contact_id=survivor_id)
        .execution_options(synchronize_session=False)
    )
    other.merged_into_id = survivor_id
    other.updated_at = utcnow()
    uow.session.flush()
    if values:
        update_contact(survivor_id, values, uow=uow)
    uow.session.refresh(survivor)
    uow.publish(ContactUpdated(contact_id=other_id, changed=("merged_into_id",)))
    uow.publish(
        *(LeadUpdated(lead_id=lead_id, changed=("parent_contact_id",)) for lead_id in touched_leads)
    )
    uow.publish(RecordsMerged(entity="contact", survivor_id=survivor_id, other_id=other_id))
    assert isinstance(survivor, Contact)
    return survivor


def merge_leads(
    survivor_id: int,
    other_id: int,
    *,
    take: Collection[str] = (),
    uow: UnitOfWork,
    by_user_id: int | None = None,
) -> Lead:
    """Merge lead `other_id` into `survivor_id`: the survivor takes the fields named in
    `take`; interactions, tasks, opportunities, assignments, recycles, stage history and
    activities move to it (the other's open tasks are closed first: the survivor has its
    own); the other's process is abandoned, and the lead closed (disqualified, canceled),
    marked merged and kept."""
    survivor, other = _pair(uow, "lead", survivor_id, other_id)
    values = _taken(uow, "lead", other, take)
    uow.session.execute(
        update(Task)
        .where(Task.lead_id == other_id, Task.status == "open")
        .values(status="done", closed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    instance = process.current_instance(uow.session, other_id)
    if instance is not None and instance.status == "active" and other.status == "open":
        process.abandon_process(other_id, uow=uow, actor_user_id=by_user_id)
    for column in (
        Interaction.__table__.c.lead_id,
        Task.__table__.c.lead_id,
        Opportunity.__table__.c.originating_lead_id,
        Assignment.__table__.c.lead_id,
        Recycle.__table__.c.lead_id,
        Notification.__table__.c.lead_id,
        StageTransition.__table__.c.lead_id,
        FormSubmission.__table__.c.lead_id,
        EventRegistration.__table__.c.lead_id,
        Activity.__table__.c.lead_id,
    ):
        _move(uow, column, other_id, survivor_id)
    other.merged_into_id = survivor_id
    other.updated_at = utcnow()
    uow.session.flush()
    if other.status == "open":
        # Closed, so nothing scores, moves or queues it again: the survivor carries on.
        update_lead(other_id, {"status": "disqualified", "status_reason": "canceled"}, uow=uow)
    if values:
        update_lead(survivor_id, values, uow=uow)
    uow.session.refresh(survivor)
    uow.publish(LeadUpdated(lead_id=other_id, changed=("merged_into_id",)))
    uow.publish(LeadUpdated(lead_id=survivor_id, changed=tuple(values)))
    uow.publish(RecordsMerged(entity="lead", survivor_id=survivor_id, other_id=other_id))
    assert isinstance(survivor, Lead)
    return survivor


def merge(
    entity: str,
    survivor_id: int,
    other_id: int,
    *,
    take: Collection[str] = (),
    uow: UnitOfWork,
    by_user_id: int | None = None,
) -> Contact | Lead:
    _target(entity)
    step = merge_contacts if entity == "contact" else merge_leads
    return step(survivor_id, other_id, take=take, uow=uow, by_user_id=by_user_id)


do_create_contact_checked = in_own_transaction(create_contact_checked)
do_create_lead_checked = in_own_transaction(create_lead_checked)
do_merge = in_own_transaction(merge)
do_check_now = in_own_transaction(check_now)
