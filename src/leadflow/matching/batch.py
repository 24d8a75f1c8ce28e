"""Matching many records at once: one lookup per strategy, keys claimed in one statement.

The set-based counterpart of `services.match_contact` / `match_lead`, for intake at
volume (the capture relay handler, imports). The rules are the same (pure ones in
`matching.domain`): a candidate's values are normalised for the strategy's fields;
records whose columns equal them match, the most recently updated first (tie: the
highest id), the others are `candidates`; a candidate missing a value cannot be
matched and is created without a key.

Use:

    found = match_many(session, registry, strategy, [Candidate(values), ...])
    # found[i].record_id: the existing record, or None (create one);
    # found[i].key: the match key of a new one (None: created without a key);
    # found[i].first: the first candidate of the batch with that key (the others of
    #   the same key are the same person: create once, reuse its id).
    claimed = claim_keys(session, strategy.id, keys_of_new)   # PostgreSQL: the race
    ... create the records of `claimed` keys (all keys on SQLite) ...
    assign_keys(session, strategy.id, {key: record_id, ...})

Race-freedom is the single path's: on PostgreSQL `claim_keys` inserts the keys with
ON CONFLICT DO NOTHING RETURNING, so of two processes creating the same person one
wins and the other, after the winner committed, finds the winner's record by a
second `match_many` (a key whose holder no longer matches is left to the single
path, which takes it over). On SQLite the writer holds the write lock for its whole
transaction, so nobody creates anyone meanwhile: keys are written with their records.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leadflow.lib.clock import utcnow
from leadflow.lib.normalize import needs_region
from leadflow.matching.domain import (
    MatchTarget,
    StrategyValues,
    field_value,
    match_key,
    missing_reason,
    strategy_values,
)
from leadflow.matching.models import MatchingStrategy, MatchKey
from leadflow.registry.domain import FieldDef, FieldType, Registry
from leadflow.registry.sql import field_column, table_for

MAX_CANDIDATES = 20
_TEXT_TYPES = (FieldType.TEXT, FieldType.LONG_TEXT, FieldType.URL, FieldType.CHOICE)
_KEYS = cast(Table, MatchKey.__table__)


@dataclass(frozen=True)
class Candidate:
    """One record to match: its public field values (custom ones under `custom`).

    `region` reads a national-format phone in the strategy (a callable, so the
    region, which may need a lookup, is worked out only for such a phone).
    """

    values: Mapping[str, Any]
    region: Callable[[], str | None] | None = None


@dataclass(frozen=True)
class BatchMatch:
    """What matching decided for one candidate."""

    record_id: int | None
    key: str | None = None
    first: bool = True
    candidates: list[int] = field(default_factory=list)
    reason: str | None = None

    @property
    def is_new(self) -> bool:
        return self.record_id is None


def match_expression(definition: FieldDef) -> ColumnElement[Any]:
    """The SQL a field's stored value is compared through: text case- and
    space-insensitively (as `normalize_for_match` reads the submitted value)."""
    column = field_column(definition)
    if definition.type in _TEXT_TYPES or (
        definition.custom and definition.type in (FieldType.EMAIL, FieldType.PHONE)
    ):
        return func.lower(func.trim(column))
    return column


def definitions_of(
    registry: Registry, target: MatchTarget, fields: Sequence[str]
) -> dict[str, FieldDef]:
    """The strategy's fields the registry knows (a deleted custom field counts as missing)."""
    return {
        name: registry.field(target.value, name)
        for name in fields
        if registry.has_field(target.value, name)
    }


_LOOKUPS: dict[tuple[Any, ...], Select[Any]] = {}


def _lookup_query(target: MatchTarget, definitions: Sequence[FieldDef]) -> Select[Any]:
    """Every record whose compared values are among the `values` parameter (an
    expanding IN of tuples, or of values for one field): built once per shape."""
    shape = (target, *((item.name, item.type, item.custom) for item in definitions))
    query = _LOOKUPS.get(shape)
    if query is None:
        table = table_for(target.value)
        expressions = [match_expression(item) for item in definitions]
        compared = expressions[0] if len(expressions) == 1 else tuple_(*expressions)
        query = (
            select(table.c.id, *(item.label(f"m_{n}") for n, item in enumerate(expressions)))
            .where(
                compared.in_(bindparam("values", expanding=True)),
                # A record merged into another is kept only to redirect: the survivor matches.
                table.c.merged_into_id.is_(None),
            )
            .order_by(table.c.updated_at.desc(), table.c.id.desc())
        )
        _LOOKUPS[shape] = query
    return query


