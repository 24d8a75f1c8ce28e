"""The contacts a moving window's edge passed over: the narrowed time re-check."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    FromClause,
    Select,
    and_,
    false,
    select,
    union,
)

from leadflow.registry.domain import FieldType, Registry
from leadflow.segments.compiler._base import Context, column_of, contacts_table, entity_table
from leadflow.segments.compiler._predicates import behaviour_conditions
from leadflow.segments.domain import (
    DAY_OPS,
    Behaviour,
    FieldRow,
    Group,
    Node,
    Related,
    is_time_relative,
    query_registry,
)


def _band(
    column: Any, days: int, since: datetime, now: datetime, *, as_date: bool
) -> ColumnElement[bool]:
    """The values a "N days ago" cutoff passed over between `since` and `now`."""
    low: Any = since - timedelta(days=days)
    high: Any = now - timedelta(days=days)
    if as_date:
        low, high = low.date(), high.date()
    return and_(column >= low, column < high)


@dataclass
class _Edges:
    """Collects, node by node, a SELECT of the contacts each window's edge passed over."""

    registry: Registry
    since: datetime
    now: datetime
    selects: list[Select[Any]] = field(default_factory=list)

    def field_band(self, node: FieldRow, row: FromClause) -> ColumnElement[bool] | None:
        definition = self.registry.fields[node.entity][node.field]
        if definition.custom:
            return None
        column = column_of(definition, row)
        days = int(node.values[0])
        return _band(column, days, self.since, self.now, as_date=node.type is FieldType.DATE)

    def behaviour(self, node: Behaviour) -> bool:
        if node.window_days is not None:
            source = entity_table("interaction")
            ctx = Context(self.registry, True)
            conditions = behaviour_conditions(replace(node, window_days=None), source, ctx)
            edge = _band(
                source.c.occurred_at, node.window_days, self.since, self.now, as_date=False
            )
            self.selects.append(select(source.c.contact_id).where(edge, *conditions))
        return True

    def row(self, node: FieldRow, parent: Related | None) -> bool:
        if node.op not in DAY_OPS:
            return True
        contacts = contacts_table()
        if parent is None:
            own = self.field_band(node, contacts)
            if own is not None:
                self.selects.append(select(contacts.c.id).where(own))
            return own is not None
        child = entity_table(parent.link.entity)
        theirs = self.field_band(node, child)
        if theirs is None:
            return False
        if parent.link.many:
            self.selects.append(select(child.c[parent.link.key]).where(theirs))
        else:
            self.selects.append(
                select(contacts.c.id)
                .join(child, child.c.id == contacts.c[parent.link.key])
                .where(theirs)
            )
        return True

    def visit(self, node: Node, depth: int, parent: Related | None) -> bool:
        """False when a window sits where its edge cannot be narrowed to contacts."""
        if isinstance(node, Group):
            return all(self.visit(child, depth, parent) for child in node.children)
        if isinstance(node, Behaviour):
            return self.behaviour(node)
        if isinstance(node, Related):
            if depth > 0:
                return not is_time_relative(node.where)
            return self.visit(node.where, depth + 1, node)
        return self.row(node, parent)


def window_candidates(
    tree: Group, registry: Registry, since: datetime, now: datetime
) -> Select[Any] | CompoundSelect[Any] | None:
    """The contacts whose membership time alone may have changed between `since` and
    `now`: those with a value or an interaction that a moving window's edge passed over
    in that time (a click that fell out of "the last 30 days"). A SELECT of contact ids,
    or None when a window sits where this cannot narrow it (a custom field, a window
    two relationships deep): then every contact is evaluated."""
    edges = _Edges(query_registry(registry), since, now)
    if not edges.visit(tree, 0, None):
        return None
    if not edges.selects:
        contacts = contacts_table()
        return select(contacts.c.id).where(false())
    first, *rest = edges.selects
    return first if not rest else union(first, *rest)
