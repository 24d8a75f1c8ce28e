"""Pure rule logic: conditions over facts, and the shape checks of a rule.

Facts are flat names: `event.<payload key>`, `lead.<field>`, `contact.<field>`,
`account.<field>`. A condition compares one fact with a value; a rule's
conditions combine with AND (`all`) or OR (`any`); no conditions always hold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

FACT_SOURCES = ("event", "lead", "contact", "account")
MATCH_MODES = ("all", "any")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    """Make numbers and ISO dates comparable with what a rule author typed."""
    if isinstance(left, (int, float, Decimal)) and not isinstance(left, bool):
        try:
            return Decimal(str(left)), Decimal(str(right))
        except ArithmeticError:
            return left, right
    if isinstance(left, (datetime, date)):
        return left.isoformat(), str(right)
    return left, right


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.strip().casefold() == right.strip().casefold()
    if isinstance(left, bool) or isinstance(right, bool):
        return bool(left) == _truthy(right) if isinstance(left, bool) else left == right
    if left is None or right is None:
        return left is right
    a, b = _comparable(left, right)
    return bool(a == b)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "on"}
    return bool(value)


def _ordered(check: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        if left is None or right is None:
            return False
        try:
            a, b = _comparable(left, right)
            return check(a, b)
        except TypeError:
            return False

    return compare


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": _equal,
    "ne": lambda left, right: not _equal(left, right),
    "in": lambda left, right: any(_equal(left, item) for item in _as_list(right)),
    "not_in": lambda left, right: not any(_equal(left, item) for item in _as_list(right)),
    "is_empty": lambda left, _right: _empty(left),
    "is_not_empty": lambda left, _right: not _empty(left),
    "gt": _ordered(lambda a, b: a > b),
    "gte": _ordered(lambda a, b: a >= b),
    "lt": _ordered(lambda a, b: a < b),
    "lte": _ordered(lambda a, b: a <= b),
    "contains": lambda left, right: (
        left is not None and str(right).casefold() in str(left).casefold()
    ),
}
UNARY = frozenset({"is_empty", "is_not_empty"})


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple, set)):
        return list(value)
    if isinstance(value, str):
        return [item.strip() for item in value.split(",")]
    return [value]


@dataclass(frozen=True)
class Condition:
    fact: str
    op: str
    value: Any = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Condition:
        return cls(str(data.get("field", "")), str(data.get("op", "eq")), data.get("value"))

    def holds(self, facts: Mapping[str, Any]) -> bool:
        return OPERATORS[self.op](facts.get(self.fact), self.value)


def conditions_hold(
    conditions: Sequence[Mapping[str, Any]], facts: Mapping[str, Any], match: str = "all"
) -> bool:
    parsed = [Condition.from_data(item) for item in conditions]
    if not parsed:
        return True
    results = (condition.holds(facts) for condition in parsed)
    return any(results) if match == "any" else all(results)


def condition_problems(
    conditions: Sequence[Mapping[str, Any]], known_field: Callable[[str, str], bool]
) -> list[tuple[str, str]]:
    """(path, message) for each malformed condition; `known_field(source, name)` checks names."""
    problems: list[tuple[str, str]] = []
    for index, item in enumerate(conditions):
        path = f"conditions[{index}]"
        if not isinstance(item, Mapping):
            problems.append((path, "a condition is an object with field, op and value"))
            continue
        fact = str(item.get("field", ""))
        source, _, name = fact.partition(".")
        if source not in FACT_SOURCES or not name:
            problems.append(
                (
                    f"{path}.field",
                    "the field is written source.name, source one of " + ", ".join(FACT_SOURCES),
                )
            )
        elif source != "event" and not known_field(source, name):
            problems.append((f"{path}.field", f"{source} has no field '{name}'"))
        op = item.get("op", "eq")
        if op not in OPERATORS:
            problems.append((f"{path}.op", f"unknown operator '{op}'"))
        elif op not in UNARY and "value" not in item:
            problems.append((f"{path}.value", f"the operator '{op}' needs a value"))
    return problems
