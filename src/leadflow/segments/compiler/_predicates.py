"""Nodes as conditions on a row: field rows, groups, related and behaviour nodes, in
the set-based and the correlated shapes."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    FromClause,
    and_,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)

from leadflow.registry.domain import FieldDef, FieldType
from leadflow.segments.compiler._base import Context, column_of
from leadflow.segments.domain import (
    DATE_TYPES,
    TEXT_TYPES,
    Behaviour,
    CountOp,
    FieldRow,
    Group,
    GroupOp,
    Node,
    Op,
    Related,
)


def _plain(definition: FieldDef, value: Any) -> Any:
    if definition.custom and definition.type in DATE_TYPES:
        return value.isoformat()
    if definition.custom and definition.type is FieldType.DECIMAL:
        return float(value)
    if definition.type is FieldType.EMAIL and isinstance(value, str):
        return value.casefold()  # compared with the normalized email
    return value


def field_clause(row_node: FieldRow, row: FromClause, ctx: Context) -> ColumnElement[bool]:
    definition = ctx.registry.fields[row_node.entity][row_node.field]
    column: Any = column_of(definition, row)
    kind = definition.type
    text = kind in TEXT_TYPES
    # "is" compares exactly (emails in their normalized form); the text matches
    # (contains, begins with...) ignore case.
    compared: Any = func.lower(column) if text else column
    values = [_plain(definition, value) for value in row_node.values]
    clause: Any
    match row_node.op:
        case Op.EQ:
            clause = column == values[0] if len(values) == 1 else column.in_(values)
        case Op.NE:
            clause = or_(column.is_(None), column.not_in(values))
        case Op.CONTAINS:
            clause = or_(*(compared.contains(v, autoescape=True) for v in values))
        case Op.NOT_CONTAINS:
            clause = or_(
                column.is_(None),
                and_(*(not_(compared.contains(v, autoescape=True)) for v in values)),
            )
        case Op.STARTSWITH:
            clause = or_(*(compared.startswith(v, autoescape=True) for v in values))
        case Op.ENDSWITH:
            clause = or_(*(compared.endswith(v, autoescape=True) for v in values))
        case Op.GT:
            clause = column > values[0]
        case Op.GTE:
            clause = column >= values[0]
        case Op.LT:
            clause = column < values[0]
        case Op.LTE:
            clause = column <= values[0]
        case Op.BETWEEN:
            clause = and_(column >= values[0], column <= values[1])
        case Op.EMPTY | Op.NOT_EMPTY:
            empty = or_(column.is_(None), column == "") if text else column.is_(None)
            clause = empty if row_node.op is Op.EMPTY else not_(empty)
        case Op.WITHIN_LAST_DAYS | Op.OLDER_THAN_DAYS:
            as_date = kind is FieldType.DATE
            cutoff = ctx.cutoffs.param(int(row_node.values[0]), column, as_date=as_date)
            clause = column >= cutoff if row_node.op is Op.WITHIN_LAST_DAYS else column < cutoff
    return cast(ColumnElement[bool], clause)


def group_clause(group: Group, row: FromClause, ctx: Context) -> ColumnElement[bool]:
    if ctx.id_set_filter is not None:
        ids = ctx.id_set_filter(group, row, ctx)
        if ids is not None:
            return ids
    parts = [predicate(child, row, ctx) for child in group.children]
    if not parts:
        return true()
    if len(parts) == 1:
        return parts[0]
    return and_(*parts) if group.op is GroupOp.AND else or_(*parts)


def _counted(
    count: CountOp,
    minimum: int,
    key: ColumnElement[Any],
    outer: ColumnElement[Any],
    source: FromClause,
    conditions: list[ColumnElement[bool]],
    ctx: Context,
    *,
    exists_form: bool = False,
) -> ColumnElement[bool]:
    """`outer` has (count) rows of `source` whose `key` is it and that meet `conditions`.

    `exists_form`: "any" and "none" as a correlated EXISTS even in the set-based shape:
    both databases plan it as a semi join led by the outer rows (measured: as fast as
    a hand-written join where `IN (SELECT ...)` scanned every lead on SQLite)."""
    if ctx.correlated or (exists_form and count is not CountOp.AT_LEAST):
        if count is CountOp.AT_LEAST:
            number = (
                select(func.count())
                .select_from(source)
                .where(key == outer, *conditions)
                .scalar_subquery()
            )
            return number >= minimum
        if ctx.correlated:
            # A scalar subquery with LIMIT 1, not an EXISTS: PostgreSQL may run an EXISTS
            # in the select list as a "hashed SubPlan" that reads the whole related table
            # once per statement (25 scans of every lead for 200 contacts, 1.5 s), where
            # this is one index probe per contact checked.
            first = (
                select(literal(1))
                .select_from(source)
                .where(key == outer, *conditions)
                .limit(1)
                .scalar_subquery()
            )
            return first.is_(None) if count is CountOp.NONE else first.is_not(None)
        found = exists(select(literal(1)).select_from(source).where(key == outer, *conditions))
        return cast(ColumnElement[bool], not_(found) if count is CountOp.NONE else found)
    keys = select(key).select_from(source).where(key.is_not(None), *conditions)
    if count is CountOp.AT_LEAST:
        keys = keys.group_by(key).having(func.count() >= minimum)
    if count is CountOp.NONE:
        return or_(outer.is_(None), outer.not_in(keys)) if _nullable(outer) else outer.not_in(keys)
    return outer.in_(keys)


def _nullable(column: ColumnElement[Any]) -> bool:
    return bool(getattr(column, "nullable", True))


def _related_clause(node: Related, row: FromClause, ctx: Context) -> ColumnElement[bool]:
    child = ctx.alias(node.link.entity)
    conditions = [group_clause(node.where, child, ctx)] if node.where.children else []
    if node.link.many:
        # The related records point at this row (lead.parent_contact_id = contact.id).
        return _counted(
            node.count,
            node.minimum,
            child.c[node.link.key],
            row.c.id,
            child,
            conditions,
            ctx,
            exists_form=True,
        )
    # This row points at the related record (contact.account_id = account.id).
    return _counted(
        node.count,
        node.minimum,
        child.c.id,
        row.c[node.link.key],
        child,
        conditions,
        ctx,
        exists_form=True,
    )


def behaviour_conditions(node: Behaviour, source: FromClause, ctx: Context) -> list[Any]:
    conditions: list[Any] = [source.c.kind == node.kind]
    if node.target_id is not None:
        conditions.append(source.c.target_id == node.target_id)
    for key, value in node.data:
        conditions.append(source.c.data[key].as_string() == value)
    if node.window_days is not None:
        occurred = source.c.occurred_at
        conditions.append(occurred >= ctx.cutoffs.param(node.window_days, occurred))
    return conditions


def _behaviour_clause(node: Behaviour, row: FromClause, ctx: Context) -> ColumnElement[bool]:
    source = ctx.alias("interaction")
    conditions = behaviour_conditions(node, source, ctx)
    return _counted(
        node.count, node.minimum, source.c.contact_id, row.c.id, source, conditions, ctx
    )


def predicate(node: Node, row: FromClause, ctx: Context) -> ColumnElement[bool]:
    """The node as a condition on `row` (a row of the entity the node sits under)."""
    if isinstance(node, Group):
        return group_clause(node, row, ctx)
    if isinstance(node, FieldRow):
        return field_clause(node, row, ctx)
    if isinstance(node, Related):
        return _related_clause(node, row, ctx)
    return _behaviour_clause(node, row, ctx)
