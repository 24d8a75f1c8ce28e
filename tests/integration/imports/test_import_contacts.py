"""Importing contacts: create, match, write modes, in-file duplicates, errors, undo."""

from __future__ import annotations

from leadflow.bootstrap import Container
from leadflow.contacts.services import do_create_contact
from leadflow.imports.services import do_undo_import, dry_run, error_file_rows
from tests.integration.imports.helpers import contacts, csv_bytes, run, upload


def test_a_csv_creates_contacts_and_reports_a_bad_row(container: Container) -> None:
    data = csv_bytes(
        "E-mail,First Name,Last name,Phone",
        "ann@example.com,Ann,Lee,+44 20 7946 0001",
        "not-an-email,Bob,Ray,",
        "cy@example.com,Cy,Doe,",
    )
    import_id = upload(container, "contact", data)

    imp = run(container, import_id)

    assert imp.status == "done"
    assert imp.counts["create"] == 2
    assert imp.counts["error"] == 1
    assert [(c.email, c.first_name, c.phone) for c in contacts(container)] == [
        ("ann@example.com", "Ann", "+442079460001"),
        ("cy@example.com", "Cy", None),
    ]
    with container.read_session() as session:
        header, *errors = list(error_file_rows(session, import_id))
    assert header == ["line", "column", "code", "message", "E-mail", "First Name", "Last name", "Phone"]
    [only] = errors
    assert only[:3] == ["3", "E-mail", "invalid_email"]
    assert only[4:] == ["not-an-email", "Bob", "Ray", ""]
