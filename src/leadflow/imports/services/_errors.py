"""The error file: the rows an import refused, with line, column, code and message."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.imports.models import ImportRowError
from leadflow.imports.services._records import get_import


def error_file_rows(session: Session, import_id: int) -> Iterator[list[str]]:
    """The error file: a header, then per problem line, column, code, message and the
    original row's cells."""
    imp = get_import(session, import_id)
    yield ["line", "column", "code", "message", *imp.headers]
    query = (
        select(ImportRowError)
        .where(ImportRowError.import_id == import_id)
        .order_by(ImportRowError.line, ImportRowError.id)
        .execution_options(yield_per=1000)
    )
    for error in session.scalars(query):
        cells = [str(cell) for cell in (error.row or [])]
        yield [str(error.line), error.column or "", error.code, error.message, *cells]


def error_count(session: Session, import_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ImportRowError)
            .where(ImportRowError.import_id == import_id)
        )
        or 0
    )
