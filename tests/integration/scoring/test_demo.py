from __future__ import annotations

import pytest
from sqlalchemy import func, select

from leadflow.leads.models import Lead
from leadflow.scoring.models import LeadScore, ScoringModel
from tests.support.demo_fixtures import LoadedDemo

pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.slow]


def test_the_demo_has_live_models_that_scored_its_leads(demo: LoadedDemo) -> None:
    container = demo.container
    lines = [line for line in demo.lines if line.startswith("scoring model")]
    assert len(lines) == 2
    with container.read_session() as session:
        models = session.scalars(select(ScoringModel).order_by(ScoringModel.id)).all()
        assert [(m.name, m.status) for m in models] == [
            ("Engagement", "live"),
            ("Account reach", "live"),
        ]
        for model in models:
            scored = session.scalar(
                select(func.count()).select_from(LeadScore).where(LeadScore.model_id == model.id)
            )
            assert scored and f"'{model.name}' live: {scored} leads scored" in " ".join(lines)
        distinct = session.scalar(select(func.count(func.distinct(LeadScore.score))))
        assert distinct and distinct > 5
        by_score = session.scalar(
            select(func.count()).select_from(Lead).where(Lead.sales_ready_source == "score")
        )
        assert by_score and by_score > 0
