"""The leads whose scores differ, computed in one statement into the scratch tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Select,
    Subquery,
    Text,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateTable

from leadflow.registry.sql import table_for
from leadflow.scoring.domain import ModelDefinition
from leadflow.scoring.writer._expressions import (
    _changes,
    _explanation,
    _grade,
    _json_list,
    _nth_count,
    _number,
    signature_of,
)
from leadflow.scoring.writer._tables import COMPUTED, OUTCOMES, SCORES, SCRATCH


def _differs(
    computed: Subquery, definition: ModelDefinition
) -> tuple[list[ColumnElement[Any]], Any, ColumnElement[bool]]:
    """The counts of `computed`, it outer-joined to the stored rows, and the condition
    that the stored row is missing or differs in counts or version."""
    times: list[ColumnElement[Any]] = [
        computed.c[f"r{index}"] for index in range(len(definition.rules))
    ]
    stored = SCORES.alias("stored")
    joined = computed.outerjoin(
        stored,
        and_(
            stored.c.lead_id == computed.c.lead_id,
            stored.c.model_id == bindparam("model_id"),
        ),
    )
    differs = or_(
        stored.c.id.is_(None),
        stored.c.model_version != bindparam("model_version"),
        stored.c.rule_times != signature_of(times),
    )
    return times, joined, differs


def differing_counts(statement: Select[Any], definition: ModelDefinition) -> Select[Any]:
    """`statement` (lead_id, r0 .. rn) narrowed to the leads whose stored score row is
    missing or differs in counts or version, as it is: what a read transaction hands
    to the write that follows (`supplied_counts`). Parameters as `changed_rows`'."""
    computed = statement.subquery("computed")
    times, joined, differs = _differs(computed, definition)
    return select(computed.c.lead_id, *times).select_from(joined).where(differs)


def supplied_counts(definition: ModelDefinition) -> Select[Any]:
    """(lead_id, r0 .. rn) from the JSON array `counts` of [lead_id, r0, .., rn] (SQLite),
    for the leads that still exist: the model's statement's shape, computed earlier."""
    each = func.json_each(bindparam("counts", type_=Text)).table_valued("value", name="supplied")
    lead_id = func.json_extract(each.c.value, "$[0]")
    leads = table_for("lead")
    return select(
        lead_id.label("lead_id"),
        *(
            func.json_extract(each.c.value, f"$[{index + 1}]").label(f"r{index}")
            for index in range(len(definition.rules))
        ),
    ).where(select(leads.c.id).where(leads.c.id == lead_id).exists())


def changed_rows(statement: Select[Any], definition: ModelDefinition) -> Select[Any]:
    """`statement` (lead_id, r0 .. rn) narrowed to the leads whose stored score row is
    missing or differs in counts or version, with everything `COMPUTED` holds. Its
    parameters add `model_id` and `model_version`."""
    computed = statement.subquery("computed")
    times, joined, differs = _differs(computed, definition)
    stored = joined.right
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
        .select_from(joined)
        .where(differs)
        .subquery("differing")
    )
    new = [differing.c[f"r{index}"] for index in range(len(definition.rules))]
    first = differing.c.row_id.is_(None)
    # Changed rules come from the stored counts when they are this version's.
    comparable = and_(
        differing.c.old_version == bindparam("model_version"), differing.c.old_times != ""
    )
    old = [_nth_count(differing.c.old_times, literal_column(str(i))) for i in range(len(new))]
    # Only for a score that moved: the history records no other.
    moved = differing.c.score != differing.c.old_score
    return select(
        differing.c.lead_id,
        differing.c.rule_times,
        differing.c.score,
        _grade(definition, differing.c.score),
        case((and_(~first, comparable, moved), _changes(definition, new, old)), else_=null()),
        differing.c.row_id,
        differing.c.old_score,
    )


def outcome_rows(definition: ModelDefinition) -> Insert:
    """OUTCOMES of every combination of counts in COMPUTED, read back from `rule_times`;
    a first score's changed rules only for the combinations a first score has (an
    incremental rescore has few or none)."""
    distinct = (
        select(
            COMPUTED.c.rule_times,
            func.max(case((COMPUTED.c.row_id.is_(None), 1), else_=0)).label("first"),
        )
        .group_by(COMPUTED.c.rule_times)
        .subquery("combinations")
    )
    # Each count read once per combination: the pieces of JSON name a count up to
    # three times, and SQLite would otherwise parse `rule_times` for every mention.
    parsed = (
        select(
            distinct.c.rule_times,
            distinct.c.first,
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
            case((parsed.c.first == 1, _changes(definition, times, none)), else_=_json_list([])),
        ),
    )


def _insert_rows_from_json() -> Insert:
    """COMPUTED from a JSON array of rows in `changed_rows`' shape (SQLite's json_each),
    but for leads deleted since: one statement, the array encoded by one json.dumps."""
    given = func.json_each(bindparam("rows", type_=Text)).table_valued("value", name="given")
    values = [func.json_extract(given.c.value, f"$[{index}]") for index in range(len(COMPUTED.c))]
    leads = table_for("lead")
    return insert(COMPUTED).from_select(
        [column.name for column in COMPUTED.c],
        select(*values).where(select(leads.c.id).where(leads.c.id == values[0]).exists()),
    )


_INSERT_ROWS = _insert_rows_from_json()


def store_rows(session: Session, rows: Sequence[Sequence[Any]]) -> bool:
    """Rows `changed_rows` gave earlier (in a read transaction) into the scratch table,
    but for leads deleted since; whether any went in. SQLite only (`count_differing`)."""
    if not rows:
        return False
    result = session.execute(_INSERT_ROWS, {"rows": json.dumps(rows)})
    return int(getattr(result, "rowcount", 0) or 0) > 0


def prepare_scratch(session: Session) -> None:
    """The scratch table exists on this connection and is empty."""
    for table in SCRATCH:
        # Every time: a rolled-back transaction takes a table it created with it.
        session.execute(CreateTable(table, if_not_exists=True))
        session.execute(delete(table))


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
