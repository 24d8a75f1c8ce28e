"""The hand-over dashboard: funnel per stage, conversion, median time in stage, overdue work,
sales-ready leads per day. Every figure is one SQL query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from leadflow.leads.domain import LeadStatus
from leadflow.leads.models import Lead
from leadflow.lib.clock import utcnow
from leadflow.opportunities.domain import OpportunityStatus
from leadflow.opportunities.models import Opportunity
from leadflow.process import services as process
from leadflow.process.models import StageTransition
from leadflow.sales import services as sales


@dataclass(frozen=True)
class FunnelStage:
    key: str
    name: str
    now_in_stage: int
    entered: int
    moved_on: int
    median_seconds: float | None
    # The ends after the last stage (qualified, won): they have no stage of their own.
    end: bool = False

    @property
    def conversion(self) -> float | None:
        return None if not self.entered else self.moved_on / self.entered


def _entered(session: Session, process_key: str) -> dict[str, int]:
    rows = session.execute(
        select(StageTransition.to_stage, func.count(func.distinct(StageTransition.lead_id)))
        .where(StageTransition.process_key == process_key, StageTransition.to_stage.is_not(None))
        .group_by(StageTransition.to_stage)
    )
    return {str(stage): int(count) for stage, count in rows}


FINISHED = "finished"


def _moved_on(session: Session, process_key: str, stage: str, later: list[str]) -> int:
    """Leads that left `stage` forward: to a later stage (a skip counts, sales-ready leads
    jump the telemarketing stages) or out of the process's end as qualified."""
    forward = or_(
        StageTransition.to_stage.in_(later),
        and_(StageTransition.to_stage.is_(None), StageTransition.reason == FINISHED),
    )
    return int(
        session.scalar(
            select(func.count(func.distinct(StageTransition.lead_id))).where(
                StageTransition.process_key == process_key,
                StageTransition.from_stage == stage,
                forward,
            )
        )
        or 0
    )


def _ends(session: Session) -> list[FunnelStage]:
    """Qualified (leads qualified into an opportunity, through the process or not) and won
    (those whose opportunity was won)."""
    qualified_leads = select(Lead.id).where(Lead.status == LeadStatus.QUALIFIED.value)
    qualified = int(
        session.scalar(select(func.count()).select_from(qualified_leads.subquery())) or 0
    )
    won = int(
        session.scalar(
            select(func.count(func.distinct(Opportunity.originating_lead_id))).where(
                Opportunity.originating_lead_id.in_(qualified_leads),
                Opportunity.status == OpportunityStatus.WON.value,
            )
        )
        or 0
    )
    return [
        FunnelStage("qualified", "Qualified", qualified, qualified, won, None, end=True),
        FunnelStage("won", "Won", won, won, 0, None, end=True),
    ]


def _medians(session: Session, process_key: str) -> dict[str, float]:
    """Median seconds spent in each stage, over every time a lead left it (window functions,
    so both databases compute it)."""
    ranked = (
        select(
            StageTransition.from_stage.label("stage"),
            StageTransition.seconds_in_from.label("seconds"),
            func.row_number()
            .over(partition_by=StageTransition.from_stage, order_by=StageTransition.seconds_in_from)
            .label("position"),
            func.count().over(partition_by=StageTransition.from_stage).label("total"),
        )
        .where(
            StageTransition.process_key == process_key,
            StageTransition.from_stage.is_not(None),
            StageTransition.seconds_in_from.is_not(None),
        )
        .subquery()
    )
    middle = select(ranked.c.stage, func.avg(ranked.c.seconds)).where(
        ranked.c.position.in_([(ranked.c.total + 1) / 2, (ranked.c.total + 2) / 2])
    )
    rows = session.execute(middle.group_by(ranked.c.stage))
    return {str(stage): float(value) for stage, value in rows}


def funnel(session: Session, process_key: str | None = None) -> list[FunnelStage]:
    key = process_key or process.default_process_key(session)
    definition = process.load_definition(session, key)
    counts = process.stage_counts(session, key)
    entered = _entered(session, key)
    medians = _medians(session, key)
    keys = [stage.key for stage in definition.stages]
    stages = [
        FunnelStage(
            stage.key,
            stage.name,
            int(counts.get(stage.key, 0)),
            entered.get(stage.key, 0),
            _moved_on(session, key, stage.key, keys[index + 1 :]),
            medians.get(stage.key),
        )
        for index, stage in enumerate(definition.stages)
    ]
    return stages + _ends(session)


def sales_ready_per_day(session: Session, days: int = 30) -> list[tuple[str, int]]:
    since = utcnow() - timedelta(days=days)
    day = func.date(Lead.sales_ready_at)
    rows = session.execute(
        select(day, func.count())
        .where(Lead.sales_ready_at.is_not(None), Lead.sales_ready_at >= since)
        .group_by(day)
        .order_by(day)
    )
    return [(str(value), int(count)) for value, count in rows]


def dashboard(session: Session) -> dict[str, Any]:
    stages = funnel(session)
    return {
        "funnel": [
            {
                "stage": stage.key,
                "name": stage.name,
                "now_in_stage": stage.now_in_stage,
                "entered": stage.entered,
                "moved_on": stage.moved_on,
                "conversion": None if stage.key == "won" else stage.conversion,
                "median_seconds_in_stage": stage.median_seconds,
                "end": stage.end,
            }
            for stage in stages
        ],
        "overdue_tasks": sales.overdue_count(session),
        "escalated_tasks": sales.escalated_count(session),
        "recycled_leads": sales.recycle_count(session),
        "sales_ready_per_day": [
            {"day": day, "count": count} for day, count in sales_ready_per_day(session)
        ],
    }
