"""Scores, history and events written from the scratch tables, each one INSERT ... SELECT."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Insert,
    Integer,
    bindparam,
    case,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from leadflow.db.base import JsonData
from leadflow.db.uow import UnitOfWork
from leadflow.outbox import outbox_rows
from leadflow.scoring.domain import changed_rules
from leadflow.scoring.events import LeadScored, ScoreChanged
from leadflow.scoring.writer._expressions import _as_text, _number, _text
from leadflow.scoring.writer._tables import (
    _EVENT_COLUMNS,
    COMPUTED,
    HISTORY,
    HISTORY_COLUMNS,
    OUTBOX,
    OUTCOMES,
    SCORE_COLUMNS,
    SCORES,
    ScoredModel,
)


@dataclass
class Written:
    """What one model's write changed."""

    changed: int = 0
    crossings: list[int] | None = None


_WITH_OUTCOMES = COMPUTED.join(OUTCOMES, OUTCOMES.c.rule_times == COMPUTED.c.rule_times)


def _upsert_scores(dialect: str) -> Any:
    """New rows inserted and changed rows updated by one statement, keyed by the
    unique (lead, model)."""
    source = (
        select(
            COMPUTED.c.lead_id,
            bindparam("scored_model", type_=Integer),
            COMPUTED.c.score,
            COMPUTED.c.grade,
            bindparam("scored_version", type_=Integer),
            OUTCOMES.c.explanation,
            COMPUTED.c.rule_times,
            bindparam("scored_at", type_=SCORES.c.computed_at.type),
        )
        .select_from(_WITH_OUTCOMES)
        # SQLite needs a WHERE to tell the upsert's ON CONFLICT from a join's ON.
        .where(literal_column("1") == literal_column("1"))
    )
    make = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = make(SCORES).from_select(SCORE_COLUMNS, source)
    return statement.on_conflict_do_update(
        index_elements=[SCORES.c.lead_id, SCORES.c.model_id],
        set_={
            name: statement.excluded[name]
            for name in ("score", "grade", "model_version", "explanation", "rule_times")
        }
        | {"computed_at": statement.excluded.computed_at},
    )


_UPSERT = {dialect: _upsert_scores(dialect) for dialect in ("sqlite", "postgresql")}

_MOVED = or_(COMPUTED.c.row_id.is_(None), COMPUTED.c.old_score != COMPUTED.c.score)

_HISTORY_INSERT = insert(HISTORY).from_select(
    HISTORY_COLUMNS,
    select(
        COMPUTED.c.lead_id,
        bindparam("scored_model", type_=Integer),
        COMPUTED.c.old_score,
        COMPUTED.c.score,
        COMPUTED.c.grade,
        case((COMPUTED.c.row_id.is_(None), OUTCOMES.c.first_changes), else_=COMPUTED.c.changes),
        bindparam("scored_at", type_=HISTORY.c.changed_at.type),
    )
    .select_from(_WITH_OUTCOMES)
    .where(_MOVED),
)


def write_model(uow: UnitOfWork, model: ScoredModel, *, now: datetime) -> Written:
    """Write what `store_computed` found: scores, history, events, and the leads that
    crossed the model's sales-ready threshold (returned, marked by the caller)."""
    session = uow.session
    dialect = session.get_bind().dialect.name
    session.execute(model.outcome_insert())
    _fill_changes_of_other_versions(session)
    # Not named after columns: an UPDATE's parameters named like a column are SET too.
    params = {"scored_model": model.id, "scored_version": model.version, "scored_at": now}
    session.execute(_UPSERT[dialect], params)
    session.execute(_HISTORY_INSERT, params)
    # The depth and time `outbox_rows` gives this unit's events (a handler's are deeper).
    shape = outbox_rows([LeadScored(lead_id=0, model_id=model.id, score=0)])[0]
    event_params = {
        "scored_model": model.id,
        "event_depth": shape["depth"],
        "event_at": shape["created_at"],
    }
    written = Written()
    if dialect == "sqlite":
        written.changed = _insert_events_sqlite(uow, event_params)
    else:
        published = session.execute(_event_insert(dialect), event_params).all()
        if published:
            # By position, not by name: a thousand rows a batch on the incremental path.
            ids, subjects, kinds = zip(*published, strict=True)
            uow.published_in_bulk(ids, set(subjects))
            written.changed = kinds.count(ScoreChanged.name)
    if model.threshold is not None:
        threshold = model.threshold
        written.crossings = list(
            session.scalars(
                select(COMPUTED.c.lead_id)
                .where(
                    COMPUTED.c.score >= threshold,
                    or_(COMPUTED.c.old_score.is_(None), COMPUTED.c.old_score < threshold),
                )
                .order_by(COMPUTED.c.lead_id)
            )
        )
    return written


