"""An import chunk is set-based: its statement count does not grow with its rows."""

from __future__ import annotations

from leadflow.bootstrap import Container
from leadflow.contacts.services import do_create_contact
from leadflow.imports.domain import RowReader
from leadflow.imports.services import get_import, mapping_of, run_chunk
from tests.integration.imports.helpers import csv_bytes, upload
from tests.support.queries import count_queries


def _chunk_statements(container: Container, rows: int, offset: int) -> list[str]:
    lines = ["topic,email,first_name"]
    for index in range(rows):
        lines.append(f"Webinar,p{offset + index}@example.com,P{index}")
    with container.uow() as uow:
        for index in range(0, rows, 3):
            do_create_contact({"email": f"p{offset + index}@example.com"}, uow=uow)
    import_id = upload(container, "lead", csv_bytes(*lines))
    registry = container.registry()
    with container.read_session() as session:
        imp = get_import(session, import_id)
        reader = RowReader.build(registry, "lead", imp.headers, mapping_of(imp, registry))
    parsed = [reader.read(line, text.split(",")) for line, text in enumerate(lines[1:], start=2)]
    with container.uow() as uow:
        uow.registry  # noqa: B018 - loaded before counting: every unit reads it once
        with count_queries(container.engine) as statements:
            report, _ = run_chunk(import_id, parsed, uow=uow, counts={})
        uow.rollback()
    assert report.counts()["create"] == rows
    return statements


def test_a_lead_chunk_runs_the_same_statements_for_10_rows_as_for_300(
    container: Container,
) -> None:
    small = _chunk_statements(container, 10, 0)
    large = _chunk_statements(container, 300, 1000)

    assert len(small) == len(large)
    # The import, the org's phone region, two strategies, leads by email, contacts by
    # email, the contacts' accounts; contacts, leads, match keys, change records (2),
    # the outbox rows, the counts. SQLite reads the next ids of contacts, leads and
    # outbox rows (3) and writes the keys once. PostgreSQL takes the ids from the
    # sequences (3), then claims the keys already pointing at those ids (one array);
    # its five COPY commands (contacts, leads, change records twice, outbox) go to the
    # driver directly and are not counted here.
    dialect = container.engine.dialect.name
    assert len(large) == {"sqlite": 17, "postgresql": 12}[dialect]
