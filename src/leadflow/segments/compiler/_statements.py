"""The statements the engine, the services and explain run: the full build, the
per-contact membership expression, the scoping to a list of ids."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Select,
    any_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    null,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

from leadflow.records.cutoffs import Cutoffs
from leadflow.registry.domain import Registry
from leadflow.segments.compiler._base import Context, contacts_table
from leadflow.segments.compiler._id_sets import id_set_filter, id_set_statement, is_id_set
from leadflow.segments.compiler._predicates import behaviour_conditions, predicate
from leadflow.segments.domain import (
    Behaviour,
    Group,
    Node,
    query_registry,
    top_blocks,
)


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
    ctx = Context(
        query_registry(registry), correlated, id_set_filter=id_set_filter if use_sets else None
    )
    if use_sets and is_id_set(tree):
        return id_set_statement(tree, ctx, with_block=with_block), ctx.cutoffs
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
    ctx = Context(query_registry(registry), True, cutoffs)
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
    ctx = Context(query_registry(registry), True, cutoffs)
    return predicate(node, row, ctx)


def behaviour_conditions_for(node: Behaviour, source: FromClause, cutoffs: Cutoffs) -> list[Any]:
    """The conditions on `source` (interactions) a behaviour node counts."""
    return behaviour_conditions(node, source, Context(Registry({}, {}), True, cutoffs))
