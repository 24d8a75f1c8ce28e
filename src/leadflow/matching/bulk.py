"""Matching many value sets at once (file imports): the same keys and normalisation
as `services.match_contact` / `match_lead`, one query per chunk instead of one per row.

- `keys_for` normalises each row's values under a strategy and hashes them
  (`domain.match_key`), exactly as a single submission would.
- `find_many` reads every candidate record in ONE query (by the strategy's first
  field), normalises the stored values the same way and returns key -> record id
  (the most recently updated record wins, as in `match_contact`).
- `claim_many` claims the keys of records about to be created in ONE
  INSERT ... ON CONFLICT DO NOTHING RETURNING (PostgreSQL): a key someone else
  holds (a form submission racing the import) means that person exists; the
  caller reads the holder with `holders` and updates instead of creating. On
  SQLite the import holds the write lock for its chunk, so nobody can create
  meanwhile and every key is ours.
- `write_keys` points the claimed keys at the created records.

Written for imports before the capture batch path (matching/batch.py on the
intake branch) landed; the two are meant to become one module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import BigInteger, ColumnElement, String, Table, any_, bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leadflow.db.base import UTCDateTime
from leadflow.lib.clock import utcnow
from leadflow.matching.domain import match_key, normalize_for_match
from leadflow.matching.models import MatchingStrategy, MatchKey
from leadflow.registry.domain import FieldDef, FieldType, Registry
from leadflow.registry.sql import field_column, table_for

_TEXT_TYPES = (FieldType.TEXT, FieldType.LONG_TEXT, FieldType.URL, FieldType.CHOICE)
_KEYS = cast(Table, MatchKey.__table__)


@dataclass(frozen=True)
class Keyed:
    """One row under a strategy: its normalised values and key, or None when a
    strategy field has no value (the row cannot match; capture creates then)."""

    key: str | None
    normalised: tuple[Any, ...] | None


@dataclass(frozen=True)
class StrategyShape:
    strategy_id: int
    target: str
    fields: tuple[FieldDef, ...]

    @classmethod
    def of(cls, registry: Registry, strategy: MatchingStrategy) -> StrategyShape:
        known = [name for name in strategy.fields if registry.has_field(strategy.target, name)]
        fields = tuple(registry.field(strategy.target, name) for name in known)
        return cls(strategy.id, strategy.target, fields)


def keys_for(
    shape: StrategyShape,
    rows: Sequence[Mapping[str, Any]],
    region: str | None = None,
) -> list[Keyed]:
    """Each row's key; rows give field values by registry name (custom ones too)."""
    names = [item.name for item in shape.fields]
    keyed: list[Keyed] = []
    for values in rows:
        normalised: list[Any] = []
        for definition in shape.fields:
            value = normalize_for_match(definition, values.get(definition.name), region)
            if value is None:
                break
            normalised.append(value)
        if len(normalised) != len(shape.fields) or not shape.fields:
            keyed.append(Keyed(None, None))
            continue
        key = match_key(names, dict(zip(names, normalised, strict=True)))
        keyed.append(Keyed(key, tuple(normalised)))
    return keyed


def _stored(definition: FieldDef, value: Any) -> Any:
    return normalize_for_match(definition, value)


def find_many(
    session: Session,
    shape: StrategyShape,
    keyed: Sequence[Keyed],
    *,
    require_null: Sequence[FieldDef] = (),
) -> dict[str, int]:
    """key -> id of the record the key's values match (newest update wins); one query.

    `require_null`: strategy fields the caller has no value for at all (an import
    without a marketing page column); records match only where those are empty.
    """
    wanted = {item.key: item.normalised for item in keyed if item.key and item.normalised}
    if not wanted:
        return {}
    table = table_for(shape.target)
    first = shape.fields[0]
    column = field_column(first)
    if first.type in _TEXT_TYPES or (
        first.custom and first.type in (FieldType.EMAIL, FieldType.PHONE)
    ):
        column = func.lower(func.trim(column))
    firsts = sorted({values[0] for values in wanted.values()}, key=str)
    columns = [field_column(item).label(f"f{index}") for index, item in enumerate(shape.fields)]
    query = (
        select(table.c.id, *columns)
        .where(one_of(session, column, firsts), *_nulls(require_null))
        .order_by(table.c.updated_at.desc(), table.c.id.desc())
    )
    names = [item.name for item in shape.fields]
    found: dict[str, int] = {}
    for row in session.execute(query):
        normalised = [
            _stored(definition, row[index + 1]) for index, definition in enumerate(shape.fields)
        ]
        if any(value is None for value in normalised):
            continue
        key = match_key(names, dict(zip(names, normalised, strict=True)))
        if key in wanted and key not in found:
            found[key] = int(row[0])
    return found


