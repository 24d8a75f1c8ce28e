"""Runs compiled models and writes what changed: scores, history, events, sales-ready.

Both paths end here: the incremental one with a few lead ids, the full rescore
with id ranges. Writes are idempotent: running the same computation twice
changes nothing the second time, so at-least-once delivery is harmless.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.leads.services import mark_sales_ready
from leadflow.registry.domain import Registry
from leadflow.registry.sql import table_for
from leadflow.scoring.compiler import (
    Cutoffs,
    LeadScope,
    compile_model,
    scope_values,
    scoped,
    scorable_clause,
)
from leadflow.scoring.domain import (
    ModelDefinition,
    Outcome,
    Status,
    Target,
    changed_rules,
    parse_definition,
)
from leadflow.scoring.events import LeadScored, ScoreChanged
from leadflow.scoring.models import LeadScore, ScoreHistory, ScoringModel
from leadflow.scoring.writer import old_key, prepare_scratch, store_computed, write_model
from leadflow.switches.domain import AUTO_SALES_READY
from leadflow.switches.services import switch_is_on

SCORES: Table = LeadScore.__table__  # type: ignore[assignment]
HISTORY: Table = ScoreHistory.__table__  # type: ignore[assignment]
UPDATED_COLUMNS = ("score", "grade", "model_version", "explanation", "rule_times", "computed_at")


MAX_OUTCOMES = 50_000


def _scope_kind(scope: LeadScope) -> str:
    return "ids" if scope.lead_ids is not None else "range" if scope.id_range else "all"


def signature_of(times: Sequence[ColumnElement[Any]]) -> ColumnElement[str]:
    """`rule_times` computed in SQL: the counts joined by commas, as Python writes them."""
    if not times:
        return literal("", String)
    text: ColumnElement[str] = cast(times[0], String)
    for each in times[1:]:
        text = text + "," + cast(each, String)
    return text


def with_stored_differences(statement: Select[Any], rules: int) -> Select[Any]:
    """`statement` (lead_id, r0 .. rn) narrowed to the leads whose stored score row is
    missing or differs, shaped as the writer's scratch table (lead id, counts, the
    stored row's id, score and `old_key`). Its parameters add `model_id` and
    `model_version`."""
    computed = statement.subquery("computed")
    times = [computed.c[f"r{index}"] for index in range(rules)]
    stored = SCORES.alias("stored")
    signature = signature_of(times)
    return (
        select(
            computed.c.lead_id,
            signature,
            stored.c.id,
            stored.c.score,
            old_key(stored.c.id, stored.c.model_version, stored.c.rule_times),
        )
        .select_from(
            computed.outerjoin(
                stored,
                and_(
                    stored.c.lead_id == computed.c.lead_id,
                    stored.c.model_id == bindparam("model_id"),
                ),
            )
        )
        .where(
            or_(
                stored.c.id.is_(None),
                stored.c.model_version != bindparam("model_version"),
                stored.c.rule_times != signature,
            )
        )
    )


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
    changed_statements: dict[str, tuple[Select[Any], Cutoffs]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # Score, grade and explanation by rule counts ("0,2,1"): many leads share a
    # combination, and a full rescore meets each one thousands of times.
    outcomes: dict[str, Outcome] = field(default_factory=dict, compare=False, repr=False)
    # The history's changed rules by (old counts, new counts), for the same reason.
    changes: dict[tuple[str, str], list[dict[str, Any]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def statement(self, registry: Registry, scope: LeadScope) -> tuple[Select[Any], Cutoffs]:
        kind = _scope_kind(scope)
        built = self.statements.get(kind)
        if built is None:
            built = compile_model(self.definition, self.target, registry, scope=scope)
            self.statements[kind] = built
        return built

    def changed_statement(
        self, registry: Registry, scope: LeadScope
    ) -> tuple[Select[Any], Cutoffs]:
        """The model's statement joined to the stored scores: only the leads whose rule
        counts or model version differ from their stored row (or that have none)."""
        kind = _scope_kind(scope)
        built = self.changed_statements.get(kind)
        if built is None:
            statement, cutoffs = self.statement(registry, scope)
            built = (with_stored_differences(statement, len(self.definition.rules)), cutoffs)
            self.changed_statements[kind] = built
        return built

    def outcome(self, signature: str, times: Sequence[int]) -> Outcome:
        found = self.outcomes.get(signature)
        if found is None:
            if len(self.outcomes) >= MAX_OUTCOMES:
                self.outcomes.clear()
            found = Outcome.of(self.definition, signature, list(times))
            self.outcomes[signature] = found
        return found

    def changed_rules(self, old: Outcome | list[dict[str, Any]], new: Outcome) -> list[Any]:
        """The history's changed rules from an earlier outcome of this version, or from
        an explanation stored by another version."""
        if isinstance(old, Outcome):
            key = (old.signature, new.signature)
        elif not old:
            key = ("", new.signature)  # a first score: every rule that applied is new
        else:
            return changed_rules(old, new.explanation)
        found = self.changes.get(key)
        if found is None:
            if len(self.changes) >= MAX_OUTCOMES:
                self.changes.clear()
            found = changed_rules(
                old.explanation if isinstance(old, Outcome) else old, new.explanation
            )
            self.changes[key] = found
        return found

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
            # The registry is reloaded every few seconds: the models are compiled
            # again only when its fields changed, not when it is a new copy.
            if registry is not self._registry:
                if registry != self._registry:
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

    The comparison with the stored rows runs in the database: the model's statement
    joined to `lead_scores` keeps only the leads whose rule counts (`rule_times`) or
    model version differ, into a scratch table, so an unchanged lead never reaches
    Python; the writes are set-based from there (`writer.write_model`).
    """
    session = uow.session
    registry = uow.registry
    statement, cutoffs = model.changed_statement(registry, scope)
    params = {
        **cutoffs.values(now),
        **scope_values(scope),
        "model_id": model.id,
        "model_version": model.version,
    }
    result = ApplyResult(scored=_scored_count(session, model, registry, scope))
    result.removed = _remove_unscorable(session, model, scope)
    if scope.lead_ids is not None:
        crossings = _write_few(uow, model, session.execute(statement, params).all(), now, result)
    else:
        prepare_scratch(session)
        store_computed(session, statement, params)
        written = write_model(
            uow,
            model,
            now=now,
            outcome=lambda signature: model.outcome(signature, _times(signature)),
        )
        result.changed = written.changed
        crossings = written.crossings or []
    if crossings and auto_sales_ready is None:
        auto_sales_ready = switch_is_on(session, AUTO_SALES_READY.key)
    if crossings and auto_sales_ready:
        for lead_id in crossings:
            if mark_sales_ready(lead_id, model_id=model.id, uow=uow):
                result.sales_ready += 1
    return result


