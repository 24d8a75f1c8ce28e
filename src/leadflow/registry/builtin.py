"""The built-in entities, fields and relationships, as the record concepts declare them.

Each record concept declares its own (`<concept>/fields.py`: a `RecordFields`); the
composition root registers them here (`register`), so the registry names no
concept. The helpers below are the fields every record shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum
from functools import cache
from typing import cast

from sqlalchemy import Table

from leadflow.lib.bounds import INT64
from leadflow.registry.domain import EntityDef, FieldDef, FieldType, Registry, RelationshipDef

T = FieldType


@dataclass(frozen=True)
class RecordFields:
    """A record concept's declaration: its entity, built-in fields, the relationships it
    points along, the fields whose column always holds a value, and its table."""

    entity: EntityDef
    table: Table
    fields: tuple[FieldDef, ...]
    relationships: tuple[RelationshipDef, ...] = ()
    # A default on create, never null after; `id` always is.
    always_set: frozenset[str] = frozenset()


_RECORDS: dict[str, RecordFields] = {}
_RELATIONSHIP_SOURCES: list[str] = []


def register(*records: RecordFields, relationships_by_source: Sequence[str] = ()) -> None:
    """Declare record concepts' fields (the composition root does, once per process);
    registering an entity again replaces it. The registry lists entities in the order
    they are registered, and relationships grouped by the entity they start from, in
    the order of `relationships_by_source` (then registration order)."""
    for record in records:
        _RECORDS[record.entity.name] = record
    if relationships_by_source:
        _RELATIONSHIP_SOURCES[:] = relationships_by_source
    builtin_registry.cache_clear()


def registered_tables() -> dict[str, Table]:
    """Each registered entity's table."""
    return {name: record.table for name, record in _RECORDS.items()}


def registered_table(entity: str) -> Table:
    """The table of one registered entity (KeyError for an unknown one)."""
    return _RECORDS[entity].table


@cache
def builtin_registry() -> Registry:
    """The registry of the registered record concepts' built-in fields."""
    if not _RECORDS:
        raise LookupError(
            "no record concept has registered its fields: build the process through "
            "leadflow.bootstrap, which registers them"
        )
    fields: dict[str, dict[str, FieldDef]] = {name: {} for name in _RECORDS}
    relationships = [rel for record in _RECORDS.values() for rel in record.relationships]
    unranked = [name for name in _RECORDS if name not in _RELATIONSHIP_SOURCES]
    ranked = [*_RELATIONSHIP_SOURCES, *unranked]

    def source_rank(rel: RelationshipDef) -> int:
        return ranked.index(rel.source)

    for name, record in _RECORDS.items():
        always = record.always_set | {"id"}
        for definition in record.fields:
            if definition.name in always:
                definition = replace(definition, nullable=False)
            fields[name][definition.name] = definition
    return Registry(
        entities={name: record.entity for name, record in _RECORDS.items()},
        fields=fields,
        relationships={rel.name: rel for rel in sorted(relationships, key=source_rank)},
    )


# --- Fields every record shares --------------------------------------------------------------


def table_of(model: type[object]) -> Table:
    """A declarative model's table."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def options(enum: type[Enum]) -> tuple[str, ...]:
    """A closed set's values as a choice field's options."""
    return tuple(str(member) for member in enum)


def system_fields(entity: str) -> list[FieldDef]:
    return [
        FieldDef(entity, "id", "ID", T.INTEGER, writable=False, importable=False, int_range=INT64),
        FieldDef(entity, "created_at", "Created on", T.DATETIME, writable=False, importable=False),
        FieldDef(entity, "updated_at", "Modified on", T.DATETIME, writable=False, importable=False),
    ]


def phone_raw(entity: str) -> FieldDef:
    # The phone as typed, beside `phone` (E.164 when it parses): set by the services.
    return FieldDef(
        entity,
        "phone_raw",
        "Phone as typed",
        T.TEXT,
        writable=False,
        importable=False,
        max_length=50,
    )


def merged_into(entity: str) -> FieldDef:
    # Set by a merge (duplicates/services.py) on the record merged into the survivor.
    return FieldDef(
        entity,
        "merged_into_id",
        "Merged into",
        T.REFERENCE,
        reference=entity,
        writable=False,
        importable=False,
    )
