"""Definitions from JSON/YAML data and back; each error names the path at fault."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.process.domain._model import (
    CONDITION_OPS,
    MAX_STAGES,
    MAX_STEPS,
    BranchRule,
    Condition,
    LeadEvent,
    ProcessDefinition,
    Stage,
    Step,
    Transition,
)
from leadflow.switches.domain import AUTO_MARKETING_QUALIFICATION

# Definitions saved before transitions named flag ticks as events of their own.
LEGACY_FLAG_EVENTS = {
    "lead.sales_ready": "sales_ready",
    "lead.telemarketing_ready": "telemarketing_ready",
    "lead.telemarketing_accepted": "telemarketing_accepted",
}


def _fail(path: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"{path}: {message}", field=path, code=ErrorCode.PROCESS_DEFINITION_INVALID
    )


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
