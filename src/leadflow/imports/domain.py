"""Pure rules of imports: guessing a mapping from headers, reading a row through it,
and deciding what a row does to the record it matched.

No session, no clock: values in, values out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.lib.bounds import NUL
from leadflow.lib.normalize import InvalidEmail, normalize_email
from leadflow.registry.domain import FieldDef, FieldType, Registry, to_json_value

ENTITIES = ("contact", "account", "lead", "interaction")
_PLAIN_TEXT = frozenset({FieldType.TEXT, FieldType.LONG_TEXT, FieldType.URL, FieldType.PHONE})
CHUNK_ROWS = 1000
# A run commits this many rows at a time: fewer round trips and commits per row (on
# PostgreSQL a fifth of the import's time at 1,000), still a few MB of memory.
RUN_CHUNK_ROWS = 5000
PREVIEW_ROWS = 200


class WriteMode(StrEnum):
    """How an import writes a field of a record it matched (new records get every value)."""

    OVERWRITE = "overwrite"
    FILL = "fill"  # only when the record's field is empty
    NEVER = "never"  # only when the import creates the record


class Outcome(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    SKIP = "skip"
    CONFLICT = "conflict"
    ERROR = "error"


class ImportStatus(StrEnum):
    UPLOADED = "uploaded"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNDOING = "undoing"
    UNDONE = "undone"


# Link targets that are not fields of the imported entity: they find the account
# a contact or lead belongs to (by name or web domain), never create one.
ACCOUNT_NAME = "@account_name"
ACCOUNT_DOMAIN = "@account_domain"
LINK_FIELDS = {ACCOUNT_NAME: "Account name (link)", ACCOUNT_DOMAIN: "Account web domain (link)"}
# An interaction's contact, found by email (as capture matches one).
CONTACT_EMAIL = "@contact_email"
INTERACTION_LINKS = {CONTACT_EMAIL: "Contact email (link)"}

# Header words people use for a field, beyond its name and label (compared squashed).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": ("e-mail", "mail", "email address", "e-mail address", "emailaddress", "courriel"),
    "first_name": ("first", "firstname", "given name", "forename", "prenom", "vorname"),
    "last_name": ("last", "lastname", "surname", "family name", "nom", "nachname"),
    "job_title": ("title", "position", "jobtitle", "role title", "function"),
    "phone": ("telephone", "tel", "phone number", "mobile", "cell", "business phone"),
    "company_name": ("company", "organisation", "organization", "employer", "firm"),
    "country": ("country/region", "nation"),
    "city": ("town",),
    "topic": ("subject", "interest"),
    "website": ("web site", "url", "homepage", "www"),
    "domain": ("web domain", "domain name"),
    "name": ("account", "account name", "company", "company name", "organization"),
    "employee_count": ("employees", "headcount", "staff", "number of employees"),
    "annual_revenue": ("revenue", "turnover"),
    ACCOUNT_NAME: ("account", "account name", "company", "company name", "organization"),
    ACCOUNT_DOMAIN: ("web domain", "company domain", "company website", "domain"),
    CONTACT_EMAIL: ("email", "e-mail", "mail", "email address", "contact email", "contact"),
    "kind": ("type", "activity", "event", "interaction", "action"),
    "occurred_at": ("date", "time", "when", "timestamp", "occurred", "date time", "datetime"),
    "target_id": ("target", "campaign", "page", "url", "asset"),
}


def squash(text: str) -> str:
    """A header as compared: case, spacing and punctuation ignored."""
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


@dataclass(frozen=True)
class ColumnMap:
    field: str
    mode: WriteMode = WriteMode.OVERWRITE

    def public(self) -> dict[str, str]:
        return {"field": self.field, "mode": self.mode.value}


Mapping_ = dict[str, ColumnMap]


def importable_fields(registry: Registry, entity: str) -> list[FieldDef]:
    return [item for item in registry.fields_of(entity) if item.importable and item.writable]


def targets_for(registry: Registry, entity: str) -> dict[str, str]:
    """Every mapping target of an entity: registry name -> label (link targets last)."""
    targets = {item.name: item.label for item in importable_fields(registry, entity)}
    if entity in ("contact", "lead"):
        targets.update(LINK_FIELDS)
    if entity == "interaction":
        targets.update(INTERACTION_LINKS)
    return targets


def guess_mapping(headers: Sequence[str], registry: Registry, entity: str) -> Mapping_:
    """Columns to fields from the headers: by name, then label, then a synonym.

    A field is taken by the first column that names it; later ones stay unmapped.
    """
    targets = targets_for(registry, entity)
    exact: dict[str, str] = {}
    loose: dict[str, str] = {}
    for name, label in targets.items():
        exact.setdefault(squash(name), name)
        exact.setdefault(squash(label), name)
        for word in SYNONYMS.get(name, ()):
            loose.setdefault(squash(word), name)
    taken: set[str] = set()
    mapping: Mapping_ = {}
    for header in headers:
        key = squash(header)
        found = exact.get(key) or loose.get(key)
        if found is None or found in taken:
            continue
        taken.add(found)
        mapping[header] = ColumnMap(found)
    return mapping


def _column_spec(column: Any, spec: Any) -> tuple[str, str] | None:
    """(field, write mode) of one column's entry, or None for a column left unmapped."""
    if spec in (None, ""):
        return None
    if isinstance(spec, str):
        return spec, WriteMode.OVERWRITE.value
    if isinstance(spec, Mapping):
        name = str(spec.get("field") or "")
        return (name, str(spec.get("mode") or WriteMode.OVERWRITE.value)) if name else None
    raise ValidationFailed(
        f"Column {column!r}: give a field name", field="mapping", code=ErrorCode.MAPPING_INVALID
    )