def one_of(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `= ANY(array)`: one parameter instead of a
    thousand, so the driver does not parse a long statement on every chunk."""
    items = list(values)
    if session.get_bind().dialect.name != "postgresql" or not items:
        return cast(ColumnElement[bool], column.in_(items))
    kind = BigInteger() if isinstance(items[0], int) else String()
    array = bindparam(None, items, type_=postgresql.ARRAY(kind))
    return cast(ColumnElement[bool], column == any_(array))


def _nulls(fields: Sequence[FieldDef]) -> list[ColumnElement[bool]]:
    return [field_column(item).is_(None) for item in fields]


def claim_many(session: Session, strategy_id: int, keys: Sequence[str]) -> set[str]:
    """The keys this transaction now holds; on PostgreSQL the others are held by a
    concurrent writer (the statement waits for its commit)."""
    if not keys:
        return set()
    if session.get_bind().dialect.name != "postgresql":
        return set(keys)
    now = utcnow()
    rows = [
        {"strategy_id": strategy_id, "key": key, "record_id": 0, "created_at": now}
        for key in sorted(set(keys))
    ]
    # One statement over an array (sorted: concurrent claimers lock keys in one order).
    claimed = session.scalars(
        _CLAIM_ARRAY,
        {"strategy_id": strategy_id, "keys": [row["key"] for row in rows], "now": now},
    )
    return set(claimed)


def holders(session: Session, strategy_id: int, keys: Sequence[str]) -> dict[str, int]:
    """key -> record id of keys held by others (0: not pointed at a record yet)."""
    if not keys:
        return {}
    rows = session.execute(
        select(_KEYS.c.key, _KEYS.c.record_id).where(
            _KEYS.c.strategy_id == strategy_id, one_of(session, _KEYS.c.key, sorted(set(keys)))
        )
    )
    return {str(key): int(record_id) for key, record_id in rows}


def write_keys(session: Session, strategy_id: int, pairs: Mapping[str, int]) -> None:
    """Point each key at its created record (an upsert: a stale key is taken over)."""
    if not pairs:
        return
    now = utcnow()
    rows = [
        {"strategy_id": strategy_id, "key": key, "record_id": record_id, "created_at": now}
        for key, record_id in sorted(pairs.items())
    ]
    if session.get_bind().dialect.name == "postgresql":
        # One statement over two arrays: an executemany would send a row at a time.
        session.execute(
            _UPSERT_ARRAYS,
            {
                "strategy_id": strategy_id,
                "keys": [row["key"] for row in rows],
                "ids": [row["record_id"] for row in rows],
                "now": now,
            },
        )
        return
    session.execute(_UPSERT, rows)


def _upsert(insert_fn: Any) -> Any:
    statement = insert_fn(_KEYS)
    return statement.on_conflict_do_update(
        index_elements=[_KEYS.c.strategy_id, _KEYS.c.key],
        set_={"record_id": statement.excluded.record_id},
    )


_CLAIM_ARRAY = text(
    "INSERT INTO match_keys (strategy_id, key, record_id, created_at) "
    "SELECT :strategy_id, data.key, 0, :now "
    "FROM unnest(CAST(:keys AS VARCHAR[])) AS data(key) "
    "ON CONFLICT (strategy_id, key) DO NOTHING RETURNING key"
).bindparams(bindparam("now", type_=UTCDateTime()))
_UPSERT = _upsert(sqlite.insert)
_UPSERT_ARRAYS = text(
    "INSERT INTO match_keys (strategy_id, key, record_id, created_at) "
    "SELECT :strategy_id, data.key, data.record_id, :now "
    "FROM unnest(CAST(:keys AS VARCHAR[]), CAST(:ids AS BIGINT[])) AS data(key, record_id) "
    "ON CONFLICT (strategy_id, key) DO UPDATE SET record_id = excluded.record_id"
).bindparams(bindparam("now", type_=UTCDateTime()))


__all__ = [
    "Keyed",
    "StrategyShape",
    "claim_many",
    "find_many",
    "holders",
    "keys_for",
    "write_keys",
]