def _normalised(
    strategy: MatchingStrategy,
    definitions: Mapping[str, FieldDef],
    candidate: Candidate,
) -> StrategyValues:
    region = None
    phone_fields = [
        item for item in definitions.values() if item.type is FieldType.PHONE and not item.custom
    ]
    if phone_fields and candidate.region is not None:
        raw = [field_value(candidate.values, item) for item in phone_fields]
        if any(value is not None and needs_region(str(value)) for value in raw):
            region = candidate.region()
    return strategy_values(strategy.fields, definitions, candidate.values, region)


def match_many(
    session: Session,
    registry: Registry,
    strategy: MatchingStrategy,
    candidates: Sequence[Candidate],
) -> list[BatchMatch]:
    """Match every candidate on `strategy` with one lookup; one result per candidate,
    in order. New people are grouped by key: only the first of a key has `first`."""
    target = MatchTarget(strategy.target)
    definitions = definitions_of(registry, target, strategy.fields)
    applied = [_normalised(strategy, definitions, item) for item in candidates]
    keyed = {
        index: tuple(values.normalised[name] for name in strategy.fields)
        for index, values in enumerate(applied)
        if values.applies
    }
    found: dict[tuple[Any, ...], list[int]] = {}
    if keyed:
        ordered = [definitions[name] for name in strategy.fields]
        wanted = sorted(set(keyed.values()), key=repr)
        params = [item[0] for item in wanted] if len(ordered) == 1 else wanted
        for row in session.execute(_lookup_query(target, ordered), {"values": params}):
            compared = tuple(row[1:])
            ids = found.setdefault(compared, [])
            if len(ids) <= MAX_CANDIDATES:
                ids.append(row[0])
    results: list[BatchMatch] = []
    seen_keys: set[str] = set()
    for index, values in enumerate(applied):
        if not values.applies:
            reason = missing_reason(strategy.name, values.missing)
            results.append(BatchMatch(None, reason=reason))
            continue
        hits = found.get(keyed[index])
        if hits:
            winner, *others = hits
            results.append(BatchMatch(winner, candidates=others))
            continue
        key = match_key(strategy.fields, values.normalised)
        results.append(BatchMatch(None, key=key, first=key not in seen_keys))
        seen_keys.add(key)
    return results


def claim_keys(session: Session, strategy_id: int, keys: Collection[str]) -> set[str]:
    """PostgreSQL: claim these keys in one statement; returns those this transaction
    won (the others belong to a record another transaction created or is creating:
    the statement waits for it to commit). SQLite needs no claim: every key is won."""
    if not keys:
        return set()
    if session.get_bind().dialect.name != "postgresql":
        return set(keys)
    now = utcnow()
    rows = [
        {"strategy_id": strategy_id, "key": key, "record_id": 0, "created_at": now}
        for key in sorted(keys)
    ]
    statement = (
        postgresql.insert(_KEYS)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["strategy_id", "key"])
        .returning(_KEYS.c.key)
    )
    return set(session.scalars(statement))


_UPSERT_KEY = sqlite.insert(_KEYS).on_conflict_do_update(
    index_elements=[_KEYS.c.strategy_id, _KEYS.c.key],
    set_={"record_id": sqlite.insert(_KEYS).excluded.record_id},
)
_POINT_KEY = (
    update(_KEYS)
    .where(
        _KEYS.c.strategy_id == bindparam("b_strategy_id"),
        _KEYS.c.key == bindparam("b_key"),
        _KEYS.c.record_id == 0,
    )
    .values(record_id=bindparam("b_record_id"))
)


def assign_keys(session: Session, strategy_id: int, records: Mapping[str, int]) -> None:
    """Point keys at the records created for them: on SQLite written here (one
    upsert for all: a stale key of a record that no longer matches is taken over),
    on PostgreSQL the keys `claim_keys` won, updated from their placeholder."""
    if not records:
        return
    if session.get_bind().dialect.name != "postgresql":
        now = utcnow()
        session.execute(
            _UPSERT_KEY,
            [
                {"strategy_id": strategy_id, "key": key, "record_id": record, "created_at": now}
                for key, record in records.items()
            ],
        )
        return
    session.connection().execute(
        _POINT_KEY,
        [
            {"b_strategy_id": strategy_id, "b_key": key, "b_record_id": record}
            for key, record in records.items()
        ],
    )
