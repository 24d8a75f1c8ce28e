"""Writes a model's new scores set-based: one statement computes, per lead whose rule
counts differ from its stored row, what the writes need (score, grade, the history's
changed rules) into a scratch table; the explanations (and a first score's changed
rules) are built once per distinct combination of counts into a second one; every
write is one INSERT ... SELECT from them.

A full rescore's first run writes a score row, a history row and a `lead.scored`
event for every lead. Built in Python per distinct combination of rule counts, the
explanations and changed rules cost about as much as the aggregate itself (7,045
combinations for 16,406 contact-based leads at 0.02 scale), each JSON-encoded and
sent back. Here they are text built by the database from the counts: Python sees a
lead only when its stored row came from another version of the model (its changed
rules are read from the stored explanation).

The scratch tables are temporary (per connection), emptied before each use and, on
PostgreSQL, at every commit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    FunctionElement,
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
    literal_column,
    null,
    or_,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateTable
from sqlalchemy.sql.compiler import SQLCompiler

from leadflow.db.base import Id, JsonData
from leadflow.db.uow import UnitOfWork
from leadflow.outbox import OutboxMessage, outbox_rows
from leadflow.scoring.domain import ModelDefinition, changed_rules
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
    @property
    def definition(self) -> ModelDefinition: ...
    def outcome_insert(self) -> Insert: ...


SCORES = cast(Table, LeadScore.__table__)
HISTORY = cast(Table, ScoreHistory.__table__)
OUTBOX = cast(Table, OutboxMessage.__table__)

_scratch = MetaData()

# One row per lead whose counts or version differ from its stored row (or that has
# none): what the writes copy, and what was stored. `changes` (the history's changed
# rules) is set where the stored row is this version's; a first score's come with
# its explanation from OUTCOMES, and where the stored row came from another version
# Python fills them in.
COMPUTED = Table(
    "scoring_computed",
    _scratch,
    Column("lead_id", Id, primary_key=True, autoincrement=False),
    Column("rule_times", Text, nullable=False),
    Column("score", Integer, nullable=False),
    Column("grade", String(100)),
    Column("changes", JsonData),
    Column("row_id", Id),
    Column("old_score", Integer),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
# The explanation, and a first score's changed rules, per distinct combination of
# counts: many leads share one (7,045 for 16,406 contact-based leads at 0.02 scale),
# and the JSON is the costly part of a row (PostgreSQL parses it into JSONB).
OUTCOMES = Table(
    "scoring_outcomes",
    _scratch,
    Column("rule_times", Text, primary_key=True),
    Column("explanation", JsonData, nullable=False),
    Column("first_changes", JsonData, nullable=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
SCRATCH = (COMPUTED, OUTCOMES)
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
_EVENT_COLUMNS = ("event_type", "payload", "subject", "depth", "created_at", "attempts")


class _json_text(FunctionElement[Any]):
    """Text that holds JSON, stored into a JSON column (JSONB on PostgreSQL)."""

    inherit_cache = True
    name = "json_text"
    type = JsonData


@compiles(_json_text)
def _json_text_default(element: _json_text, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(_json_text, "postgresql")
def _json_text_postgresql(element: _json_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS JSONB)"


class _nth_count(FunctionElement[int]):
    """Rule `index`'s count in a stored `rule_times` ("0,2,1"), 0 when it has none."""

    inherit_cache = True
    name = "nth_count"
    type = Integer()


def _nth_parts(element: _nth_count, compiler: SQLCompiler, **kw: Any) -> tuple[str, int]:
    times, index = list(element.clauses)
    return str(compiler.process(times, **kw)), int(cast(Any, index).name)


@compiles(_nth_count)
def _nth_count_sqlite(element: _nth_count, compiler: SQLCompiler, **kw: Any) -> str:
    times, index = _nth_parts(element, compiler, **kw)
    return f"coalesce(json_extract('[' || {times} || ']', '$[{index}]'), 0)"


