"""Importing interactions: contacts found by email or id, bad rows reported, the same
file again changes nothing, scoring credits them, undo removes them."""

from __future__ import annotations

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.imports.services import dry_run, error_file_rows, undo_import
from leadflow.interactions.models import Interaction
from tests.integration.imports.helpers import count, csv_bytes, run, upload
from tests.integration.scoring.helpers import live_model, make_contact, make_lead, score_of

HEADER = "Email,Type,Date,Campaign"


def _interactions(container: Container) -> list[tuple[int, str, str, str | None]]:
    with container.read_session() as session:
        rows = session.execute(
            select(
                Interaction.contact_id,
                Interaction.kind,
                Interaction.occurred_at,
                Interaction.target_id,
            ).order_by(Interaction.id)
        )
        return [(c, k, when.isoformat(), t) for c, k, when, t in rows]


def test_interactions_land_on_contacts_found_by_email_and_bad_rows_are_reported(
    container: Container,
) -> None:
    ann = make_contact(container, email="Ann@Example.com")
    bo = make_contact(container, email="bo@example.com")
    data = csv_bytes(
        HEADER,
        "ann@example.com,email_opened,2026-11-30T10:00:00Z,spring",
        "BO@example.com,page_visited,2026-11-30 11:00,",
        "nobody@example.com,email_opened,2026-11-30T10:00:00Z,spring",
        "ann@example.com,Email Opened!,2026-11-30T10:00:00Z,spring",
        "ann@example.com,email_opened,,spring",
        "ann@example.com,email_opened,2026-11-30T10:00:00Z,spring",
        "bo@example.com,email_clicked,yesterday,spring",
    )
    import_id = upload(container, "interaction", data)

    imp = run(container, import_id)

    assert (imp.counts["create"], imp.counts["error"], imp.counts["conflict"]) == (2, 4, 1)
    assert _interactions(container) == [
        (ann, "email_opened", "2026-11-30T10:00:00+00:00", "spring"),
        (bo, "page_visited", "2026-11-30T11:00:00+00:00", None),
    ]
    with container.read_session() as session:
        errors = [row[:4] for row in list(error_file_rows(session, import_id))[1:]]
    assert errors == [
        ["4", "Email", "contact_not_found", "No contact with email nobody@example.com"],
        ["5", "Type", "invalid_value", "The kind is a lower-case identifier such as email_opened"],
        ["6", "Date", "required", "When it happened is missing"],
        ["7", "", "duplicate_in_file", "Same interaction as line 2"],
        ["8", "Date", errors[4][2], errors[4][3]],
    ]
    assert errors[4][2] != "required"  # "yesterday" is not a date: the cell's own error


def test_the_same_file_again_changes_nothing_and_a_dry_run_says_so(
    container: Container,
) -> None:
    make_contact(container, email="ann@example.com")
    data = csv_bytes(HEADER, "ann@example.com,email_opened,2026-11-30T10:00:00Z,spring")
    run(container, upload(container, "interaction", data))
    again = upload(container, "interaction", data)

    with container.read_session() as session:
        preview = dry_run(session, container.registry(), again)
    imp = run(container, again)

    assert [row["outcome"] for row in preview["rows"]] == ["skip"]
    assert (imp.counts["create"], imp.counts["skip"]) == (0, 1)
    assert count(container, Interaction) == 1


def test_imported_interactions_credit_scoring_and_undo_removes_them(
    container: Container,
) -> None:
    contact = make_contact(container, email="ann@example.com")
    lead = make_lead(container, parent_contact_id=contact)
    model = live_model(
        container,
        rules=[
            {
                "name": "Opens",
                "points": 5,
                "conditions": [{"type": "behaviour", "kind": "email_opened", "frequency": "each"}],
            }
        ],
    )
    assert score_of(container, lead, model) == 0
    data = csv_bytes(
        "contact_id,kind,occurred_at",
        f"{contact},email_opened,2026-11-30T10:00:00Z",
        f"{contact},email_opened,2026-12-01T10:00:00Z",
    )
    import_id = upload(container, "interaction", data)

    run(container, import_id)

    assert score_of(container, lead, model) == 10
    with container.uow() as uow:
        report = undo_import(import_id, uow=uow)
        uow.commit()
    assert report["deleted"] == 2
    assert count(container, Interaction) == 0
