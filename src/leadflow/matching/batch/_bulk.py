"""Bulk variants: one parameter per column, whatever the batch's size.

For intake at import volume (thousands of keys a statement). On PostgreSQL the keys
travel as arrays (`unnest`, `= ANY`): one statement text for every batch size, so
neither SQLAlchemy nor psycopg compiles or parses a thousand-row VALUES list, and the
assignment is one UPDATE joined to the arrays instead of a round trip per key. On
SQLite they go to the driver's executemany as plain tuples. Same rules as
`match_many`, `claim_keys` and `assign_keys`; the capture relay may use them too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Select,
    String,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from leadflow.db.base import UTCDateTime
from leadflow.lib.clock import utcnow
from leadflow.matching.batch._candidates import (
    _KEYS,
    MAX_CANDIDATES,
    BatchMatch,
    Candidate,
    _normalised,
    definitions_of,
    match_expression,
)
from leadflow.matching.batch._match import match_many
from leadflow.matching.domain import (
    MatchTarget,
    StrategyValues,
    match_key,
    missing_reason,
    normalize_for_match,
    strategy_values,
)
from leadflow.matching.models import MatchingStrategy
from leadflow.registry.domain import FieldDef, FieldType, Registry
from leadflow.registry.sql import table_for

_LOOKUPS_BY_ARRAY: dict[tuple[Any, ...], Select[Any]] = {}


def _array_lookup_query(target: MatchTarget, definition: FieldDef) -> Select[Any]:
    """PostgreSQL, one-field strategies: the records whose compared value is in the
    `values` array parameter, with their merged_into_id for the caller to filter (as
    on SQLite: with statistics older than a bulk load the planner ANDs in the index on
    merged_into_id, which holds every unmerged record)."""
    shape = (target, definition.name, definition.type, definition.custom)
    query = _LOOKUPS_BY_ARRAY.get(shape)
    if query is None:
        table = table_for(target.value)
        expression = match_expression(definition)
        array = bindparam("values", type_=postgresql.ARRAY(expression.type))
        query = cast(
            Select[Any],
            select(table.c.id, expression.label("m_0"), table.c.merged_into_id)
            .where(expression == any_(array))
            .order_by(table.c.updated_at.desc(), table.c.id.desc()),
        )
        _LOOKUPS_BY_ARRAY[shape] = query
    return query


def _sqlite_lookup_query(target: MatchTarget, definitions: Sequence[FieldDef]) -> Select[Any]:
    """SQLite: `_lookup_query` with merged records dropped by the caller, not the
    WHERE clause. Without statistics SQLite's planner takes `merged_into_id IS NULL`
    to the index on merged_into_id, which every unmerged record is in: a scan of the
    whole table per lookup (seconds a chunk at a million records) instead of one
    index search per value."""
    shape = ("sqlite", target, *((item.name, item.type, item.custom) for item in definitions))
    query = _LOOKUPS_BY_ARRAY.get(shape)
    if query is None:
        table = table_for(target.value)
        expressions = [match_expression(item) for item in definitions]
        compared = expressions[0] if len(expressions) == 1 else tuple_(*expressions)
        query = cast(
            Select[Any],
            select(
                table.c.id,
                *(item.label(f"m_{n}") for n, item in enumerate(expressions)),
                table.c.merged_into_id,
            )
            .where(compared.in_(bindparam("values", expanding=True)))
            .order_by(table.c.updated_at.desc(), table.c.id.desc()),
        )
        _LOOKUPS_BY_ARRAY[shape] = query
    return query


_JSON = json.JSONEncoder(ensure_ascii=False).encode


def _sqlite_json_lookup_query(target: MatchTarget, definition: FieldDef) -> Select[Any]:
    """SQLite, one-field strategies with text values: `_sqlite_lookup_query` taking the
    values as one JSON array (`IN (SELECT value FROM json_each(:values))`), which
    searches the field's index once per value as the IN list does."""
    shape = ("sqlite-json", target, definition.name, definition.type, definition.custom)
    query = _LOOKUPS_BY_ARRAY.get(shape)
    if query is None:
        table = table_for(target.value)
        expression = match_expression(definition)
        values: Select[Any] = select(literal_column("value")).select_from(
            func.json_each(bindparam("values", type_=String()))
        )
        query = cast(
            Select[Any],
            select(table.c.id, expression.label("m_0"), table.c.merged_into_id)
            .where(expression.in_(values))
            .order_by(table.c.updated_at.desc(), table.c.id.desc()),
        )
        _LOOKUPS_BY_ARRAY[shape] = query
    return query


