"""What every part of the compiler shares: the tables, the cutoffs, the context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Table,
)

from leadflow.records.cutoffs import Cutoffs
from leadflow.registry.domain import FieldDef, FieldType, Registry
from leadflow.registry.sql import table_for
from leadflow.segments.domain import EVENT_REGISTRATION, Group


def entity_table(entity: str) -> Table:
    if entity == EVENT_REGISTRATION:
        from leadflow.capture.models import EventRegistration

        return cast(Table, EventRegistration.__table__)
    return table_for(entity)


GroupFilter = Callable[[Group, FromClause, "Context"], ColumnElement[bool] | None]


@dataclass
class Context:
    registry: Registry
    correlated: bool
    cutoffs: Cutoffs = field(default_factory=Cutoffs)
    aliases: int = 0
    # The full shape: a group of id sets under Contact as one `id IN (<set>)`, or None
    # when the group is not one (set by compile_segment; the id sets are built of the
    # predicates in turn, so they are handed in rather than imported).
    id_set_filter: GroupFilter | None = None

    def alias(self, entity: str) -> FromClause:
        self.aliases += 1
        return entity_table(entity).alias(f"{entity[:3]}_{self.aliases}")


def column_of(definition: FieldDef, row: FromClause) -> ColumnElement[Any]:
    """The field's SQL expression on `row` (a table or an alias of it)."""
    if not definition.custom:
        if definition.type is FieldType.EMAIL and "email_normalized" in row.c:
            return row.c.email_normalized
        return row.c[definition.name]
    element: Any = row.c.custom[definition.name]
    if definition.type in (FieldType.INTEGER, FieldType.REFERENCE):
        return cast(ColumnElement[Any], element.as_integer())
    if definition.type is FieldType.DECIMAL:
        return cast(ColumnElement[Any], element.as_float())
    if definition.type is FieldType.BOOLEAN:
        return cast(ColumnElement[Any], element.as_boolean())
    return cast(ColumnElement[Any], element.as_string())


def contacts_table() -> Table:
    return table_for("contact")
