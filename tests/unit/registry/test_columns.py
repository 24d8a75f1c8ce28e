"""The registry describes each built-in field as its column stores it: range, digits, null."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, Numeric

from leadflow.lib.bounds import INT32, INT64
from leadflow.registry.domain import FieldType
from leadflow.registry.services import builtin
from leadflow.registry.sql import table_for


def _builtin_fields():  # type: ignore[no-untyped-def]
    registry = builtin()
    for entity in registry.entities:
        table = table_for(entity)
        for definition in registry.fields_of(entity):
            yield definition, table.c[definition.name]


def test_whole_number_fields_have_their_columns_range() -> None:
    checked = 0
    for definition, column in _builtin_fields():
        if definition.type in (FieldType.INTEGER, FieldType.REFERENCE):
            assert isinstance(column.type, Integer), definition
            expected = INT64 if isinstance(column.type, BigInteger) else INT32
            assert definition.whole_number_range == expected, definition.name
            checked += 1
    assert checked > 20


def test_decimal_fields_have_their_columns_digits() -> None:
    decimals = {
        (definition.entity, definition.name): (definition.precision, definition.scale)
        for definition, column in _builtin_fields()
        if definition.type is FieldType.DECIMAL
        and isinstance(column.type, Numeric)
        and (definition.precision, definition.scale) == (column.type.precision, column.type.scale)
    }
    assert decimals == {
        ("account", "annual_revenue"): (18, 2),
        ("lead", "budget_amount"): (18, 2),
        ("opportunity", "estimated_value"): (18, 2),
    }


def test_a_field_is_nullable_exactly_when_its_column_is() -> None:
    mismatched = [
        (definition.entity, definition.name)
        for definition, column in _builtin_fields()
        if definition.nullable != column.nullable
    ]
    assert mismatched == []
