"""Demo additions: two live scoring models (contact-based and account-based), scored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from leadflow.bootstrap import Container
from leadflow.demo.dataset import DemoLoaded
from leadflow.jobs.runner import run_or_wait
from leadflow.scoring.models import LeadScore, ScoringModel
from leadflow.scoring.services import create_model, go_live

GRADES = [
    {"name": "Cold", "min": None, "max": 24},
    {"name": "Warm", "min": 25, "max": 59},
    {"name": "Hot", "min": 60, "max": None},
]


def _behaviour(kind: str, frequency: str, **extra: Any) -> dict[str, Any]:
    return {"type": "behaviour", "kind": kind, "frequency": frequency, **extra}


ENGAGEMENT: dict[str, Any] = {
    "name": "Engagement",
    "description": "Demo: who the contact is and what they did in the last 30 to 90 days.",
    "entity_target": "contact",
    "sales_ready_threshold": 60,
    "grades": GRADES,
    "rules": [
        {
            "name": "Decision maker",
            "points": 15,
            "conditions": [
                {"entity": "contact", "field": "role", "op": "eq", "value": "decision_maker"}
            ],
        },
        {
            "name": "Sizeable company",
            "points": 10,
            "conditions": [
                {"entity": "account", "field": "employee_count", "op": "gte", "value": 200}
            ],
        },
        {
            "name": "Email clicks (30 days)",
            "points": 5,
            "conditions": [_behaviour("email_clicked", "each", cap=4, window_days=30)],
        },
        {
            "name": "Visited pricing",
            "points": 10,
            "conditions": [_behaviour("page_visited", "at_least", target_id="/pricing")],
        },
        {
            "name": "Submitted a form (90 days)",
            "points": 20,
            "conditions": [_behaviour("form_submitted", "at_least", window_days=90)],
        },
        {
            "name": "Attended an event",
            "points": 25,
            "conditions": [_behaviour("event_attended", "at_least")],
        },
        {
            "name": "Silent for 60 days",
            "points": -10,
            "conditions": [_behaviour("email_opened", "none", window_days=60)],
        },
    ],
}

ACCOUNT_REACH: dict[str, Any] = {
    "name": "Account reach",
    "description": "Demo: account-based leads, from every member's interactions.",
    "entity_target": "account",
    "sales_ready_threshold": 80,
    "rules": [
        {
            "name": "Opens across the account (30 days)",
            "points": 2,
            "conditions": [_behaviour("email_opened", "each", cap=20, window_days=30)],
        },
        {
            "name": "Large account",
            "points": 20,
            "conditions": [
                {"entity": "account", "field": "employee_count", "op": "gte", "value": 1000}
            ],
        },
    ],
}


def extend(container: Container, loaded: DemoLoaded) -> list[str]:
    lines = []
    for data in (ENGAGEMENT, ACCOUNT_REACH):
        with container.uow() as uow:
            existing = uow.session.scalar(
                select(ScoringModel.id).where(ScoringModel.name == data["name"])
            )
            if existing is not None:
                continue
            model = create_model(data, uow=uow)
            uow.commit()
            model_id = model.id
        with container.uow() as uow:
            job = go_live(model_id, uow=uow)
            uow.commit()
            job_id = job.id
        # Run here unless a worker took it: the demo must show scores without a worker.
        result = run_or_wait(container, job_id).result or {}
        scored, ready = result.get("scored", 0), result.get("sales_ready", 0)
        with container.read_session() as session:
            average = session.scalar(
                select(func.avg(LeadScore.score)).where(LeadScore.model_id == model_id)
            )
        lines.append(
            f"scoring model '{data['name']}' live: {scored} leads scored "
            f"(average {float(average or 0):.1f}), {ready} marked sales-ready"
        )
    return lines
