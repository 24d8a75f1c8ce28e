"""The business process, pure: definitions as data and (definition, state, trigger) -> decision.

Nothing here touches a database. A definition is parsed and validated from a
mapping (JSON or YAML), errors naming the path at fault; `decide` turns a
trigger into a new instance state and the commands the services carry out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from leadflow.errors import ValidationFailed
from leadflow.org.domain import AUTO_MARKETING_QUALIFICATION

MAX_STAGES = 30
MAX_STEPS = 30
DEFAULT_PROCESS_KEY = "lead_to_opportunity"

CONDITION_OPS = frozenset({"eq", "ne", "is_empty", "is_not_empty", "in"})


class InstanceStatus(StrEnum):
    ACTIVE = "active"
    FINISHED = "finished"
    ABANDONED = "abandoned"


@dataclass(frozen=True)
class Step:
    field: str
    required: bool = False


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class BranchRule:
    """On leaving a stage: when the conditions hold (all, or any), go to `to`."""

    to: str
    conditions: tuple[Condition, ...]
    combine: str = "and"


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    steps: tuple[Step, ...] = ()
    branches: tuple[BranchRule, ...] = ()
    # Entering the stage puts the lead in this queue with a task due in `deadline_hours`.
    queue: str | None = None
    deadline_hours: float | None = None


class LeadEvent(StrEnum):
    """What happened to a lead that automatic transitions react to."""

    CREATED = "lead.created"
    UPDATED = "lead.updated"
    SALES_READY = "lead.sales_ready"
    FIRST_SCORED = "lead.scored"


@dataclass(frozen=True)
class Transition:
    """An automatic move: on one of the events `on`, a lead standing in one of
    `from_stages` (any when empty) whose values meet every `when` condition goes
    to `to`. On `lead.updated` it fires only when a `when` field is among the
    changed ones, so editing an unrelated field never moves a lead. `switch`
    names an org switch that must be on."""

    key: str
    on: tuple[LeadEvent, ...]
    to: str
    from_stages: tuple[str, ...] = ()
    when: tuple[Condition, ...] = ()
    switch: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class LeadNews:
    """What a batch of events says about one lead: which events, which fields changed."""

    events: frozenset[LeadEvent]
    changed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ProcessDefinition:
    key: str
    name: str
    entity: str
    stages: tuple[Stage, ...]
    transitions: tuple[Transition, ...] = ()
    version: int = 1

    def stage(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise ValidationFailed(f"Process '{self.key}' has no stage '{key}'", field="stage")

    def index(self, key: str) -> int:
        return [stage.key for stage in self.stages].index(self.stage(key).key)


@dataclass(frozen=True)
class InstanceState:
    stage: str
    status: InstanceStatus = InstanceStatus.ACTIVE
    entered_at: datetime | None = None


# --- Triggers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NextStage:
    """A user presses "Next stage"; `values` are the lead's current field values."""

    values: Mapping[str, Any]


@dataclass(frozen=True)
class SetActive:
    stage: str


@dataclass(frozen=True)
class Finish:
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Abandon:
    pass


@dataclass(frozen=True)
class Restart:
    """Back into the process at `stage` (recycling a lead, reactivating one)."""

    stage: str


Trigger = NextStage | SetActive | Finish | Abandon | Restart


# --- Commands ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordTransition:
    from_stage: str | None
    to_stage: str | None
    reason: str


@dataclass(frozen=True)
class EnterQueue:
    queue: str
    stage: str
    deadline_hours: float | None


@dataclass(frozen=True)
class LeaveStage:
    """The lead left `stage`: its open queue tasks are closed."""

    stage: str


Command = RecordTransition | EnterQueue | LeaveStage


@dataclass(frozen=True)
class Decision:
    state: InstanceState
    commands: tuple[Command, ...] = field(default_factory=tuple)

    @property
    def moved(self) -> bool:
        return bool(self.commands)


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
    raise ValidationFailed(f"Unknown operator '{condition.op}'", field="op")


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
        raise ValidationFailed(f"The process is {state.status}", field="status")
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
                "This is the last stage: finish the process instead", field="stage"
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


