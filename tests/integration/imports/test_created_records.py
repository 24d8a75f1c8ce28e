"""A chunk's created records are one change record per entity (their span of ids and
which line created which): an earlier chunk's record is still told from a later
line's duplicate, and undo still removes exactly what the import created."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.contacts.services import do_create_contact
from leadflow.imports.domain import created_lines
from leadflow.imports.models import ImportChange
from leadflow.imports.services import do_undo_import, error_file_rows
from tests.integration.imports.helpers import contacts, csv_bytes, leads, run, upload


@pytest.fixture
def chunks_of_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("leadflow.imports.tasks.RUN_CHUNK_ROWS", 2)


def _changes(
    container: Container, import_id: int
) -> list[tuple[str, str, int | None, dict[int, int] | None]]:
    """(entity, action, last_record_id, id -> line of created records) in order."""
    with container.read_session() as session:
        rows = session.execute(
            select(
                ImportChange.entity,
                ImportChange.action,
                ImportChange.last_record_id,
                ImportChange.after,
            )
            .where(ImportChange.import_id == import_id)
            .order_by(ImportChange.id)
        ).all()
    return [
        (
            entity,
            action,
            last,
            created_lines(after["runs"]) if last is not None else None,
        )
        for entity, action, last, after in rows
    ]


def test_a_lead_chunk_records_its_leads_and_its_new_contacts_in_one_row_each(
    container: Container,
) -> None:
    known_id = _existing(container, email="ann@example.com")
    data = csv_bytes(
        "Topic,Email",
        "Conference,ann@example.com",
        "Webinar,bo@example.com",
        "Trade fair,not-an-email",
        "Demo,cy@example.com",
    )

    import_id = upload(container, "lead", data)
    run(container, import_id)

    first, second, third = leads(container)
    bo, cy = (c.id for c in contacts(container) if c.id != known_id)
    assert _changes(container, import_id) == [
        ("contact", "created", cy, {bo: 3, cy: 5}),
        ("lead", "created", third.id, {first.id: 2, second.id: 3, third.id: 5}),
    ]


@pytest.mark.usefixtures("chunks_of_2")
def test_a_later_chunks_duplicate_of_a_created_or_updated_record_is_a_conflict(
    container: Container,
) -> None:
    _existing(container, email="old@example.com", first_name="Olga")
    data = csv_bytes(
        "email,first_name",
        "ann@example.com,Ann",  # line 2, chunk 1: created
        "old@example.com,Olly",  # line 3, chunk 1: updated
        "bo@example.com,Bo",  # line 4, chunk 2: created
        "ANN@example.com,Annie",  # line 5, chunk 2: same as line 2
        "OLD@example.com,Oleg",  # line 6, chunk 3: same as line 3
    )

    import_id = upload(container, "contact", data)
    imp = run(container, import_id)

    assert (imp.counts["create"], imp.counts["update"], imp.counts["conflict"]) == (2, 1, 2)
    with container.read_session() as session:
        _, *errors = list(error_file_rows(session, import_id))
    assert [row[:4] for row in errors] == [
        ["5", "", "duplicate_in_file", "Same record as line 2"],
        ["6", "", "duplicate_in_file", "Same record as line 3"],
    ]
    assert [(c.email, c.first_name) for c in contacts(container)] == [
        ("old@example.com", "Olly"),
        ("ann@example.com", "Ann"),
        ("bo@example.com", "Bo"),
    ]


@pytest.mark.usefixtures("chunks_of_2")
def test_undo_deletes_every_chunks_created_records_and_restores_the_updated(
    container: Container,
) -> None:
    old_id = _existing(container, email="old@example.com", first_name="Olga")
    data = csv_bytes(
        "email,first_name",
        "ann@example.com,Ann",
        "old@example.com,Olly",
        "bo@example.com,Bo",
        "cy@example.com,Cy",
        "di@example.com,Di",
    )
    import_id = upload(container, "contact", data)
    run(container, import_id)
    assert len(contacts(container)) == 5
    created = [row for row in _changes(container, import_id) if row[1] == "created"]
    assert [len(row[3] or {}) for row in created] == [1, 2, 1]

    with container.uow() as uow:
        report = do_undo_import(import_id, uow=uow)

    [only] = contacts(container)
    assert (only.id, only.first_name) == (old_id, "Olga")
    assert (report["deleted"], report["restored"]) == (4, 1)


def _existing(container: Container, **values: object) -> int:
    with container.uow() as uow:
        return do_create_contact(values, uow=uow).id
