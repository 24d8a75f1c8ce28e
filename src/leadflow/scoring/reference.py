"""A plain Python evaluator of a model over one lead's records: the oracle the SQL
engine is checked against (tests, and the explanation's "why" in doubt)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from leadflow.lib.clock import as_utc
from leadflow.registry.domain import FieldType, Registry
from leadflow.scoring.domain import (
    DATE_TYPES,
    TEXT_TYPES,
    BehaviourCondition,
    FieldCondition,
    FieldOp,
    ModelDefinition,
    Target,
)

Row = Mapping[str, Any]


def field_value(registry: Registry, entity: str, name: str, row: Row | None) -> Any:
    if row is None:
        return None
    definition = registry.field(entity, name)
    if definition.custom:
        raw = (row.get("custom") or {}).get(name)
        if raw is None:
            return None
        if definition.type is FieldType.DATE:
            return date.fromisoformat(str(raw)[:10])
        if definition.type is FieldType.DATETIME:
            return as_utc(datetime.fromisoformat(str(raw)))
        return raw
    if definition.type is FieldType.EMAIL and "email_normalized" in row:
        return row["email_normalized"]
    value = row.get(name)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return as_utc(value)
    return value


def _time(kind: FieldType, value: Any) -> Any:
    if isinstance(value, str) and kind is FieldType.DATE:
        return date.fromisoformat(value)
    if isinstance(value, str) and kind is FieldType.DATETIME:
        return as_utc(datetime.fromisoformat(value))
    return value


def condition_holds(
    condition: FieldCondition, registry: Registry, row: Row | None, now: datetime
) -> bool:
    definition = registry.field(condition.entity, condition.field)
    kind = definition.type
    value = field_value(registry, condition.entity, condition.field, row)
    wanted = condition.value
    if kind in DATE_TYPES and condition.op is not FieldOp.IN:
        wanted = (
            [_time(kind, w) for w in wanted] if isinstance(wanted, list) else _time(kind, wanted)
        )
    op = condition.op
    if op is FieldOp.EMPTY or op is FieldOp.NOT_EMPTY:
        empty = value is None or (kind in TEXT_TYPES and value == "")
        return empty if op is FieldOp.EMPTY else not empty
    if op is FieldOp.NE:
        return value is None or value != wanted
    if value is None:
        return False
    match op:
        case FieldOp.EQ:
            return bool(value == wanted)
        case FieldOp.GT:
            return bool(value > wanted)
        case FieldOp.GTE:
            return bool(value >= wanted)
        case FieldOp.LT:
            return bool(value < wanted)
        case FieldOp.LTE:
            return bool(value <= wanted)
        case FieldOp.BETWEEN:
            return bool(wanted[0] <= value <= wanted[1])
        case FieldOp.IN:
            return value in wanted
        case FieldOp.CONTAINS:
            return str(wanted) in str(value).lower()
        case FieldOp.STARTSWITH:
            return str(value).lower().startswith(str(wanted))
        case FieldOp.ENDSWITH:
            return str(value).lower().endswith(str(wanted))
        case FieldOp.WITHIN_LAST_DAYS | FieldOp.OLDER_THAN_DAYS:
            cutoff: Any = now - timedelta(days=int(wanted))
            if kind is FieldType.DATE:
                cutoff = cutoff.date()
            inside = value >= cutoff
            return bool(inside if op is FieldOp.WITHIN_LAST_DAYS else not inside)
    return False


def interaction_matches(condition: BehaviourCondition, row: Row, now: datetime) -> bool:
    if row["kind"] != condition.kind:
        return False
    if condition.target_id is not None and row.get("target_id") != condition.target_id:
        return False
    data = row.get("data") or {}
    for key, value in condition.data:
        if key not in data or data[key] is None or str(data[key]) != value:
            return False
    if condition.window_days is not None:
        return as_utc(row["occurred_at"]) >= now - timedelta(days=condition.window_days)
    return True


def evaluate(
    definition: ModelDefinition,
    registry: Registry,
    *,
    target: Target,
    lead: Row,
    contact: Row | None,
    account: Row | None,
    interactions: Sequence[Row],
    now: datetime,
) -> list[int] | None:
    """How often each rule applies to this lead; None when the model does not score it.

    `interactions` are the contact's (contact-based) or every account member's
    (account-based); `account` is the contact's account, else the lead's.
    """
    if target is Target.CONTACT and lead.get("parent_contact_id") is None:
        return None
    if target is Target.ACCOUNT and (
        lead.get("parent_contact_id") is not None or lead.get("parent_account_id") is None
    ):
        return None
    rows = {"lead": lead, "contact": contact, "account": account}
    times: list[int] = []
    for rule in definition.rules:
        if not all(
            condition_holds(c, registry, rows[c.entity], now) for c in rule.field_conditions
        ):
            times.append(0)
            continue
        count = 1
        for condition in rule.behaviour_conditions:
            matching = sum(1 for row in interactions if interaction_matches(condition, row, now))
            count *= condition.multiplier(matching)
        times.append(count)
    return times
