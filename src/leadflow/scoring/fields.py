"""Scoring's derived list fields of a lead: its score and grade, its best under any model."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select

from leadflow.leads.models import Lead
from leadflow.registry.derived import DerivedField, derived
from leadflow.registry.domain import FieldType
from leadflow.scoring.models import LeadScore


def _score() -> ColumnElement[Any]:
    return select(func.max(LeadScore.score)).where(LeadScore.lead_id == Lead.id).scalar_subquery()


def _grade() -> ColumnElement[Any]:
    return (
        select(LeadScore.grade)
        .where(LeadScore.lead_id == Lead.id)
        .order_by(LeadScore.score.desc(), LeadScore.model_id)
        .limit(1)
        .scalar_subquery()
    )


DERIVED = (
    DerivedField(derived("lead", "score", "Score", FieldType.INTEGER), _score),
    DerivedField(derived("lead", "grade", "Grade", FieldType.TEXT), _grade),
)
