"""Process use cases: the only code that writes definitions, instances and transitions.

Each use case loads the instance and its definition, asks the pure engine
(`domain.decide`) what happens, and carries the commands out in the caller's
unit of work.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, NotFound, ValidationFailed
from leadflow.leads.models import Lead
from leadflow.lib.clock import as_utc, utcnow
from leadflow.lib.records import CUSTOM_KEY, to_public
from leadflow.org.domain import SWITCHES
from leadflow.org.services import all_switches
from leadflow.process import domain
from leadflow.process.domain import (
    Decision,
    EnterQueue,
    InstanceState,
    InstanceStatus,
    LeadEvent,
    LeadNews,
    ProcessDefinition,
    RecordTransition,
    Trigger,
)
from leadflow.process.events import LeadEnteredQueue, StageChanged
from leadflow.process.models import ProcessDefinitionRow, ProcessInstance, StageTransition
from leadflow.registry.domain import Registry

INSTANCES = cast(Table, ProcessInstance.__table__)
TRANSITIONS = cast(Table, StageTransition.__table__)

# --- Definitions ---------------------------------------------------------------------------


def _latest_row(session: Session, key: str) -> ProcessDefinitionRow | None:
    return session.scalar(
        select(ProcessDefinitionRow)
        .where(ProcessDefinitionRow.key == key)
        .order_by(ProcessDefinitionRow.version.desc())
        .limit(1)
    )


def default_process_key(session: Session) -> str:
    key = session.scalar(
        select(ProcessDefinitionRow.key).where(ProcessDefinitionRow.is_default.is_(True)).limit(1)
    )
    return key or domain.DEFAULT_PROCESS_KEY


def load_definition(session: Session, key: str, version: int | None = None) -> ProcessDefinition:
    if version is None:
        row = _latest_row(session, key)
    else:
        row = session.scalar(
            select(ProcessDefinitionRow).where(
                ProcessDefinitionRow.key == key, ProcessDefinitionRow.version == version
            )
        )
    if row is None:
        raise NotFound(f"No process '{key}'", field="process_key")
    return domain.parse_definition(row.body)


def list_definitions(session: Session) -> list[ProcessDefinitionRow]:
    """The version in force of every process."""
    latest = (
        select(ProcessDefinitionRow.key, func.max(ProcessDefinitionRow.version).label("version"))
        .group_by(ProcessDefinitionRow.key)
        .subquery()
    )
    return list(
        session.scalars(
            select(ProcessDefinitionRow)
            .join(
                latest,
                (latest.c.key == ProcessDefinitionRow.key)
                & (latest.c.version == ProcessDefinitionRow.version),
            )
            .order_by(ProcessDefinitionRow.name)
        )
    )


def save_definition(
    data: Any, *, uow: UnitOfWork, make_default: bool = False
) -> ProcessDefinitionRow:
    """Validate and store a definition as the next version of its key (import, edit)."""
    known = [definition.name for definition in uow.registry.fields_of("lead")]
    parsed = domain.parse_definition(data, known_fields=known, known_switches=SWITCHES)
    previous = _latest_row(uow.session, parsed.key)
    version = previous.version + 1 if previous is not None else 1
    parsed = replace(parsed, version=version)
    if previous is not None:
        _check_stages_kept(uow.session, parsed)
    if make_default:
        uow.session.execute(update(ProcessDefinitionRow).values(is_default=False))
    row = ProcessDefinitionRow(
        key=parsed.key,
        version=version,
        name=parsed.name,
        entity=parsed.entity,
        body=domain.definition_to_data(parsed),
        is_default=make_default or (previous is not None and previous.is_default),
        created_at=utcnow(),
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def set_transition_enabled(
    process_key: str, transition_key: str, enabled: bool, *, uow: UnitOfWork
) -> ProcessDefinitionRow:
    """Switch one automatic transition on or off: the definition's next version."""
    data = export_definition(uow.session, process_key)
    for transition in data["transitions"]:
        if transition["key"] == transition_key:
            transition["enabled"] = enabled
            return save_definition(data, uow=uow)
    raise NotFound(f"Process '{process_key}' has no transition '{transition_key}'", field="key")