SCORE_UPDATE = (
    update(SCORES)
    .where(SCORES.c.id == bindparam("row_id"))
    .values({name: bindparam(f"new_{name}") for name in UPDATED_COLUMNS})
)


def _write_few(
    uow: UnitOfWork, model: CompiledModel, rows: Sequence[Any], now: datetime, result: ApplyResult
) -> list[int]:
    """The incremental path's writes (a relay batch's leads, `rows` shaped as the
    scratch table): a few rows, so Python builds them and each kind is one executemany.
    The writer's scratch tables cost a dozen statements of their own (DDL, emptying,
    their fills) whatever the batch's size, more than the writes themselves here.
    Returns the leads that crossed the sales-ready threshold."""
    session = uow.session
    threshold = model.threshold
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    # (lead, old score or None, new outcome, old outcome, explanation or stored row id)
    moved: list[tuple[int, int | None, Outcome, Any]] = []
    crossings: list[int] = []
    for lead_id, signature, row_id, old_score, stored_key in rows:
        outcome = model.outcome(signature, _times(signature))
        values = {
            "score": outcome.score,
            "grade": outcome.grade,
            "model_version": model.version,
            "explanation": outcome.explanation,
            "rule_times": signature,
            "computed_at": now,
        }
        if row_id is None:
            inserts.append({"lead_id": lead_id, "model_id": model.id, **values})
            moved.append((lead_id, None, outcome, []))
            uow.publish(
                LeadScored(
                    lead_id=lead_id, model_id=model.id, score=outcome.score, grade=outcome.grade
                )
            )
        else:
            updates.append({"row_id": row_id, **{f"new_{k}": v for k, v in values.items()}})
            if old_score != outcome.score:
                # The stored counts of this version give the old outcome; another
                # version's explanation is read (by row id) below.
                old: Any = model.outcome(stored_key, _times(stored_key)) if stored_key else row_id
                moved.append((lead_id, old_score, outcome, old))
                uow.publish(
                    ScoreChanged(
                        lead_id=lead_id,
                        model_id=model.id,
                        old_score=old_score,
                        new_score=outcome.score,
                        grade=outcome.grade,
                    )
                )
        if (
            threshold is not None
            and outcome.score >= threshold
            and (old_score is None or old_score < threshold)
        ):
            crossings.append(lead_id)
    result.changed = sum(1 for item in moved if item[1] is not None)
    if inserts:
        session.execute(insert(SCORES), inserts)
    if updates:
        unread = [item[3] for item in moved if isinstance(item[3], int)]
        if unread:
            earlier: dict[int, list[Any]] = dict(
                session.execute(
                    select(SCORES.c.id, SCORES.c.explanation).where(SCORES.c.id.in_(unread))
                ).all()
            )
            moved = [
                (*item[:3], (earlier.get(item[3]) or []) if isinstance(item[3], int) else item[3])
                for item in moved
            ]
        session.execute(SCORE_UPDATE, updates)
    if moved:
        session.execute(
            insert(HISTORY),
            [
                {
                    "lead_id": lead_id,
                    "model_id": model.id,
                    "old_score": old_score,
                    "new_score": outcome.score,
                    "grade": outcome.grade,
                    "changed_rules": model.changed_rules(old, outcome),
                    "changed_at": now,
                }
                for lead_id, old_score, outcome, old in moved
            ],
        )
    return sorted(crossings)


def _times(signature: str) -> list[int]:
    return [int(each) for each in signature.split(",")] if signature else []


def _scored_count(
    session: Session, model: CompiledModel, registry: Registry, scope: LeadScope
) -> int:
    """How many leads in scope the model scores (every one of them was computed)."""
    leads = table_for("lead")
    query = scoped(select(func.count()).select_from(leads), scope).where(
        scorable_clause(model.target)
    )
    return int(session.scalar(query, scope_values(scope)) or 0)


def _remove_unscorable(session: Session, model: CompiledModel, scope: LeadScope) -> int:
    """Delete the model's scores of leads in scope it no longer scores (the parent was
    removed, or the lead became account-based); returns how many went."""
    leads = table_for("lead")
    scorable = scoped(select(leads.c.id), scope).where(scorable_clause(model.target))
    gone = scoped(
        delete(SCORES).where(
            SCORES.c.model_id == model.id, SCORES.c.lead_id.not_in(scorable.scalar_subquery())
        ),
        scope,
        SCORES.c.lead_id,
    )
    result = session.execute(gone, scope_values(scope))
    return int(getattr(result, "rowcount", 0) or 0)


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
