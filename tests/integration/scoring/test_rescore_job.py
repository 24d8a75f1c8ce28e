"""The full rescore as a job: it checkpoints per id range, resumes there after a crash,
and stops between ranges when cancelled."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import update

from leadflow.bootstrap import Container
from leadflow.jobs.errors import JobCancelled
from leadflow.jobs.models import Job
from leadflow.jobs.runner import JobContext, claim_job
from leadflow.jobs.services import sweep_jobs
from leadflow.scoring.services import create_model, go_live, run_rescore
from tests.integration.jobs.helpers import job, left_by_dead_worker
from tests.integration.scoring.helpers import make_contact, make_lead, score_of

CTO_RULE = {
    "points": 9,
    "conditions": [{"entity": "contact", "field": "job_title", "op": "eq", "value": "CTO"}],
}


def _live_but_not_rescored(
    container: Container, make_container: Callable[..., Container]
) -> tuple[int, int, list[int]]:
    """Five leads and a model gone live whose rescore job is queued, not run."""
    contact = make_contact(container, job_title="CTO")
    leads = [make_lead(container, parent_contact_id=contact) for _ in range(5)]
    with container.uow() as uow:
        model_id = create_model({"name": "Resume", "rules": [CTO_RULE]}, uow=uow).id
        uow.commit()
    without_worker = make_container(huey_immediate=False)
    with without_worker.uow() as uow:
        job_id = go_live(model_id, uow=uow).id
        uow.commit()
    return model_id, job_id, leads


def test_a_crashed_rescore_resumes_at_the_first_range_it_had_not_committed(
    container: Container, make_container: Callable[..., Container]
) -> None:
    model_id, job_id, leads = _live_but_not_rescored(container, make_container)
    params = dict(job(container, job_id).params)
    # The dead worker committed the range holding the first two leads, then died.
    left_by_dead_worker(
        container,
        job_id,
        params={**params, "batch_size": 2},
        checkpoint={
            "model_id": model_id,
            "start": leads[2],
            "totals": {"scored": 2, "changed": 2, "removed": 0, "sales_ready": 0},
        },
        done=2,
        total=5,
    )

    with container.uow() as uow:
        swept = sweep_jobs(uow=uow)
        uow.commit()

    row = job(container, job_id)
    assert swept.resumed == [job_id]
    assert (row.status, row.attempts, row.done, row.total) == ("succeeded", 2, 5, 5)
    # Totals carry on from the checkpoint (first scores count as scored, not changed).
    assert row.result == {"scored": 5, "changed": 2, "removed": 0, "sales_ready": 0}
    # Two more ranges of two ids from the checkpoint: the last ends past the last lead.
    assert row.checkpoint == {
        "model_id": model_id,
        "start": leads[2] + 4,
        "totals": {"scored": 5, "changed": 2, "removed": 0, "sales_ready": 0},
    }
    # The ranges before the checkpoint are not computed again.
    assert [score_of(container, lead, model_id) for lead in leads] == [None, None, 9, 9, 9]


def test_a_cancelled_rescore_stops_before_its_next_range(
    container: Container, make_container: Callable[..., Container]
) -> None:
    model_id, job_id, leads = _live_but_not_rescored(container, make_container)
    claim = claim_job(container, job_id)
    assert claim is not None
    with container.uow() as uow:
        uow.session.execute(update(Job).where(Job.id == job_id).values(cancel_requested=True))
        uow.commit()

    with pytest.raises(JobCancelled):
        run_rescore(JobContext(container, claim, None), claim.params)

    assert [score_of(container, lead, model_id) for lead in leads] == [None] * 5
    assert (job(container, job_id).done, job(container, job_id).total) == (0, 5)