def _check_stages_kept(session: Session, definition: ProcessDefinition) -> None:
    """A new version may not drop a stage that instances stand in."""
    keys = [stage.key for stage in definition.stages]
    in_use = session.scalar(
        select(ProcessInstance.stage)
        .where(
            ProcessInstance.process_key == definition.key,
            ProcessInstance.status == InstanceStatus.ACTIVE,
            ProcessInstance.stage.not_in(keys),
        )
        .limit(1)
    )
    if in_use is not None:
        raise Conflict(f"Leads stand in stage '{in_use}', which this version drops", field="stages")


def export_definition(session: Session, key: str) -> dict[str, Any]:
    return domain.definition_to_data(load_definition(session, key))


def seed_default_process(uow: UnitOfWork) -> None:
    if _latest_row(uow.session, domain.DEFAULT_PROCESS_KEY) is None:
        save_definition(domain.DEFAULT_PROCESS, uow=uow, make_default=True)


# --- Instances -----------------------------------------------------------------------------


def current_instance(session: Session, lead_id: int) -> ProcessInstance | None:
    return session.scalar(
        select(ProcessInstance).where(
            ProcessInstance.lead_id == lead_id, ProcessInstance.current.is_(True)
        )
    )


def active_stages(session: Session, lead_ids: list[int]) -> dict[int, str]:
    """The stage of each lead's running process instance (finished ones left out)."""
    rows = session.execute(
        select(ProcessInstance.lead_id, ProcessInstance.stage).where(
            ProcessInstance.lead_id.in_(lead_ids),
            ProcessInstance.current.is_(True),
            ProcessInstance.status == InstanceStatus.ACTIVE,
        )
    ).all()
    return {lead_id: stage for lead_id, stage in rows}


def _state(instance: ProcessInstance) -> InstanceState:
    return InstanceState(
        instance.stage, InstanceStatus(instance.status), as_utc(instance.entered_stage_at)
    )


def lead_values(uow_or_session: UnitOfWork | Session, lead_id: int) -> dict[str, Any]:
    """The lead's field values by registry name, custom ones flattened in."""
    session = uow_or_session.session if isinstance(uow_or_session, UnitOfWork) else uow_or_session
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"No lead with id {lead_id}", field="lead_id")
    registry = uow_or_session.registry if isinstance(uow_or_session, UnitOfWork) else None
    if registry is None:
        from leadflow.registry.services import load_registry

        registry = load_registry(session)
    return _flat_values(lead, registry)


def _flat_values(lead: Any, registry: Registry) -> dict[str, Any]:
    public = to_public(lead, registry, "lead")
    return {**public, **(public.pop(CUSTOM_KEY, None) or {})}


def start_instance(
    lead_id: int, *, uow: UnitOfWork, process_key: str | None = None
) -> ProcessInstance | None:
    """Give an open lead its process instance; idempotent (None when it has one or is closed)."""
    lead = uow.session.get(Lead, lead_id)
    if lead is None or lead.status != "open":
        return None
    if current_instance(uow.session, lead_id) is not None:
        return None
    key = process_key or default_process_key(uow.session)
    definition = load_definition(uow.session, key)
    now = utcnow()
    decision = domain.initial_state(definition, now)
    instance = ProcessInstance(
        lead_id=lead_id,
        process_key=definition.key,
        process_version=definition.version,
        stage=decision.state.stage,
        status=decision.state.status.value,
        current=True,
        entered_stage_at=now,
        started_at=now,
        updated_at=now,
    )
    uow.session.add(instance)
    uow.session.flush()
    _carry_out(uow, instance, decision, previous_entered=None, actor=None, rule=None)
    return instance


def switch_process(
    lead_id: int, process_key: str, *, uow: UnitOfWork, actor_user_id: int | None = None
) -> ProcessInstance:
    """Make another process the lead's current one; the other instance keeps its state."""
    load_definition(uow.session, process_key)
    existing = uow.session.scalar(
        select(ProcessInstance).where(
            ProcessInstance.lead_id == lead_id, ProcessInstance.process_key == process_key
        )
    )
    uow.session.execute(
        update(ProcessInstance)
        .where(ProcessInstance.lead_id == lead_id)
        .values(current=False)
        .execution_options(synchronize_session="fetch")
    )
    if existing is not None:
        existing.current = True
        uow.session.flush()
        return existing
    uow.session.flush()
    started = start_instance(lead_id, uow=uow, process_key=process_key)
    if started is None:
        raise Conflict("Only open leads enter a process", field="lead_id")
    return started


