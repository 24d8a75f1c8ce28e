"""Writes a model's new scores set-based: the computation lands in a scratch table and
every write is one INSERT ... SELECT or UPDATE ... FROM per kind of row.

A full rescore's first run writes a score row, a history row and a `lead.scored`
event for every lead; written one Python row at a time that cost about 8x the
aggregate itself. Here Python only sees what differs between leads in a way SQL
cannot express cheaply: the explanation of each distinct combination of rule
counts (a few thousand for a million leads) and the history's changed rules of
each distinct pair of old and new counts. Everything per lead stays in the
database.

The scratch tables are temporary (per connection), emptied before each use and,
on PostgreSQL, at every commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    Insert,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy import (
    cast as sql_cast,
)
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateTable

from leadflow.bus import Event
from leadflow.db.base import Id, JsonData
from leadflow.db.uow import UnitOfWork
from leadflow.outbox import OutboxMessage, outbox_rows
from leadflow.scoring.domain import Outcome, changed_rules
from leadflow.scoring.events import LeadScored, ScoreChanged
from leadflow.scoring.models import LeadScore, ScoreHistory


class ScoredModel(Protocol):
    """What the writer needs of a compiled model (`engine.CompiledModel`)."""

    @property
    def id(self) -> int: ...
    @property
    def version(self) -> int: ...
    @property
    def threshold(self) -> int | None: ...
    def outcome(self, signature: str, times: Sequence[int]) -> Outcome: ...
    def changed_rules(self, old: Outcome | list[dict[str, Any]], new: Outcome) -> list[Any]: ...


SCORES = cast(Table, LeadScore.__table__)
HISTORY = cast(Table, ScoreHistory.__table__)
OUTBOX = cast(Table, OutboxMessage.__table__)

_scratch = MetaData()

# One row per lead whose counts or version differ from its stored row (or that has
# none): the new counts and what was stored. `old_key` is the stored counts when the
# history's changed rules can be derived from them (same version), '' for a first
# score, NULL when the stored explanation must be read (another version).
COMPUTED = Table(
    "scoring_computed",
    _scratch,
    Column("lead_id", Id, primary_key=True),
    Column("rule_times", Text, nullable=False),
    Column("row_id", Id),
    Column("old_score", Integer),
    Column("old_key", Text),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
# Score, grade and explanation per distinct combination of counts.
OUTCOMES = Table(
    "scoring_outcomes",
    _scratch,
    Column("rule_times", Text, primary_key=True),
    Column("score", Integer, nullable=False),
    Column("grade", String(100)),
    Column("explanation", JsonData, nullable=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
# The history's changed rules per distinct (old counts, new counts) of one version.
CHANGES = Table(
    "scoring_changes",
    _scratch,
    Column("old_key", Text, primary_key=True),
    Column("rule_times", Text, primary_key=True),
    Column("changes", JsonData, nullable=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
# The same for leads whose stored row came from another version: per lead.
LEAD_CHANGES = Table(
    "scoring_lead_changes",
    _scratch,
    Column("lead_id", Id, primary_key=True),
    Column("changes", JsonData, nullable=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
SCORE_COLUMNS = (
    "lead_id",
    "model_id",
    "score",
    "grade",
    "model_version",
    "explanation",
    "rule_times",
    "computed_at",
)
HISTORY_COLUMNS = (
    "lead_id",
    "model_id",
    "old_score",
    "new_score",
    "grade",
    "changed_rules",
    "changed_at",
)
SCRATCH = (COMPUTED, OUTCOMES, CHANGES, LEAD_CHANGES)


def prepare_scratch(session: Session) -> None:
    """The scratch tables exist on this connection and are empty."""
    for table in SCRATCH:
        session.execute(CreateTable(table, if_not_exists=True))
        session.execute(delete(table))


@dataclass
class Written:
    """What one model's write changed."""

    rows: int = 0
    changed: int = 0
    crossings: list[int] | None = None


def store_computed(session: Session, computed: Select[Any], params: dict[str, Any]) -> None:
    """The leads whose scores differ, into the scratch table."""
    session.execute(
        insert(COMPUTED).from_select([column.name for column in COMPUTED.c], computed), params
    )


