"""What a column can hold: whole-number ranges, decimal digits, text without NUL.

The registry checks field values against these; the request models outside the
registry use the annotated types below, so a value the database cannot store is
refused at the edge (422 naming the field) instead of failing in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field


@dataclass(frozen=True)
class IntRange:
    """The values a whole-number column holds."""

    name: str
    low: int
    high: int

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.low <= value <= self.high


# PostgreSQL INTEGER and BIGINT (SQLite's INTEGER is 64-bit: BIGINT bounds hold on both).
INT32 = IntRange("INTEGER", -(2**31), 2**31 - 1)
INT64 = IntRange("BIGINT", -(2**63), 2**63 - 1)

NUL = "\x00"

# Request-model types for values stored in INTEGER and BIGINT columns.
Int32 = Annotated[int, Field(ge=INT32.low, le=INT32.high)]
# Ids are BIGINT; a positive id is the only kind a row can have.
RowId = Annotated[int, Field(ge=1, le=INT64.high)]


def omittable(**constraints: Any) -> Any:
    """A PATCH field that may be left out (the stored value stays) but not set to null.

    For columns that are NOT NULL: the annotation names the type without `None`,
    so an explicit null is refused as 422 naming the field; the default only
    stands for "not sent" and is kept out of the JSON schema.
    """

    def drop_default(schema: dict[str, Any]) -> None:
        schema.pop("default", None)

    return Field(default=None, json_schema_extra=drop_default, **constraints)


def nul_location(data: Any) -> str | None:
    """Where parsed JSON or YAML holds NUL (in a key or a string): 'items[2].name', or ''."""
    pending: list[tuple[str, Any]] = [("", data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if NUL in value:
                return path
        elif isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else str(key)
                if NUL in str(key):
                    return where
                pending.append((where, item))
        elif isinstance(value, list):
            pending.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
    return None
