"""A lead's process instance: started, moved by a trigger, its moves recorded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound
from leadflow.lib.clock import as_utc, utcnow
from leadflow.process import domain
from leadflow.process.domain import (
    Decision,
    EnterQueue,
    InstanceState,
    InstanceStatus,
    RecordTransition,
    Trigger,
)
from leadflow.process.events import LeadEnteredQueue, StageChanged
from leadflow.process.models import ProcessInstance, StageTransition
from leadflow.process.services._definitions import default_process_key, load_definition
from leadflow.records.lookup import find_record
from leadflow.records.values import CUSTOM_KEY, to_public
from leadflow.registry.domain import Registry

INSTANCES = cast(Table, ProcessInstance.__table__)
TRANSITIONS = cast(Table, StageTransition.__table__)


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
    lead = find_record(session, "lead", lead_id)
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
    lead = find_record(uow.session, "lead", lead_id)
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
        raise Conflict(
            "Only open leads enter a process", field="lead_id", code=ErrorCode.LEAD_NOT_OPEN
        )
    return started


def _instance_for_move(uow: UnitOfWork, lead_id: int) -> ProcessInstance:
    instance = current_instance(uow.session, lead_id)
    if instance is None:
        start_instance(lead_id, uow=uow)
        instance = current_instance(uow.session, lead_id)
    if instance is None:
        raise Conflict(
            "This lead is not open, so it has no process to move",
            field="lead_id",
            code=ErrorCode.LEAD_NOT_OPEN,
        )
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
    lead = find_record(uow.session, "lead", lead_id)
    if lead is None:
        raise NotFound(f"No lead with id {lead_id}", field="lead_id")
    if lead.status != "open":
        raise Conflict(
            f"The lead is {lead.status} and cannot move",
            field="status",
            code=ErrorCode.LEAD_NOT_OPEN,
        )


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
    lead = find_record(uow.session, "lead", lead_id)
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


# Use cases: what faces call; each opens the unit of work and commits it.
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