@compiles(_nth_count, "postgresql")
def _nth_count_postgresql(element: _nth_count, compiler: SQLCompiler, **kw: Any) -> str:
    times, index = _nth_parts(element, compiler, **kw)
    return f"coalesce(CAST(nullif(split_part({times}, ',', {index + 1}), '') AS INTEGER), 0)"


def _number(value: int) -> ColumnElement[int]:
    # Rendered inline: points and thresholds are whole numbers from a parsed model.
    return literal_column(str(int(value)), Integer)


def _text(value: str) -> ColumnElement[str]:
    return literal(value, String)


def _as_text(value: ColumnElement[Any]) -> ColumnElement[str]:
    return sql_cast(value, String)


def _json_list(pieces: Sequence[ColumnElement[str]]) -> ColumnElement[Any]:
    """A JSON array from pieces that are each '' or ',{...}'."""
    if not pieces:
        return _json_text(_text("[]"))
    joined: ColumnElement[str] = pieces[0]
    for piece in pieces[1:]:
        joined = joined + piece
    return _json_text(_text("[") + func.substr(joined, 2) + _text("]"))


def signature_of(times: Sequence[ColumnElement[Any]]) -> ColumnElement[str]:
    """`rule_times` computed in SQL: the counts joined by commas."""
    if not times:
        return literal("", String)
    text: ColumnElement[str] = _as_text(times[0])
    for each in times[1:]:
        text = text + "," + _as_text(each)
    return text


def _grade(definition: ModelDefinition, score: ColumnElement[int]) -> ColumnElement[Any]:
    """`ModelDefinition.grade_of` in SQL: the first grade whose range covers the score."""
    whens: list[tuple[ColumnElement[bool], ColumnElement[Any]]] = []
    for grade in definition.grades:
        bounds: list[ColumnElement[bool]] = []
        if grade.low is not None:
            bounds.append(score >= _number(grade.low))
        if grade.high is not None:
            bounds.append(score <= _number(grade.high))
        whens.append((and_(*bounds) if bounds else literal(True), _text(grade.name)))
    if not whens:
        return null()
    return case(*whens, else_=null())


def _explanation(
    definition: ModelDefinition, times: Sequence[ColumnElement[int]]
) -> ColumnElement[Any]:
    """`Contribution.public()` of every rule that applied, as `domain.explain` lists them."""
    pieces = []
    for index, (rule, count) in enumerate(zip(definition.rules, times, strict=True)):
        head = (
            f',{{"rule": {index}, "name": {json.dumps(rule.name)}, '
            f'"points": {rule.points}, "times": '
        )
        piece = (
            _text(head)
            + _as_text(count)
            + _text(', "total": ')
            + _as_text(count * _number(rule.points))
            + _text("}")
        )
        pieces.append(case((count != 0, piece), else_=_text("")))
    return _json_list(pieces)


def _changes(
    definition: ModelDefinition,
    times: Sequence[ColumnElement[int]],
    old_times: Sequence[ColumnElement[int]],
) -> ColumnElement[Any]:
    """`domain.changed_rules` between two sets of counts of one version."""
    pieces = []
    for index, (rule, new, old) in enumerate(zip(definition.rules, times, old_times, strict=True)):
        head = f',{{"rule": {index}, "name": {json.dumps(rule.name)}, "old": '
        points = _number(rule.points)
        piece = (
            _text(head)
            + _as_text(old * points)
            + _text(', "new": ')
            + _as_text(new * points)
            + _text("}")
        )
        pieces.append(case((new != old, piece), else_=_text("")))
    return _json_list(pieces)


