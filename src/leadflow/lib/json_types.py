"""Pydantic types for the open parts of request bodies: JSON values described, never `Any`.

Values pass as JSON gave them (no coercion: the services coerce them by the
registry or the domain parsers, which name the field at fault); the declared
JSON Schema tells clients which JSON types are accepted, so the OpenAPI
document refuses what the API refuses.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainValidator, WithJsonSchema

_SCALAR_TYPES: list[dict[str, Any]] = [
    {"type": "string"},
    {"type": "number"},
    {"type": "boolean"},
]
_NULL: dict[str, Any] = {"type": "null"}


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool)


def _scalar(value: object) -> object:
    if value is None or _is_scalar(value):
        return value
    raise ValueError("must be text, a number, true, false or null")


def _filled_scalar(value: object) -> object:
    if _is_scalar(value):
        return value
    raise ValueError("must be text, a number, true or false")


def _scalar_or_list(value: object) -> object:
    if isinstance(value, list):
        if all(item is None or _is_scalar(item) for item in value):
            return value
        raise ValueError("a list of values holds only text, numbers, true, false or null")
    return _scalar(value)


def _any_json(value: object) -> object:
    return value


def _whole_number(value: object) -> object:
    # Pydantic reads true as 1; the domain parsers never did.
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    return value


JsonScalar = Annotated[
    Any,
    PlainValidator(_scalar),
    WithJsonSchema({"anyOf": [*_SCALAR_TYPES, _NULL]}),
]
"""Text, a number, true/false or null: one value of a registry field."""

FilledScalar = Annotated[
    Any,
    PlainValidator(_filled_scalar),
    WithJsonSchema({"anyOf": _SCALAR_TYPES}),
]
"""Text, a number or true/false (no null)."""

JsonScalarOrList = Annotated[
    Any,
    PlainValidator(_scalar_or_list),
    WithJsonSchema(
        {
            "anyOf": [
                *_SCALAR_TYPES,
                _NULL,
                {"type": "array", "items": {"anyOf": [*_SCALAR_TYPES, _NULL]}},
            ]
        }
    ),
]
"""A value, or a list of values (for `in` and `between`)."""

JsonValue = Annotated[
    Any,
    PlainValidator(_any_json),
    WithJsonSchema(
        {
            "anyOf": [
                *_SCALAR_TYPES,
                _NULL,
                {"type": "array"},
                {"type": "object"},
            ]
        }
    ),
]
"""Any JSON value (free-form data kept as given, e.g. an interaction's `data`)."""

NOT_BOOL = BeforeValidator(_whole_number)
"""Refuses true and false where a whole number is wanted; put bounds before it
(`Annotated[int, Field(ge=1), NOT_BOOL]`) so the schema says `minimum`."""

WholeNumber = Annotated[int, NOT_BOOL]
"""An integer; true and false are refused rather than read as 1 and 0."""

PositiveWholeNumber = Annotated[int, Field(ge=1), NOT_BOOL]
"""A whole number of at least 1."""
