"""A batch's candidates and results, and the lookup of the records their values match."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    func,
    select,
    tuple_,
)

from leadflow.lib.normalize import needs_region
from leadflow.matching.domain import (
    MatchTarget,
    StrategyValues,
    field_value,
    strategy_values,
)
from leadflow.matching.models import MatchingStrategy, MatchKey
from leadflow.registry.domain import FieldDef, FieldType, Registry
from leadflow.registry.sql import field_column, table_for

MAX_CANDIDATES = 20
_TEXT_TYPES = (FieldType.TEXT, FieldType.LONG_TEXT, FieldType.URL, FieldType.CHOICE)
_KEYS = cast(Table, MatchKey.__table__)


# Not frozen, slotted: a batch builds thousands of these, and a frozen dataclass's
# __init__ (object.__setattr__ per field) took 3 us a BatchMatch, 8% of an import.
@dataclass(slots=True)
class Candidate:
    """One record to match: its public field values (custom ones under `custom`).

    `region` reads a national-format phone in the strategy (a callable, so the
    region, which may need a lookup, is worked out only for such a phone).
    """

    values: Mapping[str, Any]
    region: Callable[[], str | None] | None = None


@dataclass(slots=True)
class BatchMatch:
    """What matching decided for one candidate."""

    record_id: int | None
    key: str | None = None
    first: bool = True
    candidates: list[int] = field(default_factory=list)
    reason: str | None = None

    @property
    def is_new(self) -> bool:
        return self.record_id is None


def match_expression(definition: FieldDef) -> ColumnElement[Any]:
    """The SQL a field's stored value is compared through: text case- and
    space-insensitively (as `normalize_for_match` reads the submitted value)."""
    column = field_column(definition)
    if definition.type in _TEXT_TYPES or (
        definition.custom and definition.type in (FieldType.EMAIL, FieldType.PHONE)
    ):
        return func.lower(func.trim(column))
    return column


def definitions_of(
    registry: Registry, target: MatchTarget, fields: Sequence[str]
) -> dict[str, FieldDef]:
    """The strategy's fields the registry knows (a deleted custom field counts as missing)."""
    return {
        name: registry.field(target.value, name)
        for name in fields
        if registry.has_field(target.value, name)
    }


_LOOKUPS: dict[tuple[Any, ...], Select[Any]] = {}


def _lookup_query(target: MatchTarget, definitions: Sequence[FieldDef]) -> Select[Any]:
    """Every record whose compared values are among the `values` parameter (an
    expanding IN of tuples, or of values for one field): built once per shape."""
    shape = (target, *((item.name, item.type, item.custom) for item in definitions))
    query = _LOOKUPS.get(shape)
    if query is None:
        table = table_for(target.value)
        expressions = [match_expression(item) for item in definitions]
        compared = expressions[0] if len(expressions) == 1 else tuple_(*expressions)
        query = (
            select(table.c.id, *(item.label(f"m_{n}") for n, item in enumerate(expressions)))
            .where(
                compared.in_(bindparam("values", expanding=True)),
                # A record merged into another is kept only to redirect: the survivor matches.
                table.c.merged_into_id.is_(None),
            )
            .order_by(table.c.updated_at.desc(), table.c.id.desc())
        )
        _LOOKUPS[shape] = query
    return query


def _normalised(
    strategy: MatchingStrategy,
    definitions: Mapping[str, FieldDef],
    candidate: Candidate,
) -> StrategyValues:
    region = None
    phone_fields = [
        item for item in definitions.values() if item.type is FieldType.PHONE and not item.custom
    ]
    if phone_fields and candidate.region is not None:
        raw = [field_value(candidate.values, item) for item in phone_fields]
        if any(value is not None and needs_region(str(value)) for value in raw):
            region = candidate.region()
    return strategy_values(strategy.fields, definitions, candidate.values, region)
