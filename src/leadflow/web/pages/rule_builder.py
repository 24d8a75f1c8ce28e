"""The automation rule builder: trigger, conditions and actions picked, not typed as JSON.

Conditions are rows of fact / operator / value (`cond_field`, `cond_op`,
`cond_value`); the facts on offer are the chosen event's payload and the
fields of the lead, contact and account, by label. Actions come from the
catalogue (automation/actions.py): a row picks the action (`a<i>.type`) and
gets one widget per parameter (`a<i>.<type>.<param>`), the widget chosen by
what the parameter holds (a stage, a queue, a user, a role, hours, a URL...).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from leadflow.automation.actions import ACTIONS
from leadflow.automation.domain import UNARY
from leadflow.automation.engine import triggers
from leadflow.bus import EVENT_TYPES
from leadflow.interactions.domain import InteractionKind
from leadflow.registry.domain import FieldType, Registry
from leadflow.sales.services import QUEUE_LABELS
from leadflow.users.domain import Role
from leadflow.web.pages.display import humanize
from leadflow.web.pages.listing import filter_kind, filter_options
from leadflow.web.pages.lookups import reference_options, stage_names

OP_LABELS: dict[str, str] = {
    "eq": "is",
    "ne": "is not",
    "gte": "≥",
    "lte": "≤",
    "gt": ">",
    "lt": "<",
    "contains": "contains",
    "in": "is one of (a, b)",
    "not_in": "is none of (a, b)",
    "is_empty": "is empty",
    "is_not_empty": "is not empty",
}
OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    "text": ("eq", "ne", "contains", "in", "not_in", "is_empty", "is_not_empty"),
    "number": ("eq", "ne", "gte", "lte", "gt", "lt", "is_empty", "is_not_empty"),
    "date": ("gte", "lte", "gt", "lt", "is_empty", "is_not_empty"),
    "choice": ("eq", "ne", "is_empty", "is_not_empty"),
    "boolean": ("eq",),
}
# Parameter names as a form label reads them; the catalogue's own words are kept as hints.
PARAM_LABELS: dict[str, str] = {
    "stage": "Stage",
    "only_from": "Only when the lead stands in (none ticked: any stage)",
    "queue": "Queue",
    "owner_id": "Owner",
    "user_id": "User",
    "role": "Role",
    "title": "Title",
    "body": "Text",
    "hours": "Due in (hours)",
    "url": "Web address",
    "value": "New value",
}
ROLE_LABELS: dict[str, str] = {role.value: humanize(role.value) for role in Role}
SOURCES = (("lead", "Lead"), ("contact", "Contact"), ("account", "Account"))
# Extra action rows under the rule's own, for a page used without JavaScript.
BLANK_ACTIONS = 1
BLANK_CONDITIONS = 2


def trigger_label(name: str) -> str:
    """'lead.sales_ready' -> 'Lead: sales ready'."""
    source, _, what = name.partition(".")
    return f"{humanize(source)}: {what.replace('_', ' ')}"


def trigger_choices() -> list[tuple[str, str]]:
    return sorted(((name, trigger_label(name)) for name in triggers()), key=lambda c: c[1])


@dataclass
class Lookups:
    """The short lists widgets pick from, read once per page."""

    stages: list[tuple[str, str]]
    users: list[tuple[str, str]]
    models: list[tuple[str, str]]

    @classmethod
    def read(cls, session: Session, registry: Registry) -> Lookups:
        from leadflow.scoring.models import ScoringModel

        users = reference_options(session, registry, "user") or []
        models = session.execute(select(ScoringModel.id, ScoringModel.name)).all()
        return cls(
            list(stage_names(session).items()),
            [(str(key), title) for key, title in users],
            [(str(key), name) for key, name in models],
        )


# Event payload keys whose values are one of a known list.
def _event_options(name: str, lookups: Lookups) -> list[tuple[str, str]] | None:
    if name in ("stage", "from_stage", "to_stage"):
        return lookups.stages
    if name == "queue":
        return list(QUEUE_LABELS.items())
    if name in ("user_id", "owner_id", "actor_user_id"):
        return lookups.users
    if name == "model_id":
        return lookups.models
    if name == "role":
        return list(ROLE_LABELS.items())
    if name == "kind":
        return [(kind.value, humanize(kind.value)) for kind in InteractionKind]
    return None


def _spec(name: str, label: str, kind: str, options: Sequence[tuple[str, str]] | None) -> Any:
    return {
        "name": name,
        "label": label,
        "kind": kind,
        "ops": [[op, OP_LABELS[op]] for op in OPS_BY_KIND[kind]],
        "options": [list(option) for option in options or []],
    }


def _event_specs(trigger: str, lookups: Lookups) -> list[dict[str, Any]]:
    event_type = EVENT_TYPES.get(trigger)
    if event_type is None:
        return []
    specs = []
    for item in dataclasses.fields(event_type):
        options = _event_options(item.name, lookups)
        annotation = str(item.type)
        if options is not None:
            kind = "choice"
        elif "bool" in annotation:
            kind = "boolean"
            options = [("true", "Yes"), ("false", "No")]
        elif "int" in annotation or "float" in annotation:
            kind = "number"
        elif "datetime" in annotation:
            kind = "date"
        else:
            kind = "text"
        label = f"The event: {item.name.replace('_', ' ')}"
        specs.append(_spec(f"event.{item.name}", label, kind, options))
    return specs


def fact_specs(
    session: Session, registry: Registry, lookups: Lookups
) -> dict[str, list[dict[str, Any]]]:
    """Per trigger: the facts a condition can test, each with its operators and values."""
    records = []
    for source, source_label in SOURCES:
        for definition in registry.fields_of(source):
            if not definition.filterable or definition.type is FieldType.JSON:
                continue
            options = filter_options(definition)
            if definition.type is FieldType.REFERENCE and definition.reference == "user":
                options = lookups.users
            kind = filter_kind(definition, options)
            records.append(
                _spec(
                    f"{source}.{definition.name}",
                    f"{source_label}: {definition.label}",
                    kind,
                    options,
                )
            )
    return {name: _event_specs(name, lookups) + records for name in triggers()}


# --- actions ----------------------------------------------------------------------------


def _param_widget(
    action: str, name: str, registry: Registry, lookups: Lookups
) -> tuple[str, list[tuple[str, str]]]:
    """(kind, options) of one action parameter: what the catalogue's parameter holds."""
    if action == "set_field" and name == "field":
        options = [
            (f"{source}.{d.name}", f"{label}: {d.label}")
            for source, label in SOURCES[:2]
            for d in registry.fields_of(source)
            if d.writable and d.type is not FieldType.JSON
        ]
        return "choice", options
    if action == "set_field" and name == "value":
        # A text box that app.js turns into the chosen field's own widget.
        return "field_value", []
    if name == "stage":
        return "choice", lookups.stages
    if name == "only_from":
        return "multi", lookups.stages
    if name == "queue":
        return "choice", [("", "— none —"), *QUEUE_LABELS.items()]
    if name in ("user_id", "owner_id"):
        return "choice", [("", "— none —"), *lookups.users]
    if name == "role":
        return "choice", [("", "— none —"), *ROLE_LABELS.items()]
    if name == "hours":
        return "number", []
    if name == "url":
        return "url", []
    if name == "body":
        return "long_text", []
    return "text", []


