"""The create/update/delete path every record concept shares.

A concept describes itself once (`EntitySpec`) and keeps its own rules in a
`prepare` hook; this module does the registry checks, the writes, and the
events, so the five record services stay small and alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from leadflow.bus import Event
from leadflow.db.base import Base
from leadflow.db.uow import UnitOfWork
from leadflow.errors import NotFound
from leadflow.lib.clock import utcnow
from leadflow.records.lookup import record_class
from leadflow.records.values import apply_changes, check_reference, coerce_changes, to_public
from leadflow.registry.domain import FieldType, Registry

M = TypeVar("M", bound=Base)


@dataclass(frozen=True)
class WriteContext:
    """What a write knows beyond the values themselves: where they came from.

    `country` is the country the submission gave (a form field, the caller's own
    knowledge), the region a national-format phone is read in when the record has
    no country of its own.
    """

    country: str | None = None


NO_CONTEXT = WriteContext()

# prepare(session, builtin_values, existing_row_or_None, context) adjusts values in
# place: derived columns (normalised email, E.164 phone) and cross-field rules.
Prepare = Callable[[Session, dict[str, Any], Any, WriteContext], None]


@dataclass(frozen=True)
class EntitySpec(Generic[M]):
    entity: str
    model: type[M]
    created: Callable[[int], Event]
    updated: Callable[[int, tuple[str, ...]], Event]
    deleted: Callable[[int], Event]
    # References to records outside the registry (users); registered entities are
    # found by the field's declared reference.
    references: Mapping[str, Callable[[], type[Base]]] = field(default_factory=dict)
    prepare: Prepare | None = None


def get_row(session: Session, spec: EntitySpec[M], row_id: int) -> M:
    row = session.get(spec.model, row_id)
    if row is None:
        raise NotFound(f"No {spec.entity} with id {row_id}", field="id")
    return row


def _check_references(
    session: Session, registry: Registry, spec: EntitySpec[M], values: Mapping[str, Any]
) -> None:
    """Every built-in reference field given must point at an existing record: of the
    registered entity its definition names, or of the model `spec.references` gives
    for a reference outside the registry (a user)."""
    fields = registry.fields.get(spec.entity, {})
    for name, value in values.items():
        definition = fields.get(name)
        if definition is None or definition.type is not FieldType.REFERENCE:
            continue
        model_of = spec.references.get(name)
        model = model_of() if model_of is not None else record_class(definition.reference or "")
        check_reference(session, definition, model, value)


def create_row(
    spec: EntitySpec[M],
    data: Mapping[str, Any],
    *,
    uow: UnitOfWork,
    context: WriteContext = NO_CONTEXT,
) -> M:
    builtin, custom = coerce_changes(uow.registry, spec.entity, data, creating=True)
    if spec.prepare is not None:
        spec.prepare(uow.session, builtin, None, context)
    _check_references(uow.session, uow.registry, spec, builtin)
    now = utcnow()
    row = spec.model(created_at=now, updated_at=now, **builtin)
    if hasattr(row, "custom"):
        row.custom = {name: value for name, value in custom.items() if value is not None}
    uow.session.add(row)
    uow.session.flush()
    uow.publish(spec.created(row.id))  # type: ignore[attr-defined]
    return row


def update_row(
    spec: EntitySpec[M],
    row_id: int,
    data: Mapping[str, Any],
    *,
    uow: UnitOfWork,
    context: WriteContext = NO_CONTEXT,
    flush: bool = True,
) -> tuple[M, list[str]]:
    """`flush=False` leaves the UPDATE to the session's next flush: a batch updating
    many rows gets one executemany instead of a flush per row (and its errors there)."""
    row = get_row(uow.session, spec, row_id)
    builtin, custom = coerce_changes(uow.registry, spec.entity, data, creating=False)
    if spec.prepare is not None:
        spec.prepare(uow.session, builtin, row, context)
    _check_references(uow.session, uow.registry, spec, builtin)
    changed = apply_changes(row, builtin, custom)
    public_changed = [name for name in changed if uow.registry.has_field(spec.entity, name)]
    if changed:
        row.updated_at = utcnow()  # type: ignore[attr-defined]
        if flush:
            uow.session.flush()
        uow.publish(spec.updated(row.id, tuple(public_changed)))  # type: ignore[attr-defined]
    return row, public_changed


def delete_row(spec: EntitySpec[M], row_id: int, *, uow: UnitOfWork) -> None:
    row = get_row(uow.session, spec, row_id)
    uow.session.delete(row)
    uow.session.flush()
    uow.publish(spec.deleted(row_id))


def public(spec: EntitySpec[M], row: M, registry: Registry) -> dict[str, Any]:
    return to_public(row, registry, spec.entity)
