"""Runs compiled models and writes what changed: scores, history, events, sales-ready.

Both paths end here: the incremental one with a few lead ids, the full rescore
with id ranges. Writes are idempotent: running the same computation twice
changes nothing the second time, so at-least-once delivery is harmless.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Engine,
    Insert,
    Select,
    Table,
    delete,
    func,
    select,
)
from sqlalchemy.orm import Session

from leadflow.db.engine import sqlite_file
from leadflow.db.file_turn import Turn
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
    outcome_rows,
    prepare_scratch,
    store_computed,
    store_rows,
    write_model,
)
from leadflow.switches.domain import AUTO_SALES_READY
from leadflow.switches.services import switch_is_on

SCORES: Table = LeadScore.__table__  # type: ignore[assignment]
HISTORY: Table = ScoreHistory.__table__  # type: ignore[assignment]
UPDATED_COLUMNS = ("score", "grade", "model_version", "explanation", "rule_times", "computed_at")


# How long a rescore waits for another's turn before it goes on in one write
# transaction regardless (correct under SQLite's lock; see `scoring_turn`).
SCORING_TURN_SECONDS = 30.0
_TURNS: dict[str, Turn] = {}
_TURNS_LOCK = threading.Lock()


def scoring_turn(engine: Engine) -> Turn | None:
    """On an SQLite file, the turn rescores take (the relay's batches, the full
    rescore's ranges) across this process's threads and other processes: a batch
    counted without the write lock is written before any other rescore counts, so
    no older count is written over a newer one. None on PostgreSQL, where a rescore
    counts and writes in one transaction."""
    database = sqlite_file(engine)
    if database is None:
        return None
    with _TURNS_LOCK:
        return _TURNS.setdefault(database, Turn(database, "scoring"))


@contextmanager
def rescore_turn(engine: Engine) -> Iterator[bool]:
    """Held `scoring_turn` (True), or none to be had: PostgreSQL, or not within
    `SCORING_TURN_SECONDS` (False)."""
    turn = scoring_turn(engine)
    if turn is None:
        yield False
        return
    with turn.held(SCORING_TURN_SECONDS) as held:
        yield held


# The PostgreSQL advisory lock rescores take in their write transaction (any fixed
# number; the text "scoring" read as one).
SCORING_LOCK_KEY = 0x73636F72696E67


def take_scoring_lock(session: Session) -> None:
    """On PostgreSQL, wait in this transaction until no other process's rescore is open:
    two relays counting batches that touch one lead (two members of one account) in
    READ COMMITTED could otherwise write the earlier count last. Released at the
    commit. SQLite's rescores take `scoring_turn` instead."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(SCORING_LOCK_KEY)))


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
    prepare_scratch(session)
    if store_computed(session, statement, params):
        _write_stored(uow, model, result, now, auto_sales_ready)
    return result


def _write_stored(
    uow: UnitOfWork,
    model: CompiledModel,
    result: ApplyResult,
    now: datetime,
    auto_sales_ready: bool | None,
) -> None:
    """Scores, history and events written from the scratch table, and the leads that
    crossed the threshold marked."""
    written = write_model(uow, model, now=now)
    result.changed += written.changed
    crossings = written.crossings or []
    if crossings and auto_sales_ready is None:
        auto_sales_ready = switch_is_on(uow.session, AUTO_SALES_READY.key)
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
    """One model's new scores of the leads whose stored row differed (the rows of its
    changed statement), computed in a read transaction (`count_differing`) and written
    in a short one (`write_counted`)."""

    model: CompiledModel
    rows: list[tuple[Any, ...]]


def count_differing(
    session: Session,
    registry: Registry,
    models: list[CompiledModel],
    lead_ids: Collection[int],
    *,
    now: datetime,
) -> list[Counted]:
    """The incremental path's costly half, without a write lock: every live model's
    new scores of the given leads, where they differ from the stored rows."""
    scope = LeadScope(lead_ids=frozenset(lead_ids))
    counted = []
    for model in models:
        statement, cutoffs = model.changed_statement(registry, scope)
        params = {
            **cutoffs.values(now),
            **scope_values(scope),
            "model_id": model.id,
            "model_version": model.version,
        }
        counted.append(Counted(model, [tuple(row) for row in session.execute(statement, params)]))
    return counted


def write_counted(
    uow: UnitOfWork,
    counted: list[Counted],
    lead_ids: Collection[int],
    *,
    now: datetime,
    parents_changed: bool = True,
) -> ApplyResult:
    """The incremental path's write half: what `count_differing` found, written as
    `rescore_leads` writes it, but for leads deleted since. The caller holds the
    scoring turn from the count to the commit (no other rescore wrote these scores
    in between) and checked that the models are still these versions."""
    total = ApplyResult()
    scope = LeadScope(lead_ids=frozenset(lead_ids))
    for each in counted:
        if parents_changed:
            total.removed += _remove_unscorable(uow.session, each.model, scope)
        prepare_scratch(uow.session)
        if store_rows(uow.session, each.rows):
            _write_stored(uow, each.model, total, now, None)
    return total
