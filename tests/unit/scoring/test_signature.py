"""`rule_times` built in SQL: one function call up to the dialects' argument limits."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import ColumnElement, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite

from leadflow.scoring.writer import signature_of


def _counts(n: int) -> list[ColumnElement[Any]]:
    return [literal_column(str(index % 7)) for index in range(n)]


def test_a_few_counts_are_joined_by_one_call_on_each_database() -> None:
    statement = select(signature_of(_counts(3)))

    assert "printf('%d,%d,%d'" in str(statement.compile(dialect=sqlite.dialect()))
    assert "concat_ws(','" in str(statement.compile(dialect=postgresql.dialect()))


def test_sqlite_joins_them_as_the_counts_separated_by_commas() -> None:
    for n in (1, 20, 90, 91, 130):
        sql = str(
            select(signature_of(_counts(n))).compile(
                dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
            )
        )
        with sqlite3.connect(":memory:") as connection:
            (value,) = connection.execute(sql).fetchone()
        assert value == ",".join(str(index % 7) for index in range(n))


def test_more_counts_than_a_function_takes_fall_back_to_concatenation() -> None:
    sql = str(select(signature_of(_counts(91))).compile(dialect=postgresql.dialect()))

    assert "concat_ws" not in sql
