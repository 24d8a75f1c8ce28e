"""Pure rules of segments: the query tree, its validation against the registry, the
segment types and statuses, and the operators each field type allows.

A query is a tree rooted at Contact:

- ``group``: ``{"type": "group", "op": "and"|"or", "children": [...]}``
- ``field``: ``{"type": "field", "field": "role", "op": "eq", "value": ["decision_maker"]}``;
  a field of the entity the row sits under; several values are ORed.
- ``related``: ``{"type": "related", "relationship": "lead_parent_contact",
  "count": "any"|"at_least"|"none", "min": 2, "where": {group}}``; rows under it hold
  for the SAME related record, and the count says how many such records there must be.
- ``behaviour``: ``{"type": "behaviour", "kind": "email_clicked", "target_id": None,
  "data": {}, "count": "at_least"|"none", "min": 2, "window_days": 30}``: the contact's
  interactions (only directly under Contact).

`parse_tree` returns the parsed tree and every problem, each with the path of the
node at fault (``root.children[0].where.children[1].field``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.interactions.domain import is_valid_kind
from leadflow.lib.bounds import INT32
from leadflow.registry.domain import EntityDef, FieldDef, FieldType, Registry, RelationshipDef


class SegmentKind(StrEnum):
    DYNAMIC = "dynamic"
    STATIC = "static"
    COMPOUND = "compound"


class SegmentStatus(StrEnum):
    DRAFT = "draft"
    LIVE = "live"
    STOPPED = "stopped"


class CombineOp(StrEnum):
    UNION = "union"
    INTERSECT = "intersect"
    EXCLUDE = "exclude"


class GroupOp(StrEnum):
    AND = "and"
    OR = "or"


class CountOp(StrEnum):
    ANY = "any"  # at least one
    AT_LEAST = "at_least"
    NONE = "none"


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    STARTSWITH = "startswith"
    ENDSWITH = "endswith"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    BETWEEN = "between"
    EMPTY = "empty"
    NOT_EMPTY = "not_empty"
    WITHIN_LAST_DAYS = "within_last_days"
    OLDER_THAN_DAYS = "older_than_days"


OP_LABELS: dict[str, str] = {
    "eq": "is",
    "ne": "is not",
    "contains": "contains",
    "not_contains": "does not contain",
    "startswith": "begins with",
    "endswith": "ends with",
    "gt": "greater than",
    "gte": "at least",
    "lt": "less than",
    "lte": "at most",
    "between": "between",
    "empty": "is empty",
    "not_empty": "is not empty",
    "within_last_days": "in the last N days",
    "older_than_days": "more than N days ago",
}

TEXT_TYPES = frozenset(
    {FieldType.TEXT, FieldType.LONG_TEXT, FieldType.EMAIL, FieldType.PHONE, FieldType.URL}
)
NUMBER_TYPES = frozenset({FieldType.INTEGER, FieldType.DECIMAL})
DATE_TYPES = frozenset({FieldType.DATE, FieldType.DATETIME})
_PRESENCE = (Op.EMPTY, Op.NOT_EMPTY)
_ORDER = (Op.GT, Op.GTE, Op.LT, Op.LTE, Op.BETWEEN)

OPS_BY_TYPE: dict[FieldType, tuple[Op, ...]] = {
    **{
        kind: (
            Op.EQ,
            Op.NE,
            Op.CONTAINS,
            Op.NOT_CONTAINS,
            Op.STARTSWITH,
            Op.ENDSWITH,
            *_PRESENCE,
        )
        for kind in TEXT_TYPES
    },
    FieldType.CHOICE: (Op.EQ, Op.NE, *_PRESENCE),
    FieldType.BOOLEAN: (Op.EQ, *_PRESENCE),
    FieldType.REFERENCE: (Op.EQ, Op.NE, *_PRESENCE),
    **{kind: (Op.EQ, Op.NE, *_ORDER, *_PRESENCE) for kind in NUMBER_TYPES},
    **{kind: (Op.WITHIN_LAST_DAYS, Op.OLDER_THAN_DAYS, *_ORDER, *_PRESENCE) for kind in DATE_TYPES},
}

NO_VALUE_OPS = frozenset(_PRESENCE)
DAY_OPS = frozenset({Op.WITHIN_LAST_DAYS, Op.OLDER_THAN_DAYS})
SINGLE_VALUE_OPS = frozenset({Op.GT, Op.GTE, Op.LT, Op.LTE})
TEXT_MATCH_OPS = frozenset({Op.CONTAINS, Op.NOT_CONTAINS, Op.STARTSWITH, Op.ENDSWITH})

# Entities a segment query may visit, and the relationships it may follow between them.
EVENT_REGISTRATION = "event_registration"
QUERY_ENTITIES = ("contact", "account", "lead", "opportunity", EVENT_REGISTRATION)
MAX_DEPTH = 8
MAX_NODES = 200


def _registration_fields() -> list[FieldDef]:
    e = EVENT_REGISTRATION
    return [
        FieldDef(e, "id", "ID", FieldType.INTEGER, writable=False, nullable=False),
        FieldDef(e, "event_id", "Event", FieldType.INTEGER, nullable=False),
        FieldDef(
            e,
            "status",
            "Registration status",
            FieldType.CHOICE,
            options=("registered", "waitlisted", "cancelled"),
            nullable=False,
        ),
        FieldDef(e, "attended_at", "Attended on", FieldType.DATETIME),
        FieldDef(e, "created_at", "Registered on", FieldType.DATETIME, nullable=False),
    ]


def query_registry(registry: Registry) -> Registry:
    """The registry as segment queries see it: with event registrations (a capture table
    the field registry does not list) and their link to the contact."""
    if EVENT_REGISTRATION in registry.entities:
        return registry
    entities = {
        **registry.entities,
        EVENT_REGISTRATION: EntityDef(EVENT_REGISTRATION, "Event registration", "registrations"),
    }
    fields = {**registry.fields, EVENT_REGISTRATION: {f.name: f for f in _registration_fields()}}
    relationships = {
        **registry.relationships,
        "event_registration_contact": RelationshipDef(
            "event_registration_contact",
            "Contact of event registration",
            EVENT_REGISTRATION,
            "contact_id",
            "contact",
        ),
    }
    return Registry(entities, fields, relationships)


@dataclass(frozen=True)
class Link:
    """How a related node reaches its records from the entity it sits under."""

    relationship: str
    entity: str  # the related records' entity
    # True: the related records point at the parent (lead -> contact, 1:N);
    # False: the parent points at the related record (contact -> account, N:1).
    many: bool
    key: str  # the column holding the link: on the related records if many, else the parent's


def link_for(registry: Registry, parent: str, relationship: str) -> Link | None:
    """The way from `parent` through `relationship`, or None when it does not touch it."""
    rel = registry.relationships.get(relationship)
    if rel is None:
        return None
    if rel.target == parent and rel.source in QUERY_ENTITIES:
        return Link(rel.name, rel.source, True, rel.source_field)
    if rel.source == parent and rel.target in QUERY_ENTITIES:
        return Link(rel.name, rel.target, False, rel.source_field)
    return None


def relationships_from(registry: Registry, parent: str) -> list[tuple[RelationshipDef, Link]]:
    """Every relationship a related node under `parent` may follow (for the builder)."""
    found = []
    for rel in registry.relationships.values():
        link = link_for(registry, parent, rel.name)
        if link is not None:
            found.append((rel, link))
    return found


@dataclass(frozen=True)
class FieldRow:
    entity: str
    field: str
    op: Op
    values: tuple[Any, ...] = ()
    type: FieldType = FieldType.TEXT


@dataclass(frozen=True)
class Group:
    op: GroupOp
    children: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Related:
    link: Link
    count: CountOp
    minimum: int
    where: Group


@dataclass(frozen=True)
class Behaviour:
    kind: str
    count: CountOp = CountOp.AT_LEAST
    minimum: int = 1
    target_id: str | None = None
    data: tuple[tuple[str, str], ...] = ()
    window_days: int | None = None


Node = FieldRow | Group | Related | Behaviour


@dataclass
class Problems:
    """Every error in a tree, each with the path of the node at fault."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.items.append((where, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_first(self) -> None:
        if self.items:
            where, message = self.items[0]
            code = ErrorCode.UNKNOWN_FIELD if "unknown" in message else ErrorCode.INVALID_VALUE
            raise ValidationFailed(
                f"{where}: {message}",
                code=code,
                field=where,
                extra={"problems": [{"path": p, "message": m} for p, m in self.items]},
            )

    def public(self) -> list[dict[str, str]]:
        return [{"path": path, "message": message} for path, message in self.items]


