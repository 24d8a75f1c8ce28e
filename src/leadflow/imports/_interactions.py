"""The chunk engine of an import of interactions: what contacts did, from a file.

A row names its contact by email (the link target `@contact_email`, matched as
capture matches an email) or by id, and gives the kind, when it happened and
optionally its target and lead. Interactions are appended, never updated: a row
whose contact already has an interaction of that kind, time and target is skipped
(so importing the same file again changes nothing), a second such row in the file
is a conflict. Every interaction created is published (`InteractionRecorded`), so
scoring credits it like any other; undo deletes them.

Per chunk: one contact lookup by email, one check of the leads and contacts named by
id, one lookup of the interactions that exist already, one of this import's earlier
rows, then the interactions, change records and events in bulk.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, func, or_, select
from sqlalchemy.orm import Session

from leadflow.bus import Event
from leadflow.db.uow import UnitOfWork
from leadflow.imports._bulk import fast_insert, next_ids, one_of, write_errors, write_events
from leadflow.imports._plan import ChunkReport, Plan, RowResult
from leadflow.imports.domain import CONTACT_EMAIL, CellError, Outcome, ParsedRow
from leadflow.imports.models import ImportChange
from leadflow.interactions.domain import is_valid_kind
from leadflow.interactions.events import InteractionRecorded
from leadflow.interactions.models import Interaction
from leadflow.lib.clock import as_utc, utcnow
from leadflow.matching import batch
from leadflow.matching.models import MatchingStrategy
from leadflow.registry.domain import Registry
from leadflow.registry.sql import table_for

_CHANGES = cast(Table, ImportChange.__table__)
_INTERACTIONS = cast(Table, Interaction.__table__)
# Matching an address the way capture does (normalised email), on no stored strategy.
_BY_EMAIL = MatchingStrategy(id=0, name="Email", target="contact", fields=["email"])

Key = tuple[int, str, datetime, str | None]


def _error(line: int, column: str | None, code: str, message: str) -> RowResult:
    return RowResult(line, Outcome.ERROR, error=CellError(column, code, message))


class InteractionEngine:
    """Runs chunks of one interactions import (`dry`: decide only)."""

    def __init__(
        self, session: Session, registry: Registry, plan: Plan, *, dry: bool = False
    ) -> None:
        self.session = session
        self.registry = registry
        self.plan = plan
        self.dry = dry
        self.events: list[Event] = []
        # Dry runs: the rows decided so far (the change records stand in for them in a run).
        self.seen: dict[Key, int] = {}
        self.columns = {item.field: column for column, item in plan.mapping.items()}

    def run(self, rows: Sequence[ParsedRow]) -> ChunkReport:
        report = ChunkReport()
        results: dict[int, RowResult] = {}
        good = [row for row in rows if not row.errors]
        for row in rows:
            if row.errors:
                results[row.line] = RowResult(row.line, Outcome.ERROR, error=row.errors[0])
        contacts = self._contacts(good)
        leads = self._existing("lead", {row.values.get("lead_id") for row in good})
        keyed: list[tuple[ParsedRow, Key]] = []
        for row in good:
            contact_id = contacts.get(row.line)
            problem = self._problem(row, contact_id, leads)
            if problem is not None:
                results[row.line] = problem
                continue
            assert contact_id is not None
            occurred = as_utc(row.values["occurred_at"])
            row.values["occurred_at"] = occurred
            key = (contact_id, str(row.values["kind"]), occurred, row.values.get("target_id"))
            keyed.append((row, key))
        existing = self._existing_interactions([key for _, key in keyed])
        earlier = self._earlier_lines(existing)
        creates: list[tuple[ParsedRow, Key]] = []
        first_line: dict[Key, int] = {}
        for row, key in keyed:
            line = first_line.get(key) or earlier.get(existing.get(key, -1)) or self.seen.get(key)
            if line is not None:
                results[row.line] = RowResult(
                    row.line,
                    Outcome.CONFLICT,
                    existing.get(key),
                    error=CellError(None, "duplicate_in_file", f"Same interaction as line {line}"),
                )
                continue
            if key in existing:
                results[row.line] = RowResult(row.line, Outcome.SKIP, existing[key])
                continue
            first_line[key] = row.line
            creates.append((row, key))
        if self.dry:
            self.seen.update(first_line)
        for (row, _), record_id in zip(creates, self._insert(creates), strict=True):
            results[row.line] = RowResult(row.line, Outcome.CREATE, record_id)
        report.results = [results[row.line] for row in rows]
        if not self.dry:
            write_errors(self.session, self.plan.import_id, rows, report.results)
        return report

    def store_events(self, uow: UnitOfWork) -> None:
        if not self.dry:
            write_events(self.session, uow, self.events)
        self.events = []

    # --- lookups ---------------------------------------------------------------------

    def _contacts(self, rows: Sequence[ParsedRow]) -> dict[int, int]:
        """line -> contact id: by id where the file gives one, else by email."""
        found: dict[int, int] = {}
        by_id = self._existing("contact", {row.values.get("contact_id") for row in rows})
        by_email = [row for row in rows if row.values.get("contact_id") is None]
        emails = [{"email": row.links.get(CONTACT_EMAIL)} for row in by_email]
        matches = (
            batch.match_many_bulk(
                self.session,
                self.registry,
                _BY_EMAIL,
                [batch.Candidate(values) for values in emails],
            )
            if emails
            else []
        )
        for row, match in zip(by_email, matches, strict=True):
            if match.record_id is not None:
                found[row.line] = int(match.record_id)
        for row in rows:
            contact_id = row.values.get("contact_id")
            if contact_id is not None and contact_id in by_id:
                found[row.line] = int(contact_id)
        return found

    def _existing(self, entity: str, ids: set[Any]) -> set[int]:
        wanted = sorted(int(item) for item in ids if item is not None)
        if not wanted:
            return set()
        table = table_for(entity)
        query = select(table.c.id).where(one_of(self.session, table.c.id, wanted))
        return {int(item) for item in self.session.scalars(query)}

    def _problem(self, row: ParsedRow, contact_id: int | None, leads: set[int]) -> RowResult | None:
        values = row.values
        if contact_id is None:
            if values.get("contact_id") is not None:
                column = self.columns.get("contact_id")
                message = f"No contact with id {values['contact_id']}"
                return _error(row.line, column, "contact_not_found", message)
            email = row.links.get(CONTACT_EMAIL)
            column = self.columns.get(CONTACT_EMAIL)
            if not email:
                return _error(row.line, column, "required", "The row names no contact")
            return _error(row.line, column, "contact_not_found", f"No contact with email {email}")
        kind = values.get("kind")
        if not kind:
            return _error(row.line, self.columns.get("kind"), "required", "The kind is missing")
        if not is_valid_kind(str(kind)):
            return _error(
                row.line,
                self.columns.get("kind"),
                "invalid_value",
                "The kind is a lower-case identifier such as email_opened",
            )
        if values.get("occurred_at") is None:
            column = self.columns.get("occurred_at")
            return _error(row.line, column, "required", "When it happened is missing")
        lead_id = values.get("lead_id")
        if lead_id is not None and int(lead_id) not in leads:
            column = self.columns.get("lead_id")
            return _error(row.line, column, "lead_not_found", f"No lead with id {lead_id}")
        return None

    def _existing_interactions(self, keys: Sequence[Key]) -> dict[Key, int]:
        """The interactions already stored for these (contact, kind, time, target): one
        query on the table's (contact, kind, time, target) index."""
        if not keys:
            return {}
        table = _INTERACTIONS
        wanted = sorted({(key[0], key[1], key[2]) for key in keys})
        found: dict[Key, int] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            condition = or_(
                *(
                    and_(
                        table.c.contact_id == contact_id,
                        table.c.kind == kind,
                        table.c.occurred_at == occurred,
                    )
                    for contact_id, kind, occurred in part
                )
            )
            query = select(
                table.c.id, table.c.contact_id, table.c.kind, table.c.occurred_at,
                table.c.target_id,
            ).where(condition)  # fmt: skip
            for record_id, contact_id, kind, occurred, target in self.session.execute(query):
                key = (int(contact_id), str(kind), as_utc(occurred), target)
                found.setdefault(key, int(record_id))
        return found

    def _earlier_lines(self, existing: dict[Key, int]) -> dict[int, int]:
        """Of the interactions found, those this import created: id -> its line."""
        if self.dry or not existing:
            return {}
        ids = sorted(set(existing.values()))
        rows = self.session.execute(
            select(_CHANGES.c.record_id, func.min(_CHANGES.c.line))
            .where(
                _CHANGES.c.import_id == self.plan.import_id,
                _CHANGES.c.entity == "interaction",
                one_of(self.session, _CHANGES.c.record_id, ids),
            )
            .group_by(_CHANGES.c.record_id)
        )
        return {int(record_id): int(line) for record_id, line in rows}

    # --- writes ----------------------------------------------------------------------

    def _insert(self, creates: Sequence[tuple[ParsedRow, Key]]) -> list[int]:
        if not creates:
            return []
        if self.dry:
            return [0] * len(creates)
        now = utcnow()
        ids = next_ids(self.session, _INTERACTIONS, len(creates))
        payload: list[dict[str, Any]] = []
        for record_id, (row, key) in zip(ids, creates, strict=True):
            payload.append(
                {
                    "id": record_id,
                    "contact_id": key[0],
                    "lead_id": row.values.get("lead_id"),
                    "kind": key[1],
                    "target_id": key[3],
                    "occurred_at": key[2],
                    "data": row.values.get("data") or {"source": "import"},
                    "created_at": now,
                }
            )
            self.events.append(
                InteractionRecorded(
                    interaction_id=record_id,
                    contact_id=key[0],
                    lead_id=row.values.get("lead_id"),
                    kind=key[1],
                    target_id=key[3],
                    occurred_at=key[2],
                )
            )
        fast_insert(self.session, _INTERACTIONS, payload)
        fast_insert(
            self.session,
            _CHANGES,
            [
                {
                    "import_id": self.plan.import_id,
                    "action": "created",
                    "before": None,
                    "after": None,
                    "line": row.line,
                    "entity": "interaction",
                    "record_id": record_id,
                }
                for record_id, (row, _) in zip(ids, creates, strict=True)
            ],
        )
        return ids


__all__ = ["InteractionEngine"]