def action_catalogue(registry: Registry, lookups: Lookups) -> list[dict[str, Any]]:
    """Every action with a widget per parameter (set_field's entity goes with its field)."""
    catalogue = []
    for name in sorted(ACTIONS, key=lambda key: ACTIONS[key].label):
        definition = ACTIONS[name]
        params = []
        for param, meaning in definition.params.items():
            if name == "set_field" and param == "entity":
                continue
            kind, options = _param_widget(name, param, registry, lookups)
            label = PARAM_LABELS.get(param, meaning)
            if name == "set_field" and param == "field":
                label = "Field"
            elif name == "assign" and param == "user_id":
                label = "Salesperson (none: round-robin)"
            params.append(
                {
                    "name": param,
                    "label": label,
                    "kind": kind,
                    "options": options,
                    "required": param in definition.required,
                }
            )
        catalogue.append(
            {
                "type": name,
                "label": definition.label,
                "description": definition.description,
                "params": params,
            }
        )
    return catalogue


@dataclass(frozen=True)
class ActionRow:
    index: int
    type: str
    values: Mapping[str, str]

    def value(self, param: str) -> str:
        return self.values.get(param, "")

    def chosen(self, param: str) -> list[str]:
        return [part.strip() for part in self.value(param).split(",") if part.strip()]


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def action_rows(actions: Sequence[Mapping[str, Any]]) -> list[ActionRow]:
    rows = []
    for index, item in enumerate(actions):
        kind = str(item.get("type") or "")
        values = {key: _as_text(value) for key, value in item.items() if key != "type"}
        if kind == "set_field":
            values["field"] = f"{values.pop('entity', '') or 'lead'}.{values.get('field', '')}"
        rows.append(ActionRow(index, kind, values))
    start = len(rows)
    rows += [ActionRow(start + offset, "", {}) for offset in range(BLANK_ACTIONS)]
    return rows


