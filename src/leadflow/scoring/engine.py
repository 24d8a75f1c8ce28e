"""Runs compiled models and writes what changed: scores, history, events, sales-ready.

Both paths end here: the incremental one with a few lead ids, the full rescore
with id ranges. Writes are idempotent: running the same computation twice
changes nothing the second time, so at-least-once delivery is harmless.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Insert,
    Select,
    Table,
    delete,
    func,
    select,
)
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.leads.services import mark_sales_ready
from leadflow.records.cutoffs import Cutoffs
from leadflow.registry.domain import Registry
from leadflow.registry.sql import table_for
from leadflow.scoring.compiler import (
    LeadScope,
    compile_model,
    scope_values,
    scoped,
    scorable_clause,
)
from leadflow.scoring.domain import (
    ModelDefinition,
    Status,
    Target,
    parse_definition,
)
from leadflow.scoring.models import LeadScore, ScoreHistory, ScoringModel
from leadflow.scoring.writer import (
    changed_rows,
    differing_counts,
    outcome_rows,
    prepare_scratch,
    store_computed,
    supplied_counts,
    write_model,
)
from leadflow.switches.domain import AUTO_SALES_READY
from leadflow.switches.services import switch_is_on

SCORES: Table = LeadScore.__table__  # type: ignore[assignment]
HISTORY: Table = ScoreHistory.__table__  # type: ignore[assignment]
UPDATED_COLUMNS = ("score", "grade", "model_version", "explanation", "rule_times", "computed_at")


def _scope_kind(scope: LeadScope) -> str:
    return "ids" if scope.lead_ids is not None else "range" if scope.id_range else "all"


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
    outcome_inserts: dict[str, Insert] = field(default_factory=dict, compare=False, repr=False)

    def statement(self, registry: Registry, scope: LeadScope) -> tuple[Select[Any], Cutoffs]:
        kind = _scope_kind(scope)
        built = self.statements.get(kind)
        if built is None:
            built = compile_model(self.definition, self.target, registry, scope=scope)
            self.statements[kind] = built
        return built

    def differing_statement(
        self, registry: Registry, scope: LeadScope
    ) -> tuple[Select[Any], Cutoffs]:
        """The model's counts of the leads in scope whose stored row differs, as they are
        (`count_differing`)."""
        key = f"differing-{_scope_kind(scope)}"
        built = self.changed_statements.get(key)
        if built is None:
            statement, cutoffs = self.statement(registry, scope)
            built = (differing_counts(statement, self.definition), cutoffs)
            self.changed_statements[key] = built
        return built

    def supplied_statement(self) -> Select[Any]:
        """`changed_statement`'s rows from counts computed earlier (`write_counted`)."""
        built = self.changed_statements.get("supplied")
        if built is None:
            built = (changed_rows(supplied_counts(self.definition), self.definition), Cutoffs())
            self.changed_statements["supplied"] = built
        return built[0]

    def outcome_insert(self) -> Insert:
        """OUTCOMES from the combinations of counts in the scratch table."""
        built = self.outcome_inserts.get("outcomes")
        if built is None:
            built = outcome_rows(self.definition)
            self.outcome_inserts["outcomes"] = built
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
            built = (changed_rows(statement, self.definition), cutoffs)
            self.changed_statements[kind] = built
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
    count_scored: bool = True,
    parents_changed: bool = True,
) -> ApplyResult:
    """Recompute one model's scores for the leads in scope and write what changed.

    `count_scored=False` leaves `scored` at 0 (the incremental path does not report
    it: one statement less per model). `parents_changed=False` says no lead in scope
    can have left the model's target since its last score (a batch of interactions
    only), so no stored score is looked for to remove.

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
    result = ApplyResult()
    if count_scored:
        result.scored = _scored_count(session, model, registry, scope)
    if parents_changed:
        result.removed = _remove_unscorable(session, model, scope)
    _write_computed(uow, model, statement, params, result, now, auto_sales_ready)
    return result


def _write_computed(
    uow: UnitOfWork,
    model: CompiledModel,
    statement: Select[Any],
    params: dict[str, Any],
    result: ApplyResult,
    now: datetime,
    auto_sales_ready: bool | None,
) -> None:
    """The rows of a changed statement into the scratch table, then scores, history and
    events written from it, and the leads that crossed the threshold marked."""
    session = uow.session
    prepare_scratch(session)
    if not store_computed(session, statement, params):
        return
    written = write_model(uow, model, now=now)
    result.changed += written.changed
    crossings = written.crossings or []
    if crossings and auto_sales_ready is None:
        auto_sales_ready = switch_is_on(session, AUTO_SALES_READY.key)
    if crossings and auto_sales_ready:
        for lead_id in crossings:
            if mark_sales_ready(lead_id, model_id=model.id, uow=uow):
                result.sales_ready += 1


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
    # NOT EXISTS, one primary-key lookup per stored score: NOT IN (the scorable ids)
    # built a temporary index of every lead in the range first. The scope again
    # inside: PostgreSQL does not carry it over the join, and hashed every lead.
    scorable = scoped(
        select(leads.c.id).where(leads.c.id == SCORES.c.lead_id, scorable_clause(model.target)),
        scope,
    )
    gone = scoped(
        delete(SCORES).where(SCORES.c.model_id == model.id, ~scorable.exists()),
        scope,
        SCORES.c.lead_id,
    )
    result = session.execute(gone, scope_values(scope))
    return int(getattr(result, "rowcount", 0) or 0)


def rescore_leads(
    uow: UnitOfWork,
    models: list[CompiledModel],
    lead_ids: Collection[int],
    *,
    now: datetime,
    parents_changed: bool = True,
) -> ApplyResult:
    """The incremental path: every live model over the given leads only. `scored` is
    not counted; `parents_changed=False` when only interactions changed (see
    `apply_model`)."""
    total = ApplyResult()
    if not lead_ids:
        return total
    scope = LeadScope(lead_ids=frozenset(lead_ids))
    for model in models:
        part = apply_model(
            uow,
            model,
            now=now,
            scope=scope,
            count_scored=False,
            parents_changed=parents_changed,
        )
        total.scored += part.scored
        total.changed += part.changed
        total.removed += part.removed
        total.sales_ready += part.sales_ready
    return total


@dataclass(frozen=True)
class Counted:
    """One model's counts for the leads whose stored row differed, computed in a read
    transaction (`count_differing`) and written in a short one (`write_counted`)."""

    model: CompiledModel
    rows: list[tuple[int, ...]]


def count_differing(
    session: Session,
    registry: Registry,
    models: list[CompiledModel],
    lead_ids: Collection[int],
    *,
    now: datetime,
) -> list[Counted]:
    """The incremental path's costly half, without a write lock: every live model's
    counts of the given leads, kept where they differ from the stored rows."""
    scope = LeadScope(lead_ids=frozenset(lead_ids))
    counted = []
    for model in models:
        statement, cutoffs = model.differing_statement(registry, scope)
        params = {
            **cutoffs.values(now),
            **scope_values(scope),
            "model_id": model.id,
            "model_version": model.version,
        }
        rows = [tuple(int(value) for value in row) for row in session.execute(statement, params)]
        counted.append(Counted(model, rows))
    return counted


def write_counted(
    uow: UnitOfWork,
    counted: list[Counted],
    lead_ids: Collection[int],
    *,
    now: datetime,
    parents_changed: bool = True,
) -> ApplyResult:
    """The incremental path's write half: the counts `count_differing` found compared
    with the stored rows again (they are what the write lock now shows) and written
    as `rescore_leads` writes them. The caller makes sure no other rescore of these
    leads ran in between, and that the models are still these versions."""
    total = ApplyResult()
    scope = LeadScope(lead_ids=frozenset(lead_ids))
    for each in counted:
        if parents_changed:
            total.removed += _remove_unscorable(uow.session, each.model, scope)
        if not each.rows:
            continue
        params = {
            "counts": json.dumps(each.rows),
            "model_id": each.model.id,
            "model_version": each.model.version,
        }
        _write_computed(uow, each.model, each.model.supplied_statement(), params, total, now, None)
    return total
