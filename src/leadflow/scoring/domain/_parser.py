"""Model definitions read from data and checked, every problem with the path at fault."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from leadflow.errors import ValidationFailed
from leadflow.interactions.domain import is_valid_kind, parse_interaction_filter
from leadflow.lib.bounds import INT32
from leadflow.registry.domain import FieldType, Registry
from leadflow.scoring.domain._model import (
    DATE_TYPES,
    DAY_OPS,
    MAX_POINTS,
    MAX_RULES,
    NO_VALUE_OPS,
    ORDER_OPS,
    ORDERED_TYPES,
    SCORED_ENTITIES,
    TEXT_OPS,
    TEXT_TYPES,
    BehaviourCondition,
    Condition,
    FieldCondition,
    FieldOp,
    Frequency,
    Grade,
    ModelDefinition,
    Problems,
    Rule,
)


def _integer(raw: Any, where: str, problems: Problems, *, minimum: int | None = None) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
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
    if minimum is not None and value < minimum:
        problems.add(where, f"must be at least {minimum}")
        return None
    if value not in INT32:  # compared with scores, an INTEGER column
        problems.add(where, f"must be between {INT32.low} and {INT32.high}")
        return None
    return value


def _field_value(
    registry: Registry,
    entity: str,
    name: str,
    op: FieldOp,
    raw: Any,
    where: str,
    problems: Problems,
) -> Any:
    definition = registry.fields[entity][name]
    if op in NO_VALUE_OPS:
        return None
    if op in DAY_OPS:
        return _integer(raw, where, problems, minimum=0)
    if op is FieldOp.IN or op is FieldOp.BETWEEN:
        if not isinstance(raw, list) or not raw:
            problems.add(where, f"'{op.value}' needs a list of values")
            return None
        if op is FieldOp.BETWEEN and len(raw) != 2:
            problems.add(where, "'between' needs two values: low and high")
            return None
        values = [_one_value(definition.type, item, where, problems, definition) for item in raw]
        return values
    if op in TEXT_OPS:
        if not isinstance(raw, str) or not raw.strip():
            problems.add(where, f"'{op.value}' needs some text")
            return None
        return raw.strip().casefold()
    return _one_value(definition.type, raw, where, problems, definition)


def _one_value(kind: FieldType, raw: Any, where: str, problems: Problems, definition: Any) -> Any:
    try:
        value = definition.coerce(raw)
    except ValidationFailed as exc:
        problems.add(where, exc.message)
        return None
    if value is None:
        problems.add(where, "needs a value (use 'empty' to test for no value)")
        return None
    if kind in DATE_TYPES:
        return value.isoformat()
    if kind is FieldType.DECIMAL:
        return float(value)
    return value


def _parse_field_condition(
    raw: dict[str, Any], registry: Registry, where: str, problems: Problems
) -> FieldCondition | None:
    entity = raw.get("entity")
    name = raw.get("field")
    if entity not in SCORED_ENTITIES:
        problems.add(f"{where}.entity", "entity must be lead, contact or account")
        return None
    if not isinstance(name, str) or not registry.has_field(entity, name):
        problems.add(f"{where}.field", f"unknown field '{name}' on {entity}")
        return None
    definition = registry.fields[entity][name]
    if not definition.scorable:
        problems.add(f"{where}.field", f"{entity}.{name} cannot be used for scoring")
        return None
    try:
        op = FieldOp(raw.get("op", "eq"))
    except ValueError:
        problems.add(f"{where}.op", f"unknown operator '{raw.get('op')}'")
        return None
    if op in TEXT_OPS and definition.type not in TEXT_TYPES | {FieldType.CHOICE}:
        problems.add(f"{where}.op", f"'{op.value}' only applies to text fields")
        return None
    if op in ORDER_OPS and definition.type not in ORDERED_TYPES:
        problems.add(f"{where}.op", f"'{op.value}' only applies to numbers and dates")
        return None
    if op in DAY_OPS and definition.type not in DATE_TYPES:
        problems.add(f"{where}.op", f"'{op.value}' only applies to dates")
        return None
    value = _field_value(registry, entity, name, op, raw.get("value"), f"{where}.value", problems)
    return FieldCondition(entity, name, op, value)


def _parse_behaviour(raw: dict[str, Any], where: str, problems: Problems) -> BehaviourCondition:
    kind = raw.get("kind")
    if not isinstance(kind, str) or not is_valid_kind(kind):
        problems.add(f"{where}.kind", "an interaction kind is required (e.g. email_opened)")
        kind = ""
    try:
        frequency = Frequency(raw.get("frequency") or "at_least")
    except ValueError:
        problems.add(f"{where}.frequency", "frequency must be each, at_least or none")
        frequency = Frequency.AT_LEAST
    target_id, data = parse_interaction_filter(raw, where, problems.add)
    min_count = _integer(raw.get("min_count"), f"{where}.min_count", problems, minimum=1) or 1
    cap = _integer(raw.get("cap"), f"{where}.cap", problems, minimum=1)
    window = _integer(raw.get("window_days"), f"{where}.window_days", problems, minimum=1)
    if cap is not None and frequency is not Frequency.EACH:
        problems.add(f"{where}.cap", "a cap only applies to frequency 'each'")
    return BehaviourCondition(
        kind=kind,
        frequency=frequency,
        target_id=target_id,
        data=data,
        min_count=min_count,
        cap=cap if frequency is Frequency.EACH else None,
        window_days=window,
    )


def _parse_rule(raw: Any, registry: Registry, index: int, problems: Problems) -> Rule | None:
    where = f"rules[{index}]"
    if not isinstance(raw, dict):
        problems.add(where, "a rule is an object with name, points and conditions")
        return None
    name = str(raw.get("name") or f"Rule {index + 1}").strip()[:200]
    points = _integer(raw.get("points"), f"{where}.points", problems)
    if points is None:
        if not any(p[0] == f"{where}.points" for p in problems.items):
            problems.add(f"{where}.points", "points are required (any non-zero whole number)")
        return None
    if points == 0 or abs(points) > MAX_POINTS:
        problems.add(f"{where}.points", f"points must be non-zero and at most {MAX_POINTS}")
        return None
    conditions_raw = raw.get("conditions")
    if not isinstance(conditions_raw, list) or not conditions_raw:
        problems.add(f"{where}.conditions", "a rule needs at least one condition")
        return None
    conditions: list[Condition] = []
    for position, item in enumerate(conditions_raw):
        at = f"{where}.conditions[{position}]"
        if not isinstance(item, dict):
            problems.add(at, "a condition is an object")
            continue
        kind = item.get("type", "field")
        if kind == "field":
            parsed = _parse_field_condition(item, registry, at, problems)
            if parsed is not None:
                conditions.append(parsed)
        elif kind == "behaviour":
            conditions.append(_parse_behaviour(item, at, problems))
        else:
            problems.add(f"{at}.type", "a condition's type is field or behaviour")
    each = [c for c in conditions if isinstance(c, BehaviourCondition) and c.frequency == "each"]
    if len(each) > 1:
        problems.add(f"{where}.conditions", "a rule may have at most one 'each' condition")
    return Rule(name, points, tuple(conditions))


def parse_grades(raw: Any, problems: Problems) -> tuple[Grade, ...]:
    """Grades sorted by range; ranges must be continuous and must not overlap."""
    if raw in (None, ""):
        return ()
    if not isinstance(raw, list):
        problems.add("grades", "grades are a list of {name, min, max}")
        return ()
    grades: list[Grade] = []
    for index, item in enumerate(raw):
        where = f"grades[{index}]"
        if not isinstance(item, dict) or not str(item.get("name") or "").strip():
            problems.add(f"{where}.name", "a grade needs a name")
            continue
        low = _integer(item.get("min"), f"{where}.min", problems)
        high = _integer(item.get("max"), f"{where}.max", problems)
        name = str(item["name"]).strip()[:100]
        if low is not None and high is not None and low > high:
            problems.add(f"{where}.max", f"grade '{name}': max {high} is below min {low}")
            continue
        grades.append(Grade(name, low, high))
    ordered = sorted(grades, key=lambda g: float("-inf") if g.low is None else g.low)
    names = [grade.name for grade in ordered]
    for grade in ordered:
        if names.count(grade.name) > 1:
            problems.add("grades", f"grade '{grade.name}' is named twice")
            break
    for index, (before, after) in enumerate(pairwise(ordered)):
        where = f"grades[{index + 1}]"
        if before.high is None or after.low is None or after.low <= before.high:
            problems.add(where, f"grade '{after.name}' overlaps grade '{before.name}'")
        elif after.low != before.high + 1:
            problems.add(
                where,
                f"grade '{after.name}' must start at {before.high + 1} to follow "
                f"'{before.name}' without a gap",
            )
    return tuple(ordered)


def parse_definition(raw: Any, registry: Registry) -> tuple[ModelDefinition, Problems]:
    """The definition and every problem found (drafts may be saved with problems)."""
    problems = Problems()
    if not isinstance(raw, dict):
        problems.add("definition", "a model definition is an object with rules and grades")
        return ModelDefinition(), problems
    rules_raw = raw.get("rules") or []
    if not isinstance(rules_raw, list):
        problems.add("rules", "rules are a list")
        rules_raw = []
    if len(rules_raw) > MAX_RULES:
        problems.add("rules", f"a model has at most {MAX_RULES} rules")
        rules_raw = rules_raw[:MAX_RULES]
    rules = [_parse_rule(item, registry, index, problems) for index, item in enumerate(rules_raw)]
    grades = parse_grades(raw.get("grades"), problems)
    return ModelDefinition(tuple(r for r in rules if r is not None), grades), problems


def go_live_problems(definition: ModelDefinition, problems: Problems) -> Problems:
    """What "check for errors" reports: parse problems plus what only blocks going live."""
    checked = Problems(list(problems.items))
    if not definition.rules:
        checked.add("rules", "a model needs at least one rule to go live")
    return checked
