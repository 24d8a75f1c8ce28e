"""Several runner processes on one PostgreSQL database, each trying to run every
queued job: each job runs once, in one process, to the end.

PostgreSQL only: SQLite serialises the claims on its write lock, so the race
this guards against cannot happen there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from leadflow.bootstrap import Container
from leadflow.jobs.domain import JobStatus
from tests.integration.jobs.helpers import job, start
from tests.support.processes import StartLine, job_worker, worker_processes

pytestmark = [
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
    pytest.mark.slow,
]

RUNNERS = 4
JOBS = 12
STEPS = 3
# A job lasts 0.15 s, so one runner alone would need 1.8 s for all twelve: on a busy
# CI machine a runner that got the CPU first finished every job before the others
# woke, and the test then showed no race at all.
PAUSE = 0.05


def test_runner_processes_run_each_job_exactly_once(
    make_container: Callable[..., Container],
    container: Container,
    database_url: str,
    tmp_path: Path,
) -> None:
    # Queued, not run: nothing consumes this container's queue.
    starter = make_container(huey_immediate=False)
    job_ids = [start(starter, steps=STEPS, tag=f"many-{n}", pause=PAUSE) for n in range(JOBS)]
    start_line = StartLine(str(tmp_path / "start"), RUNNERS)
    processes = worker_processes()
    with processes.Pool(RUNNERS) as pool:
        results = pool.starmap(
            job_worker,
            [
                # Each runner walks the jobs from another place in the list.
                (database_url, str(tmp_path / f"var{n}"), job_ids[n:] + job_ids[:n], start_line)
                for n in range(RUNNERS)
            ],
        )

    outcomes = [outcome for part, _ in results for outcome in part]
    succeeded = Counter(job_id for job_id, status in outcomes if status is not None)
    assert succeeded == Counter(job_ids)
    assert {status for _, status in outcomes} == {None, str(JobStatus.SUCCEEDED)}
    steps = Counter(step for _, ran in results for step in ran)
    assert steps == Counter((f"many-{n}", step) for n in range(JOBS) for step in range(STEPS))
    for job_id in job_ids:
        row = job(container, job_id)
        assert (row.status, row.attempts, row.done, row.total) == ("succeeded", 1, STEPS, STEPS)
    # More than one process ran jobs.
    assert sum(1 for part, _ in results if any(status for _, status in part)) > 1
