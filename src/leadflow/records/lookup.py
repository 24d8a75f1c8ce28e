"""Reading another concept's records by entity name, through the registry.

A concept that needs a lead, a contact or an account it does not own (to check a
reference, to evaluate a condition) asks here by the registry's entity name
instead of importing that concept's model: what it reads is the record as the
registry declares it, and the owning concept stays free to move its code.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from leadflow.db.base import Base
from leadflow.registry.sql import table_for

# Ids per IN list: well under SQLite's bound-parameter limit.
_CHUNK = 5000


@cache
def record_class(entity: str) -> type[Base]:
    """The mapped class of a registered entity's table (KeyError for an unknown entity)."""
    table = table_for(entity)
    for mapper in Base.registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    raise KeyError(f"no mapped class for the {entity} table")


def find_record(session: Session, entity: str, record_id: int) -> Any | None:
    """The record, or None; one this session already holds costs no query."""
    return session.get(record_class(entity), record_id)


def missing_record_ids(session: Session, entity: str, ids: Iterable[int]) -> set[int]:
    """The ids among `ids` that name no record of the entity. Records this session
    already holds (a capture's own new contact) count as present without a query."""
    model = record_class(entity)
    wanted = {
        record_id
        for record_id in ids
        if session.identity_key(model, record_id) not in session.identity_map
    }
    if not wanted:
        return set()
    id_column = table_for(entity).c.id
    ordered = sorted(wanted)
    found: set[int] = set()
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        found.update(session.scalars(select(id_column).where(id_column.in_(chunk))))
    return wanted - found


def record_rows(
    session: Session,
    entity: str,
    ids: Collection[int],
    *conditions: ColumnElement[bool],
) -> dict[int, RowMapping]:
    """The entity's rows (every column) for `ids` that also meet `conditions`, by id.
    Conditions name columns through `column(entity, name)`."""
    table = table_for(entity)
    rows: dict[int, RowMapping] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        statement = select(table).where(table.c.id.in_(chunk), *conditions)
        rows.update((int(row["id"]), row) for row in session.execute(statement).mappings())
    return rows


def column(entity: str, name: str) -> ColumnElement[Any]:
    """A column of the entity's table, for `record_rows`' conditions."""
    return table_for(entity).c[name]


def count_records(session: Session, entity: str) -> int:
    """How many records of the entity there are."""
    return int(session.scalar(select(func.count()).select_from(table_for(entity))) or 0)
