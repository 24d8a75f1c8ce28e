"""Files the API and the pages both hand out: streamed, read while they are sent."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from fastapi.responses import StreamingResponse

from leadflow.bootstrap import Container
from leadflow.imports import services as imports


def csv_stream(rows: Iterator[list[str]]) -> Iterator[str]:
    """The rows as CSV text, a row at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def import_errors_csv(container: Container, import_id: int) -> StreamingResponse:
    """An import's error file: its rows that failed, each with why."""
    with container.read_session() as session:
        imports.get_import(session, import_id)

    def rows() -> Iterator[str]:
        with container.read_session() as session:
            yield from csv_stream(imports.error_file_rows(session, import_id))

    headers = {"Content-Disposition": f'attachment; filename="import-{import_id}-errors.csv"'}
    return StreamingResponse(rows(), media_type="text/csv", headers=headers)
