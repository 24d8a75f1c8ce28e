"""File import of leads against a raw bulk insert of the same rows, in the same run.

N lead rows (30% for contacts that already exist, 1% with a bad email) are
written to a CSV. The floor: the CSV read with the csv module and the rows
inserted into an empty table of the same database with multi-row INSERTs, one
transaction per 1,000 rows. The import: `leadflow.imports` end to end (the job
reading the file, mapping, matching leads and contacts by email, creating
marketing-only contacts for the other 70%, change and error records, events,
a commit per chunk with its cursor). Prints rows/s of both, the ratio
import / floor (goal >= 0.25), the time the relay then takes to hand the events
to scoring/process/automation (not part of the ratio), and the peak RSS.

    .venv/bin/python bench/import.py --rows 50000
    .venv/bin/python bench/import.py --rows 50000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Column, MetaData, String, Table, create_engine, insert
from sqlalchemy.engine import make_url

from leadflow.bootstrap import Container
from leadflow.config import Settings
from leadflow.contacts.models import Contact
from leadflow.db.migrate import upgrade
from leadflow.imports.services import do_create_import, do_start_import, get_import
from leadflow.jobs.runner import run_job
from leadflow.lib.clock import utcnow
from scratch import scratch_database

HEADER = ["Topic", "Email", "First name", "Last name", "Company"]


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-import-") as folder:
        var_dir = Path(folder)
        with scratch_database(args.database_url, var_dir) as url:
            upgrade(url)
            container = Container(Settings(database_url=url, var_dir=var_dir, secret_key="b"))
            try:
                container.seed_defaults()
                container.relay.drain()
                known = _existing_contacts(container, int(args.rows * 0.3))
                source = _write_csv(var_dir / "leads.csv", args.rows, known)
                floor, floor_cpu = _raw_insert(url, source)
                imported, import_cpu, counts = _import(container, source)
                drained = None if args.skip_relay else _drain(container)
            finally:
                container.close()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    dialect = make_url(url).get_backend_name()
    print(f"load average: {' '.join(f'{value:.1f}' for value in os.getloadavg())}")
    print(f"database: {dialect}; rows: {args.rows} (30% existing contacts, 1% bad)")
    print(f"floor  (csv + multi-row INSERT, empty table): {floor:8.2f} s "
          f"{args.rows / floor:10.0f} rows/s")  # fmt: skip
    print(f"import (match, link, orphan contacts, undo log): {imported:8.2f} s "
          f"{args.rows / imported:10.0f} rows/s")  # fmt: skip
    print(f"counts: {counts}")
    print(
        f"this process's CPU: floor {floor_cpu:.2f} s, import {import_cpu:.2f} s "
        f"(CPU ratio {floor_cpu / import_cpu:.2f}; less sensitive to the machine's load)"
    )
    ratio = floor / imported
    print(
        f"ratio import/floor: {ratio:.2f} (goal >= 0.25: {'met' if ratio >= 0.25 else 'NOT met'})"
    )
    if drained is not None:
        print(f"relay afterwards (scoring, process, automation): {drained:.2f} s")
    print(f"peak RSS: {peak_mib:.0f} MiB (goal < 1024: {'met' if peak_mib < 1024 else 'NOT met'})")
    return 0


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument(
        "--skip-relay", action="store_true", help="do not time the handlers of the events"
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server to run on (a fresh database is created there and dropped)",
    )
    return parser.parse_args(argv)


def _existing_contacts(container: Container, count: int) -> list[str]:
    """The contacts 30% of the rows belong to, inserted directly (not timed)."""
    emails = [f"known{index}@bench.example" for index in range(count)]
    now = utcnow()
    rows = [
        {
            "email": email,
            "email_normalized": email,
            "first_name": "Known",
            "marketing_only": False,
            "consent": "none",
            "do_not_email": False,
            "custom": {},
            "created_at": now,
            "updated_at": now,
        }
        for email in emails
    ]
    with container.engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            connection.execute(insert(Contact.__table__), rows[start : start + 5000])
    return emails


def _write_csv(path: Path, count: int, known: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for index in range(count):
            if index % 100 == 99:
                email = f"broken-{index}"
            elif index % 10 < 3 and known:
                email = known[(index // 10 * 3 + index % 10) % len(known)]
            else:
                email = f"new{index}@bench.example"
            writer.writerow([f"Topic {index % 50}", email, f"F{index}", f"L{index}", "Bench Ltd"])
    return path


def _raw_insert(url: str, source: Path) -> tuple[float, float]:
    engine = create_engine(url)
    table = Table(
        "bench_raw_leads",
        MetaData(),
        *(Column(name, String(320)) for name in ("topic", "email", "first", "last", "company")),
    )
    table.create(engine)
    names = ["topic", "email", "first", "last", "company"]
    started = time.perf_counter()
    cpu = time.process_time()
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        batch: list[dict[str, str]] = []
        for cells in reader:
            batch.append(dict(zip(names, cells, strict=True)))
            if len(batch) == 1000:
                with engine.begin() as connection:
                    connection.execute(insert(table), batch)
                batch = []
        if batch:
            with engine.begin() as connection:
                connection.execute(insert(table), batch)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    engine.dispose()
    return elapsed, cpu


def _import(container: Container, source: Path) -> tuple[float, float, dict[str, int]]:
    started = time.perf_counter()
    cpu = time.process_time()
    with container.uow() as uow, source.open("rb") as handle:
        import_id = do_create_import(
            "lead",
            source.name,
            handle,
            uow=uow,
            storage=source.parent / "imports",
        ).id
    with container.uow() as uow:
        job_id = do_start_import(import_id, uow=uow).id
    run_job(container, job_id)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    with container.read_session() as session:
        counts = dict(get_import(session, import_id).counts)
    return elapsed, cpu, counts


def _drain(container: Container) -> float:
    started = time.perf_counter()
    container.relay.drain()
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
