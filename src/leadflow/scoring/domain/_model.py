"""The types of a scoring model: closed sets, conditions, rules, grades, the definition."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.registry.domain import FieldType


class Target(StrEnum):
    CONTACT = "contact"
    ACCOUNT = "account"


class Status(StrEnum):
    DRAFT = "draft"
    LIVE = "live"
    STOPPED = "stopped"


class Frequency(StrEnum):
    EACH = "each"
    AT_LEAST = "at_least"
    NONE = "none"


class FieldOp(StrEnum):
    EQ = "eq"
    NE = "ne"
    CONTAINS = "contains"
    STARTSWITH = "startswith"
    ENDSWITH = "endswith"
    IN = "in"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    BETWEEN = "between"
    EMPTY = "empty"
    NOT_EMPTY = "not_empty"
    WITHIN_LAST_DAYS = "within_last_days"
    OLDER_THAN_DAYS = "older_than_days"


SCORED_ENTITIES = ("lead", "contact", "account")
TEXT_TYPES = {FieldType.TEXT, FieldType.LONG_TEXT, FieldType.EMAIL, FieldType.PHONE, FieldType.URL}
ORDERED_TYPES = {FieldType.INTEGER, FieldType.DECIMAL, FieldType.DATE, FieldType.DATETIME}
DATE_TYPES = {FieldType.DATE, FieldType.DATETIME}
TEXT_OPS = {FieldOp.CONTAINS, FieldOp.STARTSWITH, FieldOp.ENDSWITH}
ORDER_OPS = {FieldOp.GT, FieldOp.GTE, FieldOp.LT, FieldOp.LTE, FieldOp.BETWEEN}
DAY_OPS = {FieldOp.WITHIN_LAST_DAYS, FieldOp.OLDER_THAN_DAYS}
NO_VALUE_OPS = {FieldOp.EMPTY, FieldOp.NOT_EMPTY}
MAX_RULES = 200
MAX_POINTS = 1_000_000


@dataclass(frozen=True)
class FieldCondition:
    entity: str
    field: str
    op: FieldOp
    value: Any = None

    def public(self) -> dict[str, Any]:
        return {
            "type": "field",
            "entity": self.entity,
            "field": self.field,
            "op": self.op.value,
            "value": self.value,
        }


@dataclass(frozen=True)
class BehaviourCondition:
    kind: str
    frequency: Frequency = Frequency.AT_LEAST
    target_id: str | None = None
    data: tuple[tuple[str, str], ...] = ()
    min_count: int = 1
    cap: int | None = None
    window_days: int | None = None

    def public(self) -> dict[str, Any]:
        return {
            "type": "behaviour",
            "kind": self.kind,
            "frequency": self.frequency.value,
            "target_id": self.target_id,
            "data": {key: value for key, value in self.data},
            "min_count": self.min_count,
            "cap": self.cap,
            "window_days": self.window_days,
        }

    def multiplier(self, count: int) -> int:
        """How many times the rule's points count for `count` matching interactions."""
        if self.frequency is Frequency.NONE:
            return 1 if count == 0 else 0
        if count < self.min_count:
            return 0
        if self.frequency is Frequency.AT_LEAST:
            return 1
        return count if self.cap is None else min(count, self.cap)


Condition = FieldCondition | BehaviourCondition


@dataclass(frozen=True)
class Rule:
    name: str
    points: int
    conditions: tuple[Condition, ...]

    @property
    def field_conditions(self) -> tuple[FieldCondition, ...]:
        return tuple(c for c in self.conditions if isinstance(c, FieldCondition))

    @property
    def behaviour_conditions(self) -> tuple[BehaviourCondition, ...]:
        return tuple(c for c in self.conditions if isinstance(c, BehaviourCondition))

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "points": self.points,
            "conditions": [condition.public() for condition in self.conditions],
        }


@dataclass(frozen=True)
class Grade:
    name: str
    low: int | None
    high: int | None

    def covers(self, score: int) -> bool:
        return (self.low is None or score >= self.low) and (self.high is None or score <= self.high)

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "min": self.low, "max": self.high}


@dataclass(frozen=True)
class ModelDefinition:
    rules: tuple[Rule, ...] = ()
    grades: tuple[Grade, ...] = ()

    def public(self) -> dict[str, Any]:
        return {
            "rules": [rule.public() for rule in self.rules],
            "grades": [grade.public() for grade in self.grades],
        }

    def grade_of(self, score: int) -> str | None:
        for grade in self.grades:
            if grade.covers(score):
                return grade.name
        return None

    @property
    def behaviour_conditions(self) -> list[BehaviourCondition]:
        return [c for rule in self.rules for c in rule.behaviour_conditions]

    def referenced_fields(self) -> dict[str, set[str]]:
        """Field names per entity that this model reads (a change to another field is moot)."""
        names: dict[str, set[str]] = {entity: set() for entity in SCORED_ENTITIES}
        for rule in self.rules:
            for condition in rule.field_conditions:
                names[condition.entity].add(condition.field)
        return names


@dataclass
class Problems:
    """Every error in a definition, each with the path of the part at fault."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.items.append((where, message))

    def raise_first(self) -> None:
        if self.items:
            where, message = self.items[0]
            raise ValidationFailed(message, field=where, code=ErrorCode.SCORING_MODEL_INVALID)
