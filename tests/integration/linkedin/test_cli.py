"""`leadflow linkedin connections|forms|sync` in a subprocess, against the fake server."""

from __future__ import annotations

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.leads.models import Lead
from tests.support.cli_fixtures import RunCli
from tests.support.fake_linkedin import FakeLinkedIn, response
from tests.support.linkedin import NOW_MS, connect


def test_connections_lists_each_with_its_sync_status(
    container: Container, fake: FakeLinkedIn, run_cli: RunCli
) -> None:
    fake.responses.append(response("r1", 1, NOW_MS - 60_000, {13: "ada@example.com"}))
    connect(container, fake)

    result = run_cli("linkedin", "connections")

    assert result.returncode == 0, result.stderr
    [row] = [line for line in result.stdout.splitlines() if "Acme ads" in line]
    assert "urn:li:sponsoredAccount:5001" in row and " ok " in row
    assert row.split("│")[5].strip() == "1"  # created


def test_forms_shows_where_each_answer_goes(
    container: Container, fake: FakeLinkedIn, run_cli: RunCli
) -> None:
    connection_id = connect(container, fake)

    result = run_cli("linkedin", "forms", str(connection_id))

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    [email] = [line for line in lines if "E-Mail-Adresse" in line]
    [custom] = [line for line in lines if "Ihre Frage" in line]
    assert "EMAIL" in email and "Email" in email.split("│")[4]
    assert "(not saved)" in custom


def test_sync_pulls_new_responses_with_a_progress_bar(
    container: Container, fake: FakeLinkedIn, run_cli: RunCli
) -> None:
    connection_id = connect(container, fake)
    fake.responses.append(response("r2", 1, NOW_MS - 60_000, {13: "grace@example.com"}))

    result = run_cli("linkedin", "sync", str(connection_id))

    assert result.returncode == 0, result.stderr
    # Rich writes the bar and the summary to the terminal's stderr.
    assert "LinkedIn sync" in result.stderr and "1/1" in result.stderr
    assert "read 1: created 1, updated 0, skipped 0, failed 0" in result.stderr
    with container.read_session() as session:
        assert list(session.scalars(select(Lead.email))) == ["grace@example.com"]


def test_sync_of_an_unknown_connection_says_so(container: Container, run_cli: RunCli) -> None:
    result = run_cli("linkedin", "sync", "999")

    assert result.returncode != 0
    assert "No LinkedIn connection with id 999" in result.stdout + result.stderr