def old_key(
    stored_id: ColumnElement[Any],
    stored_version: ColumnElement[Any],
    stored_times: ColumnElement[Any],
) -> ColumnElement[Any]:
    """`COMPUTED.old_key` from the stored row (see COMPUTED); its parameter is
    `model_version`."""
    return case(
        (stored_id.is_(None), literal("")),
        (
            and_(stored_version == bindparam("model_version"), stored_times != ""),
            stored_times,
        ),
        else_=null(),
    )


def write_model(
    uow: UnitOfWork,
    model: ScoredModel,
    *,
    now: datetime,
    outcome: Callable[[str], Outcome],
) -> Written:
    """Write what `store_computed` found: scores, history, events, and the leads that
    crossed the model's sales-ready threshold (returned, marked by the caller)."""
    session = uow.session
    computed, outcomes = COMPUTED, OUTCOMES
    by_counts: dict[str, Outcome] = {}
    for (signature,) in session.execute(select(computed.c.rule_times).distinct()):
        by_counts[signature] = outcome(signature)
    if not by_counts:
        return Written()
    session.execute(
        insert(OUTCOMES),
        [
            {
                "rule_times": found.signature,
                "score": found.score,
                "grade": found.grade,
                "explanation": found.explanation,
            }
            for found in by_counts.values()
        ],
    )
    joined = computed.join(outcomes, outcomes.c.rule_times == computed.c.rule_times)
    moved = or_(computed.c.row_id.is_(None), computed.c.old_score != outcomes.c.score)
    _store_changes(session, model, joined, moved, by_counts)

    # Not named after columns: an UPDATE's parameters named like a column are SET too.
    params = {"scored_model": model.id, "scored_version": model.version, "scored_at": now}
    session.execute(
        insert(SCORES).from_select(
            SCORE_COLUMNS,
            select(
                computed.c.lead_id,
                bindparam("scored_model", type_=Integer),
                outcomes.c.score,
                outcomes.c.grade,
                bindparam("scored_version", type_=Integer),
                outcomes.c.explanation,
                computed.c.rule_times,
                bindparam("scored_at", type_=SCORES.c.computed_at.type),
            )
            .select_from(joined)
            .where(computed.c.row_id.is_(None)),
        ),
        params,
    )
    session.execute(
        update(SCORES)
        .where(
            SCORES.c.id == computed.c.row_id,
            outcomes.c.rule_times == computed.c.rule_times,
        )
        .values(
            score=outcomes.c.score,
            grade=outcomes.c.grade,
            model_version=bindparam("scored_version", type_=Integer),
            explanation=outcomes.c.explanation,
            rule_times=computed.c.rule_times,
            computed_at=bindparam("scored_at", type_=SCORES.c.computed_at.type),
        ),
        params,
    )
    changes, lead_changes = CHANGES, LEAD_CHANGES
    history = (
        select(
            computed.c.lead_id,
            bindparam("scored_model", type_=Integer),
            computed.c.old_score,
            outcomes.c.score,
            outcomes.c.grade,
            func.coalesce(changes.c.changes, lead_changes.c.changes),
            bindparam("scored_at", type_=HISTORY.c.changed_at.type),
        )
        .select_from(
            joined.outerjoin(
                changes,
                and_(
                    changes.c.old_key == computed.c.old_key,
                    changes.c.rule_times == computed.c.rule_times,
                ),
            ).outerjoin(lead_changes, lead_changes.c.lead_id == computed.c.lead_id)
        )
        .where(moved)
    )
    session.execute(
        insert(HISTORY).from_select(
            HISTORY_COLUMNS,
            history,
        ),
        params,
    )
    _publish(uow, model, joined)

    written = Written()
    counts = session.execute(
        select(
            func.count(),
            func.coalesce(
                func.sum(
                    case(
                        (
                            and_(
                                computed.c.row_id.is_not(None),
                                computed.c.old_score != outcomes.c.score,
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ),
                0,
            ),
        ).select_from(joined)
    ).one()
    written.rows, written.changed = int(counts[0]), int(counts[1])
    if model.threshold is not None:
        threshold = model.threshold
        written.crossings = list(
            session.scalars(
                select(computed.c.lead_id)
                .select_from(joined)
                .where(
                    outcomes.c.score >= threshold,
                    or_(computed.c.old_score.is_(None), computed.c.old_score < threshold),
                )
                .order_by(computed.c.lead_id)
            )
        )
    return written


def _store_changes(
    session: Session,
    model: ScoredModel,
    joined: Any,
    moved: ColumnElement[bool],
    by_counts: dict[str, Outcome],
) -> None:
    """The history's changed rules: per distinct (old, new) counts of this version, and
    per lead where the stored row came from another version (its explanation is read)."""
    computed = COMPUTED
    pairs = session.execute(
        select(computed.c.old_key, computed.c.rule_times)
        .distinct()
        .select_from(joined)
        .where(moved, computed.c.old_key.is_not(None))
    ).all()
    if pairs:
        session.execute(
            insert(CHANGES),
            [
                {
                    "old_key": old,
                    "rule_times": new,
                    "changes": model.changed_rules(
                        model.outcome(old, _times(old)) if old else [], by_counts[new]
                    ),
                }
                for old, new in pairs
            ],
        )
    earlier = session.execute(
        select(computed.c.lead_id, computed.c.rule_times, SCORES.c.explanation)
        .select_from(joined.join(SCORES, SCORES.c.id == computed.c.row_id))
        .where(moved, computed.c.old_key.is_(None))
    ).all()
    if earlier:
        session.execute(
            insert(LEAD_CHANGES),
            [
                {
                    "lead_id": lead_id,
                    "changes": changed_rules(explanation or [], by_counts[new].explanation),
                }
                for lead_id, new, explanation in earlier
            ],
        )


def _times(signature: str) -> list[int]:
    return [int(each) for each in signature.split(",")] if signature else []


def _publish(uow: UnitOfWork, model: ScoredModel, joined: Any) -> None:
    """`lead.scored` for every first score, `lead.score_changed` for every score that
    moved: straight into the outbox, as the unit would store them, woken after commit."""
    computed, outcomes = COMPUTED, OUTCOMES
    session = uow.session
    first = _event_insert(
        session,
        LeadScored(lead_id=0, model_id=model.id, score=0),
        {
            "lead_id": computed.c.lead_id,
            "model_id": model.id,
            "score": outcomes.c.score,
            "grade": outcomes.c.grade,
        },
        select(computed.c.lead_id).select_from(joined).where(computed.c.row_id.is_(None)),
    )
    moved = _event_insert(
        session,
        ScoreChanged(lead_id=0, model_id=model.id, old_score=0, new_score=0),
        {
            "lead_id": computed.c.lead_id,
            "model_id": model.id,
            "old_score": computed.c.old_score,
            "new_score": outcomes.c.score,
            "grade": outcomes.c.grade,
        },
        select(computed.c.lead_id)
        .select_from(joined)
        .where(computed.c.row_id.is_not(None), computed.c.old_score != outcomes.c.score),
    )
    rows = [*first, *moved]
    if rows:
        uow.published_in_bulk([row_id for row_id, _ in rows], {subject for _, subject in rows})


def _event_insert(
    session: Session, template: Event, payload: dict[str, Any], leads: Select[Any]
) -> Sequence[Any]:
    """One outbox row per lead of `leads`, shaped like `template`'s row (type, depth,
    time) with the payload built in SQL from `payload` (same keys, same order)."""
    row = outbox_rows([template])[0]
    if set(payload) != set(row["payload"]):
        raise ValueError(f"payload keys differ from {template.name}'s")
    dialect = session.get_bind().dialect.name
    build = func.jsonb_build_object if dialect == "postgresql" else func.json_object
    arguments: list[Any] = []
    for key, value in payload.items():
        arguments.append(literal(key, String))
        arguments.append(literal(value, Integer) if isinstance(value, int) else value)
    subject = literal("lead:", String) + sql_cast(leads.selected_columns[0], String)
    source = leads.with_only_columns(
        literal(row["event_type"], String),
        build(*arguments),
        subject,
        literal(row["depth"], Integer),
        bindparam("created_at", row["created_at"], type_=OUTBOX.c.created_at.type),
        literal(0, Integer),
        maintain_column_froms=True,
    )
    statement: Insert = (
        insert(OUTBOX)
        .from_select(
            ["event_type", "payload", "subject", "depth", "created_at", "attempts"], source
        )
        .returning(OUTBOX.c.id, OUTBOX.c.subject)
    )
    return session.execute(statement).all()
