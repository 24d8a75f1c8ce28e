"""Counting the SQL statements a piece of code runs, so an N+1 fails a test."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

from sqlalchemy import Engine, event

from leadflow.automation import engine as automation_engine
from leadflow.capture.services import _forms as capture_forms
from leadflow.registry import services as registry_services

# Per-process caches that reload after a few seconds. While statements are counted
# they do not expire: on a loaded machine a counted block can outlast one, and its
# reload would be counted as the code's own statement.
_EXPIRING_CACHES = (
    (registry_services, "CACHE_SECONDS"),
    (capture_forms, "FORM_CACHE_SECONDS"),
    (automation_engine, "RULES_TTL_SECONDS"),
)


@contextmanager
def count_queries(*engines: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    unique = list({id(engine): engine for engine in engines}.values())
    with ExitStack() as frozen:
        for module, name in _EXPIRING_CACHES:
            frozen.enter_context(mock.patch.object(module, name, math.inf))
        for engine in unique:
            event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            for engine in unique:
                event.remove(engine, "before_cursor_execute", record)
