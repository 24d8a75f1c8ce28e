"""The catalogue of actions rules can run; capabilities add theirs with `@action`.

An action gets the open unit of work of its rule's run (it writes through the
services with it; the engine commits) and the parameters stored on the rule.
It returns a short outcome for the run log, or raises a LeadflowError to fail
the run (the rule's other writes are rolled back with it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from leadflow.bus import Event
from leadflow.db.uow import UnitOfWork


@dataclass
class ActionContext:
    uow: UnitOfWork
    event: Event
    rule_key: str
    facts: Mapping[str, Any]
    rule_id: int = 0
    rule_secret: str = ""

    @property
    def lead_id(self) -> int | None:
        value = getattr(self.event, "lead_id", None)
        return int(value) if value is not None else None

    @property
    def contact_id(self) -> int | None:
        value = getattr(self.event, "contact_id", None)
        if value is None:
            value = self.facts.get("lead.parent_contact_id")
        return int(value) if value is not None else None


ActionFn = Callable[[ActionContext, Mapping[str, Any]], str]


@dataclass(frozen=True)
class ActionDef:
    name: str
    label: str
    run: ActionFn
    description: str = ""
    # name -> what it means; the names a rule's action must (or may) carry.
    params: Mapping[str, str] = field(default_factory=dict)
    required: frozenset[str] = frozenset()

    def public(self) -> dict[str, Any]:
        return {
            "type": self.name,
            "label": self.label,
            "description": self.description,
            "params": dict(self.params),
            "required": sorted(self.required),
        }


ACTIONS: dict[str, ActionDef] = {}


def action(
    name: str,
    *,
    label: str,
    description: str = "",
    params: Mapping[str, str] | None = None,
    required: tuple[str, ...] = (),
) -> Callable[[ActionFn], ActionFn]:
    def register(run: ActionFn) -> ActionFn:
        ACTIONS[name] = ActionDef(
            name,
            label,
            run,
            description or (run.__doc__ or "").strip(),
            params or {},
            frozenset(required),
        )
        return run

    return register


def action_problems(actions: object) -> list[tuple[str, str]]:
    """(path, message) for every unknown action type or missing parameter."""
    if not isinstance(actions, list) or not actions:
        return [("actions", "a rule needs at least one action")]
    problems: list[tuple[str, str]] = []
    for index, item in enumerate(actions):
        path = f"actions[{index}]"
        if not isinstance(item, Mapping):
            problems.append((path, "an action is an object with a type"))
            continue
        definition = ACTIONS.get(str(item.get("type", "")))
        if definition is None:
            known = ", ".join(sorted(ACTIONS))
            problems.append((f"{path}.type", f"unknown action '{item.get('type')}' ({known})"))
            continue
        for name in sorted(definition.required):
            if item.get(name) in (None, ""):
                problems.append((f"{path}.{name}", f"{definition.label} needs '{name}'"))
    return problems


def _lead_services() -> Any:
    from leadflow.leads import services

    return services


def _contact_services() -> Any:
    from leadflow.contacts import services

    return services


@action(
    "set_field",
    label="Set a field",
    params={"entity": "lead or contact", "field": "Registry field name", "value": "New value"},
    required=("field",),
)
def set_field(context: ActionContext, params: Mapping[str, Any]) -> str:
    """Set one field of the event's lead (or its contact) through the record services."""
    entity = str(params.get("entity") or "lead")
    name = str(params["field"])
    if entity == "lead":
        target = context.lead_id
        update = _lead_services().update_lead
    elif entity == "contact":
        target = context.contact_id
        update = _contact_services().update_contact
    else:
        from leadflow.errors import ErrorCode, ValidationFailed

        raise ValidationFailed(
            f"set_field works on a lead or a contact, not '{entity}'",
            field="entity",
            code=ErrorCode.RULE_ACTION_INVALID,
        )
    if target is None:
        return f"skipped: the event names no {entity}"
    update(target, {name: params.get("value")}, uow=context.uow)
    return f"{entity} {target}: {name} set"
