"""The engine: (definition, state, trigger) -> decision, and the automatic moves an event fires."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.process.domain._model import (
    Abandon,
    Command,
    Condition,
    Decision,
    EnterQueue,
    Finish,
    InstanceState,
    InstanceStatus,
    LeadEvent,
    LeadNews,
    LeaveStage,
    ProcessDefinition,
    RecordTransition,
    Restart,
    SetActive,
    Stage,
    Transition,
    Trigger,
)


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value is False or value == [] or value == {}


def missing_steps(stage: Stage, values: Mapping[str, Any]) -> list[str]:
    return [
        step.field for step in stage.steps if step.required and is_empty(values.get(step.field))
    ]


def condition_holds(condition: Condition, values: Mapping[str, Any]) -> bool:
    actual = values.get(condition.field)
    match condition.op:
        case "is_empty":
            return is_empty(actual)
        case "is_not_empty":
            return not is_empty(actual)
        case "eq":
            return bool(actual == condition.value)
        case "ne":
            return bool(actual != condition.value)
        case "in":
            return actual in (condition.value or ())
    raise ValidationFailed(
        f"Unknown operator '{condition.op}'", field="op", code=ErrorCode.OPERATOR_UNKNOWN
    )


def branch_target(stage: Stage, values: Mapping[str, Any]) -> str | None:
    for rule in stage.branches:
        results = [condition_holds(condition, values) for condition in rule.conditions]
        if (all(results) if rule.combine == "and" else any(results)) and results:
            return rule.to
    return None


def initial_state(definition: ProcessDefinition, now: datetime) -> Decision:
    first = definition.stages[0]
    state = InstanceState(first.key, InstanceStatus.ACTIVE, now)
    return Decision(state, _enter(None, first, "process started"))


def _enter(from_stage: str | None, stage: Stage, reason: str) -> tuple[Command, ...]:
    commands: list[Command] = []
    if from_stage is not None:
        commands.append(LeaveStage(from_stage))
    commands.append(RecordTransition(from_stage, stage.key, reason))
    if stage.queue:
        commands.append(EnterQueue(stage.queue, stage.key, stage.deadline_hours))
    return tuple(commands)


def _move(
    definition: ProcessDefinition, state: InstanceState, to: str, reason: str, now: datetime
) -> Decision:
    target = definition.stage(to)
    if target.key == state.stage and state.status is InstanceStatus.ACTIVE:
        return Decision(state)
    from_stage = state.stage if state.status is InstanceStatus.ACTIVE else None
    commands = _enter(from_stage, target, reason)
    if from_stage is None:
        commands = (LeaveStage(state.stage), *commands)
    return Decision(InstanceState(target.key, InstanceStatus.ACTIVE, now), commands)


def decide(
    definition: ProcessDefinition, state: InstanceState, trigger: Trigger, now: datetime
) -> Decision:
    """The new state and what to do; raises ValidationFailed when the move is refused."""
    if isinstance(trigger, Restart):
        return _move(definition, state, trigger.stage, "restarted", now)
    if state.status is not InstanceStatus.ACTIVE and not isinstance(trigger, SetActive):
        raise ValidationFailed(
            f"The process is {state.status}", field="status", code=ErrorCode.PROCESS_NOT_ACTIVE
        )
    current = definition.stage(state.stage)
    if isinstance(trigger, SetActive):
        return _move(definition, state, trigger.stage, "set active by hand", now)
    if isinstance(trigger, Abandon):
        return Decision(
            replace(state, status=InstanceStatus.ABANDONED, entered_at=now),
            (LeaveStage(current.key), RecordTransition(current.key, None, "abandoned")),
        )
    _require_steps(current, trigger.values)
    if isinstance(trigger, Finish):
        return Decision(
            replace(state, status=InstanceStatus.FINISHED, entered_at=now),
            (LeaveStage(current.key), RecordTransition(current.key, None, "finished")),
        )
    target = branch_target(current, trigger.values)
    if target is None:
        position = definition.index(current.key)
        if position + 1 >= len(definition.stages):
            raise ValidationFailed(
                "This is the last stage: finish the process instead",
                field="stage",
                code=ErrorCode.LAST_STAGE,
            )
        target = definition.stages[position + 1].key
        reason = "next stage"
    else:
        reason = "next stage (branch rule)"
    return _move(definition, state, target, reason, now)


def may_fire(transition: Transition, news: LeadNews) -> bool:
    """Whether the news can move a lead by this transition at all (before reading the lead)."""
    if not transition.enabled:
        return False
    heard = news.events.intersection(transition.on)
    if not heard:
        return False
    watched = {condition.field for condition in transition.when}
    return heard != {LeadEvent.UPDATED} or not watched or bool(watched & news.changed)


def transition_fires(
    transition: Transition,
    stage: str,
    news: LeadNews,
    values: Mapping[str, Any],
    switches_on: Collection[str],
) -> bool:
    """Whether the transition moves a lead standing in `stage`, given what happened to it."""
    if transition.to == stage or not may_fire(transition, news):
        return False
    if transition.switch is not None and transition.switch not in switches_on:
        return False
    if transition.from_stages and stage not in transition.from_stages:
        return False
    return all(condition_holds(condition, values) for condition in transition.when)


def automatic_moves(
    definition: ProcessDefinition,
    state: InstanceState,
    news: LeadNews,
    values: Mapping[str, Any],
    switches_on: Collection[str],
    now: datetime,
) -> list[tuple[Transition, Decision]]:
    """The transitions that move one lead, in the definition's order, each taken from the
    stage the one before left it in (a lead created telemarketing-ready and -accepted
    goes through Telemarketing acceptance to qualification)."""
    if state.status is not InstanceStatus.ACTIVE:
        return []
    fired: list[tuple[Transition, Decision]] = []
    for transition in definition.transitions:
        if transition_fires(transition, state.stage, news, values, switches_on):
            decision = _move(definition, state, transition.to, f"automatic: {transition.key}", now)
            fired.append((transition, decision))
            state = decision.state
    return fired


def _require_steps(stage: Stage, values: Mapping[str, Any]) -> None:
    missing = missing_steps(stage, values)
    if missing:
        raise ValidationFailed(
            f"Fill in the required step '{missing[0]}' of stage '{stage.name}' first",
            field=missing[0],
            extra={"missing_steps": missing},
            code=ErrorCode.STEP_MISSING,
        )
