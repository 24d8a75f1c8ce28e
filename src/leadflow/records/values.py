"""Moving values between the public field names of the registry and model rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db.base import Base
from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.registry.domain import FieldDef, Registry, to_json_value

CUSTOM_KEY = "custom"


def coerce_changes(
    registry: Registry, entity: str, data: Mapping[str, Any], *, creating: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split and coerce incoming values into (built-in, custom) dicts, by the registry.

    Unknown and read-only names are refused with the field named; required
    fields are checked when creating.
    """
    builtin: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for name, raw in data.items():
        if name == CUSTOM_KEY:
            if raw is None:
                continue
            if not isinstance(raw, Mapping):
                raise ValidationFailed(
                    "custom must be an object", field=CUSTOM_KEY, code=ErrorCode.NOT_AN_OBJECT
                )
            for custom_name, custom_raw in raw.items():
                definition = registry.field(entity, str(custom_name))
                if not definition.custom:
                    raise ValidationFailed(
                        f"{custom_name} is a built-in field, not a custom one",
                        code=ErrorCode.UNKNOWN_FIELD,
                        field=f"custom.{custom_name}",
                    )
                custom[definition.name] = to_json_value(definition.coerce(custom_raw))
            continue
        definition = registry.field(entity, name)
        if not definition.writable:
            raise ValidationFailed(
                f"{definition.label} is read-only", field=name, code=ErrorCode.READ_ONLY
            )
        value = definition.coerce(raw)
        if value is None and not definition.nullable:
            raise ValidationFailed(
                f"{definition.label} cannot be empty", code=ErrorCode.REQUIRED, field=name
            )
        if definition.custom:
            custom[name] = to_json_value(value)
        else:
            builtin[name] = value
    if creating:
        for definition in registry.fields_of(entity):
            if (
                definition.required
                and not definition.custom
                and builtin.get(definition.name)
                in (
                    None,
                    "",
                )
            ):
                raise ValidationFailed(
                    f"{definition.label} is required",
                    code=ErrorCode.REQUIRED,
                    field=definition.name,
                )
    return builtin, custom


def apply_changes(row: Base, builtin: Mapping[str, Any], custom: Mapping[str, Any]) -> list[str]:
    """Set the values on the row; returns the names whose value actually changed."""
    changed: list[str] = []
    for name, value in builtin.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(name)
    if custom:
        current = dict(getattr(row, CUSTOM_KEY) or {})
        for name, value in custom.items():
            if current.get(name) != value:
                changed.append(name)
                if value is None:
                    current.pop(name, None)
                else:
                    current[name] = value
        setattr(row, CUSTOM_KEY, current)
    return changed


def check_reference(
    session: Session, definition: FieldDef, model: type[Base], value: int | None
) -> None:
    """A reference must point at an existing row; the error names the field."""
    if value is None:
        return
    if session.get(model, value) is None:
        raise ValidationFailed(
            f"{definition.label}: no {definition.reference} with id {value}",
            field=definition.name,
            code=ErrorCode.REFERENCE_UNKNOWN,
        )


def _public_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def public_field(row: Mapping[str, Any], registry: Registry, entity: str, name: str) -> Any:
    """One value of `to_public` with the custom fields flattened in (raises KeyError
    for a name the entity has no field for): a condition reads one or two fields of a
    row, the whole of it costs a conversion of every field."""
    definition = registry.fields.get(entity, {}).get(name)
    if definition is None:
        raise KeyError(name)
    if definition.custom:
        return (row.get(CUSTOM_KEY) or {}).get(name)
    return _public_value(row.get(name))


def to_public(row: Any, registry: Registry, entity: str) -> dict[str, Any]:
    """A row (ORM object or mapping) as the API shows it: custom fields under `custom`."""
    if isinstance(row, Mapping):
        values: Mapping[str, Any] = row
    else:
        values = {column.key: getattr(row, column.key) for column in row.__table__.columns}
    result: dict[str, Any] = {}
    custom_values: dict[str, Any] = values.get(CUSTOM_KEY) or {}
    custom: dict[str, Any] = {}
    for definition in registry.fields_of(entity):
        if definition.custom:
            custom[definition.name] = custom_values.get(definition.name)
        else:
            result[definition.name] = _public_value(values.get(definition.name))
    if registry.entity(entity).supports_custom_fields:
        result[CUSTOM_KEY] = custom
    return result
