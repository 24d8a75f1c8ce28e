"""Matching a batch (`match_many`) and claiming and assigning its new records' keys."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    bindparam,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leadflow.lib.clock import utcnow
from leadflow.matching.batch._candidates import (
    _KEYS,
    MAX_CANDIDATES,
    BatchMatch,
    Candidate,
    _lookup_query,
    _normalised,
    definitions_of,
)
from leadflow.matching.domain import (
    MatchTarget,
    match_key,
    missing_reason,
)
from leadflow.matching.models import MatchingStrategy
from leadflow.registry.domain import Registry


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
