"""Pure field metadata: what every entity's fields are and how values coerce.

Everything that names a field (matching strategies, scoring conditions, segment
queries, import mappings, process steps, list filters, views) resolves it here,
so a user-supplied name never reaches SQL unless the registry knows it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Protocol

from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.lib.bounds import INT32, INT64, NUL, IntRange
from leadflow.lib.normalize import InvalidEmail, normalize_email


class FieldType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    CHOICE = "choice"
    REFERENCE = "reference"
    JSON = "json"


CUSTOM_FIELD_TYPES = frozenset(
    {
        FieldType.TEXT,
        FieldType.LONG_TEXT,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.URL,
        FieldType.INTEGER,
        FieldType.DECIMAL,
        FieldType.BOOLEAN,
        FieldType.DATE,
        FieldType.DATETIME,
        FieldType.CHOICE,
    }
)

FIELD_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class FieldDef:
    """One field of one entity, built-in or custom."""

    entity: str
    name: str
    label: str
    type: FieldType
    options: tuple[str, ...] = ()
    matchable: bool = False
    filterable: bool = True
    scorable: bool = False
    importable: bool = True
    writable: bool = True
    required: bool = False
    # False: the field always holds a value (a default when not given); null is refused.
    nullable: bool = True
    custom: bool = False
    # Worked out from other tables when a list asks for it (registry/derived.py): listed,
    # sorted and filtered, never written.
    derived: bool = False
    reference: str | None = None
    max_length: int | None = None
    # What the column holds. Whole numbers: its range; unless given, references
    # are BIGINT and other integers INTEGER (custom ones are read with CAST AS
    # INTEGER). Decimals: NUMERIC(precision, scale); custom ones are JSON doubles.
    int_range: IntRange | None = None
    precision: int | None = None
    scale: int | None = None

    @property
    def whole_number_range(self) -> IntRange:
        if self.int_range is not None:
            return self.int_range
        return INT64 if self.type is FieldType.REFERENCE else INT32

    def coerce(self, value: Any) -> Any:
        """The value in this field's Python type; raises ValidationFailed naming the field."""
        return coerce_value(self, value)

    def public(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "name": self.name,
            "label": self.label,
            "type": self.type.value,
            "options": list(self.options),
            "matchable": self.matchable,
            "filterable": self.filterable,
            "scorable": self.scorable,
            "importable": self.importable,
            "writable": self.writable,
            "required": self.required,
            "nullable": self.nullable,
            "custom": self.custom,
            "reference": self.reference,
        }


@dataclass(frozen=True)
class RelationshipDef:
    """A named N:1 link: `source.source_field` points at `target`."""

    name: str
    label: str
    source: str
    source_field: str
    target: str

    def public(self) -> dict[str, str]:
        return {
            "name": self.name,
            "label": self.label,
            "source": self.source,
            "source_field": self.source_field,
            "target": self.target,
        }


@dataclass(frozen=True)
class EntityDef:
    name: str
    label: str
    plural: str
    supports_custom_fields: bool = False


@dataclass(frozen=True)
class Registry:
    """Entities, fields and relationships; immutable, rebuilt when custom fields change."""

    entities: dict[str, EntityDef]
    fields: dict[str, dict[str, FieldDef]]
    relationships: dict[str, RelationshipDef] = field(default_factory=dict)

    def entity(self, name: str) -> EntityDef:
        try:
            return self.entities[name]
        except KeyError:
            raise ValidationFailed(
                f"Unknown entity '{name}'", code=ErrorCode.UNKNOWN_FIELD, field="entity"
            ) from None

    def field(self, entity: str, name: str) -> FieldDef:
        self.entity(entity)
        try:
            return self.fields[entity][name]
        except KeyError:
            raise ValidationFailed(
                f"Unknown field '{name}' on {entity}", code=ErrorCode.UNKNOWN_FIELD, field=name
            ) from None

    def has_field(self, entity: str, name: str) -> bool:
        return name in self.fields.get(entity, {})

    def fields_of(self, entity: str) -> list[FieldDef]:
        self.entity(entity)
        return list(self.fields[entity].values())

    def relationship(self, name: str) -> RelationshipDef:
        try:
            return self.relationships[name]
        except KeyError:
            raise ValidationFailed(
                f"Unknown relationship '{name}'", code=ErrorCode.UNKNOWN_FIELD, field=name
            ) from None

    def with_custom_fields(self, custom: list[FieldDef]) -> Registry:
        fields = {entity: dict(defs) for entity, defs in self.fields.items()}
        for definition in custom:
            fields[definition.entity][definition.name] = replace(definition, custom=True)
        return Registry(self.entities, fields, self.relationships)


_TRUE = {"true", "1", "yes", "y", "on", "t"}
_FALSE = {"false", "0", "no", "n", "off", "f", ""}


class _Fail(Protocol):
    """Builds the refusal of one field's value (the code defaults to invalid_value)."""

    def __call__(self, message: str, code: ErrorCode = ...) -> ValidationFailed: ...