def match_many_bulk(
    session: Session,
    registry: Registry,
    strategy: MatchingStrategy,
    candidates: Sequence[Candidate],
) -> list[BatchMatch]:
    """`match_many` for large batches: on PostgreSQL the lookup takes one array
    parameter (one-field strategies), on SQLite it searches the strategy's own
    index (see `_sqlite_lookup_query`)."""
    target = MatchTarget(strategy.target)
    definitions = definitions_of(registry, target, strategy.fields)
    if any(name not in definitions for name in strategy.fields):
        return match_many(session, registry, strategy, candidates)
    ordered = [definitions[name] for name in strategy.fields]
    compared = _compared(strategy, definitions, candidates)
    if session.get_bind().dialect.name == "sqlite":
        sqlite_query = _sqlite_lookup_query(target, ordered)
        by_json = _sqlite_json_lookup_query(target, ordered[0]) if len(ordered) == 1 else None

        def unmerged(wanted: list[Any]) -> list[tuple[Any, ...]]:
            if by_json is not None and all(type(item) is str for item in wanted):
                # One JSON parameter for the batch: a 1,000-item expanding IN is
                # rendered and bound anew on every call (a tenth of the lookup's time).
                rows = session.execute(by_json, {"values": _JSON(wanted)})
            else:
                rows = session.execute(sqlite_query, {"values": wanted})
            return [tuple(row[:-1]) for row in rows if row[-1] is None]

        return _decide(strategy, compared, unmerged)
    if len(ordered) != 1:
        return match_many(session, registry, strategy, candidates)
    array_query = _array_lookup_query(target, ordered[0])

    def unmerged_by_array(wanted: list[Any]) -> list[tuple[Any, ...]]:
        rows = session.execute(array_query, {"values": wanted})
        return [tuple(row[:-1]) for row in rows if row[-1] is None]

    return _decide(strategy, compared, unmerged_by_array)


@dataclass(slots=True)
class _Compared:
    """A batch's candidates as the lookup compares them: per candidate its value (one
    field) or tuple of values (several), None when a field has no value; `missing` the
    fields such a candidate lacks, `normalised` its values by field (several fields)."""

    values: list[Any]
    missing: Callable[[int], tuple[str, ...]]
    normalised: Callable[[int], Mapping[str, Any]]


def _compared(
    strategy: MatchingStrategy,
    definitions: Mapping[str, FieldDef],
    candidates: Sequence[Candidate],
) -> _Compared:
    fields = tuple(strategy.fields)
    only = definitions[fields[0]] if len(fields) == 1 else None
    if only is not None and only.type is FieldType.EMAIL and not only.custom:
        # One built-in email field (the usual strategy): its values normalised as
        # capture's are, without a StrategyValues per candidate (a third of a lookup's time).
        name = only.name
        values: list[Any] = [
            normalize_for_match(only, candidate.values.get(name)) for candidate in candidates
        ]
        missing = (name,)
        return _Compared(values, lambda _: missing, lambda index: {fields[0]: values[index]})
    applied = _all_normalised(strategy, definitions, candidates)
    if len(fields) == 1:
        values = [None if item.missing else item.normalised[fields[0]] for item in applied]
    else:
        values = [
            None if item.missing else tuple([item.normalised[name] for name in fields])
            for item in applied
        ]
    return _Compared(
        values, lambda index: applied[index].missing, lambda index: applied[index].normalised
    )


def _all_normalised(
    strategy: MatchingStrategy,
    definitions: Mapping[str, FieldDef],
    candidates: Sequence[Candidate],
) -> list[StrategyValues]:
    """`_normalised` for each candidate; without a phone in the strategy, no region
    is looked for and the strategy's fields are read once."""
    if any(item.type is FieldType.PHONE and not item.custom for item in definitions.values()):
        return [_normalised(strategy, definitions, item) for item in candidates]
    fields = tuple(strategy.fields)
    return [strategy_values(fields, definitions, item.values) for item in candidates]


_ENCODE = json.encoder.encode_basestring_ascii


def bulk_match_key(fields: Sequence[str], values: Mapping[str, Any]) -> str:
    """`match_key` (the same hash), its JSON written directly when every value is
    text: a third of the time at import volume. Other values take `match_key`."""
    parts = []
    for name in fields:
        value = values[name]
        if type(value) is not str:
            return match_key(fields, values)
        parts.append(f"[{_ENCODE(name)}, {_ENCODE(value)}]")
    return hashlib.sha256(f"[{', '.join(parts)}]".encode()).hexdigest()