def _instance_for_move(uow: UnitOfWork, lead_id: int) -> ProcessInstance:
    instance = current_instance(uow.session, lead_id)
    if instance is None:
        start_instance(lead_id, uow=uow)
        instance = current_instance(uow.session, lead_id)
    if instance is None:
        raise Conflict("This lead is not open, so it has no process to move", field="lead_id")
    return instance


def apply_trigger(
    lead_id: int,
    trigger: Trigger,
    *,
    uow: UnitOfWork,
    actor_user_id: int | None = None,
    rule: str | None = None,
) -> Decision:
    """Run the engine on the lead's current instance and carry out what it decides."""
    instance = _instance_for_move(uow, lead_id)
    definition = load_definition(uow.session, instance.process_key, instance.process_version)
    previous = as_utc(instance.entered_stage_at)
    decision = domain.decide(definition, _state(instance), trigger, utcnow())
    if decision.moved:
        _carry_out(uow, instance, decision, previous, actor_user_id, rule)
    return decision


def _check_open(uow: UnitOfWork, lead_id: int) -> None:
    lead = uow.session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"No lead with id {lead_id}", field="lead_id")
    if lead.status != "open":
        raise Conflict(f"The lead is {lead.status} and cannot move", field="status")


def next_stage(lead_id: int, *, uow: UnitOfWork, actor_user_id: int | None = None) -> Decision:
    _check_open(uow, lead_id)
    values = lead_values(uow, lead_id)
    return apply_trigger(lead_id, domain.NextStage(values), uow=uow, actor_user_id=actor_user_id)


def set_active_stage(
    lead_id: int, stage: str, *, uow: UnitOfWork, actor_user_id: int | None = None
) -> Decision:
    _check_open(uow, lead_id)
    return apply_trigger(lead_id, domain.SetActive(stage), uow=uow, actor_user_id=actor_user_id)


def finish_process(
    lead_id: int, *, uow: UnitOfWork, actor_user_id: int | None = None, check_steps: bool = True
) -> Decision:
    values = lead_values(uow, lead_id)
    if not check_steps:
        values = {name: True for name in values}
    return apply_trigger(lead_id, domain.Finish(values), uow=uow, actor_user_id=actor_user_id)


def abandon_process(lead_id: int, *, uow: UnitOfWork, actor_user_id: int | None = None) -> Decision:
    return apply_trigger(lead_id, domain.Abandon(), uow=uow, actor_user_id=actor_user_id)


def move_to_stage(
    lead_id: int, stage: str, *, uow: UnitOfWork, rule: str | None = None
) -> Decision | None:
    """A rule's move: to `stage` unless the lead already stands there or is closed."""
    lead = uow.session.get(Lead, lead_id)
    if lead is None or lead.status != "open":
        return None
    return apply_trigger(lead_id, domain.Restart(stage), uow=uow, rule=rule)


def _carry_out(
    uow: UnitOfWork,
    instance: ProcessInstance,
    decision: Decision,
    previous_entered: datetime | None,
    actor: int | None,
    rule: str | None,
) -> None:
    history: list[dict[str, Any]] = []
    _record(uow, instance, decision, previous_entered, actor, rule, history)
    uow.session.flush()
    if history:
        uow.session.execute(insert(TRANSITIONS), history)


def _record(
    uow: UnitOfWork,
    instance: ProcessInstance | RunningInstance,
    decision: Decision,
    previous_entered: datetime | None,
    actor: int | None,
    rule: str | None,
    history: list[dict[str, Any]],
) -> None:
    """Carry one decision out on the instance and publish its events; the history rows
    are added to `history`, for the caller to insert with those of the whole batch in
    one statement."""
    now = decision.state.entered_at or utcnow()
    instance.stage = decision.state.stage
    instance.status = decision.state.status.value
    instance.entered_stage_at = now
    instance.updated_at = now
    for command in decision.commands:
        if isinstance(command, RecordTransition):
            seconds = (
                int((now - previous_entered).total_seconds())
                if previous_entered is not None and command.from_stage is not None
                else None
            )
            history.append(
                {
                    "instance_id": instance.id,
                    "lead_id": instance.lead_id,
                    "process_key": instance.process_key,
                    "from_stage": command.from_stage,
                    "to_stage": command.to_stage,
                    "actor_user_id": actor,
                    "rule": rule,
                    "reason": command.reason,
                    "seconds_in_from": seconds,
                    "occurred_at": now,
                }
            )
            uow.publish(
                StageChanged(
                    lead_id=instance.lead_id,
                    process_key=instance.process_key,
                    from_stage=command.from_stage,
                    to_stage=command.to_stage,
                    rule=rule,
                    actor_user_id=actor,
                )
            )
        elif isinstance(command, EnterQueue):
            uow.publish(
                LeadEnteredQueue(
                    lead_id=instance.lead_id,
                    queue=command.queue,
                    stage=command.stage,
                    deadline_hours=command.deadline_hours,
                )
            )