def coerce_value(definition: FieldDef, value: Any) -> Any:
    """Convert an incoming (JSON, form or CSV) value to the field's Python type."""
    if value is None:
        return None
    name = definition.name

    def fail(message: str, code: ErrorCode = ErrorCode.INVALID_VALUE) -> ValidationFailed:
        return ValidationFailed(message, code=code, field=name)

    if isinstance(value, str) and NUL in value:
        # PostgreSQL cannot store it; SQLite could, but both refuse it alike.
        raise fail(f"{definition.label} holds a NUL character", ErrorCode.NUL_CHARACTER)
    coerce = _COERCERS.get(definition.type)
    if coerce is None:  # pragma: no cover
        raise fail(f"{definition.label} has an unsupported type")
    return coerce(definition, value, fail)


def _coerce_text(definition: FieldDef, value: object, fail: _Fail) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise fail(f"{definition.label} must be text")
    text = str(value).strip()
    if definition.max_length is not None and len(text) > definition.max_length:
        raise fail(f"{definition.label} is longer than {definition.max_length} characters")
    return text or None


def _coerce_email(definition: FieldDef, value: object, fail: _Fail) -> str | None:
    if not isinstance(value, str):
        raise fail(f"{definition.label} must be text", ErrorCode.INVALID_EMAIL)
    if not value.strip():
        return None
    try:
        normalize_email(value)
    except InvalidEmail as exc:
        raise fail(
            f"{definition.label} is not a valid email: {exc}", ErrorCode.INVALID_EMAIL
        ) from None
    return value.strip()


def _coerce_whole_number(definition: FieldDef, value: object, fail: _Fail) -> int | None:
    whole = _whole_number(definition, value, fail)
    if whole is not None and whole not in definition.whole_number_range:
        bounds = definition.whole_number_range
        raise fail(
            f"{definition.label} must be between {bounds.low} and {bounds.high}",
            ErrorCode.OUT_OF_RANGE,
        )
    return whole


def _coerce_decimal(definition: FieldDef, value: object, fail: _Fail) -> Decimal | None:
    if isinstance(value, bool):
        raise fail(f"{definition.label} must be a number")
    if isinstance(value, str) and not value.strip():
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise fail(f"{definition.label} must be a number") from None
    if not number.is_finite():
        raise fail(f"{definition.label} must be a finite number")
    return _fit_decimal(definition, number, fail)


def _coerce_boolean(definition: FieldDef, value: object, fail: _Fail) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise fail(f"{definition.label} must be true or false")


def _coerce_date(definition: FieldDef, value: object, fail: _Fail) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise fail(f"{definition.label} must be a date (YYYY-MM-DD)") from None
    raise fail(f"{definition.label} must be a date (YYYY-MM-DD)")


def _coerce_datetime(definition: FieldDef, value: object, fail: _Fail) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        if not value.strip():
            return None
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise fail(f"{definition.label} must be an ISO 8601 date-time") from None
    else:
        raise fail(f"{definition.label} must be an ISO 8601 date-time")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _coerce_choice(definition: FieldDef, value: object, fail: _Fail) -> str | None:
    if not isinstance(value, str):
        raise fail(f"{definition.label} must be one of: {', '.join(definition.options)}")
    text = value.strip()
    if not text:
        return None
    if text not in definition.options:
        raise fail(f"{definition.label} must be one of: {', '.join(definition.options)}")
    return text


def _coerce_json(_definition: FieldDef, value: object, _fail: _Fail) -> object:
    return value


# How each field type coerces: `coerce_value` looks the field's type up here.
_COERCERS: dict[FieldType, Callable[[FieldDef, object, _Fail], object]] = {
    FieldType.TEXT: _coerce_text,
    FieldType.LONG_TEXT: _coerce_text,
    FieldType.PHONE: _coerce_text,
    FieldType.URL: _coerce_text,
    FieldType.EMAIL: _coerce_email,
    FieldType.INTEGER: _coerce_whole_number,
    FieldType.REFERENCE: _coerce_whole_number,
    FieldType.DECIMAL: _coerce_decimal,
    FieldType.BOOLEAN: _coerce_boolean,
    FieldType.DATE: _coerce_date,
    FieldType.DATETIME: _coerce_datetime,
    FieldType.CHOICE: _coerce_choice,
    FieldType.JSON: _coerce_json,
}


def _whole_number(definition: FieldDef, value: Any, fail: _Fail) -> int | None:
    if isinstance(value, bool):
        raise fail(f"{definition.label} must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            raise fail(f"{definition.label} must be a whole number") from None
    raise fail(f"{definition.label} must be a whole number")


# A custom decimal is a JSON double: finite, and about 15 significant digits.
_DOUBLE_LIMIT = Decimal("1e300")


def _fit_decimal(definition: FieldDef, number: Decimal, fail: _Fail) -> Decimal:
    """The number as its column stores it: rounded to the scale, refused when too large."""
    if definition.precision is None:
        if abs(number) >= _DOUBLE_LIMIT:
            raise fail(f"{definition.label} is too large", ErrorCode.OUT_OF_RANGE)
        return number
    scale = definition.scale or 0
    whole_digits = definition.precision - scale
    too_large = f"{definition.label} must have at most {whole_digits} digits before the point"
    # The exponent is checked before rounding: quantizing 1E+999999 would not end.
    if number and number.adjusted() >= whole_digits:
        raise fail(too_large, ErrorCode.OUT_OF_RANGE)
    rounded = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    if rounded and rounded.adjusted() >= whole_digits:
        raise fail(too_large, ErrorCode.OUT_OF_RANGE)
    return rounded


def to_json_value(value: Any) -> Any:
    """A coerced value in the form stored in JSON (custom fields) and sent over the API."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value