def empty_tree() -> dict[str, Any]:
    return {"type": "group", "op": "and", "children": []}


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
    target = raw.get("target_id")
    target_id = str(target).strip() or None if target not in (None, "") else None
    data_raw = raw.get("data") or {}
    data: list[tuple[str, str]] = []
    if not isinstance(data_raw, dict):
        problems.add(f"{where}.data", "data filters are key: value pairs")
    else:
        for key, value in sorted(data_raw.items()):
            if not isinstance(key, str) or not key or value is None:
                problems.add(f"{where}.data", "data filters are key: value pairs")
                continue
            data.append((key, str(value)))
    window = raw.get("window_days")
    window_days = (
        None
        if window in (None, "")
        else _whole(window, f"{where}.window_days", problems, minimum=1)
    )
    return Behaviour(kind, count, minimum, target_id, tuple(data), window_days)


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


def walk(node: Node) -> list[Node]:
    """The node and every node under it, depth first."""
    found: list[Node] = [node]
    if isinstance(node, Group):
        for child in node.children:
            found.extend(walk(child))
    elif isinstance(node, Related):
        found.extend(walk(node.where))
    return found


def is_time_relative(tree: Group) -> bool:
    """Whether membership can change with time alone (a moving window): these
    segments are re-checked on a schedule."""
    for node in walk(tree):
        if isinstance(node, FieldRow) and node.op in DAY_OPS:
            return True
        if isinstance(node, Behaviour) and node.window_days is not None:
            return True
    return False


