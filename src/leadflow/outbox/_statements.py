"""The relay's statements: each of fixed text whatever the number of ids, built once per
dialect (compiled, prepared and planned once)."""

from __future__ import annotations

import functools
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

from leadflow.outbox.models import outbox_table


@dataclass(frozen=True)
class ClaimedRow:
    id: int
    event_type: str
    payload: Any
    depth: int
    attempts: int
    created_at: datetime


def claimable(table: Table) -> ColumnElement[bool]:
    return and_(
        table.c.dispatched_at.is_(None),
        table.c.parked_at.is_(None),
        or_(table.c.claimed_until.is_(None), table.c.claimed_until < bindparam("now")),
    )


def ids_clause(column: ColumnElement[Any], dialect: str, name: str) -> ColumnElement[bool]:
    """`column` is one of the ids bound as ONE parameter (`ids_value`): the statement's
    text is the same for any number of ids, so it is compiled, prepared and planned
    once, where an expanding IN list is a new statement (and on PostgreSQL hundreds of
    placeholders psycopg converts one by one) for every length."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(BigInteger)))
    values: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam(name, type_=Text))
    )
    return column.in_(values.scalar_subquery())


def ids_value(ids: Collection[int], dialect: str) -> Any:
    ordered = sorted(ids)
    return ordered if dialect == "postgresql" else json.dumps(ordered)


# On PostgreSQL the claim reads the pending rows through index scans, not bitmap
# scans. Handled rows stay in the pending indexes as dead entries until a vacuum:
# measured after a burst of 60,000 events, a bitmap scan stepped over 268,000 of them
# and 8,471 heap pages on every claim (14-23 ms; 0 rows pending), while an index scan
# marks the dead entries it meets so that later scans skip them (2.4 ms from the
# second claim on). Set for the claim's own transaction only.
INDEX_SCANS_ONLY = text("SET LOCAL enable_bitmapscan = off")


@functools.cache
def candidates_statement(dialect: str, *, given: bool) -> Any:
    """The oldest claimable rows (of the given ids), each with the oldest pending row of
    its subject: a row is taken only when that one is in the batch too. The oldest is
    one lookup in the (subject, id) index of pending rows per candidate, not the NOT IN
    over the batch that once ran for minutes behind an import's thousands of rows."""
    table = outbox_table()
    earlier = table.alias("earlier")
    oldest = (
        select(func.min(earlier.c.id))
        .where(
            earlier.c.subject == table.c.subject,
            earlier.c.dispatched_at.is_(None),
            earlier.c.parked_at.is_(None),
        )
        .scalar_subquery()
    )
    query = (
        select(table.c.id, table.c.subject.is_(None).label("free"), oldest.label("oldest"))
        .where(claimable(table))
        .order_by(table.c.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if given:
        query = query.where(ids_clause(table.c.id, dialect, "given"))
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True, of=table)
    return query


@functools.cache
def take_statement(dialect: str) -> Any:
    """The chosen rows leased; the condition again: without SKIP LOCKED (SQLite) it is
    what keeps a row that another relay claimed meanwhile from being taken twice."""
    table = outbox_table()
    return (
        update(table)
        .where(ids_clause(table.c.id, dialect, "ids"), claimable(table))
        .values(claimed_until=bindparam("until"), attempts=table.c.attempts + 1)
        .returning(
            table.c.id,
            table.c.event_type,
            table.c.payload,
            table.c.depth,
            table.c.attempts,
            table.c.created_at,
        )
    )


@functools.cache
def settle_statement(dialect: str) -> Any:
    """Handled rows marked dispatched, however many, in one statement."""
    table = outbox_table()
    return (
        update(table)
        .where(ids_clause(table.c.id, dialect, "ids"))
        .values(dispatched_at=bindparam("now"), claimed_until=None, last_error=None)
    )


@functools.cache
def unsettled_statement() -> Any:
    """A failed or parked row's lease, parking and error (executed for all at once)."""
    table = outbox_table()
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(
            claimed_until=bindparam("until"),
            parked_at=bindparam("parked"),
            last_error=bindparam("error"),
        )
    )