EVENT_WORDS = {
    LeadEvent.CREATED: "created",
    LeadEvent.UPDATED: "changed",
    LeadEvent.SALES_READY: "marked sales-ready",
    LeadEvent.FIRST_SCORED: "first scored",
}


def _either(words: Sequence[str], last: str = "or") -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def _condition_words(condition: Condition, label: str) -> str:
    match condition.op, condition.value:
        case "eq", True:
            return f"{label} ticked"
        case "eq", False:
            return f"{label} not ticked"
        case "eq", value:
            return f"{label} = {value}"
        case "ne", value:
            return f"{label} ≠ {value}"
        case "is_empty", _:
            return f"{label} empty"
        case "is_not_empty", _:
            return f"{label} filled in"
        case _, value:
            return f"{label} one of {', '.join(str(item) for item in value or ())}"


def describe_branch(
    branch: BranchRule, definition: ProcessDefinition, field_labels: Mapping[str, str]
) -> str:
    """A stage's way out in words: "when Sales ready ticked → Sales acceptance"."""
    names = {stage.key: stage.name for stage in definition.stages}
    conditions = [
        _condition_words(condition, field_labels.get(condition.field, condition.field))
        for condition in branch.conditions
    ]
    text = f"when {_either(conditions, branch.combine)}" if conditions else "always"
    return f"{text} → {names.get(branch.to, branch.to)}"


def describe_transition(
    transition: Transition,
    definition: ProcessDefinition,
    field_labels: Mapping[str, str],
) -> str:
    """The transition in words: "When a lead is created or changed with Telemarketing ready
    ticked, from Inquiry or Automated marketing qualification → Telemarketing acceptance"."""
    names = {stage.key: stage.name for stage in definition.stages}
    text = f"When a lead is {_either([EVENT_WORDS[event] for event in transition.on])}"
    conditions = [
        _condition_words(condition, field_labels.get(condition.field, condition.field))
        for condition in transition.when
    ]
    if conditions:
        text += f" with {_either(conditions, 'and')}"
    sources = [names.get(stage, stage) for stage in transition.from_stages]
    text += f", from {_either(sources)}" if sources else ", from any stage"
    return f"{text} → {names.get(transition.to, transition.to)}"


def _require_steps(stage: Stage, values: Mapping[str, Any]) -> None:
    missing = missing_steps(stage, values)
    if missing:
        raise ValidationFailed(
            f"Fill in the required step '{missing[0]}' of stage '{stage.name}' first",
            field=missing[0],
            extra={"missing_steps": missing},
        )


# --- Parsing and export --------------------------------------------------------------------


