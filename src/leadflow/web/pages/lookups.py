"""Read-only look-ups the pages need: titles of referenced records, choices for a select."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from leadflow.registry.domain import FieldDef, FieldType, Registry
from leadflow.registry.sql import table_for
from leadflow.users.domain import Role
from leadflow.users.models import User
from leadflow.web.pages.display import TITLE_FIELDS, public_value, title_columns, title_of

# A reference is a select of records up to this many; past it, a number input:
# a select of ten thousand accounts helps nobody.
MAX_OPTIONS = 200

Titles = dict[tuple[str, int], str]


def reference_fields(registry: Registry, entity: str) -> list[FieldDef]:
    return [
        definition
        for definition in registry.fields_of(entity)
        if definition.type is FieldType.REFERENCE and definition.reference in TITLE_FIELDS
    ]


def _title_rows(
    session: Session,
    target: str,
    ids: Iterable[int] | None,
    scope: tuple[ColumnElement[bool], ...] = (),
) -> list[Any]:
    table = table_for(target)
    statement = select(table.c.id, *(table.c[name] for name in title_columns(target)))
    statement = statement.where(*scope)
    if ids is not None:
        statement = statement.where(table.c.id.in_(sorted(ids)))
    else:
        statement = statement.order_by(table.c.id).limit(MAX_OPTIONS + 1)
    return list(session.execute(statement).mappings())


def reference_titles(
    session: Session, registry: Registry, entity: str, rows: Iterable[Mapping[str, Any]]
) -> Titles:
    """The titles of every record the rows point at: one query per referenced entity."""
    wanted: dict[str, set[int]] = {}
    rows = list(rows)
    for definition in reference_fields(registry, entity):
        target = str(definition.reference)
        for row in rows:
            value = public_value(definition, row)
            if value is not None:
                wanted.setdefault(target, set()).add(int(value))
    titles: Titles = {}
    for target, ids in wanted.items():
        label = registry.entity(target).label
        for row in _title_rows(session, target, ids):
            titles[(target, int(row["id"]))] = title_of(target, row, label)
    return titles


def titles_by_id(session: Session, target: str, ids: Iterable[int]) -> dict[int, str]:
    """The display titles of these records of one entity."""
    return {int(row["id"]): title_of(target, row) for row in _title_rows(session, target, set(ids))}


def reference_options(
    session: Session,
    registry: Registry,
    target: str,
    scope: tuple[ColumnElement[bool], ...] = (),
) -> list[Any] | None:
    """(id, title) pairs sorted by title, or None when there are too many for a select;
    `scope` keeps to the records the caller may see (web/reach.py)."""
    rows = _title_rows(session, target, None, scope)
    if len(rows) > MAX_OPTIONS:
        return None
    label = registry.entity(target).label
    options = [(int(row["id"]), title_of(target, row, label)) for row in rows]
    return sorted(options, key=lambda option: (option[1].casefold(), option[0]))


def stage_names(session: Session) -> dict[str, str]:
    """Stage key -> stage name over the processes in force ("Sales acceptance")."""
    from leadflow.process.domain import parse_definition
    from leadflow.process.services import list_definitions

    names: dict[str, str] = {}
    for row in list_definitions(session):
        for stage in parse_definition(row.body).stages:
            names.setdefault(stage.key, stage.name)
    return names


# Which records an interaction kind's target id names: marketing pages, forms or events.
TARGET_KINDS: dict[str, str] = {
    "page_visited": "page",
    "form_submitted": "form",
    "event_registered": "event",
    "event_attended": "event",
}


def interaction_targets(session: Session) -> dict[str, dict[str, str]]:
    """Names of what interactions point at: {"page": {"2": "Spring offer"}, "form": ..., ...}."""
    from leadflow.capture.models import MarketingEvent, MarketingForm, MarketingPage

    pages = session.execute(select(MarketingPage.id, MarketingPage.title)).all()
    forms = session.execute(select(MarketingForm.id, MarketingForm.name)).all()
    events = session.execute(select(MarketingEvent.id, MarketingEvent.name)).all()
    return {
        "page": {str(key): name for key, name in pages},
        "form": {str(key): name for key, name in forms},
        "event": {str(key): name for key, name in events},
    }


def users_with_role(session: Session, role: Role) -> list[tuple[int, str]]:
    """(id, name) of the active users with this role, by name: a select's choices."""
    rows = session.execute(
        select(User.id, User.name)
        .where(User.role == role.value, User.is_active.is_(True))
        .order_by(User.name)
    )
    return [(int(user_id), str(name)) for user_id, name in rows]
