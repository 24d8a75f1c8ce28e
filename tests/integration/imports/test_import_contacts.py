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
    assert header == [
        "line",
        "column",
        "code",
        "message",
        "E-mail",
        "First Name",
        "Last name",
        "Phone",
    ]
    [only] = errors
    assert only[:3] == ["3", "E-mail", "invalid_email"]
    assert only[4:] == ["not-an-email", "Bob", "Ray", ""]


def _existing(container: Container, **values: object) -> int:
    with container.uow() as uow:
        return do_create_contact(values, uow=uow).id


def test_a_row_matching_an_existing_contact_updates_it_by_write_mode(
    container: Container,
) -> None:
    contact_id = _existing(
        container, email="Ann@Example.com", first_name="Annie", job_title=None, city="Oslo"
    )
    data = csv_bytes(
        "email,first_name,job_title,city",
        "  ann@example.COM ,Ann,CTO,Bergen",
    )
    mapping = {
        "email": "email",
        "first_name": {"field": "first_name", "mode": "overwrite"},
        "job_title": {"field": "job_title", "mode": "fill"},
        "city": {"field": "city", "mode": "never"},
    }
    imp = run(container, upload(container, "contact", data, mapping=mapping))

    assert imp.counts["update"] == 1
    assert imp.counts["create"] == 0
    [only] = contacts(container)
    assert (only.id, only.first_name, only.job_title, only.city) == (
        contact_id,
        "Ann",
        "CTO",
        "Oslo",
    )


def test_fill_mode_leaves_a_field_that_has_a_value(container: Container) -> None:
    _existing(container, email="ann@example.com", job_title="CEO")
    data = csv_bytes("email,job_title", "ann@example.com,CTO")
    mapping = {"email": "email", "job_title": {"field": "job_title", "mode": "fill"}}

    imp = run(container, upload(container, "contact", data, mapping=mapping))

    assert imp.counts["skip"] == 1
    [only] = contacts(container)
    assert only.job_title == "CEO"


def test_a_second_row_for_the_same_person_in_the_file_is_a_conflict(
    container: Container,
) -> None:
    data = csv_bytes("email,first_name", "ann@example.com,Ann", "ANN@example.com,Annie")

    import_id = upload(container, "contact", data)
    imp = run(container, import_id)

    assert (imp.counts["create"], imp.counts["conflict"]) == (1, 1)
    [only] = contacts(container)
    assert only.first_name == "Ann"
    with container.read_session() as session:
        _, error = list(error_file_rows(session, import_id))
    assert error[:4] == ["3", "", "duplicate_in_file", "Same record as line 2"]


def test_importing_the_same_file_again_changes_nothing(container: Container) -> None:
    data = csv_bytes("email,first_name", "ann@example.com,Ann", "bo@example.com,Bo")
    run(container, upload(container, "contact", data))
    before = [(c.id, c.updated_at) for c in contacts(container)]

    again = run(container, upload(container, "contact", data))

    assert (again.counts["create"], again.counts["update"], again.counts["skip"]) == (0, 0, 2)
    assert [(c.id, c.updated_at) for c in contacts(container)] == before


def test_dry_run_reports_each_row_and_writes_nothing(container: Container) -> None:
    _existing(container, email="ann@example.com", first_name="Annie")
    data = csv_bytes(
        "email,first_name",
        "ann@example.com,Ann",
        "bo@example.com,Bo",
        "bo@example.com,Bob",
        "bad,Cy",
        "ann@example.com,Annie",
    )
    import_id = upload(container, "contact", data)

    with container.read_session() as session:
        result = dry_run(session, container.registry(), import_id)

    assert [(row["line"], row["outcome"]) for row in result["rows"]] == [
        (2, "update"),
        (3, "create"),
        (4, "conflict"),
        (5, "error"),
        (6, "conflict"),
    ]
    assert result["counts"]["create"] == 1
    assert len(contacts(container)) == 1


def test_undo_removes_created_contacts_and_restores_changed_fields(
    container: Container,
) -> None:
    kept_id = _existing(container, email="ann@example.com", first_name="Annie", city="Oslo")
    data = csv_bytes("email,first_name,city", "ann@example.com,Ann,Bergen", "bo@example.com,Bo,")
    import_id = upload(container, "contact", data)
    run(container, import_id)
    with container.uow() as uow:
        from leadflow.contacts.services import do_update_contact

        do_update_contact(kept_id, {"city": "Trondheim"}, uow=uow)

    with container.uow() as uow:
        report = do_undo_import(import_id, uow=uow)

    [only] = contacts(container)
    assert (only.id, only.first_name, only.city) == (kept_id, "Annie", "Trondheim")
    assert report["deleted"] == 1
    assert report["kept"] == [
        {
            "entity": "contact",
            "id": kept_id,
            "line": 2,
            "field": "city",
            "reason": "changed since the import",
        }
    ]


def test_an_import_cancelled_midway_can_be_undone(container: Container) -> None:
    from sqlalchemy import update

    from leadflow.imports.models import Import
    from leadflow.jobs.models import Job

    import_id = upload(container, "contact", csv_bytes("email", "ann@example.com"))
    imp = run(container, import_id)
    # As a cancel between chunks leaves it: the job ended, the import never finished.
    with container.engine.begin() as connection:
        connection.execute(update(Import).values(status="running"))
        connection.execute(update(Job).where(Job.id == imp.job_id).values(status="cancelled"))

    with container.uow() as uow:
        report = do_undo_import(import_id, uow=uow)

    assert report["deleted"] == 1
    assert contacts(container) == []
