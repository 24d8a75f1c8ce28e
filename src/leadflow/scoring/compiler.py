"""Compiles a scoring model to one set-based SELECT: per lead, how often each rule applied.

The same statement serves the full rescore (every lead, or a range of ids), the
incremental path (a handful of leads) and the what-if (a draft model): one
conditional aggregate over interactions per model, joined to leads, contacts and
accounts, with one CASE per rule.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Delete,
    Dialect,
    FunctionElement,
    Select,
    Subquery,
    Text,
    TypeDecorator,
    and_,
    bindparam,
    case,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

from leadflow.records.cutoffs import Cutoffs
from leadflow.registry.domain import FieldType, Registry
from leadflow.registry.sql import field_column, table_for
from leadflow.scoring.domain import (
    DATE_TYPES,
    TEXT_TYPES,
    BehaviourCondition,
    FieldCondition,
    FieldOp,
    Frequency,
    ModelDefinition,
    Target,
)


@dataclass(frozen=True)
class LeadScope:
    """Which leads to compute: all of them, some ids, or an id range (a full-rescore batch)."""

    lead_ids: Collection[int] | None = None
    id_range: tuple[int, int] | None = None


def scorable_clause(target: Target) -> ColumnElement[bool]:
    """Leads a model of this target scores; a lead with a contact is contact-based."""
    leads = table_for("lead")
    if target is Target.CONTACT:
        return leads.c.parent_contact_id.is_not(None)
    return and_(leads.c.parent_contact_id.is_(None), leads.c.parent_account_id.is_not(None))


def _as_time(definition_type: FieldType, value: Any) -> Any:
    if definition_type is FieldType.DATE and isinstance(value, str):
        return date.fromisoformat(value)
    if definition_type is FieldType.DATETIME and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def field_clause(
    condition: FieldCondition, registry: Registry, cutoffs: Cutoffs
) -> ColumnElement[bool]:
    definition = registry.field(condition.entity, condition.field)
    column: Any = field_column(definition)
    value = condition.value
    kind = definition.type
    if kind in DATE_TYPES and condition.op not in (FieldOp.IN,):
        value = (
            [_as_time(kind, item) for item in value]
            if isinstance(value, list)
            else _as_time(kind, value)
        )
    clause: Any
    match condition.op:
        case FieldOp.EQ:
            clause = column == value
        case FieldOp.NE:
            clause = or_(column.is_(None), column != value)
        case FieldOp.GT:
            clause = column > value
        case FieldOp.GTE:
            clause = column >= value
        case FieldOp.LT:
            clause = column < value
        case FieldOp.LTE:
            clause = column <= value
        case FieldOp.BETWEEN:
            clause = and_(column >= value[0], column <= value[1])
        case FieldOp.IN:
            clause = column.in_(value)
        case FieldOp.CONTAINS:
            clause = func.lower(column).contains(value, autoescape=True)
        case FieldOp.STARTSWITH:
            clause = func.lower(column).startswith(value, autoescape=True)
        case FieldOp.ENDSWITH:
            clause = func.lower(column).endswith(value, autoescape=True)
        case FieldOp.EMPTY | FieldOp.NOT_EMPTY:
            empty = or_(column.is_(None), column == "") if kind in TEXT_TYPES else column.is_(None)
            clause = empty if condition.op is FieldOp.EMPTY else not_(empty)
        case FieldOp.WITHIN_LAST_DAYS | FieldOp.OLDER_THAN_DAYS:
            cutoff = cutoffs.param(int(value), column, as_date=kind is FieldType.DATE)
            clause = (
                column >= cutoff if condition.op is FieldOp.WITHIN_LAST_DAYS else column < cutoff
            )
    return cast(ColumnElement[bool], clause)


def interaction_clause(condition: BehaviourCondition, cutoffs: Cutoffs) -> ColumnElement[bool]:
    interactions = table_for("interaction")
    parts: list[ColumnElement[bool]] = [interactions.c.kind == condition.kind]
    if condition.target_id is not None:
        parts.append(interactions.c.target_id == condition.target_id)
    for key, value in condition.data:
        parts.append(interactions.c.data[key].as_string() == value)
    if condition.window_days is not None:
        occurred = interactions.c.occurred_at
        parts.append(occurred >= cutoffs.param(condition.window_days, occurred))
    return and_(*parts)


def _times(condition: BehaviourCondition, count: ColumnElement[Any]) -> ColumnElement[Any]:
    if condition.frequency is Frequency.NONE:
        return case((count == 0, 1), else_=0)
    if condition.frequency is Frequency.AT_LEAST:
        return case((count >= condition.min_count, 1), else_=0)
    occurrences: ColumnElement[Any] = count
    if condition.cap is not None:
        occurrences = case((count > condition.cap, condition.cap), else_=count)
    return case((count >= condition.min_count, occurrences), else_=0)


class IdList(TypeDecorator[Collection[int]]):
    """Ids bound as one parameter: a JSON array on SQLite, an array on PostgreSQL.

    An expanding IN renders a placeholder per id: for the 500 leads of a relay batch,
    processing those placeholders was the largest Python cost of the incremental path
    after the statements themselves, in each of the statements that narrow by them."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(BigInteger()))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Collection[int] | None, dialect: Dialect) -> Any:
        ids = [int(each) for each in value or ()]
        return ids if dialect.name == "postgresql" else json.dumps(ids)


