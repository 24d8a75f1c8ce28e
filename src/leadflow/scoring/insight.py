"""Insight on scoring models: distribution and grades, what-if on a draft, backtest (AUC, lift)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.registry.domain import Registry
from leadflow.registry.sql import table_for
from leadflow.scoring.compiler import LeadScope, scorable_clause
from leadflow.scoring.domain import ModelDefinition, Target
from leadflow.scoring.engine import compute_times
from leadflow.scoring.models import LeadScore
from leadflow.scoring.services import definition_of, get_model


def _distribution(scores: list[int], buckets: int = 10) -> list[dict[str, Any]]:
    if not scores:
        return []
    low, high = min(scores), max(scores)
    width = max(1, -(-(high - low + 1) // buckets))
    counts: dict[int, int] = {}
    for score in scores:
        counts[(score - low) // width] = counts.get((score - low) // width, 0) + 1
    return [
        {
            "from": low + index * width,
            "to": low + (index + 1) * width - 1,
            "count": counts.get(index, 0),
        }
        for index in range((high - low) // width + 1)
    ]


def _summary(
    definition: ModelDefinition, threshold: int | None, scores: list[int]
) -> dict[str, Any]:
    grades: dict[str, int] = {grade.name: 0 for grade in definition.grades}
    ungraded = 0
    for score in scores:
        grade = definition.grade_of(score)
        if grade is None:
            ungraded += 1
        else:
            grades[grade] += 1
    return {
        "leads_scored": len(scores),
        "distribution": _distribution(scores),
        "grades": [{"grade": name, "count": count} for name, count in grades.items()],
        "ungraded": ungraded,
        "sales_ready": sum(1 for s in scores if threshold is not None and s >= threshold),
        "average": round(sum(scores) / len(scores), 2) if scores else None,
    }


def what_if(
    session: Session, registry: Registry, model_id: int, *, now: datetime | None = None
) -> dict[str, Any]:
    """The model (draft or not) run against today's data, writing nothing."""
    row = get_model(session, model_id)
    definition, problems = definition_of(row, registry)
    problems.raise_first()
    times = compute_times(
        session,
        registry,
        definition,
        Target(row.entity_target),
        now=now or utcnow(),
        scope=LeadScope(),
    )
    scores = [
        sum(rule.points * count for rule, count in zip(definition.rules, counts, strict=True))
        for counts in times.values()
    ]
    summary = _summary(definition, row.sales_ready_threshold, scores)
    leads = table_for("lead")
    sales_ready_now = session.scalar(
        select(func.count()).select_from(leads).where(leads.c.sales_ready.is_(True))
    )
    ready_ids = {
        lead_id
        for lead_id, counts in times.items()
        if row.sales_ready_threshold is not None
        and sum(rule.points * c for rule, c in zip(definition.rules, counts, strict=True))
        >= row.sales_ready_threshold
    }
    already = 0
    if ready_ids:
        already = int(
            session.scalar(
                select(func.count())
                .select_from(leads)
                .where(leads.c.sales_ready.is_(True), leads.c.id.in_(sorted(ready_ids)))
            )
            or 0
        )
    summary["would_become_sales_ready"] = len(ready_ids) - already
    summary["sales_ready_now"] = int(sales_ready_now or 0)
    summary["unscorable"] = int(
        session.scalar(
            select(func.count())
            .select_from(leads)
            .where(~scorable_clause(Target(row.entity_target)))
        )
        or 0
    )
    return summary


def insights(session: Session, registry: Registry, model_id: int) -> dict[str, Any]:
    """Leads scored, distribution, leads per grade and sales-ready marks over time."""
    row = get_model(session, model_id)
    definition, _problems = definition_of(row, registry)
    scores = list(session.scalars(select(LeadScore.score).where(LeadScore.model_id == model_id)))
    summary = _summary(definition, row.sales_ready_threshold, scores)
    leads = table_for("lead")
    day = func.date(leads.c.sales_ready_at)
    over_time = session.execute(
        select(day.label("day"), func.count())
        .select_from(leads.join(LeadScore.__table__, LeadScore.lead_id == leads.c.id))
        .where(
            LeadScore.model_id == model_id,
            leads.c.sales_ready.is_(True),
            leads.c.sales_ready_at.is_not(None),
        )
        .group_by(day)
        .order_by(day)
    ).all()
    summary["sales_ready_over_time"] = [{"day": str(d), "count": int(c)} for d, c in over_time]
    return summary


def backtest(
    session: Session, registry: Registry, model_id: int, *, now: datetime | None = None
) -> dict[str, Any]:
    """How well the model separates qualified from disqualified leads: AUC and lift by decile."""
    row = get_model(session, model_id)
    definition, problems = definition_of(row, registry)
    problems.raise_first()
    leads = table_for("lead")
    outcomes = dict(
        session.execute(
            select(leads.c.id, leads.c.status).where(
                leads.c.status.in_(("qualified", "disqualified"))
            )
        ).all()
    )
    times = (
        compute_times(
            session,
            registry,
            definition,
            Target(row.entity_target),
            now=now or utcnow(),
            scope=LeadScope(lead_ids=list(outcomes)),
        )
        if outcomes
        else {}
    )
    pairs = [
        (
            sum(rule.points * c for rule, c in zip(definition.rules, counts, strict=True)),
            outcomes[lead_id] == "qualified",
        )
        for lead_id, counts in times.items()
    ]
    positives = sum(1 for _s, good in pairs if good)
    negatives = len(pairs) - positives
    if positives == 0 or negatives == 0:
        raise ValidationFailed(
            "A backtest needs scorable leads that were qualified and others that were disqualified",
            field="model_id",
            code=ErrorCode.NOT_ENOUGH_DATA,
        )
    return {
        "leads": len(pairs),
        "qualified": positives,
        "disqualified": negatives,
        "auc": auc(pairs),
        "lift": lift_table(pairs),
    }


def auc(pairs: list[tuple[int, bool]]) -> float:
    """Probability that a qualified lead outscores a disqualified one (ties count half)."""
    ordered = sorted(pairs, key=lambda pair: pair[0])
    rank_sum = 0.0
    index = 0
    while index < len(ordered):
        end = index
        while end + 1 < len(ordered) and ordered[end + 1][0] == ordered[index][0]:
            end += 1
        average_rank = (index + end) / 2 + 1
        rank_sum += average_rank * sum(1 for _s, good in ordered[index : end + 1] if good)
        index = end + 1
    positives = sum(1 for _s, good in pairs if good)
    negatives = len(pairs) - positives
    return round((rank_sum - positives * (positives + 1) / 2) / (positives * negatives), 4)


def lift_table(pairs: list[tuple[int, bool]], deciles: int = 10) -> list[dict[str, Any]]:
    ordered = sorted(pairs, key=lambda pair: -pair[0])
    base_rate = sum(1 for _s, good in pairs if good) / len(pairs)
    table = []
    for decile in range(deciles):
        chunk = ordered[decile * len(ordered) // deciles : (decile + 1) * len(ordered) // deciles]
        if not chunk:
            continue
        rate = sum(1 for _s, good in chunk if good) / len(chunk)
        table.append(
            {
                "decile": decile + 1,
                "leads": len(chunk),
                "min_score": chunk[-1][0],
                "max_score": chunk[0][0],
                "qualified_rate": round(rate, 4),
                "lift": round(rate / base_rate, 3) if base_rate else None,
            }
        )
    return table
