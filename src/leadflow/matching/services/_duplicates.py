"""Duplicates already stored: records that share a key under a strategy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from leadflow.matching.batch import match_expression
from leadflow.matching.domain import MatchTarget
from leadflow.matching.models import MatchingStrategy
from leadflow.matching.services._strategies import list_strategies
from leadflow.registry.domain import FieldDef, Registry
from leadflow.registry.sql import field_column, table_for


def _comparable(definition: FieldDef) -> tuple[ColumnElement[Any], ColumnElement[bool]]:
    """The column as matching compares it (text trimmed and case-folded), and when it holds
    a value to compare."""
    column = field_column(definition)
    compared = match_expression(definition)
    if compared is column:
        return column, column.is_not(None)
    return compared, and_(column.is_not(None), compared != "")


def duplicate_groups(
    session: Session,
    registry: Registry,
    target: MatchTarget,
    *,
    limit: int = 100,
    progress: Callable[[int, int], None] | None = None,
) -> list[tuple[MatchingStrategy, list[int], int]]:
    """Records that claim the same key under a strategy of `target`, found by the database:
    per strategy, one GROUP BY over the strategy's fields as matching compares them.
    Returns (strategy, [lowest id, highest id], how many share the key), newest first.
    `progress(done, total)` is told how many strategies are done, before each and at the end."""
    table = table_for(target.value)
    found: list[tuple[MatchingStrategy, list[int], int]] = []
    seen: set[tuple[int, int]] = set()
    strategies = list_strategies(session, target.value)
    for done, strategy in enumerate(strategies):
        if progress is not None:
            progress(done, len(strategies))
        if (
            not strategy.lists_duplicates
            or not strategy.fields
            or not all(registry.has_field(target.value, name) for name in strategy.fields)
        ):
            continue
        compared = [_comparable(registry.field(target.value, name)) for name in strategy.fields]
        keys = [key for key, _ in compared]
        statement = (
            select(func.min(table.c.id), func.max(table.c.id), func.count())
            .where(table.c.merged_into_id.is_(None), *(present for _, present in compared))
            .group_by(*keys)
            .having(func.count() > 1)
            .order_by(func.max(table.c.id).desc())
            .limit(limit)
        )
        for low, high, count in session.execute(statement):
            if (low, high) in seen:
                continue
            seen.add((low, high))
            found.append((strategy, [int(low), int(high)], int(count)))
    if progress is not None:
        progress(len(strategies), len(strategies))
    return found