# --- Automatic transitions -----------------------------------------------------------------


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
    definitions = {row.key: domain.parse_definition(row.body) for row in list_definitions(session)}
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
        return 0
    leads = {
        row["id"]: row
        for row in session.execute(
            select(Lead.__table__).where(Lead.id.in_(wanted), Lead.status == "open")
        ).mappings()
    }
    if not leads:
        return 0
    instances = _running_instances(session, list(leads))
    # Leads written without events (bulk loads, leads from before the process existed)
    # get their instance when news about them first calls for a move, as created ones do.
    created = [lead_id for lead_id in leads if lead_id not in instances]
    history: list[dict[str, Any]] = []
    if created:
        instances |= _start_instances(uow, created, definitions, history)
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
    # Every move of the batch shares `now`, so the instances that ended in the same
    # stage take one UPDATE: a statement per stage, not per lead.
    for (stage, status), ids in landed.items():
        session.execute(
            update(INSTANCES)
            .where(INSTANCES.c.id.in_(ids))
            .values(stage=stage, status=status, entered_stage_at=now, updated_at=now)
        )
    if history:
        # Core, not the ORM bulk path: one executemany, its compiled form cached.
        session.execute(insert(TRANSITIONS), history)
    return moves


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
        return self._loaded()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


def _start_instances(
    uow: UnitOfWork,
    lead_ids: Collection[int],
    definitions: Mapping[str, ProcessDefinition],
    history: list[dict[str, Any]],
) -> dict[int, RunningInstance]:
    """`start_instance` for many new leads at once (the caller checked they are open and
    have none): one multi-row insert, then the instances read back by lead."""
    key = default_process_key(uow.session)
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


@dataclass
class RunningInstance:
    """A lead's current instance as the batch path reads it: a plain row, no ORM object,
    so thousands cost no identity map and no flush."""

    id: int
    lead_id: int
    process_key: str
    stage: str
    status: str
    entered_stage_at: datetime
    updated_at: datetime


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


# --- Reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    from_stage: str | None
    to_stage: str | None
    from_name: str | None
    to_name: str | None
    actor_user_id: int | None
    rule: str | None
    reason: str
    occurred_at: datetime
    seconds_in_from: int | None


def timeline(session: Session, lead_id: int) -> list[TimelineEntry]:
    """Every transition of the lead, newest first, with stage names and time spent."""
    rows = session.scalars(
        select(StageTransition)
        .where(StageTransition.lead_id == lead_id)
        .order_by(StageTransition.occurred_at.desc(), StageTransition.id.desc())
    ).all()
    names: dict[tuple[str, str], str] = {}
    for row in session.scalars(select(ProcessDefinitionRow)):
        for stage in row.body.get("stages", []):
            names[(row.key, stage["key"])] = stage["name"]
    return [
        TimelineEntry(
            row.from_stage,
            row.to_stage,
            names.get((row.process_key, row.from_stage or ""), row.from_stage),
            names.get((row.process_key, row.to_stage or ""), row.to_stage),
            row.actor_user_id,
            row.rule,
            row.reason,
            as_utc(row.occurred_at),
            row.seconds_in_from,
        )
        for row in rows
    ]


def instance_view(session: Session, lead_id: int) -> dict[str, Any] | None:
    """The process bar's data: stages, the active one, time in stage, step values."""
    instance = current_instance(session, lead_id)
    if instance is None:
        return None
    definition = load_definition(session, instance.process_key, instance.process_version)
    values = lead_values(session, lead_id)
    entered = as_utc(instance.entered_stage_at)
    active_index = definition.index(instance.stage)
    return {
        "instance_id": instance.id,
        "process_key": definition.key,
        "process_name": definition.name,
        "version": definition.version,
        "status": instance.status,
        "stage": instance.stage,
        "entered_stage_at": entered.isoformat(),
        "seconds_in_stage": int((utcnow() - entered).total_seconds()),
        "stages": [
            {
                "key": stage.key,
                "name": stage.name,
                "state": (
                    "done"
                    if index < active_index or instance.status == InstanceStatus.FINISHED
                    else "active"
                    if index == active_index
                    else "todo"
                ),
                "steps": [
                    {
                        "field": step.field,
                        "required": step.required,
                        "value": values.get(step.field),
                    }
                    for step in stage.steps
                ],
                "missing": domain.missing_steps(stage, values),
            }
            for index, stage in enumerate(definition.stages)
        ],
    }