_MAX_OUTBOX_ID = select(func.max(OUTBOX.c.id))
_MOVED_LEADS = select(COMPUTED.c.lead_id, COMPUTED.c.row_id.is_(None)).where(_MOVED)


def _insert_events_sqlite(uow: UnitOfWork, params: dict[str, Any]) -> int:
    """The events inserted without RETURNING (20,000 rows of a first rescore read back
    through the result cost about as much as the insert): the unit holds SQLite's
    write lock, so the new rows are the ids above the largest before, consecutive when
    the largest moved by their count. Their subjects are the moved leads'. Returns how
    many are `lead.score_changed`."""
    session = uow.session
    before = int(session.scalar(_MAX_OUTBOX_ID) or 0)
    session.execute(_event_insert("sqlite", returning=False), params)
    last = int(session.scalar(_MAX_OUTBOX_ID) or 0)
    if last == before:
        return 0
    moved = session.execute(_MOVED_LEADS).all()
    ids: Sequence[int]
    if last - before == len(moved):
        ids = range(before + 1, last + 1)
    else:
        ids = list(session.scalars(select(OUTBOX.c.id).where(OUTBOX.c.id > before)))
    uow.published_in_bulk(ids, {f"lead:{lead_id}" for lead_id, _first in moved})
    return sum(1 for _lead_id, first in moved if not first)


def _fill_changes_of_other_versions(session: Session) -> None:
    """The history's changed rules where the stored row came from another version:
    from its stored explanation, read per lead (a new version's first rescore)."""
    earlier = session.execute(
        select(COMPUTED.c.lead_id, OUTCOMES.c.explanation, SCORES.c.explanation)
        .select_from(_WITH_OUTCOMES.join(SCORES, SCORES.c.id == COMPUTED.c.row_id))
        .where(COMPUTED.c.changes.is_(None), COMPUTED.c.old_score != COMPUTED.c.score)
    ).all()
    if earlier:
        session.execute(
            update(COMPUTED)
            .where(COMPUTED.c.lead_id == bindparam("changed_lead"))
            .values(changes=bindparam("changed_rules", type_=JsonData)),
            [
                {"changed_lead": lead_id, "changed_rules": changed_rules(old or [], new)}
                for lead_id, new, old in earlier
            ],
        )


def _payload(dialect: str, fields: Mapping[str, ColumnElement[Any]]) -> ColumnElement[Any]:
    build = func.jsonb_build_object if dialect == "postgresql" else func.json_object
    arguments: list[Any] = []
    for key, value in fields.items():
        arguments.append(_text(key))
        arguments.append(value)
    return cast(ColumnElement[Any], build(*arguments))


def _event_insert(dialect: str, *, returning: bool = True) -> Insert:
    """`lead.scored` for every first score, `lead.score_changed` for every score that
    moved: one outbox row per lead, shaped as the unit would store the event, the
    payload built in SQL (its keys checked against the events' own); with `returning`,
    the rows' ids, subjects and event types come back."""
    cached = _EVENT_INSERTS.get((dialect, returning))
    if cached is not None:
        return cached
    model = bindparam("scored_model", type_=Integer)
    scored = {
        "lead_id": COMPUTED.c.lead_id,
        "model_id": model,
        "score": COMPUTED.c.score,
        "grade": COMPUTED.c.grade,
    }
    changed = {
        "lead_id": COMPUTED.c.lead_id,
        "model_id": model,
        "old_score": COMPUTED.c.old_score,
        "new_score": COMPUTED.c.score,
        "grade": COMPUTED.c.grade,
    }
    [scored_row, changed_row] = outbox_rows(
        [LeadScored(lead_id=0, model_id=0, score=0), ScoreChanged(0, 0, 0, 0)]
    )
    for fields, row in ((scored, scored_row), (changed, changed_row)):
        if list(fields) != list(row["payload"]):
            raise ValueError(f"payload keys differ from {row['event_type']}'s")
    first = COMPUTED.c.row_id.is_(None)
    source = select(
        case((first, _text(scored_row["event_type"])), else_=_text(changed_row["event_type"])),
        case((first, _payload(dialect, scored)), else_=_payload(dialect, changed)),
        _text("lead:") + _as_text(COMPUTED.c.lead_id),
        bindparam("event_depth", type_=Integer),
        bindparam("event_at", type_=OUTBOX.c.created_at.type),
        _number(0),
    ).where(_MOVED)
    statement = insert(OUTBOX).from_select(list(_EVENT_COLUMNS), source)
    if returning:
        statement = statement.returning(OUTBOX.c.id, OUTBOX.c.subject, OUTBOX.c.event_type)
    _EVENT_INSERTS[(dialect, returning)] = statement
    return statement


_EVENT_INSERTS: dict[tuple[str, bool], Insert] = {}
