"""Closed sets of segments: kinds, statuses, group and count operators, the field
operators each field type allows, the entities a query may visit."""

from __future__ import annotations

from enum import StrEnum

from leadflow.registry.domain import FieldType


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
