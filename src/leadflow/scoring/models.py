"""Tables of the scoring capability."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow


class ScoringModel(Base):
    """A lead scoring model: its rules and grades live in `definition` (JSON)."""

    __tablename__ = "scoring_models"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    entity_target: Mapped[str] = mapped_column(String(16), default="contact")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # Bumped on every go-live; score rows say which version computed them.
    version: Mapped[int] = mapped_column(Integer, default=0)
    definition: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    sales_ready_threshold: Mapped[int | None] = mapped_column(Integer)
    went_live_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LeadScore(Base):
    """One lead's current score under one live model, with the rules that made it."""

    __tablename__ = "lead_scores"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    lead_id: Mapped[int] = mapped_column(Id, ForeignKey("leads.id", ondelete="CASCADE"))
    model_id: Mapped[int] = mapped_column(
        Id, ForeignKey("scoring_models.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(100))
    model_version: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[list[Any]] = mapped_column(JsonData, default=list)
    # How often each rule applied ("0,2,1"): with model_version, tells whether anything
    # changed without reading the explanation.
    rule_times: Mapped[str] = mapped_column(Text, default="")
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("lead_id", "model_id"),)


class ScoreHistory(Base):
    """Every change of a lead's score: when, from what, to what, and which rules moved."""

    __tablename__ = "score_history"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    lead_id: Mapped[int] = mapped_column(Id, ForeignKey("leads.id", ondelete="CASCADE"))
    model_id: Mapped[int] = mapped_column(Id, ForeignKey("scoring_models.id", ondelete="CASCADE"))
    old_score: Mapped[int | None] = mapped_column(Integer)
    new_score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(100))
    changed_rules: Mapped[list[Any]] = mapped_column(JsonData, default=list)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_score_history_lead_id_changed_at", "lead_id", "changed_at"),
        Index("ix_score_history_model_id_changed_at", "model_id", "changed_at"),
    )


class PredictionRun(Base):
    """One training of the predictive score: when, on how many closed leads, how well."""

    __tablename__ = "prediction_runs"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    qualified: Mapped[int] = mapped_column(Integer)
    disqualified: Mapped[int] = mapped_column(Integer)
    holdout_auc: Mapped[float] = mapped_column(Float)
    # Feature name -> coefficient on standardised values, largest first.
    weights: Mapped[list[Any]] = mapped_column(JsonData, default=list)


class LeadPrediction(Base):
    """A lead's probability of being qualified under the latest predictive run."""

    __tablename__ = "lead_predictions"

    lead_id: Mapped[int] = mapped_column(
        Id, ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True
    )
    run_id: Mapped[int] = mapped_column(Id, ForeignKey("prediction_runs.id", ondelete="CASCADE"))
    probability: Mapped[float] = mapped_column(Float)
    factors: Mapped[list[Any]] = mapped_column(JsonData, default=list)
