"""SQL pieces of the writer: JSON built as text, counts read back from `rule_times`, grades."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    FunctionElement,
    Integer,
    String,
    and_,
    case,
    func,
    literal,
    literal_column,
    null,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from leadflow.db.base import JsonData
from leadflow.scoring.domain import ModelDefinition


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


class _joined_counts(FunctionElement[str]):
    """Whole numbers joined by commas, by one function call: `printf` on SQLite,
    `concat_ws` on PostgreSQL (a CAST and two concatenations per count cost about a
    third of the incremental rescore's main statement on SQLite)."""

    inherit_cache = True
    name = "joined_counts"
    type = String()


@compiles(_joined_counts)
def _joined_counts_sqlite(element: _joined_counts, compiler: SQLCompiler, **kw: Any) -> str:
    counts = [str(compiler.process(each, **kw)) for each in element.clauses]
    shape = ",".join(["%d"] * len(counts))
    return f"printf('{shape}', {', '.join(counts)})"


@compiles(_joined_counts, "postgresql")
def _joined_counts_postgresql(element: _joined_counts, compiler: SQLCompiler, **kw: Any) -> str:
    counts = [str(compiler.process(each, **kw)) for each in element.clauses]
    return f"concat_ws(',', {', '.join(counts)})"


# A function takes at most 127 arguments on SQLite (SQLITE_MAX_FUNCTION_ARG's default)
# and 100 on PostgreSQL (FUNC_MAX_ARGS), the format or separator being one of them.
_JOINED_AT_MOST = 90


def signature_of(times: Sequence[ColumnElement[Any]]) -> ColumnElement[str]:
    """`rule_times` computed in SQL: the counts joined by commas."""
    if not times:
        return literal("", String)
    if len(times) <= _JOINED_AT_MOST:
        return _joined_counts(*times)
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


def _sql_string(value: str) -> ColumnElement[str]:
    """A string rendered inline as an SQL literal (part of the statement's cache key)."""
    return literal_column("'" + value.replace("'", "''") + "'", String)


class _rule_objects(FunctionElement[Any]):
    """A JSON array (text; JSONB on PostgreSQL) of one object per rule whose two counts
    differ, rendered in one piece: the clauses are, per rule, the object's head (an
    inline literal), the two counts compared, the two values shown (each a count times
    the rule's points) and the key between them. Built as SQLAlchemy expressions, the
    pieces of a 20-rule model were about a tenth of a first rescore's CPU in building
    and compiling alone (the full rescore builds them again per job)."""

    # Compact JSON (no space after `:` and `,`): a first rescore writes an explanation
    # and a history row per lead, and a tenth of their bytes were spaces.
    inherit_cache = True
    name = "rule_objects"
    type = JsonData

    PER_RULE = 8


def _rule_objects_text(element: _rule_objects, compiler: SQLCompiler, **kw: Any) -> str:
    parts = [str(compiler.process(each, **kw)) for each in element.clauses]
    pieces = []
    for start in range(0, len(parts), _rule_objects.PER_RULE):
        head, left, right, first, first_points, key, second, second_points = parts[
            start : start + _rule_objects.PER_RULE
        ]
        pieces.append(
            f"CASE WHEN ({left}) != ({right}) THEN {head} || "
            f"CAST(({first}) * {first_points} AS VARCHAR) || {key} || "
            f"CAST(({second}) * {second_points} AS VARCHAR) || '}}' ELSE '' END"
        )
    if not pieces:
        return "'[]'"
    return f"'[' || substr({' || '.join(pieces)}, 2) || ']'"


@compiles(_rule_objects)
def _rule_objects_default(element: _rule_objects, compiler: SQLCompiler, **kw: Any) -> str:
    return _rule_objects_text(element, compiler, **kw)


@compiles(_rule_objects, "postgresql")
def _rule_objects_postgresql(element: _rule_objects, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({_rule_objects_text(element, compiler, **kw)} AS JSONB)"


def _explanation(
    definition: ModelDefinition, times: Sequence[ColumnElement[int]]
) -> ColumnElement[Any]:
    """`Contribution.public()` of every rule that applied, as `domain.explain` lists them."""
    clauses: list[ColumnElement[Any]] = []
    zero, one = _number(0), _number(1)
    for index, (rule, count) in enumerate(zip(definition.rules, times, strict=True)):
        head = f',{{"rule":{index},"name":{json.dumps(rule.name)},"points":{rule.points},"times":'
        key = _sql_string(',"total":')
        clauses += [_sql_string(head), count, zero, count, one, key, count, _number(rule.points)]
    return _rule_objects(*clauses)


def _changes(
    definition: ModelDefinition,
    times: Sequence[ColumnElement[int]],
    old_times: Sequence[ColumnElement[int]],
) -> ColumnElement[Any]:
    """`domain.changed_rules` between two sets of counts of one version."""
    clauses: list[ColumnElement[Any]] = []
    for index, (rule, new, old) in enumerate(zip(definition.rules, times, old_times, strict=True)):
        head = f',{{"rule":{index},"name":{json.dumps(rule.name)},"old":'
        points = _number(rule.points)
        clauses += [_sql_string(head), new, old, old, points, _sql_string(',"new":'), new, points]
    return _rule_objects(*clauses)