def _decide(
    strategy: MatchingStrategy,
    compared: _Compared,
    lookup: Callable[[list[Any]], Any],
) -> list[BatchMatch]:
    fields = tuple(strategy.fields)
    values = compared.values
    found: dict[Any, list[int]] = {}
    wanted = {value for value in values if value is not None}
    if wanted:
        for row in lookup(_sorted_keys(wanted)):
            ids = found.setdefault(row[1] if len(row) == 2 else tuple(row[1:]), [])
            if len(ids) <= MAX_CANDIDATES:
                ids.append(row[0])
    results: list[BatchMatch] = []
    seen_keys: set[str] = set()
    # One text field: its key's JSON is the same around every value (`bulk_match_key`).
    head = f"[[{_ENCODE(fields[0])}, " if len(fields) == 1 else None
    sha256 = hashlib.sha256
    for index, value in enumerate(values):
        if value is None:
            results.append(
                BatchMatch(None, reason=missing_reason(strategy.name, compared.missing(index)))
            )
            continue
        hits = found.get(value)
        if hits:
            winner, *others = hits
            results.append(BatchMatch(winner, candidates=others))
            continue
        if head is not None and type(value) is str:
            key = sha256(f"{head}{_ENCODE(value)}]]".encode()).hexdigest()
        else:
            key = bulk_match_key(fields, compared.normalised(index))
        results.append(BatchMatch(None, key=key, first=key not in seen_keys))
        seen_keys.add(key)
    return results


def _sorted_keys(keys: set[Any]) -> list[Any]:
    """The batch's distinct values in a stable order: as they compare when they do
    (text, the usual case), else by their repr."""
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=repr)


_CLAIM_ARRAY = text(
    "INSERT INTO match_keys (strategy_id, key, record_id, created_at) "
    "SELECT :strategy_id, item.key, 0, :now FROM unnest(CAST(:keys AS varchar[])) AS item(key) "
    "ORDER BY item.key "
    "ON CONFLICT (strategy_id, key) DO NOTHING RETURNING key"
).bindparams(bindparam("now", type_=UTCDateTime()))
_ASSIGN_ARRAY = text(
    "UPDATE match_keys SET record_id = item.record_id "
    "FROM unnest(CAST(:keys AS varchar[]), CAST(:records AS bigint[])) AS item(key, record_id) "
    "WHERE match_keys.strategy_id = :strategy_id AND match_keys.key = item.key "
    "AND match_keys.record_id = 0"
)


_CLAIM_WITH_RECORDS = text(
    "INSERT INTO match_keys (strategy_id, key, record_id, created_at) "
    "SELECT :strategy_id, item.key, item.record_id, :now "
    "FROM unnest(CAST(:keys AS varchar[]), CAST(:records AS bigint[])) AS item(key, record_id) "
    "ORDER BY item.key "
    "ON CONFLICT (strategy_id, key) DO NOTHING RETURNING key"
).bindparams(bindparam("now", type_=UTCDateTime()))


def claim_keys_for_bulk(session: Session, strategy_id: int, records: Mapping[str, int]) -> set[str]:
    """`claim_keys_bulk` then `assign_keys_bulk` in one statement, for records whose
    ids were taken before their rows are inserted (later in the same transaction):
    returns the keys won, each already pointing at its record. A lost key's id is
    left unused. On SQLite (one writer at a time) every key is won and written."""
    if not records:
        return set()
    if session.get_bind().dialect.name != "postgresql":
        assign_keys_bulk(session, strategy_id, records)
        return set(records)
    keys = sorted(records)
    result = session.execute(
        _CLAIM_WITH_RECORDS,
        {
            "strategy_id": strategy_id,
            "keys": keys,
            "records": [records[key] for key in keys],
            "now": utcnow(),
        },
    )
    return {str(key) for key in result.scalars()}


def claim_keys_bulk(session: Session, strategy_id: int, keys: Collection[str]) -> set[str]:
    """`claim_keys` with the keys as one array parameter on PostgreSQL (in key order,
    so two writers claiming overlapping batches wait for each other, never deadlock)."""
    if not keys:
        return set()
    if session.get_bind().dialect.name != "postgresql":
        return set(keys)
    result = session.execute(
        _CLAIM_ARRAY, {"strategy_id": strategy_id, "keys": sorted(keys), "now": utcnow()}
    )
    return {str(key) for key in result.scalars()}


def assign_keys_bulk(session: Session, strategy_id: int, records: Mapping[str, int]) -> None:
    """`assign_keys` in one statement on PostgreSQL (an UPDATE joined to the arrays) and
    one driver executemany of plain tuples on SQLite."""
    if not records:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        keys = sorted(records)
        connection.execute(
            _ASSIGN_ARRAY,
            {
                "strategy_id": strategy_id,
                "keys": keys,
                "records": [records[key] for key in keys],
            },
        )
        return
    processor = _KEYS.c.created_at.type._cached_bind_processor(connection.dialect)
    now = processor(utcnow()) if processor is not None else utcnow()
    connection.exec_driver_sql(
        "INSERT INTO match_keys (strategy_id, key, record_id, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (strategy_id, key) DO UPDATE SET record_id = excluded.record_id",
        [(strategy_id, key, record, now) for key, record in records.items()],
    )