def changed_rows(statement: Select[Any], definition: ModelDefinition) -> Select[Any]:
    """`statement` (lead_id, r0 .. rn) narrowed to the leads whose stored score row is
    missing or differs in counts or version, with everything `COMPUTED` holds. Its
    parameters add `model_id` and `model_version`."""
    computed = statement.subquery("computed")
    times = [computed.c[f"r{index}"] for index in range(len(definition.rules))]
    stored = SCORES.alias("stored")
    signature = signature_of(times)
    score: ColumnElement[int] = _number(0)
    for rule, count in zip(definition.rules, times, strict=True):
        score = score + count * _number(rule.points)
    differing = (
        select(
            computed.c.lead_id,
            *times,
            signature.label("rule_times"),
            score.label("score"),
            stored.c.id.label("row_id"),
            stored.c.score.label("old_score"),
            stored.c.model_version.label("old_version"),
            stored.c.rule_times.label("old_times"),
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
        .subquery("differing")
    )
    new = [differing.c[f"r{index}"] for index in range(len(definition.rules))]
    first = differing.c.row_id.is_(None)
    # Changed rules come from the stored counts when they are this version's.
    comparable = and_(
        differing.c.old_version == bindparam("model_version"), differing.c.old_times != ""
    )
    old = [_nth_count(differing.c.old_times, literal_column(str(i))) for i in range(len(new))]
    return select(
        differing.c.lead_id,
        differing.c.rule_times,
        differing.c.score,
        _grade(definition, differing.c.score),
        case((and_(~first, comparable), _changes(definition, new, old)), else_=null()),
        differing.c.row_id,
        differing.c.old_score,
    )


def outcome_rows(definition: ModelDefinition) -> Insert:
    """OUTCOMES of every combination of counts in COMPUTED, read back from `rule_times`."""
    distinct = select(COMPUTED.c.rule_times).distinct().subquery("combinations")
    # Each count read once per combination: the pieces of JSON name a count up to
    # three times, and SQLite would otherwise parse `rule_times` for every mention.
    parsed = (
        select(
            distinct.c.rule_times,
            *(
                _nth_count(distinct.c.rule_times, literal_column(str(index))).label(f"r{index}")
                for index in range(len(definition.rules))
            ),
        )
        .cte("parsed")
        .prefix_with("MATERIALIZED")
    )
    times = [parsed.c[f"r{index}"] for index in range(len(definition.rules))]
    none = [_number(0) for _ in times]
    return insert(OUTCOMES).from_select(
        [column.name for column in OUTCOMES.c],
        select(
            parsed.c.rule_times,
            _explanation(definition, times),
            _changes(definition, times, none),
        ),
    )


def prepare_scratch(session: Session) -> None:
    """The scratch table exists on this connection and is empty."""
    for table in SCRATCH:
        # Every time: a rolled-back transaction takes a table it created with it.
        session.execute(CreateTable(table, if_not_exists=True))
        session.execute(delete(table))


@dataclass
class Written:
    """What one model's write changed."""

    changed: int = 0
    crossings: list[int] | None = None


def store_computed(session: Session, computed: Select[Any], params: dict[str, Any]) -> bool:
    """The leads whose scores differ (`changed_rows`), into the scratch table; whether
    there are any (then nothing is to be written)."""
    result = session.execute(
        insert(COMPUTED).from_select([column.name for column in COMPUTED.c], computed), params
    )
    count = int(getattr(result, "rowcount", -1))
    if count >= 0:
        return count > 0
    # psycopg does not count the rows of an INSERT ... SELECT.
    return session.execute(select(COMPUTED.c.lead_id).limit(1)).first() is not None


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
    published = session.execute(
        _event_insert(dialect),
        {"scored_model": model.id, "event_depth": shape["depth"], "event_at": shape["created_at"]},
    ).all()
    written = Written()
    if published:
        uow.published_in_bulk([row.id for row in published], {row.subject for row in published})
        written.changed = sum(1 for row in published if row.event_type == ScoreChanged.name)
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


def _event_insert(dialect: str) -> Insert:
    """`lead.scored` for every first score, `lead.score_changed` for every score that
    moved: one outbox row per lead, shaped as the unit would store the event, the
    payload built in SQL (its keys checked against the events' own)."""
    cached = _EVENT_INSERTS.get(dialect)
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
    statement = (
        insert(OUTBOX)
        .from_select(list(_EVENT_COLUMNS), source)
        .returning(OUTBOX.c.id, OUTBOX.c.subject, OUTBOX.c.event_type)
    )
    _EVENT_INSERTS[dialect] = statement
    return statement


_EVENT_INSERTS: dict[str, Insert] = {}