def _write_mode(column: Any, mode_text: str) -> WriteMode:
    try:
        return WriteMode(mode_text)
    except ValueError:
        allowed = ", ".join(item.value for item in WriteMode)
        raise ValidationFailed(
            f"Column {column!r}: the write mode is one of {allowed}",
            field=f"mapping.{column}",
            code=ErrorCode.MAPPING_INVALID,
        ) from None


def parse_mapping(
    raw: Any, registry: Registry, entity: str, headers: Sequence[str] | None = None
) -> Mapping_:
    """A mapping as given (API body, mapping file): {column: field} or
    {column: {"field": ..., "mode": ...}}; unknown fields and modes are refused."""
    if not isinstance(raw, Mapping):
        raise ValidationFailed(
            "The mapping is an object: column -> field",
            field="mapping",
            code=ErrorCode.MAPPING_INVALID,
        )
    targets = targets_for(registry, entity)
    mapping: Mapping_ = {}
    seen: dict[str, str] = {}
    for column, spec in raw.items():
        given = _column_spec(column, spec)
        if given is None:
            continue
        name, mode_text = given
        if name not in targets:
            raise ValidationFailed(
                f"Column {column!r}: {entity} has no importable field {name!r}",
                code=ErrorCode.UNKNOWN_FIELD,
                field=f"mapping.{column}",
            )
        mode = _write_mode(column, mode_text)
        if name in seen:
            raise ValidationFailed(
                f"Columns {seen[name]!r} and {column!r} both map to {targets[name]}",
                code=ErrorCode.DUPLICATE,
                field=f"mapping.{column}",
            )
        if headers is not None and str(column) not in headers:
            raise ValidationFailed(
                f"The file has no column {column!r}",
                field=f"mapping.{column}",
                code=ErrorCode.MAPPING_INVALID,
            )
        seen[name] = str(column)
        mapping[str(column)] = ColumnMap(name, mode)
    if not mapping:
        raise ValidationFailed(
            "Map at least one column to a field", field="mapping", code=ErrorCode.MAPPING_INVALID
        )
    return mapping


def mapping_public(mapping: Mapping_) -> dict[str, dict[str, str]]:
    return {column: item.public() for column, item in mapping.items()}


@dataclass(frozen=True)
class CellError:
    column: str | None
    code: str
    message: str


@dataclass
class ParsedRow:
    """One data row read through the mapping: typed values, or what is wrong with it."""

    line: int
    raw: list[str]
    values: dict[str, Any] = field(default_factory=dict)  # built-in fields
    custom: dict[str, Any] = field(default_factory=dict)  # custom fields (JSON values)
    links: dict[str, str] = field(default_factory=dict)  # link targets
    errors: list[CellError] = field(default_factory=list)

    def value(self, name: str) -> Any:
        return self.custom.get(name) if name in self.custom else self.values.get(name)


# How `RowReader.read` treats a column's cell (see `_cell_kind`).
_LINK, _TEXT, _EMAIL, _COERCE = range(4)


