"""Parsing and validating a raw tree against the registry: every problem with the path
of the node at fault."""

from __future__ import annotations

from typing import Any

from leadflow.errors import ValidationFailed
from leadflow.interactions.domain import is_valid_kind, parse_interaction_filter
from leadflow.lib.bounds import INT32
from leadflow.registry.domain import FieldDef, Registry
from leadflow.segments.domain._links import link_for, query_registry
from leadflow.segments.domain._tree import Behaviour, FieldRow, Group, Node, Problems, Related
from leadflow.segments.domain._types import (
    DAY_OPS,
    MAX_DEPTH,
    MAX_NODES,
    NO_VALUE_OPS,
    OP_LABELS,
    OPS_BY_TYPE,
    SINGLE_VALUE_OPS,
    TEXT_MATCH_OPS,
    CountOp,
    GroupOp,
    Op,
)


def _whole(raw: Any, where: str, problems: Problems, *, minimum: int) -> int | None:
    if isinstance(raw, bool) or raw is None or raw == "":
        problems.add(where, "must be a whole number")
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        problems.add(where, "must be a whole number")
        return None
    if isinstance(raw, float) and raw != value:
        problems.add(where, "must be a whole number")
        return None
    if value < minimum or value not in INT32:
        problems.add(where, f"must be at least {minimum}")
        return None
    return value


def _values(raw: Any) -> list[Any]:
    if raw is None:
        return []
    if isinstance(raw, list | tuple):
        return list(raw)
    return [raw]


def _coerce(definition: FieldDef, raw: Any, where: str, problems: Problems) -> Any:
    try:
        value = definition.coerce(raw)
    except ValidationFailed as exc:
        problems.add(where, exc.message)
        return None
    if value is None:
        problems.add(where, "needs a value (use 'is empty' to test for no value)")
    return value


def _parse_field(
    raw: dict[str, Any], entity: str, registry: Registry, where: str, problems: Problems
) -> FieldRow | None:
    name = raw.get("field")
    if not isinstance(name, str) or not registry.has_field(entity, name):
        problems.add(f"{where}.field", f"unknown field '{name}' on {entity}")
        return None
    definition = registry.fields[entity][name]
    allowed = OPS_BY_TYPE.get(definition.type, ())
    if not definition.filterable or not allowed:
        problems.add(f"{where}.field", f"{entity}.{name} cannot be used in a segment")
        return None
    try:
        op = Op(raw.get("op") or "eq")
    except ValueError:
        problems.add(f"{where}.op", f"unknown operator '{raw.get('op')}'")
        return None
    if op not in allowed:
        problems.add(
            f"{where}.op",
            f"operator '{op.value}' does not fit {definition.label} ({definition.type.value})",
        )
        return None
    values = _values(raw.get("value"))
    at = f"{where}.value"
    parsed: list[Any] = []
    if op in NO_VALUE_OPS:
        pass
    elif op in DAY_OPS:
        days = _whole(values[0] if len(values) == 1 else None, at, problems, minimum=0)
        if days is not None:
            parsed = [days]
    elif op is Op.BETWEEN:
        if len(values) != 2:
            problems.add(at, "'between' needs two values: low and high")
        else:
            parsed = [_coerce(definition, item, at, problems) for item in values]
    elif op in SINGLE_VALUE_OPS:
        if len(values) != 1:
            problems.add(at, f"'{OP_LABELS[op]}' needs one value")
        else:
            parsed = [_coerce(definition, values[0], at, problems)]
    else:
        if not values:
            problems.add(at, "needs at least one value")
        for item in values:
            if op in TEXT_MATCH_OPS:
                if not isinstance(item, str) or not item.strip():
                    problems.add(at, f"'{OP_LABELS[op]}' needs some text")
                    continue
                parsed.append(item.strip().casefold())
            else:
                parsed.append(_coerce(definition, item, at, problems))
    return FieldRow(entity, name, op, tuple(parsed), definition.type)


def _parse_count(raw: dict[str, Any], where: str, problems: Problems) -> tuple[CountOp, int]:
    try:
        count = CountOp(raw.get("count") or "any")
    except ValueError:
        problems.add(f"{where}.count", "count must be any, at_least or none")
        return CountOp.ANY, 1
    if count is CountOp.AT_LEAST:
        minimum = _whole(raw.get("min"), f"{where}.min", problems, minimum=1) or 1
        return (CountOp.ANY, 1) if minimum == 1 else (count, minimum)
    return count, 1


