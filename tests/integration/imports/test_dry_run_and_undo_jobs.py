"""A dry run and an undo run as jobs: progress per chunk, results kept with the import,
and an undo stopped midway carried on by the next one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import update

from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.imports.services import (
    current_dry_run,
    do_set_mapping,
    do_start_dry_run,
    do_start_undo,
    get_import,
)
from leadflow.jobs.models import Job
from leadflow.jobs.runner import read_job, run_job
from leadflow.lib.clock import utcnow
from tests.integration.imports.helpers import contacts, count, csv_bytes, run, upload

ROWS = 2500


def _people(rows: int = ROWS) -> bytes:
    lines = ["email,first_name"]
    lines += [f"p{index}@example.com,P{index}" for index in range(rows)]
    return csv_bytes(*lines, "broken,Zed")


@pytest.fixture
def chunks_of_1000(monkeypatch: pytest.MonkeyPatch) -> None:
    """The import commits 1,000 rows a chunk, so its created records are three change
    records (1,000, 1,000, 500) and an undo takes three pages of them."""
    monkeypatch.setattr("leadflow.imports.tasks.RUN_CHUNK_ROWS", 1000)


# Jobs are started on a container whose queue does not run them at once, so the test
# runs them itself (and watches their progress).
Quiet = Callable[..., Container]


def test_a_dry_run_job_reports_progress_per_chunk_and_keeps_its_preview(
    container: Container, make_container: Quiet
) -> None:
    quiet = make_container(huey_immediate=False)
    import_id = upload(container, "contact", _people())
    with quiet.uow() as uow:
        job_id = do_start_dry_run(import_id, uow=uow).id
    seen: list[tuple[int, int]] = []

    run_job(container, job_id, on_progress=lambda done, total: seen.append((done, total)))

    job = read_job(container, job_id)
    assert (job.status, job.done, job.total) == ("succeeded", ROWS + 1, ROWS + 1)
    assert seen == [(0, ROWS + 1), (1000, ROWS + 1), (2000, ROWS + 1), (ROWS + 1, ROWS + 1)]
    with container.read_session() as session:
        result = current_dry_run(get_import(session, import_id))
    assert result is not None
    assert (result["counts"]["create"], result["counts"]["error"]) == (ROWS, 1)
    assert [row["outcome"] for row in result["rows"][:2]] == ["create", "create"]
    assert count(container, Contact) == 0
    # Another mapping makes the stored dry run stale.
    with container.uow() as uow:
        do_set_mapping(import_id, {"email": "email"}, uow=uow)
    with container.read_session() as session:
        assert current_dry_run(get_import(session, import_id)) is None


@pytest.mark.usefixtures("chunks_of_1000")
def test_an_undo_job_that_failed_after_a_page_is_carried_on_by_the_next(
    container: Container, make_container: Quiet
) -> None:
    quiet = make_container(huey_immediate=False)
    import_id = run(container, upload(container, "contact", _people())).id
    assert count(container, Contact) == ROWS
    with quiet.uow() as uow:
        first = do_start_undo(import_id, uow=uow).id

    def fail_on_the_second_page(done: int, total: int) -> None:
        if done >= 2000:
            raise RuntimeError("the disk is full")

    run_job(container, first, on_progress=fail_on_the_second_page)

    assert read_job(container, first).status == "failed"
    # The first page (1000 created records) committed with its cursor; the second did not.
    assert count(container, Contact) == ROWS - 1000
    with container.read_session() as session:
        assert get_import(session, import_id).status == "undoing"
    with quiet.uow() as uow:
        second = do_start_undo(import_id, uow=uow).id
    run_job(container, second)
    container.relay.drain()

    job = read_job(container, second)
    assert (job.status, job.done, job.total) == ("succeeded", ROWS, ROWS)
    assert contacts(container) == []
    with container.read_session() as session:
        imp = get_import(session, import_id)
        assert imp.status == "undone"
        assert (imp.undo_report or {})["deleted"] == ROWS


@pytest.mark.usefixtures("chunks_of_1000")
def test_an_undo_whose_worker_died_resumes_at_its_cursor(
    container: Container, make_container: Quiet
) -> None:
    quiet = make_container(huey_immediate=False)
    import_id = run(container, upload(container, "contact", _people())).id
    with quiet.uow() as uow:
        job_id = do_start_undo(import_id, uow=uow).id

    def die_on_the_second_page(done: int, total: int) -> None:
        if done >= 2000:
            raise KeyboardInterrupt  # as a killed process: nothing records how it ended

    with pytest.raises(KeyboardInterrupt):
        run_job(container, job_id, on_progress=die_on_the_second_page)
    assert count(container, Contact) == ROWS - 1000
    with container.engine.begin() as connection:
        connection.execute(update(Job).values(heartbeat_at=utcnow() - timedelta(minutes=5)))

    run_job(container, job_id)

    job = read_job(container, job_id)
    assert (job.status, job.done) == ("succeeded", ROWS)
    assert contacts(container) == []
    with container.read_session() as session:
        assert (get_import(session, import_id).undo_report or {})["deleted"] == ROWS


def test_an_undo_is_refused_while_the_import_runs(container: Container) -> None:
    from leadflow.errors import Conflict
    from leadflow.imports.models import Import

    import_id = run(container, upload(container, "contact", _people(3))).id
    with container.engine.begin() as connection:
        connection.execute(update(Import).values(status="running"))
        connection.execute(update(Job).values(status="running"))

    with pytest.raises(Conflict), container.uow() as uow:
        do_start_undo(import_id, uow=uow)
