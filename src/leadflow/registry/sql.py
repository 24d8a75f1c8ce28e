"""The one bridge from registry field names to SQL column expressions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, Float, Integer, Table

from leadflow.registry.builtin import registered_table, registered_tables
from leadflow.registry.domain import FieldDef, FieldType, Registry


def entity_tables() -> dict[str, Table]:
    """Each record entity's table, as its concept registered it."""
    return registered_tables()


def table_for(entity: str) -> Table:
    return registered_table(entity)


def column_for(registry: Registry, entity: str, name: str) -> ColumnElement[Any]:
    """The SQL expression for a field; raises ValidationFailed for names it does not know."""
    definition = registry.field(entity, name)
    return field_column(definition)


def field_column(definition: FieldDef) -> ColumnElement[Any]:
    if definition.derived:
        from leadflow.registry.derived import derived_column

        return derived_column(definition)
    table = table_for(definition.entity)
    if not definition.custom:
        if definition.type is FieldType.EMAIL and "email_normalized" in table.c:
            return table.c.email_normalized
        return table.c[definition.name]
    element: Any = table.c.custom[definition.name]
    result: ColumnElement[Any]
    if definition.type in (FieldType.INTEGER, FieldType.REFERENCE):
        result = element.as_integer()
    elif definition.type is FieldType.DECIMAL:
        result = element.as_float()
    elif definition.type is FieldType.BOOLEAN:
        result = element.as_boolean()
    else:
        result = element.as_string()
    return result


def sql_type_of(definition: FieldDef) -> Any:
    if definition.type in (FieldType.INTEGER, FieldType.REFERENCE):
        return Integer()
    if definition.type is FieldType.DECIMAL:
        return Float()
    if definition.type is FieldType.BOOLEAN:
        return Boolean()
    return None
