"""Runs compiled models and writes what changed: scores, history, events, sales-ready.

Both paths end here: the incremental one with a few lead ids, the full rescore
with id ranges. Writes are idempotent: running the same computation twice
changes nothing the second time, so at-least-once delivery is harmless.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.leads.services import mark_sales_ready
from leadflow.org.domain import AUTO_SALES_READY
from leadflow.org.services import switch_is_on
from leadflow.registry.domain import Registry
from leadflow.scoring.compiler import Cutoffs, LeadScope, compile_model, scope_values
from leadflow.scoring.domain import (
    ModelDefinition,
    Status,
    Target,
    changed_rules,
    explain,
    parse_definition,
)
from leadflow.scoring.events import LeadScored, ScoreChanged
from leadflow.scoring.models import LeadScore, ScoreHistory, ScoringModel

SCORES: Table = LeadScore.__table__  # type: ignore[assignment]
HISTORY: Table = ScoreHistory.__table__  # type: ignore[assignment]
UPDATED_COLUMNS = ("score", "grade", "model_version", "explanation", "rule_times", "computed_at")


@dataclass(frozen=True)
class CompiledModel:
    """A model as the engine needs it, parsed once per version."""

    id: int
    name: str
    version: int
    target: Target
    threshold: int | None
    definition: ModelDefinition
    stamp: datetime
    # Built statements by scope kind: compiled once per version, run with new parameters.
    statements: dict[str, tuple[Select[Any], Cutoffs]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def statement(self, registry: Registry, scope: LeadScope) -> tuple[Select[Any], Cutoffs]:
        kind = "ids" if scope.lead_ids is not None else "range" if scope.id_range else "all"
        built = self.statements.get(kind)
        if built is None:
            built = compile_model(self.definition, self.target, registry, scope=scope)
            self.statements[kind] = built
        return built

    @classmethod
    def of(cls, row: ScoringModel, registry: Registry) -> CompiledModel:
        definition, _problems = parse_definition(row.definition, registry)
        return cls(
            id=row.id,
            name=row.name,
            version=row.version,
            target=Target(row.entity_target),
            threshold=row.sales_ready_threshold,
            definition=definition,
            stamp=row.updated_at,
        )


class LiveModels:
    """This process's parsed live models, checked against the database before each use.

    One cheap query (ids, versions, stamps of live models) tells whether another
    process went live, stopped or edited a model; only those are reloaded.
    """

    def __init__(self) -> None:
        self._models: dict[int, CompiledModel] = {}
        self._registry: Registry | None = None
        self._lock = threading.Lock()

    def current(self, session: Session, registry: Registry) -> list[CompiledModel]:
        stamps = session.execute(
            select(ScoringModel.id, ScoringModel.version, ScoringModel.updated_at).where(
                ScoringModel.status == Status.LIVE.value
            )
        ).all()
        with self._lock:
            if registry is not self._registry:
                self._models = {}
                self._registry = registry
            fresh = {
                model_id: cached
                for model_id, version, stamp in stamps
                if (cached := self._models.get(model_id)) is not None
                and cached.version == version
                and cached.stamp == stamp
            }
            missing = [model_id for model_id, _version, _stamp in stamps if model_id not in fresh]
            if missing:
                rows = session.scalars(select(ScoringModel).where(ScoringModel.id.in_(missing)))
                for row in rows:
                    fresh[row.id] = CompiledModel.of(row, registry)
            self._models = fresh
            return [fresh[model_id] for model_id in sorted(fresh)]


def compute_times(
    session: Session,
    registry: Registry,
    definition: ModelDefinition,
    target: Target,
    *,
    now: datetime,
    scope: LeadScope,
    built: tuple[Select[Any], Cutoffs] | None = None,
) -> dict[int, list[int]]:
    """lead id -> how often each rule applied, for every lead in scope the model scores."""
    statement, cutoffs = built or compile_model(definition, target, registry, scope=scope)
    params = {**cutoffs.values(now), **scope_values(scope)}
    rows = session.execute(statement, params) if params else session.execute(statement)
    return {row[0]: [int(value) for value in row[1:]] for row in rows}


@dataclass
class ApplyResult:
    scored: int = 0
    changed: int = 0
    removed: int = 0
    sales_ready: int = 0


def apply_model(
    uow: UnitOfWork,
    model: CompiledModel,
    *,
    now: datetime,
    scope: LeadScope,
    auto_sales_ready: bool | None = None,
) -> ApplyResult:
    """Recompute one model's scores for the leads in scope and write what changed.

    A stored row is compared by model version and rule counts (`rule_times`), so an
    unchanged lead costs a string comparison; explanations are built only for rows
    that change.
    """
    session = uow.session
    computed = compute_times(
        session,
        uow.registry,
        model.definition,
        model.target,
        now=now,
        scope=scope,
        built=model.statement(uow.registry, scope),
    )
    existing_query = select(
        LeadScore.id,
        LeadScore.lead_id,
        LeadScore.score,
        LeadScore.model_version,
        LeadScore.rule_times,
    ).where(LeadScore.model_id == model.id)
    if scope.lead_ids is not None:
        existing_query = existing_query.where(LeadScore.lead_id.in_(sorted(scope.lead_ids)))
    if scope.id_range is not None:
        existing_query = existing_query.where(LeadScore.lead_id.between(*scope.id_range))
    existing = {row.lead_id: row for row in session.execute(existing_query)}

    definition = model.definition
    points = [rule.points for rule in definition.rules]
    result = ApplyResult(scored=len(computed))
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    # (lead, old score, score, grade, explanation, old explanation or row id to read it)
    moved: list[tuple[int, int, int, str | None, list[dict[str, Any]], Any]] = []
    crossings: list[int] = []
    for lead_id, times in computed.items():
        signature = ",".join(map(str, times))
        before = existing.pop(lead_id, None)
        if (
            before is not None
            and before.rule_times == signature
            and before.model_version == model.version
        ):
            continue
        score = sum(p * t for p, t in zip(points, times, strict=True))
        grade = definition.grade_of(score)
        explanation = [item.public() for item in explain(definition, times)[1]]
        values = {
            "score": score,
            "grade": grade,
            "model_version": model.version,
            "explanation": explanation,
            "rule_times": signature,
            "computed_at": now,
        }
        if before is None:
            inserts.append({"lead_id": lead_id, "model_id": model.id, **values})
            moved.append((lead_id, -1, score, grade, explanation, []))
            uow.publish(LeadScored(lead_id=lead_id, model_id=model.id, score=score, grade=grade))
            old_score: int | None = None
        else:
            updates.append({"id": before.id, **values})
            old_score = before.score
            if before.score != score:
                old: Any = before.id
                if before.model_version == model.version and before.rule_times:
                    old_times = [int(t) for t in before.rule_times.split(",")]
                    old = [item.public() for item in explain(definition, old_times)[1]]
                moved.append((lead_id, before.score, score, grade, explanation, old))
                uow.publish(
                    ScoreChanged(
                        lead_id=lead_id,
                        model_id=model.id,
                        old_score=before.score,
                        new_score=score,
                        grade=grade,
                    )
                )
        threshold = model.threshold
        if (
            threshold is not None
            and score >= threshold
            and (old_score is None or old_score < threshold)
        ):
            crossings.append(lead_id)
    result.changed = sum(1 for item in moved if item[1] != -1)
    if inserts:
        # Core statements: executemany without the ORM's per-row bookkeeping.
        session.execute(insert(SCORES), inserts)
    if updates:
        # Earlier explanations of rows scored by another version are read before they go.
        unread = [item[5] for item in moved if isinstance(item[5], int)]
        earlier: dict[int, list[Any]] = {}
        if unread:
            earlier = dict(
                session.execute(
                    select(LeadScore.id, LeadScore.explanation).where(LeadScore.id.in_(unread))
                ).all()
            )
        moved = [
            (*item[:5], earlier.get(item[5], []) if isinstance(item[5], int) else item[5])
            for item in moved
        ]
        session.execute(
            update(SCORES)
            .where(SCORES.c.id == bindparam("row_id"))
            .values({name: bindparam(f"new_{name}") for name in UPDATED_COLUMNS}),
            [
                {"row_id": row["id"], **{f"new_{name}": row[name] for name in UPDATED_COLUMNS}}
                for row in updates
            ],
        )
    if moved:
        session.execute(
            insert(HISTORY),
            [
                {
                    "lead_id": lead_id,
                    "model_id": model.id,
                    "old_score": None if old_score_value == -1 else old_score_value,
                    "new_score": score,
                    "grade": grade,
                    "changed_rules": changed_rules(old_explanation, explanation),
                    "changed_at": now,
                }
                for lead_id, old_score_value, score, grade, explanation, old_explanation in moved
            ],
        )
    if existing:
        # Leads in scope the model no longer scores (parent removed, became account-based).
        gone = [row.id for row in existing.values()]
        session.execute(delete(LeadScore).where(LeadScore.id.in_(gone)))
        result.removed = len(gone)
    if crossings and auto_sales_ready is None:
        auto_sales_ready = switch_is_on(session, AUTO_SALES_READY.key)
    if crossings and auto_sales_ready:
        for lead_id in crossings:
            if mark_sales_ready(lead_id, model_id=model.id, uow=uow):
                result.sales_ready += 1
    return result


def rescore_leads(
    uow: UnitOfWork, models: list[CompiledModel], lead_ids: Collection[int], *, now: datetime
) -> ApplyResult:
    """The incremental path: every live model over the given leads only."""
    total = ApplyResult()
    if not lead_ids:
        return total
    scope = LeadScope(lead_ids=frozenset(lead_ids))
    for model in models:
        part = apply_model(uow, model, now=now, scope=scope)
        total.scored += part.scored
        total.changed += part.changed
        total.removed += part.removed
        total.sales_ready += part.sales_ready
    return total
