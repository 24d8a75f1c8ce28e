"""The scheduled scoring tasks (what the worker's scheduler calls): the nightly
rescore lets scores fall as windows expire; the weekly retraining trains, or waits
a week when there are too few closed leads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from leadflow.bootstrap import Container
from leadflow.interactions.models import Interaction
from leadflow.jobs.runner import read_job
from leadflow.lib.clock import utcnow
from leadflow.scoring import predict
from leadflow.scoring.predict import latest_run
from leadflow.scoring.tasks import daily_rescore, weekly_predictive
from tests.integration.scoring.helpers import live_model, make_contact, make_lead, record, score_of

IN_A_WEEK = {
    "type": "behaviour",
    "kind": "email_opened",
    "frequency": "each",
    "min_count": 1,
    "cap": None,
    "window_days": 7,
    "target_id": None,
    "data": {},
}


def test_the_nightly_rescore_drops_points_whose_window_has_passed(container: Container) -> None:
    contact = make_contact(container)
    lead = make_lead(container, parent_contact_id=contact)
    model = live_model(container, rules=[{"points": 10, "conditions": [IN_A_WEEK]}])
    record(container, contact, "email_opened", utcnow() - timedelta(days=1))
    assert score_of(container, lead, model) == 10
    # Time passes: the interaction is now eight days old, and no event says so.
    with container.uow() as uow:
        uow.session.execute(update(Interaction).values(occurred_at=utcnow() - timedelta(days=8)))
        uow.commit()
    assert score_of(container, lead, model) == 10

    assert "scoring.daily" in container.queue.names
    job_id = daily_rescore(container.uow)  # its job runs on the test queue right after the commit
    container.relay.drain()

    assert read_job(container, job_id).status == "succeeded"
    assert score_of(container, lead, model) == 0


def _closed_leads(container: Container, per_class: int) -> None:
    for index in range(per_class * 2):
        qualified = index < per_class
        contact = make_contact(container, role="decision_maker" if qualified else "employee")
        if qualified:
            record(container, contact, "form_submitted", utcnow() - timedelta(days=3))
        make_lead(
            container,
            parent_contact_id=contact,
            status="qualified" if qualified else "disqualified",
        )


def test_the_weekly_retraining_waits_with_too_few_closed_leads_and_trains_with_enough(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(predict, "MIN_PER_CLASS", 5)
    _closed_leads(container, 4)
    assert "scoring.predictive_weekly" in container.queue.names
    assert weekly_predictive(container.uow) is None
    with container.read_session() as session:
        assert latest_run(session) is None

    _closed_leads(container, 2)
    run_id = weekly_predictive(container.uow)

    with container.read_session() as session:
        run = latest_run(session)
    assert run is not None
    assert (run.id, run.qualified, run.disqualified) == (run_id, 6, 6)
