"""Compiles a segment's query tree to one SQLAlchemy Core SELECT of contact ids.

`compile_segment(tree, registry)` is pure: the statement holds every value as a
bound parameter and the moments "N days ago" as named cutoffs (`Cutoffs.values(now)`),
so one compiled statement serves any `now`, on SQLite and PostgreSQL.

Three shapes give the same rows:

- id sets (the full build, the estimate), when every condition of the tree, or of a
  group under Contact, is a set of contact ids read off a table keyed by contact (a
  behaviour node; a counted or "none" related node whose records hold a foreign key to
  contacts): the sets combine with INTERSECT (AND), UNION (OR) and EXCEPT ("none"
  under AND), each ``SELECT key FROM related WHERE ... [GROUP BY key HAVING count >= n]``,
  and the statement never reads ``contacts`` (measured on PostgreSQL at 1M contacts:
  ``contacts.id IN (SELECT ... HAVING)`` hashed the few thousand ids and joined them
  to a parallel scan of every contact, 1.7x the hand-written GROUP BY); a group that
  is one inside a tree that is not filters contacts by ``id IN (<its set>)``;
- set-based (what is not an id set): each counted node ("at least N") and
  each behaviour node is an uncorrelated
  ``id IN (SELECT key FROM related WHERE ... [GROUP BY key HAVING count >= n])`` that
  the database computes once for the whole table; "any" and "none" of related
  records are an EXISTS, which both databases run as a semi join;
- correlated (the incremental path, explain): each such node is an ``EXISTS`` or a
  counted subquery tied to the row it sits under, so checking a handful of contacts
  (``contact.id IN (:contact_ids)``) reads only their own related rows by index.

Rows under a related node sit in ONE subquery over the related table, so they hold
for the same related record.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    FromClause,
    Select,
    Table,
    and_,
    any_,
    bindparam,
    case,
    except_,
    exists,
    false,
    func,
    intersect,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY

from leadflow.registry.domain import FieldDef, FieldType, Registry
from leadflow.registry.sql import table_for
from leadflow.segments.domain import (
    DATE_TYPES,
    DAY_OPS,
    EVENT_REGISTRATION,
    TEXT_TYPES,
    Behaviour,
    CountOp,
    FieldRow,
    Group,
    GroupOp,
    Link,
    Node,
    Op,
    Related,
    is_time_relative,
    query_registry,
    top_blocks,
)


def entity_table(entity: str) -> Table:
    if entity == EVENT_REGISTRATION:
        from leadflow.capture.models import EventRegistration

        return cast(Table, EventRegistration.__table__)
    return table_for(entity)


@dataclass
class Cutoffs:
    """The moments a statement compares with ("N days ago"), as bound parameters."""

    days: dict[str, tuple[int, bool]] = field(default_factory=dict)

    def param(self, days: int, column: Any, *, as_date: bool = False) -> Any:
        name = f"cutoff_{days}{'_date' if as_date else ''}"
        self.days[name] = (days, as_date)
        return bindparam(name, type_=column.type)

    def values(self, now: datetime) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, (days, as_date) in self.days.items():
            moment = now - timedelta(days=days)
            values[name] = moment.date() if as_date else moment
        return values


@dataclass
class _Context:
    registry: Registry
    correlated: bool
    cutoffs: Cutoffs = field(default_factory=Cutoffs)
    aliases: int = 0
    # The contacts table when groups under it may compile to id sets (the full shape).
    contacts: FromClause | None = None

    def alias(self, entity: str) -> FromClause:
        self.aliases += 1
        return entity_table(entity).alias(f"{entity[:3]}_{self.aliases}")


def column_of(definition: FieldDef, row: FromClause) -> ColumnElement[Any]:
    """The field's SQL expression on `row` (a table or an alias of it)."""
    if not definition.custom:
        if definition.type is FieldType.EMAIL and "email_normalized" in row.c:
            return row.c.email_normalized
        return row.c[definition.name]
    element: Any = row.c.custom[definition.name]
    if definition.type in (FieldType.INTEGER, FieldType.REFERENCE):
        return cast(ColumnElement[Any], element.as_integer())
    if definition.type is FieldType.DECIMAL:
        return cast(ColumnElement[Any], element.as_float())
    if definition.type is FieldType.BOOLEAN:
        return cast(ColumnElement[Any], element.as_boolean())
    return cast(ColumnElement[Any], element.as_string())


def _plain(definition: FieldDef, value: Any) -> Any:
    if definition.custom and definition.type in DATE_TYPES:
        return value.isoformat()
    if definition.custom and definition.type is FieldType.DECIMAL:
        return float(value)
    if definition.type is FieldType.EMAIL and isinstance(value, str):
        return value.casefold()  # compared with the normalized email
    return value


