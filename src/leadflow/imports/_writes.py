"""A chunk's writes: new records with their match keys and change records, updates
grouped by the fields they change, events and error records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    bindparam,
    update,
)

from leadflow.db.uow import UnitOfWork
from leadflow.imports._base import EngineBase
from leadflow.imports._bulk import created_event, write_errors, write_events
from leadflow.imports._plan import RowResult
from leadflow.imports.domain import (
    ParsedRow,
    comparable,
)
from leadflow.lib.clock import utcnow
from leadflow.matching import batch


class WriteSteps(EngineBase):
    def _insert(self, creates: list[ParsedRow], key_of: Mapping[int, str | None]) -> list[int]:
        if not creates:
            return []
        now = utcnow()
        payload = []
        for row in creates:
            values = self._derived(row.values, self.entity)
            values["custom"] = dict(row.custom)
            values["created_at"] = now
            values["updated_at"] = now
            if self.entity == "lead":
                values.setdefault("source", "import")
                values["source"] = values["source"] or "import"
                values["status"] = "open"
                values["status_reason"] = values.get("status_reason") or "new"
                if values.get("sales_ready"):
                    values["sales_ready_at"] = now
                    values["sales_ready_source"] = "manual"
            if self.entity == "contact":
                values.setdefault("source", "import")
            payload.append(values)
        reserved = [self.reserved[row.line] for row in creates if row.line in self.reserved]
        claimed = len(reserved) == len(creates)
        ids = self._insert_rows(self.table, payload, reserved if claimed else None)
        if self.dry:
            return ids
        self.events.append(created_event(self.entity, ids))
        if self.strategy is not None and self.claimable and not claimed:
            pairs = {
                key: record_id
                for row, record_id in zip(creates, ids, strict=True)
                if (key := key_of.get(row.line))
            }
            batch.assign_keys_bulk(self.session, self.strategy.id, pairs)
        self._record_created(self.entity, [row.line for row in creates], ids)
        return ids

    def _update(
        self,
        updates: list[tuple[ParsedRow, int, dict[str, Any]]],
        current: Mapping[int, Mapping[str, Any]],
    ) -> None:
        if self.dry or not updates:
            return
        now = utcnow()
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        changes_rows: list[dict[str, Any]] = []
        for row, record_id, changes in updates:
            now_values = current[record_id]
            custom_now = dict(now_values.get("custom") or {})
            builtin = {
                name: value
                for name, value in changes.items()
                if name in self.table.c and name != "custom"
            }
            custom = {name: value for name, value in changes.items() if name not in builtin}
            before = {name: comparable(now_values.get(name)) for name in builtin}
            before.update({f"custom.{name}": custom_now.get(name) for name in custom})
            source = {name: row.values.get(name, value) for name, value in builtin.items()}
            written = self._derived(source, self.entity)
            if custom:
                written["custom"] = {**custom_now, **custom}
            after = {name: comparable(value) for name, value in builtin.items()}
            after.update({f"custom.{name}": value for name, value in custom.items()})
            written["updated_at"] = now
            key = tuple(sorted(written))
            groups.setdefault(key, []).append({"_id": record_id, **written})
            changes_rows.append(
                {
                    "line": row.line,
                    "entity": self.entity,
                    "record_id": record_id,
                    "before": before,
                    "after": after,
                }
            )
            self.events.append(self._updated_event(record_id, tuple(sorted(changes))))
        for names, params in groups.items():
            statement = (
                update(self.table)
                .where(self.table.c.id == bindparam("_id"))
                .values({name: bindparam(name) for name in names})
            )
            self.session.connection().execute(statement, params)
        self._record_changes(changes_rows, "updated")

    def store_events(self, uow: UnitOfWork) -> None:
        """The chunk's events straight into the outbox (see `write_events`)."""
        if not self.dry:
            write_events(self.session, uow, self.events)
        self.events = []

    def _write_errors(self, rows: Sequence[ParsedRow], results: Sequence[RowResult]) -> None:
        write_errors(self.session, self.plan.import_id, rows, results)
