"""What the lead page and the model page read: scores, why one is missing, the history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.errors import NotFound
from leadflow.registry.sql import table_for
from leadflow.scoring.domain import Status, Target
from leadflow.scoring.models import LeadScore, ScoreHistory, ScoringModel
from leadflow.scoring.services._models import get_model, list_models


def unscorable_reason(lead: Mapping[str, Any], target: Target | None = None) -> str | None:
    """Why a model cannot score this lead (None when it can)."""
    contact = lead.get("parent_contact_id")
    account = lead.get("parent_account_id")
    if contact is None and account is None:
        return "The lead has no parent contact or parent account, so no model can score it."
    if target is Target.ACCOUNT and contact is not None:
        return (
            "The lead has a parent contact, so it is contact-based;"
            " this model scores account-based leads."
        )
    if target is Target.CONTACT and contact is None:
        return (
            "The lead has no parent contact, so it is account-based;"
            " this model scores contact-based leads."
        )
    return None


def lead_scores(session: Session, lead_id: int) -> dict[str, Any]:
    """Every live model's score for a lead, why one is missing, and the score history."""
    lead = _lead_of(session, lead_id)
    items = _live_scores(session, lead)
    history = _history(session, lead_id)
    from leadflow.scoring.predict import lead_prediction

    return {
        "lead_id": lead_id,
        "prediction": lead_prediction(session, lead_id),
        "unscorable_reason": unscorable_reason(lead),
        "sales_ready": bool(lead["sales_ready"]),
        "sales_ready_source": lead["sales_ready_source"],
        "scores": items,
        "history": history,
    }


def _lead_of(session: Session, lead_id: int) -> dict[str, Any]:
    """The lead's parents and sales-ready state."""
    leads = table_for("lead")
    found = (
        session.execute(
            select(
                leads.c.id,
                leads.c.parent_contact_id,
                leads.c.parent_account_id,
                leads.c.sales_ready,
                leads.c.sales_ready_source,
                leads.c.sales_ready_at,
            ).where(leads.c.id == lead_id)
        )
        .mappings()
        .first()
    )
    if found is None:
        raise NotFound(f"No lead {lead_id}", field="lead_id")
    return dict(found)


def _live_scores(session: Session, lead: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per live model, the lead's score and explanation, or why it has none."""
    models = list(
        session.scalars(
            select(ScoringModel)
            .where(ScoringModel.status == Status.LIVE.value)
            .order_by(ScoringModel.id)
        )
    )
    scores = {
        row.model_id: row
        for row in session.scalars(select(LeadScore).where(LeadScore.lead_id == lead["id"]))
    }
    items = []
    for model in models:
        score = scores.get(model.id)
        items.append(
            {
                "model_id": model.id,
                "model_name": model.name,
                "entity_target": model.entity_target,
                "threshold": model.sales_ready_threshold,
                "score": score.score if score else None,
                "grade": score.grade if score else None,
                "model_version": score.model_version if score else None,
                "computed_at": score.computed_at.isoformat() if score else None,
                "explanation": list(score.explanation) if score else [],
                "unscorable_reason": None
                if score
                else unscorable_reason(lead, Target(model.entity_target))
                or "Not scored yet: the model's rescore is still running.",
            }
        )
    return items


def _history(session: Session, lead_id: int) -> list[dict[str, Any]]:
    """The lead's last 100 score changes, newest first."""
    names = {model.id: model.name for model in list_models(session)}
    return [
        {
            "model_id": row.model_id,
            "model_name": names.get(row.model_id, ""),
            "old_score": row.old_score,
            "new_score": row.new_score,
            "grade": row.grade,
            "changed_rules": list(row.changed_rules or []),
            "changed_at": row.changed_at.isoformat(),
        }
        for row in session.scalars(
            select(ScoreHistory)
            .where(ScoreHistory.lead_id == lead_id)
            .order_by(ScoreHistory.changed_at.desc(), ScoreHistory.id.desc())
            .limit(100)
        )
    ]


def model_scores(session: Session, model_id: int, *, limit: int = 100) -> list[dict[str, Any]]:
    get_model(session, model_id)
    rows = session.scalars(
        select(LeadScore)
        .where(LeadScore.model_id == model_id)
        .order_by(LeadScore.score.desc(), LeadScore.lead_id)
        .limit(limit)
    )
    return [
        {
            "lead_id": row.lead_id,
            "score": row.score,
            "grade": row.grade,
            "model_version": row.model_version,
        }
        for row in rows
    ]