def fields_read(tree: Group) -> dict[str, set[str]]:
    """Per entity the tree reaches, the fields its conditions and links read: a change to
    another field cannot change membership. Contact is always there (a new contact is
    evaluated by every segment), and so is each related entity (a new record counts)."""
    found: dict[str, set[str]] = {"contact": set()}

    def visit(node: Node, entity: str) -> None:
        if isinstance(node, Group):
            for child in node.children:
                visit(child, entity)
        elif isinstance(node, FieldRow):
            found.setdefault(node.entity, set()).add(node.field)
        elif isinstance(node, Related):
            related = node.link.entity
            found.setdefault(related, set())
            if node.link.many:
                found[related].add(node.link.key)
            else:
                found.setdefault(entity, set()).add(node.link.key)
            visit(node.where, related)
        else:
            found.setdefault("interaction", set()).add(node.kind)

    visit(tree, "contact")
    return found


def top_blocks(tree: Group) -> tuple[Node, ...]:
    """The top-level blocks a membership's reason names: each child of an OR root;
    an AND root is one block."""
    if tree.op is GroupOp.OR and len(tree.children) > 1:
        return tree.children
    return (tree,)


@dataclass(frozen=True)
class Part:
    """One part of a compound segment: a live segment and how it combines."""

    segment_id: int
    op: CombineOp


def parse_parts(raw: Any, where: str = "parts") -> tuple[Part, ...]:
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed("a compound segment needs at least one part", field=where)
    parts = []
    for index, item in enumerate(raw):
        at = f"{where}[{index}]"
        if not isinstance(item, dict):
            raise ValidationFailed("a part is {segment_id, op}", field=at)
        try:
            segment_id = int(item.get("segment_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValidationFailed("a part names a segment", field=f"{at}.segment_id") from None
        try:
            op = CombineOp(item.get("op") or "union")
        except ValueError:
            raise ValidationFailed("op is union, intersect or exclude", field=f"{at}.op") from None
        parts.append(Part(segment_id, op if index else CombineOp.UNION))
    return tuple(parts)


def describe(node: Node, registry: Registry) -> str:
    """A sentence for one node, as the builder and the explanation show it."""
    registry = query_registry(registry)
    if isinstance(node, Group):
        return "all of" if node.op is GroupOp.AND else "any of"
    if isinstance(node, FieldRow):
        definition = registry.fields[node.entity][node.field]
        label = OP_LABELS[node.op.value]
        if node.op in NO_VALUE_OPS:
            return f"{definition.label} {label}"
        if node.op in DAY_OPS:
            days = node.values[0] if node.values else "?"
            if node.op is Op.WITHIN_LAST_DAYS:
                return f"{definition.label} in the last {days} days"
            return f"{definition.label} more than {days} days ago"
        shown = [
            str(value).replace("_", " ") if node.type is FieldType.CHOICE else str(value)
            for value in node.values
        ]
        joiner = " and " if node.op is Op.BETWEEN else " or "
        return f"{definition.label} {label} {joiner.join(shown)}"
    if isinstance(node, Related):
        entity = registry.entities[node.link.entity]
        rel = registry.relationships[node.link.relationship]
        if node.count is CountOp.NONE:
            how = "no"
        elif node.count is CountOp.AT_LEAST:
            how = f"at least {node.minimum}"
        else:
            how = "a"
        plural = entity.plural if node.count is CountOp.AT_LEAST else entity.label.lower()
        return f"has {how} {plural} ({rel.label}) where"
    kind = node.kind.replace("_", " ")
    parts = [kind]
    if node.count is CountOp.NONE:
        parts = [f"never {kind}"]
    else:
        parts.append(f"at least {node.minimum} time{'s' if node.minimum != 1 else ''}")
    if node.target_id:
        parts.append(f"on {node.target_id}")
    for key, value in node.data:
        parts.append(f"with {key}={value}")
    if node.window_days:
        parts.append(f"in the last {node.window_days} days")
    return " ".join(parts)


def with_children(group: Group, children: tuple[Node, ...]) -> Group:
    return replace(group, children=children)
