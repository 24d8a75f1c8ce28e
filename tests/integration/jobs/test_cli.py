"""`leadflow jobs list | show | cancel`, and long commands following their job with a bar."""

from __future__ import annotations

import json
from collections.abc import Callable

from leadflow.bootstrap import Container
from leadflow.leads.services import create_lead
from tests.integration.jobs.helpers import job, start
from tests.support.cli_fixtures import RunCli


def test_list_show_and_cancel_jobs(
    container: Container, make_container: Callable[..., Container], run_cli: RunCli, tag: str
) -> None:
    queued = start(make_container(huey_immediate=False), steps=2, tag=tag)
    ended = start(container, steps=1, tag=tag)

    listed = run_cli("jobs", "list")
    only_queued = run_cli("jobs", "list", "--status", "queued")
    shown = run_cli("jobs", "show", str(ended))
    cancelled = run_cli("jobs", "cancel", str(queued))
    again = run_cli("jobs", "cancel", str(queued))
    missing = run_cli("jobs", "show", "999999")

    assert listed.returncode == 0, listed.stderr
    heading, *lines = listed.stdout.splitlines()
    assert heading == "id\tkind\tstatus\tdone\tcreated"
    rows = [line.split("\t")[:4] for line in lines]
    assert rows == [
        [str(ended), "test.steps", "succeeded", "1/1"],
        [str(queued), "test.steps", "queued", "0/0"],
    ]
    assert [line.split("\t")[0] for line in only_queued.stdout.splitlines()[1:]] == [str(queued)]
    fields = dict(line.split(": ", 1) for line in shown.stdout.splitlines())
    assert (fields["status"], fields["done"], fields["total"]) == ("succeeded", "1", "1")
    assert json.loads(fields["result"]) == {"steps": 1, "resumed_at": 0}
    assert cancelled.stdout.strip() == f"job {queued}: cancelled"
    assert job(container, queued).status == "cancelled"
    assert again.returncode == 2 and "error job_ended [field status]" in again.stderr
    assert missing.returncode == 2 and "error not_found" in missing.stderr


def test_the_backfill_runs_its_job_with_a_progress_bar_or_only_queues_it(
    container: Container, run_cli: RunCli
) -> None:
    with container.uow() as uow:
        for n in range(2):
            create_lead({"email": f"b{n}@example.com", "last_name": f"B{n}"}, uow=uow)
        uow.commit()

    queued = run_cli("automation", "backfill-orphans", "--background")
    ran = run_cli("automation", "backfill-orphans")

    assert queued.returncode == 0, queued.stderr
    queued_id = int(queued.stderr.split()[1])
    assert job(container, queued_id).status == "queued"
    assert ran.returncode == 0, ran.stderr
    assert "orphan leads" in ran.stderr and "2/2" in ran.stderr
    assert "2 linked, 0 skipped of 2" in ran.stderr