def field_clause(row_node: FieldRow, row: FromClause, ctx: _Context) -> ColumnElement[bool]:
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


def _group_clause(group: Group, row: FromClause, ctx: _Context) -> ColumnElement[bool]:
    if row is ctx.contacts and is_id_set(group):
        return row.c.id.in_(as_select(_id_set(group, ctx)))
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
    ctx: _Context,
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


def _related_clause(node: Related, row: FromClause, ctx: _Context) -> ColumnElement[bool]:
    child = ctx.alias(node.link.entity)
    conditions = [_group_clause(node.where, child, ctx)] if node.where.children else []
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


def behaviour_conditions(node: Behaviour, source: FromClause, ctx: _Context) -> list[Any]:
    conditions: list[Any] = [source.c.kind == node.kind]
    if node.target_id is not None:
        conditions.append(source.c.target_id == node.target_id)
    for key, value in node.data:
        conditions.append(source.c.data[key].as_string() == value)
    if node.window_days is not None:
        occurred = source.c.occurred_at
        conditions.append(occurred >= ctx.cutoffs.param(node.window_days, occurred))
    return conditions


def _behaviour_clause(node: Behaviour, row: FromClause, ctx: _Context) -> ColumnElement[bool]:
    source = ctx.alias("interaction")
    conditions = behaviour_conditions(node, source, ctx)
    return _counted(
        node.count, node.minimum, source.c.contact_id, row.c.id, source, conditions, ctx
    )


def predicate(node: Node, row: FromClause, ctx: _Context) -> ColumnElement[bool]:
    """The node as a condition on `row` (a row of the entity the node sits under)."""
    if isinstance(node, Group):
        return _group_clause(node, row, ctx)
    if isinstance(node, FieldRow):
        return field_clause(node, row, ctx)
    if isinstance(node, Related):
        return _related_clause(node, row, ctx)
    return _behaviour_clause(node, row, ctx)


# --- id sets: contacts read off the tables keyed by contact ------------------------------

IdSet = Select[Any] | CompoundSelect[Any]


def keys_contacts(link: Link) -> bool:
    """Whether the related records hold a foreign key to contacts (lead.parent_contact_id):
    their keys are contact ids, each one a contact that exists."""
    if not link.many:
        return False
    column = entity_table(link.entity).c.get(link.key)
    return column is not None and any(
        key.target_fullname == "contacts.id" for key in column.foreign_keys
    )


def _included(node: Node) -> bool:
    """The node admits the contacts of one id set."""
    if isinstance(node, Behaviour):
        return node.count is not CountOp.NONE
    if isinstance(node, Related):
        return node.count is CountOp.AT_LEAST and keys_contacts(node.link)
    if isinstance(node, Group):
        return is_id_set(node)
    return False


def _excluded(node: Node) -> bool:
    """A "none" node keyed by contact: the contacts of its id set are taken out."""
    if isinstance(node, Behaviour):
        return node.count is CountOp.NONE
    return isinstance(node, Related) and node.count is CountOp.NONE and keys_contacts(node.link)


def is_id_set(node: Node) -> bool:
    """Whether the node (under Contact) compiles to a set of contact ids that never reads
    the contacts table: a behaviour node, a counted related node keyed by contact, or a
    group of such (an OR of them; an AND of them that may take out "none" ones). Rows
    of contact fields, links from the contact (its account) and "has any related
    record" filter contacts instead (the last an EXISTS, planned as a semi join)."""
    if not isinstance(node, Group):
        return _included(node)
    if not node.children:
        return False
    if node.op is GroupOp.OR:
        return all(_included(child) for child in node.children)
    return any(_included(child) for child in node.children) and all(
        _included(child) or _excluded(child) for child in node.children
    )


def as_select(ids: IdSet) -> Select[Any]:
    """An id set as a plain SELECT contact_id (a compound one from a subquery: SQLite
    takes no parenthesised compound inside another)."""
    if isinstance(ids, Select):
        return ids
    members = ids.subquery()
    return select(members.c.contact_id)


def _key_set(
    key: ColumnElement[Any],
    source: FromClause,
    conditions: list[Any],
    count: CountOp,
    minimum: int,
) -> Select[Any]:
    keys = select(key.label("contact_id")).select_from(source).where(*conditions)
    if count is CountOp.AT_LEAST:
        keys = keys.group_by(key).having(func.count() >= minimum)
    return keys