def _lead_labels(registry: Registry) -> dict[str, str]:
    return {field.name: field.label for field in registry.fields_of("lead")}


@dataclass(frozen=True)
class TransitionView:
    key: str
    words: str
    enabled: bool
    switch_label: str | None = None
    switch_on: bool = True


def transitions_view(
    session: Session, definition: ProcessDefinition, registry: Registry
) -> list[TransitionView]:
    """The definition's automatic transitions in words, with the org switch each waits on."""
    labels = _lead_labels(registry)
    switches = {switch.key: (switch.label, on) for switch, on in all_switches(session)}
    views = []
    for transition in definition.transitions:
        label, on = switches.get(transition.switch or "", (None, True))
        views.append(
            TransitionView(
                transition.key,
                domain.describe_transition(transition, definition, labels),
                transition.enabled,
                label,
                on,
            )
        )
    return views


@dataclass(frozen=True)
class StageView:
    """A stage as the settings page shows it: names and labels, no keys."""

    name: str
    queue: str | None
    deadline_hours: float | None
    steps: list[tuple[str, bool]]
    ways_out: list[str]


def stages_view(
    definition: ProcessDefinition, registry: Registry, queue_labels: Mapping[str, str]
) -> list[StageView]:
    labels = _lead_labels(registry)
    return [
        StageView(
            name=stage.name,
            queue=queue_labels.get(stage.queue, stage.queue) if stage.queue else None,
            deadline_hours=stage.deadline_hours,
            steps=[(labels.get(step.field, step.field), step.required) for step in stage.steps],
            ways_out=[
                domain.describe_branch(branch, definition, labels) for branch in stage.branches
            ],
        )
        for stage in definition.stages
    ]


def timeline_public(entries: list[TimelineEntry]) -> list[dict[str, Any]]:
    return [
        {
            "from_stage": entry.from_stage,
            "to_stage": entry.to_stage,
            "from_name": entry.from_name,
            "to_name": entry.to_name,
            "actor_user_id": entry.actor_user_id,
            "rule": entry.rule,
            "reason": entry.reason,
            "occurred_at": entry.occurred_at.isoformat(),
            "seconds_in_from": entry.seconds_in_from,
        }
        for entry in entries
    ]


def require_stage(definition: ProcessDefinition, stage: str) -> None:
    if stage not in {s.key for s in definition.stages}:
        raise ValidationFailed(f"No stage '{stage}'", field="stage")


def stage_counts(session: Session, process_key: str) -> Mapping[str, int]:
    rows = session.execute(
        select(ProcessInstance.stage, func.count())
        .where(
            ProcessInstance.process_key == process_key,
            ProcessInstance.status == InstanceStatus.ACTIVE,
            ProcessInstance.current.is_(True),
        )
        .group_by(ProcessInstance.stage)
    )
    return dict(rows.all())


# --- Use cases: what faces call; each opens the unit of work and commits it ----------------
# `do_x` carries out the step `x` in a transaction of its own. The steps stay for the
# services, handlers and seeds that run them inside a larger unit.


do_save_definition = in_own_transaction(save_definition)
do_set_transition_enabled = in_own_transaction(set_transition_enabled)
do_next_stage = in_own_transaction(next_stage)
do_set_active_stage = in_own_transaction(set_active_stage)


do_finish_process = in_own_transaction(finish_process)


do_abandon_process = in_own_transaction(abandon_process)
do_switch_process = in_own_transaction(switch_process)


def do_save_steps(lead_id: int, changes: Mapping[str, Any], *, uow: UnitOfWork) -> None:
    """Write the step values ticked on the lead's process bar.

    Ticking a step can move the lead (sales ready, accepted): the handlers of the
    events the change publishes do that after the commit.
    """
    from leadflow.leads.services import update_lead

    with uow:
        if changes:
            update_lead(lead_id, changes, uow=uow)
        uow.commit()
