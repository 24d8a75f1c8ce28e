from __future__ import annotations

from datetime import timedelta

import pytest

from leadflow.bootstrap import Container
from leadflow.errors import ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.scoring.predict import latest_run, train_predictive
from leadflow.scoring.services import lead_scores
from tests.integration.scoring.helpers import make_contact, make_lead, record


def _closed(container: Container, status: str, count: int, *, engaged: bool) -> list[int]:
    leads = []
    for index in range(count):
        contact = make_contact(container, role="decision_maker" if engaged else "employee")
        if engaged or index % 5 == 0:
            record(container, contact, "form_submitted", utcnow() - timedelta(days=3))
        leads.append(make_lead(container, parent_contact_id=contact, status=status))
    return leads


def test_too_few_closed_leads_refuse_with_a_clear_message(container: Container) -> None:
    _closed(container, "qualified", 3, engaged=True)
    with container.uow() as uow, pytest.raises(ValidationFailed) as refused:
        train_predictive(uow=uow)
    assert "3 qualified and 0 disqualified" in refused.value.message
    assert "at least 20 of each" in refused.value.message


def test_the_predictive_score_separates_engaged_from_idle_leads(container: Container) -> None:
    good = _closed(container, "qualified", 24, engaged=True)
    bad = _closed(container, "disqualified", 24, engaged=False)
    fresh_contact = make_contact(container, role="decision_maker")
    record(container, fresh_contact, "form_submitted", utcnow())
    fresh = make_lead(container, parent_contact_id=fresh_contact)
    with container.uow() as uow:
        run = train_predictive(uow=uow)
        uow.commit()
    assert (run.qualified, run.disqualified) == (24, 24)
    assert run.holdout_auc >= 0.9
    with container.read_session() as session:
        assert latest_run(session) is not None
        predicted = lead_scores(session, fresh)["prediction"]
        low = lead_scores(session, bad[1])["prediction"]
        high = lead_scores(session, good[0])["prediction"]
    assert predicted["probability"] > 0.5 > low["probability"]
    assert high["probability"] > low["probability"]
    named = " ".join(factor["feature"] for factor in predicted["factors"])
    assert "decision_maker" in named or "form_submitted" in named