def _fail(path: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{path}: {message}", field=path)


def _text(data: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"{path}.{key}" if path else key, "must be a non-empty text")
    return value.strip()


def _list(data: Mapping[str, Any], key: str, path: str) -> Sequence[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise _fail(f"{path}.{key}" if path else key, "must be a list")
    return value


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(path, "must be an object")
    return value


def parse_definition(
    data: Any,
    *,
    known_fields: Iterable[str] | None = None,
    known_switches: Iterable[str] | None = None,
) -> ProcessDefinition:
    """A definition from JSON/YAML data; every error names the path at fault (`stages[2].key`)."""
    data = _mapping(data, "definition")
    key = str(_text(data, "key", ""))
    name = str(_text(data, "name", ""))
    entity = data.get("entity", "lead")
    if entity != "lead":
        raise _fail("entity", "only 'lead' processes are supported")
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _fail("version", "must be a positive whole number")
    fields = set(known_fields) if known_fields is not None else None
    switches = set(known_switches) if known_switches is not None else None
    raw_stages = _list(data, "stages", "")
    if not raw_stages:
        raise _fail("stages", "needs at least one stage")
    if len(raw_stages) > MAX_STAGES:
        raise _fail("stages", f"at most {MAX_STAGES} stages")
    stages = [_parse_stage(raw, f"stages[{i}]", fields) for i, raw in enumerate(raw_stages)]
    keys = [stage.key for stage in stages]
    for i, stage_key in enumerate(keys):
        if keys.index(stage_key) != i:
            raise _fail(f"stages[{i}].key", f"'{stage_key}' is used twice")
    for i, stage in enumerate(stages):
        for j, rule in enumerate(stage.branches):
            if rule.to not in keys:
                raise _fail(f"stages[{i}].branches[{j}].to", f"no stage '{rule.to}'")
    if "moves" in data and "transitions" not in data:
        data = {**data, "transitions": _legacy_moves(_list(data, "moves", ""))}
    raw_transitions = _list(data, "transitions", "")
    transitions = [
        _parse_transition(raw, f"transitions[{i}]", keys, fields, switches)
        for i, raw in enumerate(raw_transitions)
    ]
    names = [transition.key for transition in transitions]
    for i, transition_key in enumerate(names):
        if names.index(transition_key) != i:
            raise _fail(f"transitions[{i}].key", f"'{transition_key}' is used twice")
    return ProcessDefinition(key, name, entity, tuple(stages), tuple(transitions), version)


def _parse_conditions(
    raw: Mapping[str, Any], key: str, path: str, allowed: Callable[[str], str | None]
) -> tuple[Condition, ...]:
    """Field conditions; `allowed(name)` returns why a field may not be used (None: fine)."""
    conditions = []
    for j, condition in enumerate(_list(raw, key, path)):
        condition_path = f"{path}.{key}[{j}]"
        condition = _mapping(condition, condition_path)
        name = str(_text(condition, "field", condition_path))
        refusal = allowed(name)
        if refusal is not None:
            raise _fail(f"{condition_path}.field", refusal)
        op = condition.get("op", "eq")
        if not isinstance(op, str) or op not in CONDITION_OPS:
            raise _fail(f"{condition_path}.op", f"unknown operator '{op}'")
        conditions.append(Condition(name, op, condition.get("value")))
    return tuple(conditions)


def _parse_transition(
    raw: Any,
    path: str,
    stage_keys: Sequence[str],
    fields: set[str] | None,
    known_switches: set[str] | None,
) -> Transition:
    raw = _mapping(raw, path)
    on = []
    raw_on = raw.get("on")
    for j, name in enumerate([raw_on] if isinstance(raw_on, str) else _list(raw, "on", path)):
        if not isinstance(name, str) or name not in {event.value for event in LeadEvent}:
            known = ", ".join(event.value for event in LeadEvent)
            raise _fail(f"{path}.on[{j}]", f"unknown event '{name}' (one of {known})")
        on.append(LeadEvent(name))
    if not on:
        raise _fail(f"{path}.on", "needs at least one event")
    to = str(_text(raw, "to", path))
    if to not in stage_keys:
        raise _fail(f"{path}.to", f"no stage '{to}'")
    sources = _list(raw, "from", path)
    for j, source in enumerate(sources):
        if not isinstance(source, str) or source not in stage_keys:
            raise _fail(f"{path}.from[{j}]", f"no stage '{source}'")
    when = _parse_conditions(
        raw,
        "when",
        path,
        lambda name: None if fields is None or name in fields else f"no lead field '{name}'",
    )
    switch = _text(raw, "switch", path, required=False)
    if switch is not None and known_switches is not None and switch not in known_switches:
        raise _fail(f"{path}.switch", f"no switch '{switch}'")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _fail(f"{path}.enabled", "must be true or false")
    return Transition(
        key=str(_text(raw, "key", path)),
        on=tuple(dict.fromkeys(on)),
        to=to,
        from_stages=tuple(sources),
        when=when,
        switch=switch,
        enabled=enabled,
    )


def _legacy_moves(moves: Sequence[Any]) -> list[dict[str, Any]]:
    """Definitions saved before transitions had `moves` keyed by event names, some of
    them flag ticks; they read as the transitions they meant."""
    transitions: list[dict[str, Any]] = []
    for i, raw in enumerate(moves):
        raw = _mapping(raw, f"moves[{i}]")
        when = raw.get("when")
        item: dict[str, Any] = {
            "key": f"move_{i + 1}",
            "to": raw.get("to"),
            "from": raw.get("from", []),
        }
        flag = LEGACY_FLAG_EVENTS.get(str(when))
        if flag is not None:
            events = [LeadEvent.CREATED.value, LeadEvent.UPDATED.value]
            if flag == "sales_ready":
                events.append(LeadEvent.SALES_READY.value)
            item |= {
                "key": flag,
                "on": events,
                "when": [{"field": flag, "op": "eq", "value": True}],
            }
        elif when == LeadEvent.FIRST_SCORED.value:
            item |= {"key": "first_score", "on": [when], "switch": AUTO_MARKETING_QUALIFICATION.key}
        else:
            item["on"] = [when]
        transitions.append(item)
    return transitions


def _parse_stage(raw: Any, path: str, fields: set[str] | None) -> Stage:
    raw = _mapping(raw, path)
    raw_steps = _list(raw, "steps", path)
    if len(raw_steps) > MAX_STEPS:
        raise _fail(f"{path}.steps", f"at most {MAX_STEPS} steps")
    steps = []
    for i, step in enumerate(raw_steps):
        step_path = f"{path}.steps[{i}]"
        step = _mapping(step, step_path)
        name = str(_text(step, "field", step_path))
        if fields is not None and name not in fields:
            raise _fail(f"{step_path}.field", f"no lead field '{name}'")
        steps.append(Step(name, bool(step.get("required", False))))
    step_fields = {step.field for step in steps}
    branches = []
    for i, rule in enumerate(_list(raw, "branches", path)):
        rule_path = f"{path}.branches[{i}]"
        rule = _mapping(rule, rule_path)
        combine = rule.get("combine", "and")
        if combine not in ("and", "or"):
            raise _fail(f"{rule_path}.combine", "must be 'and' or 'or'")
        conditions = _parse_conditions(
            rule,
            "conditions",
            rule_path,
            lambda name: None if name in step_fields else f"'{name}' is not a step of this stage",
        )
        if not conditions:
            raise _fail(f"{rule_path}.conditions", "needs at least one condition")
        branches.append(BranchRule(str(_text(rule, "to", rule_path)), conditions, combine))
    deadline = raw.get("deadline_hours")
    if deadline is not None and (
        not isinstance(deadline, int | float) or isinstance(deadline, bool) or deadline <= 0
    ):
        raise _fail(f"{path}.deadline_hours", "must be a positive number of hours")
    return Stage(
        key=str(_text(raw, "key", path)),
        name=str(_text(raw, "name", path)),
        steps=tuple(steps),
        branches=tuple(branches),
        queue=_text(raw, "queue", path, required=False),
        deadline_hours=float(deadline) if deadline is not None else None,
    )


def definition_to_data(definition: ProcessDefinition) -> dict[str, Any]:
    """The export form; `parse_definition(definition_to_data(d)) == d`."""
    stages: list[dict[str, Any]] = []
    for stage in definition.stages:
        item: dict[str, Any] = {
            "key": stage.key,
            "name": stage.name,
            "steps": [{"field": s.field, "required": s.required} for s in stage.steps],
        }
        if stage.branches:
            item["branches"] = [
                {
                    "to": rule.to,
                    "combine": rule.combine,
                    "conditions": [
                        {"field": c.field, "op": c.op, "value": c.value} for c in rule.conditions
                    ],
                }
                for rule in stage.branches
            ]
        if stage.queue:
            item["queue"] = stage.queue
        if stage.deadline_hours is not None:
            item["deadline_hours"] = stage.deadline_hours
        stages.append(item)
    return {
        "key": definition.key,
        "name": definition.name,
        "entity": definition.entity,
        "version": definition.version,
        "stages": stages,
        "transitions": [_transition_to_data(transition) for transition in definition.transitions],
    }


def _transition_to_data(transition: Transition) -> dict[str, Any]:
    item: dict[str, Any] = {
        "key": transition.key,
        "on": [event.value for event in transition.on],
        "when": [{"field": c.field, "op": c.op, "value": c.value} for c in transition.when],
        "from": list(transition.from_stages),
        "to": transition.to,
        "enabled": transition.enabled,
    }
    if transition.switch is not None:
        item["switch"] = transition.switch
    return item


INQUIRY = "inquiry"
MARKETING_QUALIFICATION = "automated_marketing_qualification"
TELEMARKETING_ACCEPTANCE = "telemarketing_acceptance"
TELEMARKETING_QUALIFICATION = "telemarketing_qualification"
SALES_ACCEPTANCE = "sales_acceptance"

TELEMARKETING_QUEUE = "telemarketing"
SALES_ACCEPTANCE_QUEUE = "sales_acceptance"

# Definitions saved before transitions named flag ticks as events of their own.
LEGACY_FLAG_EVENTS = {
    "lead.sales_ready": "sales_ready",
    "lead.telemarketing_ready": "telemarketing_ready",
    "lead.telemarketing_accepted": "telemarketing_accepted",
}

DEFAULT_PROCESS: dict[str, Any] = {
    "key": DEFAULT_PROCESS_KEY,
    "name": "Lead to opportunity marketing sales process",
    "entity": "lead",
    "version": 1,
    "stages": [
        {
            "key": INQUIRY,
            "name": "Inquiry",
            "steps": [{"field": "parent_contact_id"}, {"field": "parent_account_id"}],
        },
        {
            "key": MARKETING_QUALIFICATION,
            "name": "Automated marketing qualification",
            "steps": [{"field": "sales_ready"}, {"field": "telemarketing_ready"}],
            "branches": [
                {
                    "to": SALES_ACCEPTANCE,
                    "conditions": [{"field": "sales_ready", "op": "eq", "value": True}],
                },
                {
                    "to": TELEMARKETING_ACCEPTANCE,
                    "conditions": [{"field": "telemarketing_ready", "op": "eq", "value": True}],
                },
            ],
        },
        {
            "key": TELEMARKETING_ACCEPTANCE,
            "name": "Telemarketing acceptance",
            "steps": [{"field": "telemarketing_accepted", "required": True}],
            "queue": TELEMARKETING_QUEUE,
            "deadline_hours": 48,
        },
        {
            "key": TELEMARKETING_QUALIFICATION,
            "name": "Telemarketing qualification",
            "steps": [
                {"field": "need", "required": True},
                {"field": "purchase_timeframe", "required": True},
                {"field": "purchase_process"},
                {"field": "budget_amount"},
                {"field": "description"},
                {"field": "sales_ready"},
            ],
        },
        {
            "key": SALES_ACCEPTANCE,
            "name": "Sales acceptance",
            "steps": [
                {"field": "owner_id", "required": True},
                {"field": "sales_accepted", "required": True},
            ],
            "queue": SALES_ACCEPTANCE_QUEUE,
            "deadline_hours": 24,
        },
    ],
    # In this order: a lead created sales-ready goes straight to Sales acceptance, from
    # where the telemarketing transitions do not pull it back.
    "transitions": [
        {
            "key": "first_score",
            "on": [LeadEvent.FIRST_SCORED.value],
            "from": [INQUIRY],
            "to": MARKETING_QUALIFICATION,
            "switch": AUTO_MARKETING_QUALIFICATION.key,
        },
        {
            "key": "sales_ready",
            "on": [LeadEvent.CREATED.value, LeadEvent.UPDATED.value, LeadEvent.SALES_READY.value],
            "when": [{"field": "sales_ready", "op": "eq", "value": True}],
            "from": [
                INQUIRY,
                MARKETING_QUALIFICATION,
                TELEMARKETING_ACCEPTANCE,
                TELEMARKETING_QUALIFICATION,
            ],
            "to": SALES_ACCEPTANCE,
        },
        {
            "key": "telemarketing_ready",
            "on": [LeadEvent.CREATED.value, LeadEvent.UPDATED.value],
            "when": [{"field": "telemarketing_ready", "op": "eq", "value": True}],
            "from": [INQUIRY, MARKETING_QUALIFICATION],
            "to": TELEMARKETING_ACCEPTANCE,
        },
        {
            "key": "telemarketing_accepted",
            "on": [LeadEvent.CREATED.value, LeadEvent.UPDATED.value],
            "when": [{"field": "telemarketing_accepted", "op": "eq", "value": True}],
            "from": [INQUIRY, MARKETING_QUALIFICATION, TELEMARKETING_ACCEPTANCE],
            "to": TELEMARKETING_QUALIFICATION,
        },
    ],
}