class _in_ids(FunctionElement[Any]):
    """`column IN` the ids of an `IdList` parameter."""

    inherit_cache = True
    name = "in_ids"
    # No Boolean type: SQLite would get "... = 1", which no index answers.


@compiles(_in_ids)
def _in_ids_sqlite(element: _in_ids, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = (compiler.process(each, **kw) for each in element.clauses)
    return f"{column} IN (SELECT value FROM json_each({ids}))"


@compiles(_in_ids, "postgresql")
def _in_ids_postgresql(element: _in_ids, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = (compiler.process(each, **kw) for each in element.clauses)
    return f"{column} = ANY({ids})"


def in_ids(column: Any, name: str) -> ColumnElement[Any]:
    """`column IN` the ids bound as the one parameter `name` (a collection of ints)."""
    return cast(ColumnElement[Any], _in_ids(column, bindparam(name, type_=IdList())))


Narrowed = TypeVar("Narrowed", Select[Any], Delete)


def scoped(statement: Narrowed, scope: LeadScope, lead_id: Any = None) -> Narrowed:
    """`statement` limited to the leads in scope by `lead_id` (default: the lead's id);
    its parameters are `scope_values(scope)`."""
    column = table_for("lead").c.id if lead_id is None else lead_id
    if scope.lead_ids is not None:
        statement = statement.where(_in_ids(column, bindparam("lead_ids", type_=IdList())))
    if scope.id_range is not None:
        statement = statement.where(column.between(bindparam("first_id"), bindparam("last_id")))
    return statement


def scope_values(scope: LeadScope) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if scope.lead_ids is not None:
        values["lead_ids"] = sorted(scope.lead_ids)
    if scope.id_range is not None:
        values["first_id"], values["last_id"] = scope.id_range
    return values


def compile_model(
    definition: ModelDefinition,
    target: Target,
    registry: Registry,
    *,
    scope: LeadScope,
) -> tuple[Select[Any], Cutoffs]:
    """SELECT lead_id, times_0 .. times_n for every scorable lead in scope; its parameters
    are the cutoffs (`Cutoffs.values(now)`) and the scope (`scope_values`)."""
    cutoffs = Cutoffs()
    leads = table_for("lead")
    contacts = table_for("contact")
    accounts = table_for("account")

    account_key: ColumnElement[Any]
    if target is Target.CONTACT:
        account_key = func.coalesce(contacts.c.account_id, leads.c.parent_account_id)
    else:
        account_key = leads.c.parent_account_id
    joined: Any = leads.outerjoin(contacts, contacts.c.id == leads.c.parent_contact_id).outerjoin(
        accounts, accounts.c.id == account_key
    )

    behaviours = definition.behaviour_conditions
    counts: dict[int, ColumnElement[Any]] = {}
    if behaviours:
        behaviour_counts, lead_key = _behaviour_counts(behaviours, target, scope, cutoffs)
        joined = joined.outerjoin(behaviour_counts, behaviour_counts.c.key == lead_key)
        for index in range(len(behaviours)):
            counts[index] = func.coalesce(behaviour_counts.c[f"c{index}"], 0)

    columns = _rule_columns(definition, registry, cutoffs, counts)
    statement = (
        select(leads.c.id.label("lead_id"), *columns)
        .select_from(joined)
        .where(scorable_clause(target))
    )
    return scoped(statement, scope), cutoffs


def _behaviour_counts(
    behaviours: Sequence[BehaviourCondition], target: Target, scope: LeadScope, cutoffs: Cutoffs
) -> tuple[Subquery, ColumnElement[Any]]:
    """One pass over the interactions for every behaviour condition of the model: per
    contact (or account) in scope, `c<i>` counts condition i's interactions. Returned with
    the lead's column it joins on."""
    leads = table_for("lead")
    contacts = table_for("contact")
    interactions = table_for("interaction")
    scope_leads = scoped(select(leads.c.parent_contact_id), scope).where(scorable_clause(target))
    sums = [
        func.sum(case((interaction_clause(c, cutoffs), 1), else_=0)).label(f"c{index}")
        for index, c in enumerate(behaviours)
    ]
    kinds = sorted({c.kind for c in behaviours})
    if target is Target.CONTACT:
        key: ColumnElement[Any] = interactions.c.contact_id
        aggregate = select(key.label("key"), *sums).where(interactions.c.kind.in_(kinds))
        if scope.lead_ids is not None or scope.id_range is not None:
            aggregate = aggregate.where(key.in_(scope_leads.scalar_subquery()))
        lead_key: ColumnElement[Any] = leads.c.parent_contact_id
    else:
        members = contacts.alias("members")
        key = members.c.account_id
        aggregate = (
            select(key.label("key"), *sums)
            .select_from(interactions.join(members, members.c.id == interactions.c.contact_id))
            .where(interactions.c.kind.in_(kinds))
        )
        if scope.lead_ids is not None or scope.id_range is not None:
            scope_accounts = scoped(select(leads.c.parent_account_id), scope).where(
                scorable_clause(target)
            )
            aggregate = aggregate.where(key.in_(scope_accounts.scalar_subquery()))
        lead_key = leads.c.parent_account_id
    windows = [c.window_days for c in behaviours]
    if all(days is not None for days in windows):
        widest = max(days for days in windows if days is not None)
        occurred = interactions.c.occurred_at
        aggregate = aggregate.where(occurred >= cutoffs.param(widest, occurred))
    return aggregate.group_by(key).subquery("behaviour"), lead_key


def _rule_columns(
    definition: ModelDefinition,
    registry: Registry,
    cutoffs: Cutoffs,
    counts: Mapping[int, ColumnElement[Any]],
) -> list[ColumnElement[Any]]:
    """`r<i>`: how many times rule i applies, its behaviour counts capped by `_times` and
    its field conditions ANDed."""
    columns: list[ColumnElement[Any]] = []
    position = 0
    for index, rule in enumerate(definition.rules):
        times: ColumnElement[Any] = literal(1)
        for condition in rule.behaviour_conditions:
            times = times * _times(condition, counts[position])
            position += 1
        fields = [field_clause(c, registry, cutoffs) for c in rule.field_conditions]
        if fields:
            times = case((and_(*fields), times), else_=0)
        columns.append(times.label(f"r{index}"))
    return columns
