"""What an import does (its plan) and what a chunk of it did (rows' results)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from leadflow.imports.domain import (
    CellError,
    ColumnMap,
    Outcome,
    ParsedRow,
    WriteMode,
)

# Derived columns written with the field they follow.
_PERSON = ("contact", "lead")


@dataclass(slots=True)
class Keyed:
    """A row's identity in its chunk: "id:<n>" when it matched record n, its match
    key when it is new (None when the strategy cannot be applied to it)."""

    key: str | None


@dataclass(slots=True)
class RowResult:
    line: int
    outcome: Outcome
    record_id: int | None = None
    changed: tuple[str, ...] = ()
    error: CellError | None = None


@dataclass(frozen=True)
class Plan:
    """What one import does, fixed for all its chunks."""

    import_id: int
    entity: str
    mapping: Mapping[str, ColumnMap]
    create_contacts: bool = True
    contact_strategy_id: int | None = None
    lead_strategy_id: int | None = None

    @property
    def modes(self) -> dict[str, WriteMode]:
        return {item.field: item.mode for item in self.mapping.values()}

    @property
    def fields(self) -> set[str]:
        return {item.field for item in self.mapping.values()}


@dataclass
class ChunkReport:
    results: list[RowResult] = field(default_factory=list)
    contacts_created: int = 0

    def counts(self) -> dict[str, int]:
        counts = {item.value: 0 for item in Outcome}
        for result in self.results:
            counts[result.outcome.value] += 1
        counts["contacts_created"] = self.contacts_created
        return counts


def keys_by_line(rows: Sequence[ParsedRow], keys: Sequence[Keyed]) -> dict[int, str | None]:
    return {row.line: keyed.key for row, keyed in zip(rows, keys, strict=True)}
