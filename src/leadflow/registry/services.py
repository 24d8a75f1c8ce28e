"""Loading the registry (built-in plus custom fields) and managing custom fields."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from leadflow.registry.builtin import builtin_registry
from leadflow.registry.domain import (
    CUSTOM_FIELD_TYPES,
    FIELD_NAME_PATTERN,
    FieldDef,
    FieldType,
    Registry,
)
from leadflow.registry.events import CustomFieldAdded, CustomFieldRemoved
from leadflow.registry.models import CustomField

# Custom fields change rarely; other processes see a change within this many seconds.
CACHE_SECONDS = 2.0


class RegistryCache:
    """The registry of this process, reloaded when stale or told to."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._registry: Registry | None = None
        self._loaded_at = 0.0

    def get(self, session: Session) -> Registry:
        with self._lock:
            fresh = time.monotonic() - self._loaded_at < CACHE_SECONDS
            if self._registry is not None and fresh:
                return self._registry
        registry = load_registry(session)
        with self._lock:
            self._registry = registry
            self._loaded_at = time.monotonic()
        return registry

    def invalidate(self) -> None:
        with self._lock:
            self._registry = None


def _field_def(row: CustomField) -> FieldDef:
    return FieldDef(
        entity=row.entity,
        name=row.name,
        label=row.label,
        type=FieldType(row.type),
        options=tuple(row.options or ()),
        matchable=row.matchable,
        filterable=row.filterable,
        scorable=row.scorable,
        importable=row.importable,
        custom=True,
    )


def load_registry(session: Session) -> Registry:
    rows = session.scalars(select(CustomField).order_by(CustomField.id))
    return builtin_registry().with_custom_fields([_field_def(row) for row in rows])


def builtin() -> Registry:
    return builtin_registry()


def add_custom_field(data: Mapping[str, Any], *, uow: UnitOfWork) -> FieldDef:
    """Add a typed custom field to contacts, accounts or leads."""
    entity = str(data.get("entity") or "")
    entity_def = uow.registry.entity(entity)
    if not entity_def.supports_custom_fields:
        raise ValidationFailed(
            f"{entity_def.plural} cannot have custom fields",
            field="entity",
            code=ErrorCode.CUSTOM_FIELDS_NOT_ALLOWED,
        )
    name = str(data.get("name") or "").strip()
    if not FIELD_NAME_PATTERN.match(name):
        raise ValidationFailed(
            "Name must start with a letter and hold only a-z, 0-9 and _",
            field="name",
            code=ErrorCode.NAME_INVALID,
        )
    if uow.registry.has_field(entity, name) or name in ("custom", "email_normalized", "phone_raw"):
        raise Conflict(
            f"{entity} already has a field named {name}", field="name", code=ErrorCode.DUPLICATE
        )
    try:
        kind = FieldType(str(data.get("type") or ""))
    except ValueError:
        kind = None
    if kind is None or kind not in CUSTOM_FIELD_TYPES:
        allowed = ", ".join(sorted(CUSTOM_FIELD_TYPES))
        raise ValidationFailed(
            f"type must be one of: {allowed}", field="type", code=ErrorCode.NOT_A_CHOICE
        )
    options = [str(option).strip() for option in data.get("options") or [] if str(option).strip()]
    if kind is FieldType.CHOICE and not options:
        raise ValidationFailed(
            "A choice field needs options", field="options", code=ErrorCode.OPTIONS_INVALID
        )
    if kind is not FieldType.CHOICE and options:
        raise ValidationFailed(
            "Only choice fields take options", field="options", code=ErrorCode.OPTIONS_INVALID
        )
    if len(set(options)) != len(options):
        raise ValidationFailed(
            "Options must be distinct", field="options", code=ErrorCode.OPTIONS_INVALID
        )
    label = str(data.get("label") or "").strip() or name.replace("_", " ").capitalize()
    row = CustomField(
        entity=entity,
        name=name,
        label=label,
        type=kind.value,
        options=options,
        matchable=bool(data.get("matchable", False)),
        filterable=bool(data.get("filterable", True)),
        scorable=bool(data.get("scorable", False)),
        importable=bool(data.get("importable", True)),
    )
    uow.session.add(row)
    uow.session.flush()
    uow.publish(CustomFieldAdded(entity, name))
    return _field_def(row)


def remove_custom_field(entity: str, name: str, *, uow: UnitOfWork) -> None:
    """Remove a custom field from the registry; stored values stay until overwritten."""
    row = uow.session.scalar(
        select(CustomField).where(CustomField.entity == entity, CustomField.name == name)
    )
    if row is None:
        raise NotFound(f"No custom field {name} on {entity}", field="name")
    uow.session.delete(row)
    uow.session.flush()
    uow.publish(CustomFieldRemoved(entity, name))


# Use cases: what faces call. Each opens the unit of work (or joins the one its
# face holds open to render), runs the step above and commits.


do_add_custom_field = in_own_transaction(add_custom_field)
do_remove_custom_field = in_own_transaction(remove_custom_field)