def actions_from_form(form: FormData) -> list[dict[str, Any]]:
    """The action rows as the catalogue stores them; a row without an action is left out."""
    indexes = sorted(
        {int(key[1:].split(".", 1)[0]) for key in form if key.startswith("a") and ".type" in key}
    )
    actions: list[dict[str, Any]] = []
    for index in indexes:
        kind = str(form.get(f"a{index}.type") or "")
        definition = ACTIONS.get(kind)
        if definition is None:
            continue
        item: dict[str, Any] = {"type": kind}
        for param in definition.params:
            values = [str(v) for v in form.getlist(f"a{index}.{kind}.{param}")]
            value = ",".join(v for v in values if v) if len(values) > 1 else "".join(values)
            if kind == "set_field" and param == "field" and "." in value:
                entity, _, value = value.partition(".")
                item["entity"] = entity
            if value.strip():
                item[param] = value.strip()
        actions.append(item)
    return actions


# --- conditions -------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionRow:
    field: str
    op: str
    value: str


def condition_rows(conditions: Sequence[Mapping[str, Any]]) -> list[ConditionRow]:
    rows = []
    for item in conditions:
        value = item.get("value")
        if isinstance(value, list):
            value = ", ".join(_as_text(part) for part in value)
        rows.append(
            ConditionRow(str(item.get("field", "")), str(item.get("op", "eq")), _as_text(value))
        )
    return rows + [ConditionRow("", "", "")] * BLANK_CONDITIONS


def conditions_from_form(form: FormData) -> list[dict[str, Any]]:
    fields = form.getlist("cond_field")
    ops = form.getlist("cond_op")
    values = form.getlist("cond_value")
    conditions: list[dict[str, Any]] = []
    for index, name in enumerate(fields):
        name = str(name).strip()
        if not name:
            continue
        op = str(ops[index]) if index < len(ops) else "eq"
        condition: dict[str, Any] = {"field": name, "op": op or "eq"}
        if condition["op"] not in UNARY:
            condition["value"] = str(values[index]).strip() if index < len(values) else ""
        conditions.append(condition)
    return conditions


def describe_conditions(
    conditions: Sequence[Mapping[str, Any]], match: str, specs: Sequence[Mapping[str, Any]]
) -> str:
    """A rule's conditions in words: 'Lead: Status is Open and Lead: Score ≥ 50'."""
    by_name = {spec["name"]: spec for spec in specs}
    parts = []
    for item in conditions:
        spec = by_name.get(str(item.get("field")))
        label = spec["label"] if spec else str(item.get("field"))
        op = OP_LABELS.get(str(item.get("op", "eq")), str(item.get("op")))
        text = f"{label} {op}"
        if "value" in item:
            value = _as_text(item["value"])
            options = dict((str(o[0]), str(o[1])) for o in spec["options"]) if spec else {}
            text += f" {options.get(value, value)}"
        parts.append(text)
    return (" and " if match != "any" else " or ").join(parts)


def describe_actions(
    actions: Sequence[Mapping[str, Any]], catalogue: Sequence[Mapping[str, Any]]
) -> str:
    """A rule's actions in words, parameters shown by their labels and picked names."""
    by_type = {entry["type"]: entry for entry in catalogue}
    parts = []
    for row in action_rows(actions)[: len(actions)]:
        entry = by_type.get(row.type)
        if entry is None:
            parts.append(row.type or "?")
            continue
        shown = []
        for param in entry["params"]:
            value = row.value(param["name"])
            if not value:
                continue
            options = {str(k): str(v) for k, v in param["options"]}
            words = ", ".join(options.get(part, part) for part in value.split(","))
            shown.append(f"{param['label']}: {words}")
        parts.append(f"{entry['label']} ({'; '.join(shown)})" if shown else entry["label"])
    return "; ".join(parts)
