"""Counting the SQL statements a piece of code runs, so an N+1 fails a test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def count_queries(*engines: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    unique = list({id(engine): engine for engine in engines}.values())
    for engine in unique:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in unique:
            event.remove(engine, "before_cursor_execute", record)
