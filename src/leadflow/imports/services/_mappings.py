"""Saved mappings: reusable column -> field choices per entity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.errors import ErrorCode, NotFound, ValidationFailed
from leadflow.imports.domain import (
    mapping_public,
    parse_mapping,
)
from leadflow.imports.models import ImportMapping
from leadflow.imports.services._records import checked_entity
from leadflow.lib.clock import utcnow


def get_saved_mapping(session: Session, entity: str, name: str) -> ImportMapping:
    found = session.scalar(
        select(ImportMapping).where(ImportMapping.entity == entity, ImportMapping.name == name)
    )
    if found is None:
        raise NotFound(f"No saved {entity} mapping named {name!r}", field="mapping_name")
    return found


def list_saved_mappings(session: Session, entity: str | None = None) -> list[ImportMapping]:
    query = select(ImportMapping).order_by(ImportMapping.entity, ImportMapping.name)
    if entity:
        query = query.where(ImportMapping.entity == entity)
    return list(session.scalars(query))


def save_mapping(
    name: str, entity: str, mapping: Mapping[str, Any], *, uow: UnitOfWork
) -> ImportMapping:
    """Save (or replace) a mapping under a name, for files of the same shape."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Give the mapping a name", code=ErrorCode.REQUIRED, field="name")
    checked = mapping_public(parse_mapping(mapping, uow.registry, checked_entity(entity)))
    found = uow.session.scalar(
        select(ImportMapping).where(ImportMapping.entity == entity, ImportMapping.name == name)
    )
    now = utcnow()
    if found is None:
        found = ImportMapping(
            name=name[:200], entity=entity, mapping=checked, created_at=now, updated_at=now
        )
        uow.session.add(found)
    else:
        found.mapping = checked
        found.updated_at = now
    uow.session.flush()
    return found