def _parse_behaviour(raw: dict[str, Any], where: str, problems: Problems) -> Behaviour | None:
    kind = raw.get("kind")
    if not isinstance(kind, str) or not is_valid_kind(kind):
        problems.add(f"{where}.kind", "an interaction kind is required (e.g. email_clicked)")
        return None
    count, minimum = _parse_count(raw, where, problems)
    target_id, data = parse_interaction_filter(raw, where, problems.add)
    window = raw.get("window_days")
    window_days = (
        None
        if window in (None, "")
        else _whole(window, f"{where}.window_days", problems, minimum=1)
    )
    return Behaviour(kind, count, minimum, target_id, data, window_days)


def _parse_node(
    raw: Any, entity: str, registry: Registry, where: str, problems: Problems, depth: int
) -> Node | None:
    if not isinstance(raw, dict):
        problems.add(where, "a node is an object with a type")
        return None
    if depth > MAX_DEPTH:
        problems.add(where, f"a query nests at most {MAX_DEPTH} levels")
        return None
    kind = raw.get("type")
    if kind == "group":
        return _parse_group(raw, entity, registry, where, problems, depth)
    if kind == "field":
        return _parse_field(raw, entity, registry, where, problems)
    if kind == "behaviour":
        if entity != "contact":
            problems.add(f"{where}.type", "behaviour nodes sit directly under Contact")
            return None
        return _parse_behaviour(raw, where, problems)
    if kind == "related":
        name = raw.get("relationship")
        link = link_for(registry, entity, name) if isinstance(name, str) else None
        if link is None:
            problems.add(f"{where}.relationship", f"unknown relationship '{name}' from {entity}")
            return None
        count, minimum = _parse_count(raw, where, problems)
        if not link.many and count is CountOp.AT_LEAST:
            problems.add(f"{where}.count", "a contact has one such record: use any or none")
        where_raw = raw.get("where") or {"type": "group", "op": "and", "children": []}
        inner = _parse_group(where_raw, link.entity, registry, f"{where}.where", problems, depth)
        if inner is None:
            return None
        return Related(link, count, minimum, inner)
    problems.add(f"{where}.type", f"unknown node type '{kind}'")
    return None


def _parse_group(
    raw: Any, entity: str, registry: Registry, where: str, problems: Problems, depth: int
) -> Group | None:
    if not isinstance(raw, dict) or raw.get("type", "group") != "group":
        problems.add(where, "a group is {type: group, op: and|or, children: [...]}")
        return None
    try:
        op = GroupOp(raw.get("op") or "and")
    except ValueError:
        problems.add(f"{where}.op", "a group's op is and or or")
        op = GroupOp.AND
    children_raw = raw.get("children") or []
    if not isinstance(children_raw, list):
        problems.add(f"{where}.children", "children are a list")
        return None
    children = []
    for index, item in enumerate(children_raw):
        node = _parse_node(
            item, entity, registry, f"{where}.children[{index}]", problems, depth + 1
        )
        if node is not None:
            children.append(node)
    return Group(op, tuple(children))


def count_nodes(raw: Any) -> int:
    if not isinstance(raw, dict):
        return 1
    total = 1
    for child in raw.get("children") or []:
        total += count_nodes(child)
    if isinstance(raw.get("where"), dict):
        total += count_nodes(raw["where"])
    return total


def parse_tree(raw: Any, registry: Registry) -> tuple[Group, Problems]:
    """The tree (what parsed) and every problem found, against the registry."""
    problems = Problems()
    registry = query_registry(registry)
    if count_nodes(raw) > MAX_NODES:
        problems.add("root", f"a query has at most {MAX_NODES} nodes")
        return Group(GroupOp.AND), problems
    root = _parse_group(raw, "contact", registry, "root", problems, 0)
    return root or Group(GroupOp.AND), problems


def validate_tree(raw: Any, registry: Registry) -> Group:
    """The parsed tree; raises ValidationFailed (422) naming the first path at fault."""
    tree, problems = parse_tree(raw, registry)
    problems.raise_first()
    return tree


def go_live_problems(tree: Group, problems: Problems) -> Problems:
    checked = Problems(list(problems.items))
    if not tree.children:
        checked.add("root", "a dynamic segment needs at least one condition to go live")
    return checked
