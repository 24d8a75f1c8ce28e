"""Multi-row inserts that return the new rows' ids in the rows' order, on both databases."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Table, func, insert, select
from sqlalchemy.orm import Session


def _default(column: Column[Any]) -> Any:
    default: Any = column.default
    if default is None:
        return None
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(None)
    return None


def full_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every row with every column but the primary key (a column's Python default
    where the row has no value): one statement compiles for all of them."""
    columns = [column for column in table.columns if not column.primary_key]
    return [
        {
            column.key: row[column.key] if column.key in row else _default(column)
            for column in columns
        }
        for row in rows
    ]


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert `rows` in multi-row statements; returns their ids in the rows' order.

    PostgreSQL ties RETURNING to the parameter sets (`sort_by_parameter_order`).
    SQLite cannot for a multi-row INSERT, so the ids are given here: its writers hold
    the write lock from their start (BEGIN IMMEDIATE), so nobody else can take them;
    if one ever did, the insert fails on the primary key rather than write wrong data.
    """
    if not rows:
        return []
    full = full_rows(table, rows)
    (key,) = table.primary_key.columns
    if session.get_bind().dialect.name != "sqlite":
        statement = insert(table).returning(key, sort_by_parameter_order=True)
        return list(session.scalars(statement, full))
    last = session.scalar(select(func.max(key))) or 0
    for offset, row in enumerate(full, start=1):
        row[key.key] = last + offset
    session.execute(insert(table), full)
    return [row[key.key] for row in full]