def _leaf_set(node: Behaviour | Related, ctx: _Context, *, distinct: bool) -> Select[Any]:
    """The contacts a leaf admits ("none": the contacts it rules out)."""
    count = CountOp.ANY if node.count is CountOp.NONE else node.count
    if isinstance(node, Behaviour):
        source = ctx.alias("interaction")
        conditions = behaviour_conditions(node, source, ctx)
        keys = _key_set(source.c.contact_id, source, conditions, count, node.minimum)
    else:
        child = ctx.alias(node.link.entity)
        key = child.c[node.link.key]
        conditions = [key.is_not(None)]
        if node.where.children:
            conditions.append(_group_clause(node.where, child, ctx))
        keys = _key_set(key, child, conditions, count, node.minimum)
    # A set operation drops repeats itself; a set standing alone must not repeat a contact.
    return keys.distinct() if distinct and count is CountOp.ANY else keys


def _id_set(node: Node, ctx: _Context, *, alone: bool = False) -> IdSet:
    """The id set of a node `is_id_set` accepts; `alone`: the statement's whole result."""
    if not isinstance(node, Group):
        assert isinstance(node, Behaviour | Related)
        return _leaf_set(node, ctx, distinct=alone)
    included = [child for child in node.children if _included(child)]
    excluded = [child for child in node.children if not _included(child)]
    if len(included) == 1:
        combined: IdSet = _id_set(included[0], ctx, alone=alone and not excluded)
    else:
        sets = [as_select(_id_set(child, ctx)) for child in included]
        combined = union(*sets) if node.op is GroupOp.OR else intersect(*sets)
    if not excluded:
        return combined
    taken_out = [
        _leaf_set(cast(Behaviour | Related, child), ctx, distinct=False) for child in excluded
    ]
    return except_(as_select(combined), *taken_out)


def _tagged(ids: IdSet, block: int) -> Select[Any]:
    """SELECT contact_id, `block` AS block of an id set."""
    if isinstance(ids, Select):
        return ids.add_columns(literal(block).label("block"))
    members = ids.subquery()
    return select(members.c.contact_id, literal(block).label("block"))


def _id_set_statement(tree: Group, ctx: _Context, *, with_block: bool) -> Select[Any]:
    """SELECT contact_id[, block] of a tree that is an id set."""
    blocks = top_blocks(tree)
    if not with_block:
        return as_select(_id_set(tree, ctx, alone=True))
    if len(blocks) == 1:
        return _tagged(_id_set(tree, ctx, alone=True), 0)
    # The first top-level block that holds is the reason: the least block per contact.
    tagged = [_tagged(_id_set(item, ctx), index) for index, item in enumerate(blocks)]
    everyone = union_all(*tagged).subquery()
    return select(everyone.c.contact_id, func.min(everyone.c.block).label("block")).group_by(
        everyone.c.contact_id
    )


def contacts_table() -> Table:
    return table_for("contact")


def compile_segment(
    tree: Group,
    registry: Registry,
    *,
    correlated: bool = False,
    with_block: bool = True,
    id_sets: bool = True,
) -> tuple[Select[Any], Cutoffs]:
    """SELECT contact_id, block for every contact the tree admits; its parameters are
    the cutoffs (`Cutoffs.values(now)`) and, with `scope_to_ids`, `contact_ids`.

    `correlated`: the shape that checks a few contacts by index (see the module);
    `id_sets=False`: never the id-set shape (the same rows, to compare with)."""
    contacts = contacts_table()
    use_sets = id_sets and not correlated
    ctx = _Context(query_registry(registry), correlated, contacts=contacts if use_sets else None)
    if use_sets and is_id_set(tree):
        return _id_set_statement(tree, ctx, with_block=with_block), ctx.cutoffs
    blocks = top_blocks(tree)
    where = predicate(tree, contacts, ctx)
    columns: list[Any] = [contacts.c.id.label("contact_id")]
    if with_block:
        block: Any = literal(0)
        if len(blocks) > 1:
            # The first top-level block that holds is the reason the contact is in.
            block = case(
                *((predicate(item, contacts, ctx), index) for index, item in enumerate(blocks)),
                else_=0,
            )
        columns.append(block.label("block"))
    return select(*columns).where(where), ctx.cutoffs


def membership_case(tree: Group, registry: Registry, cutoffs: Cutoffs) -> ColumnElement[Any]:
    """The tree as one correlated expression on the contacts table: the index of the
    first top-level block that holds (the reason), NULL when the contact is out. Many
    segments' expressions side by side evaluate them all in one statement."""
    ctx = _Context(query_registry(registry), True, cutoffs)
    contacts = contacts_table()
    blocks = top_blocks(tree)
    if len(blocks) > 1:
        whens = [(predicate(item, contacts, ctx), index) for index, item in enumerate(blocks)]
    else:
        whens = [(predicate(tree, contacts, ctx), 0)]
    return case(*whens, else_=null())


