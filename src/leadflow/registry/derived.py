"""Derived list fields: values a list shows, sorts and filters on that live in other tables.

A lead's score and grade (its best score under any model), the stage of its running
process, its owner's name and its last activity are what a team sorts a lead list by.
They are not columns of `leads`: each is one correlated subquery, so a list, a
filter (`score__gte=50`) and a saved view use them like any field, and the database
works them out for the rows it returns. They are never written, imported or matched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement

from leadflow.registry.domain import FieldDef, FieldType, Registry

# What marks a field as derived: shown, sorted and filtered on, never written.
FLAGS: dict[str, Any] = {
    "derived": True,
    "writable": False,
    "importable": False,
    "matchable": False,
    "scorable": False,
}


@dataclass(frozen=True)
class DerivedField:
    """A derived field as its owner declares it: the definition, and the correlated
    subquery over the owner's tables (built when first asked for)."""

    definition: FieldDef
    expression: Callable[[], ColumnElement[Any]]


DERIVED_FIELDS: dict[str, dict[str, FieldDef]] = {}
_EXPRESSIONS: dict[tuple[str, str], Callable[[], ColumnElement[Any]]] = {}
_BUILT: dict[tuple[str, str], ColumnElement[Any]] = {}


def derived(entity: str, name: str, label: str, type: FieldType) -> FieldDef:
    """The definition of a derived field."""
    return FieldDef(entity, name, label, type, **FLAGS)


def register_derived(*fields: DerivedField) -> None:
    """Declare derived fields (the composition root does, for their owners); a list
    offers them in the order they are registered."""
    for each in fields:
        definition = each.definition
        DERIVED_FIELDS.setdefault(definition.entity, {})[definition.name] = definition
        key = (definition.entity, definition.name)
        _EXPRESSIONS[key] = each.expression
        _BUILT.pop(key, None)


def derived_fields(entity: str) -> list[FieldDef]:
    return list(DERIVED_FIELDS.get(entity, {}).values())


def list_field(registry: Registry, entity: str, name: str) -> FieldDef:
    """A field a list may show, sort or filter on: a registry field or a derived one."""
    derived = DERIVED_FIELDS.get(entity, {}).get(name)
    return derived if derived is not None else registry.field(entity, name)


def has_list_field(registry: Registry, entity: str, name: str) -> bool:
    return name in DERIVED_FIELDS.get(entity, {}) or registry.has_field(entity, name)


def list_fields(registry: Registry, entity: str) -> list[FieldDef]:
    """Every field of the entity a list can use, the registry's first."""
    return [*registry.fields_of(entity), *derived_fields(entity)]


def derived_column(definition: FieldDef) -> ColumnElement[Any]:
    key = (definition.entity, definition.name)
    built = _BUILT.get(key)
    if built is None:
        built = _BUILT[key] = _EXPRESSIONS[key]()
    return built
