"""The chunk engine: a chunk of parsed rows matched and written set-based.

Per chunk: one lookup per key kind (the entity's strategy, the leads' contacts,
the accounts they link to), one read of the matched records' current values,
multi-row INSERTs for new records, UPDATEs grouped by the fields they change,
and the change records, error records and events in bulk. Nothing loops over
rows against the database. A dry run runs the same decisions without writing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, and_, or_, select

from leadflow.imports._base import EngineBase
from leadflow.imports._bulk import next_ids, one_of
from leadflow.imports._links import LinkSteps
from leadflow.imports._plan import (
    _PERSON,
    ChunkReport,
    Keyed,
    Plan,
    RowResult,
    keys_by_line,
)
from leadflow.imports._writes import WriteSteps
from leadflow.imports.domain import (
    CellError,
    Outcome,
    ParsedRow,
    created_lines,
    decide_changes,
)
from leadflow.imports.models import ImportChange
from leadflow.matching import batch

_CHANGES = cast(Table, ImportChange.__table__)


class Engine(LinkSteps, WriteSteps):
    """Runs chunks of one import. `dry`: decide only; `seen` then stands in for the
    change records in telling in-file duplicates across chunks."""

    # --- the chunk ---------------------------------------------------------------------

    def run(self, rows: Sequence[ParsedRow]) -> ChunkReport:
        report = ChunkReport()
        self.reserved = {}
        results: dict[int, RowResult] = {}
        good: list[ParsedRow] = []
        for row in rows:
            if row.errors:
                results[row.line] = RowResult(row.line, Outcome.ERROR, error=row.errors[0])
            else:
                good.append(row)
        found, keys = self._lookup(good)
        in_file = self._already_imported(found, keys, good)
        current = self._current(set(found.values()))
        creates, updates = self._decide(good, keys, found, in_file, current, results)
        if not self.dry:
            creates = self._claim_creates(creates, good, keys, current, updates, results)
        if self.entity == "lead":
            report.contacts_created = self._link_leads(creates, updates, current)
        if self.entity in _PERSON:
            self._link_accounts(creates, updates, current)
        created_ids = self._insert(creates, keys_by_line(good, keys))
        for row, record_id in zip(creates, created_ids, strict=True):
            results[row.line] = RowResult(row.line, Outcome.CREATE, record_id)
        self._update(updates, current)
        for row, record_id, changes in updates:
            results[row.line] = RowResult(
                row.line, Outcome.UPDATE, record_id, tuple(sorted(changes))
            )
        report.results = [results[row.line] for row in rows]
        if not self.dry:
            self._write_errors(rows, report.results)
        return report

    def _decide(
        self,
        good: Sequence[ParsedRow],
        keys: Sequence[Keyed],
        found: Mapping[str, int],
        in_file: Mapping[str, int],
        current: Mapping[int, dict[str, Any]],
        results: dict[int, RowResult],
    ) -> tuple[list[ParsedRow], list[tuple[ParsedRow, int, dict[str, Any]]]]:
        """Each good row's fate before any write: a conflict with an earlier line of the
        file, a skip (nothing to change), an update of the record it matched, or a create."""
        creates: list[ParsedRow] = []
        updates: list[tuple[ParsedRow, int, dict[str, Any]]] = []
        first_line: dict[str, int] = {}
        for row, keyed in zip(good, keys, strict=True):
            key = keyed.key
            if key is not None:
                earlier = first_line.get(key) or in_file.get(key)
                if earlier is not None:
                    results[row.line] = RowResult(
                        row.line,
                        Outcome.CONFLICT,
                        error=CellError(
                            None, "duplicate_in_file", f"Same record as line {earlier}"
                        ),
                    )
                    continue
                first_line[key] = row.line
            record_id = found.get(key) if key is not None else None
            if record_id is None:
                creates.append(row)
                continue
            changes = self._changes(row, current.get(record_id, {}))
            if changes:
                updates.append((row, record_id, changes))
            else:
                results[row.line] = RowResult(row.line, Outcome.SKIP, record_id)
        return creates, updates

    def _claim_creates(
        self,
        creates: list[ParsedRow],
        good: Sequence[ParsedRow],
        keys: Sequence[Keyed],
        current: dict[int, dict[str, Any]],
        updates: list[tuple[ParsedRow, int, dict[str, Any]]],
        results: dict[int, RowResult],
    ) -> list[ParsedRow]:
        """Claim the keys of the records to create; a row whose key another writer took
        meanwhile updates (or skips) that writer's record instead. Returns what to create."""
        creates, raced = self._claim(creates, keys_by_line(good, keys))
        if raced:
            current.update(self._current(set(raced.values())))
            for line, record_id in raced.items():
                row = next(item for item in good if item.line == line)
                changes = self._changes(row, current.get(record_id, {}))
                if changes:
                    updates.append((row, record_id, changes))
                else:
                    results[row.line] = RowResult(row.line, Outcome.SKIP, record_id)
        return creates

    # --- lookups ---------------------------------------------------------------------

    def _lookup(self, rows: Sequence[ParsedRow]) -> tuple[dict[str, int], list[Keyed]]:
        if self.entity == "account":
            return self._lookup_accounts(rows)
        if self.strategy is None:
            return {}, [Keyed(None) for _ in rows]
        return self._match(self.strategy, [self._match_values(row) for row in rows])

    def _lookup_accounts(self, rows: Sequence[ParsedRow]) -> tuple[dict[str, int], list[Keyed]]:
        """Accounts match by web domain when the row has one, else by name."""
        keys: list[Keyed] = []
        for row in rows:
            values = self._derived(row.values, "account")
            domain = values.get("domain")
            name = values.get("name")
            if domain:
                keys.append(Keyed(f"domain:{domain}"))
            elif name:
                keys.append(Keyed(f"name:{' '.join(str(name).split()).casefold()}"))
            else:
                keys.append(Keyed(None))
        domains = sorted({k.key[7:] for k in keys if k.key and k.key.startswith("domain:")})
        names = sorted({k.key[5:] for k in keys if k.key and k.key.startswith("name:")})
        found = self._accounts_by(domains, names)
        return found, keys

    def _already_imported(
        self, found: Mapping[str, int], keys: Sequence[Keyed], rows: Sequence[ParsedRow]
    ) -> dict[str, int]:
        """key -> line of an earlier chunk's row of this import that wrote the record."""
        if self.dry:
            # 16 hex digits of each key (64 bits) keep a million rows' keys small.
            earlier = {
                keyed.key: self.seen[keyed.key[:16]]
                for keyed in keys
                if keyed.key is not None and keyed.key[:16] in self.seen
            }
            for row, keyed in zip(rows, keys, strict=True):
                if keyed.key is not None:
                    self.seen.setdefault(keyed.key[:16], row.line)
            return earlier
        ids = sorted(set(found.values()))
        if not ids:
            return {}
        # One statement for both forms: a row's record (an update, or an interaction's
        # creation) by its id, a chunk's created records by the spans that may hold one
        # of the ids (the import's earlier chunks, at most).
        rows_ = self.session.execute(
            select(
                _CHANGES.c.record_id, _CHANGES.c.line, _CHANGES.c.last_record_id, _CHANGES.c.after
            ).where(
                _CHANGES.c.import_id == self.plan.import_id,
                _CHANGES.c.entity == self.entity,
                or_(
                    and_(
                        _CHANGES.c.last_record_id.is_(None),
                        one_of(self.session, _CHANGES.c.record_id, ids),
                    ),
                    and_(
                        _CHANGES.c.record_id <= ids[-1],
                        _CHANGES.c.last_record_id >= ids[0],
                    ),
                ),
            )
        )
        wanted = set(ids)
        line_of: dict[int, int] = {}
        for record_id, line, last_record_id, after in rows_:
            if last_record_id is not None:
                pairs = created_lines(after["runs"])
                lines = {rid: pairs[rid] for rid in wanted.intersection(pairs)}
            else:
                lines = {int(record_id): int(line)}
            for rid, earliest in lines.items():
                line_of[rid] = min(earliest, line_of.get(rid, earliest))
        return {key: line_of[rid] for key, rid in found.items() if rid in line_of}

    def _columns(self) -> list[str]:
        names = [
            name
            for name in self.plan.fields
            if name in self.table.c and not self.registry.field(self.entity, name).custom
        ]
        extra = ["custom"]
        if self.entity == "lead":
            extra += ["parent_contact_id", "parent_account_id", "email"]
        if self.entity == "contact":
            extra += ["account_id"]
        return sorted(set(names + extra))

    def _current(self, ids: set[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        columns = self._columns()
        query = select(self.table.c.id, *(self.table.c[name] for name in columns)).where(
            one_of(self.session, self.table.c.id, sorted(ids))
        )
        return {
            int(row[0]): dict(zip(columns, row[1:], strict=True))
            for row in self.session.execute(query)
        }

    def _changes(self, row: ParsedRow, current: Mapping[str, Any]) -> dict[str, Any]:
        values = self._derived(row.values, self.entity)
        incoming = {name: values[name] for name in row.values}
        changes = decide_changes(current, incoming, self.plan.modes)
        for name in _IDENTITY & set(changes):
            # The value the record was matched by, written otherwise ("ANN@x.com",
            # "fabrikam  inc"): not a change worth an update.
            if _same_text(changes[name], current.get(name)):
                del changes[name]
        custom_now = current.get("custom") or {}
        custom_changes = decide_changes(custom_now, row.custom, self.plan.modes)
        for name in custom_changes:
            changes[name] = custom_changes[name]
        return changes

    # --- racing writers ----------------------------------------------------------------

    def _claim(
        self, creates: list[ParsedRow], key_of: Mapping[int, str | None]
    ) -> tuple[list[ParsedRow], dict[int, int]]:
        """Claim the creates' keys; rows whose key another writer won (a form
        submission racing the import) match its record on a second lookup."""
        if self.strategy is None or not self.claimable or self.entity == "account":
            return creates, {}
        # Ids are taken first so each key is claimed already pointing at its record.
        taken = next_ids(self.session, self.table, len(creates))
        self.reserved = {row.line: record_id for row, record_id in zip(creates, taken, strict=True)}
        records = {key: self.reserved[row.line] for row in creates if (key := key_of.get(row.line))}
        claimed = batch.claim_keys_for_bulk(self.session, self.strategy.id, records)
        lost = [row for row in creates if key_of.get(row.line) and key_of[row.line] not in claimed]
        if not lost:
            return creates, {}
        found, again = self._match(self.strategy, [self._match_values(row) for row in lost])
        raced = {
            row.line: found[keyed.key]
            for row, keyed in zip(lost, again, strict=True)
            if keyed.key in found
        }
        return [row for row in creates if row.line not in raced], raced


# Fields records are matched by, compared ignoring case and spacing.
_IDENTITY = frozenset({"email", "name", "domain"})


def _same_text(left: Any, right: Any) -> bool:
    if not isinstance(left, str) or not isinstance(right, str):
        return False
    return " ".join(left.split()).casefold() == " ".join(right.split()).casefold()


__all__ = ["ChunkReport", "Engine", "EngineBase", "Plan", "RowResult"]
