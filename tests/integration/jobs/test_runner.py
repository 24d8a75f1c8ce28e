"""Jobs run after the commit that started them, report progress, fail, cancel and resume."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from leadflow.bootstrap import Container
from leadflow.errors import Conflict
from leadflow.jobs.domain import MAX_ATTEMPTS, JobStatus
from leadflow.jobs.errors import JobSuperseded
from leadflow.jobs.events import JobFinished
from leadflow.jobs.models import Job
from leadflow.jobs.runner import JobContext, claim_job, run_job, run_or_wait
from leadflow.jobs.services import cancel_job, start_job, sweep_jobs
from leadflow.lib.clock import utcnow
from tests.integration.jobs.helpers import job, left_by_dead_worker, start
from tests.support.job_kinds import ON_STEP, STEPS, ran


def _finished(container: Container) -> list[JobFinished]:
    seen: list[JobFinished] = []
    container.bus.subscribe(JobFinished, seen.append, name="test.jobs.finished")
    return seen


def test_a_job_runs_after_the_commit_that_started_it(container: Container, tag: str) -> None:
    finished = _finished(container)
    with container.uow() as uow:
        started = start_job(STEPS, {"steps": 3, "tag": tag}, uow=uow)
        job_id = started.id
        assert ran(tag) == []  # not before the commit
        uow.commit()

    row = job(container, job_id)
    assert ran(tag) == [0, 1, 2]
    assert (row.status, row.done, row.total, row.attempts) == ("succeeded", 3, 3, 1)
    assert row.result == {"steps": 3, "resumed_at": 0}
    assert row.error is None
    assert row.started_at is not None and row.finished_at is not None
    assert row.created_at <= row.started_at <= row.finished_at
    container.relay.drain()
    assert finished == [JobFinished(job_id=job_id, kind=STEPS, status="succeeded")]


def test_a_start_that_is_rolled_back_queues_nothing(container: Container, tag: str) -> None:
    with container.uow() as uow:
        start_job(STEPS, {"steps": 2, "tag": tag}, uow=uow)
        uow.rollback()
        uow.commit()

    with container.read_session() as session:
        assert session.scalars(select(Job.id)).all() == []
    assert ran(tag) == []


def test_progress_is_written_as_the_job_goes(container: Container, tag: str) -> None:
    seen: list[tuple[int, int]] = []
    ON_STEP[tag] = lambda step: seen.append(_progress_of(container, tag))

    job_id = start(container, steps=3, tag=tag)

    assert seen == [(0, 3), (1, 3), (2, 3)]
    assert (job(container, job_id).done, job(container, job_id).total) == (3, 3)


def _progress_of(container: Container, tag: str) -> tuple[int, int]:
    with container.read_session() as session:
        row = session.execute(
            select(Job.done, Job.total).where(Job.params["tag"].as_string() == tag)
        ).one()
    return row.done, row.total


def test_a_failure_is_recorded_with_its_error(container: Container, tag: str) -> None:
    finished = _finished(container)

    job_id = start(container, steps=3, tag=tag, fail_at=1)

    row = job(container, job_id)
    assert ran(tag) == [0]
    assert (row.status, row.done, row.error, row.result) == (
        "failed",
        1,
        "RuntimeError: step 1 broke",
        None,
    )
    assert row.finished_at is not None
    container.relay.drain()
    assert finished == [JobFinished(job_id=job_id, kind=STEPS, status="failed")]


def test_a_result_json_cannot_hold_fails_the_job(container: Container, tag: str) -> None:
    job_id = start(container, steps=1, tag=tag, bad_result=True)

    row = job(container, job_id)
    assert (row.status, row.result) == ("failed", None)
    assert row.error == "TypeError: Object of type set is not JSON serializable"


def test_a_job_of_a_kind_no_longer_declared_fails(container: Container) -> None:
    with container.uow() as uow:
        uow.session.add(Job(kind="gone.kind", status="queued", params={}))
        uow.commit()
    with container.read_session() as session:
        job_id = session.scalars(select(Job.id)).one()

    assert run_job(container, job_id) is JobStatus.FAILED

    assert job(container, job_id).error == "There is no job kind 'gone.kind'"


def test_a_queued_job_is_cancelled_at_once(
    make_container: Callable[..., Container], container: Container, tag: str
) -> None:
    quiet = make_container(huey_immediate=False)
    job_id = start(quiet, steps=2, tag=tag)
    finished = _finished(container)

    with container.uow() as uow:
        cancelled = cancel_job(job_id, uow=uow)
        uow.commit()

    assert cancelled.status == "cancelled"
    assert run_job(container, job_id) is None
    row = job(container, job_id)
    assert (row.status, row.cancel_requested, row.attempts) == ("cancelled", True, 0)
    assert row.finished_at is not None
    assert ran(tag) == []
    container.relay.drain()
    assert finished == [JobFinished(job_id=job_id, kind=STEPS, status="cancelled")]


def test_a_running_job_stops_at_its_next_check_once_cancelled(
    container: Container, tag: str
) -> None:
    def cancel_during_step_one(step: int) -> None:
        if step == 1:
            with container.uow() as uow:
                requested = cancel_job(_job_id_of(container, tag), uow=uow)
                uow.commit()
            assert (requested.status, requested.cancel_requested) == ("running", True)

    ON_STEP[tag] = cancel_during_step_one

    job_id = start(container, steps=4, tag=tag)

    row = job(container, job_id)
    assert ran(tag) == [0, 1]
    assert (row.status, row.done, row.total, row.result) == ("cancelled", 2, 4, None)
    assert row.finished_at is not None


def _job_id_of(container: Container, tag: str) -> int:
    with container.read_session() as session:
        return session.scalars(select(Job.id).where(Job.params["tag"].as_string() == tag)).one()


def test_an_ended_job_cannot_be_cancelled(container: Container, tag: str) -> None:
    job_id = start(container, steps=1, tag=tag)

    with container.uow() as uow, pytest.raises(Conflict) as refused:
        cancel_job(job_id, uow=uow)

    assert (refused.value.code, refused.value.field) == ("job_ended", "status")
    assert job(container, job_id).status == "succeeded"


def test_the_sweep_resumes_a_dead_workers_job_from_its_checkpoint(
    make_container: Callable[..., Container], container: Container, tag: str
) -> None:
    quiet = make_container(huey_immediate=False)
    dead = start(quiet, steps=5, tag=tag)
    alive = start(quiet, steps=5, tag=tag + "-alive")
    left_by_dead_worker(container, dead, checkpoint={"next": 2}, done=2, total=5)
    left_by_dead_worker(container, alive, checkpoint={"next": 1}, done=1, total=5)
    _beat_now(container, alive)

    with container.uow() as uow:
        swept = sweep_jobs(uow=uow)
        uow.commit()

    assert swept.resumed == [dead] and swept.cancelled == [] and swept.requeued == []
    row = job(container, dead)
    assert ran(tag) == [2, 3, 4]
    assert (row.status, row.done, row.total, row.attempts) == ("succeeded", 5, 5, 2)
    assert row.result == {"steps": 5, "resumed_at": 2}
    # A job whose worker still beats is left to it.
    assert (job(container, alive).status, job(container, alive).attempts) == ("running", 1)
    assert ran(tag + "-alive") == []


def _beat_now(container: Container, job_id: int) -> None:
    with container.uow() as uow:
        uow.session.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow()))
        uow.commit()


def test_the_sweep_ends_a_dead_job_whose_cancel_was_asked(
    make_container: Callable[..., Container], container: Container, tag: str
) -> None:
    quiet = make_container(huey_immediate=False)
    job_id = start(quiet, steps=5, tag=tag)
    left_by_dead_worker(
        container, job_id, checkpoint={"next": 2}, done=2, total=5, cancel_requested=True
    )

    with container.uow() as uow:
        swept = sweep_jobs(uow=uow)
        uow.commit()

    assert (swept.resumed, swept.cancelled) == ([], [job_id])
    assert (job(container, job_id).status, job(container, job_id).done) == ("cancelled", 2)
    assert ran(tag) == []


def test_the_sweep_gives_up_on_a_job_whose_workers_keep_dying(
    make_container: Callable[..., Container], container: Container, tag: str
) -> None:
    quiet = make_container(huey_immediate=False)
    doomed = start(quiet, steps=5, tag=tag)
    left_by_dead_worker(container, doomed, checkpoint={"next": 1}, done=1, total=5)
    with container.uow() as uow:
        uow.session.execute(update(Job).where(Job.id == doomed).values(attempts=MAX_ATTEMPTS))
        uow.commit()

    assert claim_job(container, doomed) is None
    with container.uow() as uow:
        swept = sweep_jobs(uow=uow)
        uow.commit()

    row = job(container, doomed)
    assert (swept.resumed, swept.failed) == ([], [doomed])
    assert (row.status, row.error) == (
        "failed",
        f"Its worker stopped {MAX_ATTEMPTS} times; the job is not resumed again",
    )
    assert ran(tag) == []


def test_the_sweep_queues_again_a_job_whose_enqueue_was_lost(
    make_container: Callable[..., Container], container: Container, tag: str
) -> None:
    quiet = make_container(huey_immediate=False)
    lost = start(quiet, steps=1, tag=tag)
    recent = start(quiet, steps=1, tag=tag + "-recent")
    with container.uow() as uow:
        row = uow.session.get(Job, lost)
        assert row is not None
        row.created_at = row.created_at - timedelta(minutes=10)
        uow.commit()

    with container.uow() as uow:
        swept = sweep_jobs(uow=uow)
        uow.commit()

    assert (swept.resumed, swept.requeued) == ([], [lost])
    assert (job(container, lost).status, ran(tag)) == ("succeeded", [0])
    assert job(container, recent).status == "queued"


def test_a_worker_the_sweep_gave_up_on_writes_nothing_more(
    make_container: Callable[..., Container], container: Container, tag: str
) -> None:
    quiet = make_container(huey_immediate=False)
    job_id = start(quiet, steps=5, tag=tag)
    first = claim_job(container, job_id)
    assert first is not None
    left_by_dead_worker(container, job_id, checkpoint={"next": 2}, done=2, total=5)
    second = claim_job(container, job_id)
    assert second is not None and (first.attempt, second.attempt) == (1, 2)

    stale_context = JobContext(container, first, None)
    with pytest.raises(JobSuperseded):
        stale_context.checkpoint({"next": 4}, done=4)
    with pytest.raises(JobSuperseded):
        stale_context.cancelled()

    row = job(container, job_id)
    assert (row.checkpoint, row.done, row.attempts) == ({"next": 2}, 2, 2)


def test_the_runner_beats_while_the_job_runs(
    make_container: Callable[..., Container], container: Container, tag: str
) -> None:
    quiet = make_container(huey_immediate=False)
    job_id = start(quiet, steps=2, tag=tag)
    beats: list[Any] = []

    def wait_for_a_beat(step: int) -> None:
        first = job(container, job_id).heartbeat_at
        for _ in range(100):
            threading.Event().wait(0.02)
            if job(container, job_id).heartbeat_at != first:
                break
        beats.append((first, job(container, job_id).heartbeat_at))

    ON_STEP[tag] = wait_for_a_beat

    status = run_job(container, job_id, heartbeat_every=timedelta(milliseconds=50))

    assert status is JobStatus.SUCCEEDED
    assert len(beats) == 2 and all(before < after for before, after in beats)


def test_run_or_wait_runs_a_queued_job_here_and_reports_progress(
    make_container: Callable[..., Container], container: Container, tag: str
) -> None:
    quiet = make_container(huey_immediate=False)
    job_id = start(quiet, steps=3, tag=tag)
    seen: list[tuple[int, int]] = []

    row = run_or_wait(container, job_id, on_progress=lambda done, total: seen.append((done, total)))

    assert (row.status, ran(tag)) == ("succeeded", [0, 1, 2])
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3), (3, 3)]


def test_two_runners_never_run_the_same_job(
    make_container: Callable[..., Container], container: Container, tag: str
) -> None:
    # Two containers: two engines, so each runner claims over its own connection.
    first, second = make_container(huey_immediate=False), make_container(huey_immediate=False)
    job_ids = [start(first, steps=2, tag=f"{tag}-{n}") for n in range(4)]
    outcomes: dict[int, list[Any]] = {job_id: [] for job_id in job_ids}

    def runner(worker: Container, barrier: threading.Barrier, job_id: int) -> None:
        barrier.wait()
        outcomes[job_id].append(run_job(worker, job_id))

    for job_id in job_ids:
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=runner, args=(worker, barrier, job_id))
            for worker in (first, second)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    for n, job_id in enumerate(job_ids):
        assert sorted(outcomes[job_id], key=str) == [None, JobStatus.SUCCEEDED]
        assert ran(f"{tag}-{n}") == [0, 1]
        assert job(container, job_id).attempts == 1