def ids_clause(column: ColumnElement[Any], dialect: str, name: str = "ids") -> ColumnElement[bool]:
    """`column` is one of the ids bound as ONE parameter (`ids_value`): the statement's
    text does not change with the number of ids, so it is prepared and planned once
    (an expanding IN list is a new statement for each length)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(BigInteger)))
    values: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam(name))
    )
    return column.in_(values.scalar_subquery())


def ids_value(ids: Collection[int], dialect: str) -> Any:
    ordered = sorted(ids)
    return ordered if dialect == "postgresql" else json.dumps(ordered)


def scope_to_ids(statement: Select[Any]) -> Select[Any]:
    """The statement for the contacts in the bound list `contact_ids` only (an id-set
    statement, which does not read contacts, is wrapped and filtered by its contact_id)."""
    wanted: Any = bindparam("contact_ids", expanding=True)
    contacts = contacts_table()
    if contacts in statement.get_final_froms():
        return statement.where(contacts.c.id.in_(wanted))
    members = statement.subquery("members")
    return select(*members.c).where(members.c.contact_id.in_(wanted))


def node_predicate(
    node: Node, row: FromClause, registry: Registry, cutoffs: Cutoffs
) -> ColumnElement[bool]:
    """One node as a correlated condition on `row` (explain evaluates nodes one by one)."""
    ctx = _Context(query_registry(registry), True, cutoffs)
    return predicate(node, row, ctx)


def behaviour_conditions_for(node: Behaviour, source: FromClause, cutoffs: Cutoffs) -> list[Any]:
    """The conditions on `source` (interactions) a behaviour node counts."""
    return behaviour_conditions(node, source, _Context(Registry({}, {}), True, cutoffs))


def _band(
    column: Any, days: int, since: datetime, now: datetime, *, as_date: bool
) -> ColumnElement[bool]:
    """The values a "N days ago" cutoff passed over between `since` and `now`."""
    low: Any = since - timedelta(days=days)
    high: Any = now - timedelta(days=days)
    if as_date:
        low, high = low.date(), high.date()
    return and_(column >= low, column < high)


def window_candidates(
    tree: Group, registry: Registry, since: datetime, now: datetime
) -> Select[Any] | CompoundSelect[Any] | None:
    """The contacts whose membership time alone may have changed between `since` and
    `now`: those with a value or an interaction that a moving window's edge passed over
    in that time (a click that fell out of "the last 30 days"). A SELECT of contact ids,
    or None when a window sits where this cannot narrow it (a custom field, a window
    two relationships deep): then every contact is evaluated."""
    registry = query_registry(registry)
    contacts = contacts_table()
    selects: list[Select[Any]] = []

    def field_band(node: FieldRow, row: FromClause) -> ColumnElement[bool] | None:
        definition = registry.fields[node.entity][node.field]
        if definition.custom:
            return None
        days = int(node.values[0])
        column = column_of(definition, row)
        return _band(column, days, since, now, as_date=node.type is FieldType.DATE)

    def visit(node: Node, depth: int, parent: Related | None) -> bool:
        if isinstance(node, Group):
            return all(visit(child, depth, parent) for child in node.children)
        if isinstance(node, Behaviour):
            if node.window_days is None:
                return True
            source = entity_table("interaction")
            ctx = _Context(registry, True)
            conditions = behaviour_conditions(replace(node, window_days=None), source, ctx)
            edge = _band(source.c.occurred_at, node.window_days, since, now, as_date=False)
            selects.append(select(source.c.contact_id).where(edge, *conditions))
            return True
        if isinstance(node, Related):
            if depth > 0:
                return not is_time_relative(node.where)
            return visit(node.where, depth + 1, node)
        if node.op not in DAY_OPS:
            return True
        if parent is None:
            own = field_band(node, contacts)
            if own is None:
                return False
            selects.append(select(contacts.c.id).where(own))
            return True
        child = entity_table(parent.link.entity)
        theirs = field_band(node, child)
        if theirs is None:
            return False
        if parent.link.many:
            selects.append(select(child.c[parent.link.key]).where(theirs))
        else:
            selects.append(
                select(contacts.c.id)
                .join(child, child.c.id == contacts.c[parent.link.key])
                .where(theirs)
            )
        return True

    if not visit(tree, 0, None):
        return None
    if not selects:
        return select(contacts.c.id).where(false())
    first, *rest = selects
    return first if not rest else union(first, *rest)
