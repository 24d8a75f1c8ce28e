"""Automatic transitions: the moves the events of a batch fire, set-based."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.lib.clock import as_utc, utcnow
from leadflow.process import domain
from leadflow.process.domain import (
    InstanceState,
    InstanceStatus,
    LeadEvent,
    LeadNews,
    ProcessDefinition,
)
from leadflow.process.services._definitions import definitions_in_force, load_definition
from leadflow.process.services._instances import (
    INSTANCES,
    TRANSITIONS,
    RunningInstance,
    _flat_values,
    _record,
)
from leadflow.records.lookup import column, record_rows
from leadflow.records.values import public_field
from leadflow.registry.domain import Registry
from leadflow.switches.services import all_switches


def run_transitions(news: Mapping[int, LeadNews], *, uow: UnitOfWork) -> int:
    """Start the process of each created lead and make the automatic moves the news calls
    for, for a whole batch at once (returns how many moves).

    Set-based: the definitions, leads, instances and switches are read in one statement
    each and the rows written in multi-row statements, so a batch of thousands costs what
    a batch of ten does. Starting and moving in one step is what makes a lead created
    ready end in the right stage whatever order the handlers run in. Only open leads
    move; a lead's transitions come from the version of its process in force.
    """
    session = uow.session
    definitions, default_key = definitions_in_force(session)
    leads = _open_leads_to_move(session, news, definitions)
    if not leads:
        return 0
    instances = _running_instances(session, list(leads))
    # Leads written without events (bulk loads, leads from before the process existed)
    # get their instance when news about them first calls for a move, as created ones do.
    created = [lead_id for lead_id in leads if lead_id not in instances]
    history: list[dict[str, Any]] = []
    if created:
        instances |= _start_instances(uow, created, definitions, default_key, history)
    switches_on = {switch.key for switch, on in all_switches(session) if on}
    now = utcnow()
    moves = 0
    landed: dict[tuple[str, str], list[int]] = {}
    for lead_id, instance in instances.items():
        definition = definitions.get(instance.process_key)
        if definition is None:
            continue
        fired = domain.automatic_moves(
            definition,
            InstanceState(
                instance.stage, InstanceStatus(instance.status), instance.entered_stage_at
            ),
            news[lead_id],
            LazyValues(leads[lead_id], uow.registry),
            switches_on,
            now,
        )
        previous = as_utc(instance.entered_stage_at)
        for transition, decision in fired:
            rule = f"process.{transition.key}"
            _record(uow, instance, decision, previous, None, rule, history)
            previous = now
            moves += 1
            landed.setdefault((instance.stage, instance.status), []).append(instance.id)
    _write_moves(session, landed, history, now)
    return moves


def _open_leads_to_move(
    session: Session, news: Mapping[int, LeadNews], definitions: Mapping[str, ProcessDefinition]
) -> dict[int, RowMapping]:
    """The open leads of the batch that were created or whose news may fire a transition of
    some definition, as rows by id (one statement)."""
    wanted = [
        lead_id
        for lead_id, item in news.items()
        if LeadEvent.CREATED in item.events
        or any(
            domain.may_fire(transition, item)
            for definition in definitions.values()
            for transition in definition.transitions
        )
    ]
    if not wanted:
        return {}
    return dict(record_rows(session, "lead", wanted, column("lead", "status") == "open"))


def _write_moves(
    session: Session,
    landed: Mapping[tuple[str, str], list[int]],
    history: list[dict[str, Any]],
    now: datetime,
) -> None:
    """Every move of the batch shares `now`, so the instances that ended in the same stage
    take one UPDATE: a statement per stage, not per lead; the history one executemany."""
    for (stage, status), ids in landed.items():
        session.execute(
            update(INSTANCES)
            .where(INSTANCES.c.id.in_(ids))
            .values(stage=stage, status=status, entered_stage_at=now, updated_at=now)
        )
    if history:
        # Core, not the ORM bulk path: one executemany, its compiled form cached.
        session.execute(insert(TRANSITIONS), history)


class LazyValues(Mapping[str, Any]):
    """A lead's values by registry name, worked out only if a condition reads them (a
    first score's transition has none, and a batch holds thousands of leads)."""

    def __init__(self, row: Mapping[Any, Any], registry: Registry) -> None:
        self._row = row
        self._registry = registry
        self._values: dict[str, Any] | None = None

    def _loaded(self) -> dict[str, Any]:
        if self._values is None:
            self._values = _flat_values(self._row, self._registry)
        return self._values

    def __getitem__(self, name: str) -> Any:
        if self._values is None:
            return public_field(self._row, self._registry, "lead", name)
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


def _start_instances(
    uow: UnitOfWork,
    lead_ids: Collection[int],
    definitions: Mapping[str, ProcessDefinition],
    key: str,
    history: list[dict[str, Any]],
) -> dict[int, RunningInstance]:
    """`start_instance` for many new leads at once (the caller checked they are open and
    have none) in the default process `key`: one multi-row insert, then the instances
    read back by lead."""
    definition = definitions.get(key) or load_definition(uow.session, key)
    now = utcnow()
    decision = domain.initial_state(definition, now)
    values = {
        "process_key": definition.key,
        "process_version": definition.version,
        "stage": decision.state.stage,
        "status": decision.state.status.value,
        "current": True,
        "entered_stage_at": now,
        "started_at": now,
        "updated_at": now,
    }
    uow.session.execute(insert(INSTANCES), [{"lead_id": lead_id, **values} for lead_id in lead_ids])
    started = _running_instances(uow.session, list(lead_ids))
    for instance in started.values():
        _record(uow, instance, decision, None, None, None, history)
    return started


def _running_instances(session: Session, lead_ids: list[int]) -> dict[int, RunningInstance]:
    rows = session.execute(
        select(
            INSTANCES.c.id,
            INSTANCES.c.lead_id,
            INSTANCES.c.process_key,
            INSTANCES.c.stage,
            INSTANCES.c.status,
            INSTANCES.c.entered_stage_at,
            INSTANCES.c.updated_at,
        )
        .where(INSTANCES.c.lead_id.in_(lead_ids), INSTANCES.c.current.is_(True))
        # Locked until the batch's moves are written, so a stage set by hand meanwhile
        # (PostgreSQL; SQLite's writer is one at a time) is not overwritten from a stale
        # read; in lead order, so two relays lock overlapping batches without deadlock.
        .order_by(INSTANCES.c.lead_id)
        .with_for_update()
    )
    return {
        row.lead_id: RunningInstance(
            row.id,
            row.lead_id,
            row.process_key,
            row.stage,
            row.status,
            as_utc(row.entered_stage_at),
            as_utc(row.updated_at),
        )
        for row in rows
    }