@dataclass(frozen=True)
class RowReader:
    """Reads raw rows through a mapping: which cell goes to which field, coerced how."""

    entity: str
    columns: tuple[tuple[int, str, FieldDef | None, str], ...]  # index, header, field, target
    width: int
    # Per column: (index, header, field, target, kind, name, length limit), worked out
    # once: a million rows read each cell through it.
    cells: tuple[tuple[int, str, FieldDef | None, str, int, str, int | None], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        cells = tuple(
            (
                position,
                header,
                definition,
                target,
                _cell_kind(definition),
                definition.name if definition is not None else target,
                definition.max_length if definition is not None else None,
            )
            for position, header, definition, target in self.columns
        )
        object.__setattr__(self, "cells", cells)

    @classmethod
    def build(
        cls, registry: Registry, entity: str, headers: Sequence[str], mapping: Mapping_
    ) -> RowReader:
        index = {header: position for position, header in enumerate(headers)}
        columns: list[tuple[int, str, FieldDef | None, str]] = []
        for header, target in mapping.items():
            if header not in index:
                continue
            definition = None
            if target.field not in LINK_FIELDS and target.field not in INTERACTION_LINKS:
                definition = registry.field(entity, target.field)
            columns.append((index[header], header, definition, target.field))
        return cls(entity, tuple(columns), len(headers))

    def read(self, line: int, raw: list[str]) -> ParsedRow:
        if not "".join(raw).strip():
            row = ParsedRow(line, raw)
            row.errors.append(CellError(None, "empty_row", "The row is empty"))
            return row
        values: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        links: dict[str, str] = {}
        errors: list[CellError] = []
        width = len(raw)
        for position, header, definition, target, kind, name, limit in self.cells:
            cell = raw[position] if position < width else ""
            if kind == _LINK:
                if cell.strip():
                    links[target] = cell.strip()
                continue
            if kind == _TEXT and NUL not in cell:
                # What `coerce` does to a text cell, without its checks for other types.
                text = cell.strip()
                if limit is None or len(text) <= limit:
                    values[name] = text or None
                    continue
            elif kind == _EMAIL and NUL not in cell:
                # What `coerce` does to a good address; a bad one takes `coerce` for its error.
                text = cell.strip()
                if not text:
                    values[name] = None
                    continue
                if _valid_email(text):
                    values[name] = text
                    continue
            assert definition is not None
            try:
                value = definition.coerce(cell)
            except ValidationFailed as error:
                errors.append(CellError(header, error.code.value, error.message))
                continue
            if definition.custom:
                if value is not None:
                    custom[name] = to_json_value(value)
            else:
                values[name] = value
        return ParsedRow(line, raw, values, custom, links, errors)


def _cell_kind(definition: FieldDef | None) -> int:
    """A link target's cell is kept as text; a built-in text or email field's has a
    fast path (`read`); anything else goes through the field's `coerce`."""
    if definition is None:
        return _LINK
    if definition.custom:
        return _COERCE
    if definition.type in _PLAIN_TEXT:
        return _TEXT
    if definition.type is FieldType.EMAIL:
        return _EMAIL
    return _COERCE


def _valid_email(text: str) -> bool:
    try:
        normalize_email(text)
    except InvalidEmail:
        return False
    return True


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def decide_changes(
    current: Mapping[str, Any],
    incoming: Mapping[str, Any],
    modes: Mapping[str, WriteMode],
) -> dict[str, Any]:
    """The fields a matched record takes from the row: per field its write mode
    (overwrite: any different value; fill: only where the record is empty; never:
    nothing). Empty cells never clear a record's value."""
    changes: dict[str, Any] = {}
    for name, value in incoming.items():
        mode = modes.get(name, WriteMode.OVERWRITE)
        if mode is WriteMode.NEVER or is_empty(value):
            continue
        now = current.get(name)
        if mode is WriteMode.FILL and not is_empty(now):
            continue
        if comparable(now) != comparable(value):
            changes[name] = value
    return changes


def comparable(value: Any) -> Any:
    """Values as stored and compared (a Decimal and its float, a date and its ISO text)."""
    return to_json_value(value)


def count_outcomes(outcomes: Iterable[Outcome]) -> dict[str, int]:
    counts = {item.value: 0 for item in Outcome}
    for outcome in outcomes:
        counts[outcome.value] += 1
    return counts


def add_counts(total: Mapping[str, int], more: Mapping[str, int]) -> dict[str, int]:
    merged = {item.value: 0 for item in Outcome}
    for source in (total, more):
        for name, value in source.items():
            merged[name] = merged.get(name, 0) + int(value)
    return merged


def created_runs(ids: Sequence[int], lines: Sequence[int]) -> list[list[int]]:
    """Which line created which record, as runs `[first id, first line, count]` where
    both go up by one: a chunk's new records (ids taken in a row, lines mostly in a
    row) fit in a few runs instead of a change record each."""
    runs: list[list[int]] = []
    for record_id, line in sorted(zip(ids, lines, strict=True)):
        if runs:
            last = runs[-1]
            if record_id == last[0] + last[2] and line == last[1] + last[2]:
                last[2] += 1
                continue
        runs.append([record_id, line, 1])
    return runs


def created_lines(runs: Iterable[Sequence[int]]) -> dict[int, int]:
    """record id -> the line that created it, from `created_runs`."""
    return {
        first_id + step: first_line + step
        for first_id, first_line, count in runs
        for step in range(count)
    }
