"""The hand-over dashboard: funnel per stage, conversion, median time in stage, overdue work,
sales-ready leads per day. Every figure is one SQL query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from leadflow.leads.models import Lead
from leadflow.lib.clock import utcnow
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


def _moved_on(session: Session, process_key: str, stage: str, later: list[str]) -> int:
    """Leads that entered `stage` and afterwards entered a later stage."""
    if not later:
        return 0
    entered = aliased(StageTransition)
    onward = aliased(StageTransition)
    return int(
        session.scalar(
            select(func.count(func.distinct(entered.lead_id)))
            .select_from(entered)
            .join(
                onward,
                and_(
                    onward.lead_id == entered.lead_id,
                    onward.process_key == entered.process_key,
                    onward.to_stage.in_(later),
                    onward.occurred_at >= entered.occurred_at,
                ),
            )
            .where(entered.process_key == process_key, entered.to_stage == stage)
        )
        or 0
    )


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
    return [
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
                "conversion": stage.conversion,
                "median_seconds_in_stage": stage.median_seconds,
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
