"""Id sets: the contacts a node admits read off the tables keyed by contact, combined
with INTERSECT, UNION and EXCEPT, never reading the contacts table."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    FromClause,
    Select,
    except_,
    func,
    intersect,
    literal,
    select,
    union,
    union_all,
)

from leadflow.segments.compiler._base import Context, contacts_table, entity_table
from leadflow.segments.compiler._predicates import behaviour_conditions, group_clause
from leadflow.segments.domain import (
    Behaviour,
    CountOp,
    Group,
    GroupOp,
    Link,
    Node,
    Related,
    top_blocks,
)

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


def _leaf_set(node: Behaviour | Related, ctx: Context, *, distinct: bool) -> Select[Any]:
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
            conditions.append(group_clause(node.where, child, ctx))
        keys = _key_set(key, child, conditions, count, node.minimum)
    # A set operation drops repeats itself; a set standing alone must not repeat a contact.
    return keys.distinct() if distinct and count is CountOp.ANY else keys


def id_set(node: Node, ctx: Context, *, alone: bool = False) -> IdSet:
    """The id set of a node `is_id_set` accepts; `alone`: the statement's whole result."""
    if not isinstance(node, Group):
        assert isinstance(node, Behaviour | Related)
        return _leaf_set(node, ctx, distinct=alone)
    included = [child for child in node.children if _included(child)]
    excluded = [child for child in node.children if not _included(child)]
    if len(included) == 1:
        combined: IdSet = id_set(included[0], ctx, alone=alone and not excluded)
    else:
        sets = [as_select(id_set(child, ctx)) for child in included]
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


def id_set_statement(tree: Group, ctx: Context, *, with_block: bool) -> Select[Any]:
    """SELECT contact_id[, block] of a tree that is an id set."""
    blocks = top_blocks(tree)
    if not with_block:
        return as_select(id_set(tree, ctx, alone=True))
    if len(blocks) == 1:
        return _tagged(id_set(tree, ctx, alone=True), 0)
    # The first top-level block that holds is the reason: the least block per contact.
    tagged = [_tagged(id_set(item, ctx), index) for index, item in enumerate(blocks)]
    everyone = union_all(*tagged).subquery()
    return select(everyone.c.contact_id, func.min(everyone.c.block).label("block")).group_by(
        everyone.c.contact_id
    )


def id_set_filter(group: Group, row: FromClause, ctx: Context) -> ColumnElement[bool] | None:
    """`contacts.id IN (<the group's id set>)` for a group of id sets under Contact; None
    for another group, or one under a related record."""
    if row is contacts_table() and is_id_set(group):
        return cast(ColumnElement[bool], row.c.id.in_(as_select(id_set(group, ctx))))
    return None
