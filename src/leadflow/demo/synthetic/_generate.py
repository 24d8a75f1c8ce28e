"""The run: rows generated chunk by chunk and written by a second thread, table by table."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from leadflow.demo.synthetic._bulk import BulkWriter, open_writer
from leadflow.demo.synthetic._rows import Population, Synth
from leadflow.demo.synthetic._shapes import (
    ACCOUNT_COLUMNS,
    CONTACT_COLUMNS,
    INTERACTION_COLUMNS,
    LEAD_COLUMNS,
    Row,
)
from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.lib.clock import as_utc, utcnow
from leadflow.users.domain import Role

Progress = Callable[[str, int, int], None]
# (chunk, chunks, first index, end index) -> rows
Make = Callable[[int, int, int, int], list[Row]]

# Lead owners are drawn from the users who work leads, when there are any.
_OWNER_ROLES = (Role.TELEMARKETER, Role.SALESPERSON, Role.SALES_MANAGER)


@dataclass(frozen=True)
class GenerateSpec:
    """How many rows of each kind; the same spec (with `now` fixed) gives the same rows."""

    contacts: int = 10_000
    accounts: int = 1_000
    leads: int = 20_000
    interactions: int = 100_000
    seed: int = 1
    # Dates are spread over the two years before `now` (default: the current time).
    now: datetime | None = None
    chunk_size: int = 50_000

    def check(self) -> None:
        for name in ("contacts", "accounts", "leads", "interactions"):
            if getattr(self, name) < 0:
                raise ValidationFailed(
                    f"{name} cannot be negative", field=name, code=ErrorCode.OUT_OF_RANGE
                )
        if self.chunk_size < 1:
            raise ValidationFailed(
                "chunk_size must be at least 1", field="chunk_size", code=ErrorCode.OUT_OF_RANGE
            )
        if self.interactions and not self.contacts:
            raise ValidationFailed(
                "interactions belong to contacts: generate some contacts too",
                field="contacts",
                code=ErrorCode.REQUIRED,
            )


def generate_dataset(
    engine: Engine, spec: GenerateSpec, progress: Progress | None = None
) -> dict[str, int]:
    """Write the rows of `spec`; returns rows written per table (accounts first)."""
    spec.check()
    now = as_utc(spec.now) if spec.now is not None else utcnow()
    counts = {
        "accounts": spec.accounts,
        "contacts": spec.contacts,
        "leads": spec.leads,
        "interactions": spec.interactions,
    }
    writer = open_writer(engine)
    try:
        first_ids = {table: writer.max_id(table) + 1 for table in counts}
        population = Population(
            first_account_id=first_ids["accounts"],
            first_contact_id=first_ids["contacts"],
            first_lead_id=first_ids["leads"],
            first_interaction_id=first_ids["interactions"],
        )
        roles = ", ".join(f"'{role.value}'" for role in _OWNER_ROLES)
        owners = writer.ids(f"SELECT id FROM users WHERE role IN ({roles}) ORDER BY id")
        synth = Synth(
            seed=spec.seed,
            now=now,
            suffix=writer.time_suffix,
            counts=counts,
            population=population,
            owners=owners,
        )
        plan: tuple[tuple[str, Sequence[str], Make], ...] = (
            ("accounts", ACCOUNT_COLUMNS, lambda _c, _n, lo, hi: synth.accounts(lo, hi)),
            ("contacts", CONTACT_COLUMNS, lambda _c, _n, lo, hi: synth.contacts(lo, hi)),
            ("leads", LEAD_COLUMNS, lambda _c, _n, lo, hi: synth.leads(lo, hi)),
            ("interactions", INTERACTION_COLUMNS, synth.interactions),
        )
        for table, columns, make in plan:
            _load(
                writer,
                table,
                columns,
                counts[table],
                empty=first_ids[table] == 1,
                size=spec.chunk_size,
                make=make,
                progress=progress,
            )
        writer.finish([table for table, count in counts.items() if count])
    finally:
        writer.close()
    return counts


def _load(
    writer: BulkWriter,
    table: str,
    columns: Sequence[str],
    total: int,
    *,
    empty: bool,
    size: int,
    make: Make,
    progress: Progress | None,
) -> None:
    """Generate chunks here while a second thread writes the previous ones.

    The database drivers let go of the GIL while the database works, so on two
    cores generating and writing overlap. `progress` is called from that thread.
    """
    if not total:
        return
    chunks = -(-total // size)
    if progress is not None:
        progress(table, 0, total)
    pending: queue.Queue[list[Row] | None] = queue.Queue(maxsize=2)
    failures: list[BaseException] = []

    def write_all() -> None:
        written = 0
        while (rows := pending.get()) is not None:
            if failures:
                continue
            try:
                writer.write(table, columns, rows)
            except BaseException as exc:
                failures.append(exc)
                continue
            written += len(rows)
            if progress is not None:
                progress(table, written, total)

    deferred = writer.drop_indexes(table) if empty else []
    try:
        thread = threading.Thread(target=write_all, name=f"generate-{table}", daemon=True)
        thread.start()
        try:
            for chunk in range(chunks):
                if failures:
                    break
                lo, hi = chunk * total // chunks, (chunk + 1) * total // chunks
                pending.put(make(chunk, chunks, lo, hi))
        finally:
            pending.put(None)
            thread.join()
    finally:
        writer.create_indexes(deferred)
    if failures:
        raise failures[0]
