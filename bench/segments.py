"""Segments benchmark: the full build against hand-written SQL, and the incremental lag.

    .venv/bin/python bench/segments.py [--contacts 20000] [--postgres | --database-url URL]
        [--reuse] [--drop] [--build-only]

On PostgreSQL the bench works in a database of its own (`bench_segments` with
`--postgres`, or the one `--database-url` names, which must have "bench" in its name):
it creates it, and recreates it unless `--reuse`; it refuses the `postgres` and `test`
databases and any other it does not own. `--drop` removes the bench's data (the
PostgreSQL database or the SQLite directory) at the end of the run.

The data set is the generator's (`leadflow generate`): N contacts, 2N leads, 10N
interactions, N/10 accounts (the issue's size is N = 1M).

1. Full build. The seed's example (contacts with a lead whose topic is "Contoso Ltd
   Conference", narrowed to decision makers) and a behaviour segment (clicked an email
   at least twice in the last 30 days) are compiled by `compile_segment`; each compiled
   statement and a hand-written SQL statement returning the same contacts run
   `--repeat` times, alternating, and the best of each is compared (ratio compiled /
   hand-written); a tree that compiles to id sets also runs in the shape that filters
   contacts (`id_sets=False`), its ratio printed beside. The run stops unless all
   return the same contacts. The whole build job (go live: evaluate, write every
   stay, publish the events) is timed too. `--build-only` stops here.
2. Incremental lag. `--segments` live segments (variants of the two above and of
   contact fields) are built; the relay thread a server runs is started, and
   `--writers` threads commit `--rate` changes per second between them for
   `--seconds` (half contact updates of role and city, half email clicks, through the
   services), in the relay's process as requests are in a server's, or spread over
   `--writer-processes` processes of their own (the relay then looks for new events
   every 50 ms, as commits in other processes cannot wake it). The rate reached is
   printed: a sender that falls behind stops at 1.5 times `--seconds`. The lag of a change
   runs from its outbox row's creation (in the change's own transaction) to the
   moment the relay marked it handled, which is after every handler, the segments'
   one included, committed: the membership rows and their events are written by then.
3. Re-check. The scheduled re-check of the live segments with moving windows
   (`recheck_segments`) is timed once, as it runs a day after the last one (its `now`
   a day ahead): the contacts whose clicks a window's edge passed over in that day.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url

from leadflow.bootstrap import Container, install
from leadflow.config import Settings
from leadflow.contacts.services import update_contact
from leadflow.db.migrate import upgrade
from leadflow.demo.synthetic import GenerateSpec, generate_dataset
from leadflow.interactions.services import record_interactions
from leadflow.jobs.runner import run_job
from leadflow.lib.clock import utcnow
from leadflow.outbox import OutboxMessage
from leadflow.segments.compiler import compile_segment, is_id_set
from leadflow.segments.domain import validate_tree
from leadflow.segments.models import Segment
from leadflow.segments.services import (
    create_segment,
    delete_segment,
    go_live,
    recheck_segments,
    stop_segment,
)

BENCH_DIR = Path(tempfile.gettempdir()) / "leadflow-bench-segments"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_segments"
# Databases the bench never writes into, whatever the URL says.
NOT_OURS = frozenset({"postgres", "test", "template0", "template1"})


def _group(*children: dict[str, Any], op: str = "and") -> dict[str, Any]:
    return {"type": "group", "op": op, "children": list(children)}


def _row(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"type": "field", "field": field, "op": op, "value": value}


def _leads(*children: dict[str, Any]) -> dict[str, Any]:
    return {"type": "related", "relationship": "lead_parent_contact", "where": _group(*children)}


def _clicks(times: int, days: int) -> dict[str, Any]:
    return {
        "type": "behaviour",
        "kind": "email_clicked",
        "count": "at_least",
        "min": times,
        "window_days": days,
    }


SEED_EXAMPLE = _group(
    _leads(_row("topic", "eq", "Contoso Ltd Conference")), _row("role", "eq", "decision_maker")
)
BEHAVIOUR = _group(_clicks(2, 30))

SEED_SQL = """
SELECT DISTINCT c.id FROM contacts c JOIN leads l ON l.parent_contact_id = c.id
WHERE l.topic = 'Contoso Ltd Conference' AND c.role = 'decision_maker'
"""
BEHAVIOUR_SQL = """
SELECT contact_id FROM interactions
WHERE kind = 'email_clicked' AND occurred_at >= :cutoff
GROUP BY contact_id HAVING count(*) >= 2
"""

ROLES = ["decision_maker", "influencer", "employee", "other"]
CITIES = ["London", "Paris", "Berlin", "Madrid", "Rome", "Lisbon"]


def _variants(count: int, *, overlapping: bool = False) -> list[dict[str, Any]]:
    """`count` segment trees: the two above, then variants over fields, leads, clicks.

    Each shape (role and city; clicks and a role; a lead, a city and a role; a city
    or clicks) takes its role and city from the segment's rank within the shape, so
    the segments are 99 definitions. `overlapping` is the earlier set, which took them
    from the index the shape is chosen by: every "role and city" segment asked for
    decision makers in one of 3 cities (38 definitions in all). Both move many
    memberships a change (measured: distinct 7 to 14, overlapping 10 to 16): each
    segment holds a large share of the contacts, and a new click or city enters or
    leaves most "city or clicks" ones.
    """
    trees = [SEED_EXAMPLE, BEHAVIOUR]
    index = 0
    while len(trees) < count:
        rank = index if overlapping else index // 4
        role = ROLES[rank % len(ROLES)]
        city = CITIES[(rank if overlapping else rank // len(ROLES)) % len(CITIES)]
        shape = index % 4
        if shape == 0:
            trees.append(_group(_row("role", "eq", role), _row("city", "eq", city)))
        elif shape == 1:
            trees.append(_group(_clicks(1 + rank % 3, 7 + index % 60), _row("role", "eq", role)))
        elif shape == 2 and overlapping:
            trees.append(_group(_leads(_row("source", "eq", "event")), _row("city", "eq", city)))
        elif shape == 2:
            trees.append(
                _group(
                    _leads(_row("source", "eq", "event")),
                    _row("city", "eq", city),
                    _row("role", "eq", role),
                )
            )
        else:
            trees.append(_group(_row("city", "eq", city), _clicks(1, 14 + index % 30), op="or"))
        index += 1
    return trees[:count]


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load {one:.1f} / {five:.1f}"


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    url = args.database_url or (POSTGRES_URL if args.postgres else "")
    if url:
        _own_database(url, fresh=not args.reuse)
    else:
        url = f"sqlite:///{BENCH_DIR / 'bench.db'}"
        if not args.reuse:
            shutil.rmtree(BENCH_DIR, ignore_errors=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    try:
        return _run(url, args)
    finally:
        if args.drop:
            _drop(url)


def _bench_database(url: str) -> str:
    """The name of the PostgreSQL database the bench owns in `url`; refuses any other."""
    name = make_url(url).database or ""
    if name in NOT_OURS or "bench" not in name:
        raise SystemExit(
            f"refusing to write into the database {name!r}: the bench uses a database of "
            f"its own, with 'bench' in its name (--postgres: bench_segments)"
        )
    return name


def _maintenance(url: str) -> Any:
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _own_database(url: str, *, fresh: bool) -> None:
    """Create the bench's PostgreSQL database (again when `fresh`)."""
    if make_url(url).get_backend_name() != "postgresql":
        raise SystemExit("--database-url: PostgreSQL only (SQLite is the default)")
    name = _bench_database(url)
    engine = _maintenance(url)
    try:
        with engine.connect() as connection:
            there = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if there and fresh:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            if not there or fresh:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def _drop(url: str) -> None:
    if url.startswith("sqlite"):
        shutil.rmtree(BENCH_DIR, ignore_errors=True)
        print(f"removed {BENCH_DIR}")
        return
    name = _bench_database(url)
    engine = _maintenance(url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()
    print(f"dropped the database {name}")


def _run(url: str, args: argparse.Namespace) -> int:
    upgrade(url)
    # Changes from writer processes cannot wake this process's relay as a server's own
    # requests wake its relay: it looks every 50 ms instead.
    poll = 0.05 if args.writer_processes else 1.0
    container = Container(
        Settings(database_url=url, var_dir=BENCH_DIR, secret_key="bench", relay_poll_seconds=poll)
    )
    install(container)
    try:
        container.seed_defaults()
        if not args.reuse:
            _generate(container, args.contacts, args.seed)
        with container.read_session() as session:
            contacts = int(session.scalar(text("SELECT count(*) FROM contacts")) or 0)
        print(f"database: {container.engine.dialect.name}, contacts: {contacts:,}; {_load()}")
        if args.lag_only:
            _lag(container, args)
            return 0
        _clear_segments(container)
        for name, tree, sql in (
            ("seed example", SEED_EXAMPLE, SEED_SQL),
            ("behaviour (2+ clicks, 30 days)", BEHAVIOUR, BEHAVIOUR_SQL),
        ):
            _compare(container, name, tree, sql, args.repeat)
        _timed_build(container, "seed example", SEED_EXAMPLE)
        _timed_build(container, "behaviour", BEHAVIOUR)
        if not args.build_only:
            _lag(container, args)
    finally:
        install(None)
        container.close()
    return 0


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database of the bench's own (default: SQLite under the temp directory)",
    )
    parser.add_argument("--postgres", action="store_true", help=f"the same as {POSTGRES_URL}")
    parser.add_argument("--reuse", action="store_true", help="use the data already there")
    parser.add_argument("--drop", action="store_true", help="remove the bench's data at the end")
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="only the full builds (queries against SQL, build jobs): no lag, no re-check",
    )
    parser.add_argument("--contacts", type=int, default=20_000, help="the issue's size: 1000000")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each statement")
    parser.add_argument("--segments", type=int, default=100, help="live segments under load")
    parser.add_argument("--rate", type=float, default=200.0, help="changes per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long changes go on")
    parser.add_argument("--writers", type=int, default=8, help="threads committing changes")
    parser.add_argument(
        "--writer-processes",
        type=int,
        default=0,
        help="processes the writer threads run in (0: in this one, beside the relay)",
    )
    parser.add_argument("--drain-seconds", type=float, default=60.0, help="for the builds' events")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--overlapping",
        action="store_true",
        help="the earlier live segments: 38 definitions for 100 (distinct: 99)",
    )
    parser.add_argument(
        "--lag-only",
        action="store_true",
        help="with --reuse: only the lag and re-check, on the last run's live segments if kept",
    )
    return parser.parse_args(argv)


def _generate(container: Container, contacts: int, seed: int) -> None:
    spec = GenerateSpec(
        contacts=contacts,
        accounts=max(1, contacts // 10),
        leads=contacts * 2,
        interactions=contacts * 10,
        seed=seed,
    )
    started = time.perf_counter()
    print(f"generating {spec}", file=sys.stderr)
    generate_dataset(container.engine, spec)
    print(f"generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _clear_segments(container: Container) -> None:
    with container.uow() as uow:
        for segment in list(uow.session.scalars(select(Segment).order_by(Segment.id.desc()))):
            if segment.status == "live":
                stop_segment(segment.id, uow=uow)
            delete_segment(segment.id, uow=uow)
        uow.commit()


def _compare(container: Container, name: str, tree: dict[str, Any], sql: str, repeat: int) -> None:
    """The compiled statement against the hand-written SQL, and the shape that filters
    contacts (`id_sets=False`, what a tree of id sets compiled to before) beside them."""
    registry = container.registry()
    parsed = validate_tree(tree, registry)
    statement, cutoffs = compile_segment(parsed, registry, with_block=False)
    filtering, filtering_cutoffs = compile_segment(
        parsed, registry, with_block=False, id_sets=False
    )
    now = utcnow()
    runs: dict[str, tuple[Any, dict[str, Any]]] = {
        "compiled": (statement, cutoffs.values(now)),
        "hand-written": (text(sql), {"cutoff": now - timedelta(days=30)}),
    }
    if str(filtering) != str(statement):
        runs["contacts filter"] = (filtering, filtering_cutoffs.values(now))
    times: dict[str, list[float]] = {label: [] for label in runs}
    found: dict[str, set[int]] = {}
    for _ in range(repeat):
        for label, (query, params) in runs.items():
            with container.read_session() as session:
                started = time.perf_counter()
                found[label] = set(session.scalars(query, params))
                times[label].append(time.perf_counter() - started)
    floor = min(times["hand-written"])
    for label in runs:
        if found[label] != found["hand-written"]:
            raise SystemExit(
                f"{name}: the {label} statement found {len(found[label])} contacts, the "
                f"hand-written SQL {len(found['hand-written'])}"
            )
    shown = "; ".join(
        f"{label} best {min(took) * 1000:.1f} ms (median {statistics.median(took) * 1000:.1f})"
        for label, took in times.items()
    )
    ratios = ", ".join(
        f"{label} {min(times[label]) / floor:.2f}x" for label in runs if label != "hand-written"
    )
    shape = "id sets" if is_id_set(parsed) else "contacts filtered"
    print(
        f"full build query, {name} ({shape}): {len(found['compiled']):,} contacts; {shown}; "
        f"ratio to hand-written: {ratios}; {_load()}"
    )


def _go_live(container: Container, name: str, tree: dict[str, Any]) -> tuple[int, int | None]:
    with container.uow() as uow:
        segment = create_segment({"name": name, "definition": tree}, uow=uow)
        uow.commit()
        segment_id = segment.id
    with container.uow() as uow:
        _segment, job = go_live(segment_id, uow=uow)
        uow.commit()
        return segment_id, job.id if job is not None else None


def _timed_build(container: Container, name: str, tree: dict[str, Any]) -> None:
    segment_id, job_id = _go_live(container, f"bench: {name}", tree)
    assert job_id is not None
    started = time.perf_counter()
    run_job(container, job_id)
    elapsed = time.perf_counter() - started
    with container.read_session() as session:
        members = session.scalar(
            text(
                "SELECT count(*) FROM segment_memberships WHERE segment_id = :s AND left_at IS NULL"
            ),
            {"s": segment_id},
        )
    print(
        f"build job (evaluate, write the stays and their events), {name}: {members:,} "
        f"members in {elapsed:.2f} s; {_load()}"
    )


def _write(
    container: Container, writer: int, contact_ids: list[int], start_at: float, args: Any
) -> tuple[list[float], float]:
    """One writer: its share of the changes, each in its own unit, at its pace (half
    contact updates of role and city, half email clicks); the commit times and when it
    sent its last."""
    rng = random.Random(args.seed * 1000 + writer)
    interval = args.writers / args.rate
    total = int(args.rate * args.seconds / args.writers)
    commit_times: list[float] = []
    pause = start_at - time.time()
    if pause > 0:
        time.sleep(pause)
    begin = time.perf_counter()
    for index in range(total):
        if time.perf_counter() - begin > args.seconds * 1.5:
            break  # fallen behind the rate: stop sending, measure what was sent
        due = begin + index * interval + writer * interval / args.writers
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        contact_id = rng.choice(contact_ids)
        before = time.perf_counter()
        with container.uow() as uow:
            if index % 2:
                update_contact(
                    contact_id,
                    {"role": rng.choice(ROLES), "city": rng.choice(CITIES)},
                    uow=uow,
                )
            else:
                record_interactions(
                    [
                        {
                            "contact_id": contact_id,
                            "kind": "email_clicked",
                            "occurred_at": utcnow().isoformat(),
                        }
                    ],
                    uow=uow,
                )
            uow.commit()
        commit_times.append(time.perf_counter() - before)
    return commit_times, time.time()


def _write_threads(
    container: Container, writers: Sequence[int], contact_ids: list[int], start_at: float, args: Any
) -> list[tuple[list[float], float]]:
    results: list[tuple[list[float], float]] = [([], start_at)] * len(writers)

    def run(position: int, writer: int) -> None:
        results[position] = _write(container, writer, contact_ids, start_at, args)

    threads = [
        threading.Thread(target=run, args=(position, writer))
        for position, writer in enumerate(writers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _writer_process(
    url: str, writers: Sequence[int], contact_ids: list[int], start_at: float, args: Any
) -> list[tuple[list[float], float]]:
    """A server process of its own taking changes (PostgreSQL): its writer threads."""
    container = Container(
        Settings(database_url=url, var_dir=BENCH_DIR / f"writer{writers[0]}", secret_key="bench")
    )
    try:
        return _write_threads(container, writers, contact_ids, start_at, args)
    finally:
        container.close()


def _lag(container: Container, args: argparse.Namespace) -> None:
    prefix = "bench: load overlapping" if args.overlapping else "bench: load distinct"
    with container.read_session() as session:
        live = session.scalar(
            select(func.count()).where(Segment.status == "live", Segment.name.like(f"{prefix} %"))
        )
    if args.lag_only and live == args.segments:
        print(f"the {live} live segments of the last run kept")
    else:
        _clear_segments(container)
        started = time.perf_counter()
        for index, tree in enumerate(_variants(args.segments, overlapping=args.overlapping)):
            _segment_id, job_id = _go_live(container, f"{prefix} {index}", tree)
            if job_id is not None:
                run_job(container, job_id)
        print(
            f"{args.segments} live segments ({prefix.removeprefix('bench: load ')}) built in "
            f"{time.perf_counter() - started:.1f} s"
        )
    # The builds' own events (entries) are not what is measured: hand them to the relay,
    # for at most --drain-seconds; what is left is marked handled, unhandled.
    pending = container.relay.pending_count()
    started = time.perf_counter()
    handled = container.relay.drain(timeout=args.drain_seconds)
    print(
        f"their {pending:,} events: {handled:,} handled in "
        f"{time.perf_counter() - started:.1f} s; {_load()}"
    )
    left = container.relay.pending_count()
    if left:
        with container.uow() as uow:
            table = OutboxMessage.__table__
            uow.session.execute(
                update(table)
                .where(table.c.dispatched_at.is_(None))
                .values(dispatched_at=utcnow(), last_error="bench: skipped")
            )
            uow.commit()
        print(f"  {left:,} left unhandled (marked handled) after --drain-seconds")
    with container.read_session() as session:
        contact_ids = list(session.scalars(text("SELECT id FROM contacts")))
        first_outbox = int(session.scalar(select(func.max(OutboxMessage.id))) or 0)
    container.start_relay()
    processes = args.writer_processes
    start_at = time.time() + (5.0 if processes else 0.5)  # after the processes import
    if processes:
        # Writers beside the relay share its interpreter: when the relay handled a
        # thousand membership events a second they reached 22-25 changes a second on
        # PostgreSQL. In processes of their own they take the relay's CPU instead (on
        # 2 cores the lag's tail grew: measured 2.1 s p95 with 4, 0.8 s with threads).
        spawn = multiprocessing.get_context("spawn")
        with spawn.Pool(processes) as pool:
            parts = pool.starmap(
                _writer_process,
                [
                    (
                        container.settings.database_url,
                        list(range(n, args.writers, processes)),
                        contact_ids,
                        start_at,
                        args,
                    )
                    for n in range(processes)
                ],
            )
        per_writer = [each for part in parts for each in part]
    else:
        per_writer = _write_threads(container, range(args.writers), contact_ids, start_at, args)
    commit_times = [took for part, _finished in per_writer for took in part]
    sent = max(0.001, max(finished for _part, finished in per_writer) - start_at)
    deadline = time.monotonic() + 120
    while container.relay.pending_count() and time.monotonic() < deadline:
        time.sleep(0.2)
    container.relay.stop()
    with container.read_session() as session:
        rows = session.execute(
            select(OutboxMessage.created_at, OutboxMessage.dispatched_at).where(
                OutboxMessage.id > first_outbox,
                OutboxMessage.event_type.in_(["contact.updated", "interaction.recorded"]),
            )
        ).all()
        # One stored event per segment and batch names every contact that moved.
        moves = session.scalars(
            select(OutboxMessage.payload).where(
                OutboxMessage.id > first_outbox,
                OutboxMessage.event_type.in_(["segment.contacts_entered", "segment.contacts_left"]),
            )
        ).all()
        entered = sum(len(payload["contact_ids"]) for payload in moves)
    lags = sorted((done - created).total_seconds() for created, done in rows if done is not None)
    unhandled = sum(1 for _created, done in rows if done is None)
    if not lags:
        print("no change was handled")
        return
    p50 = lags[len(lags) // 2]
    p95 = lags[min(len(lags) - 1, int(len(lags) * 0.95))]
    commit_sorted = sorted(commit_times)
    commit_p95 = commit_sorted[min(len(commit_sorted) - 1, int(len(commit_sorted) * 0.95))]
    print(
        f"{len(commit_times)} changes sent at {len(commit_times) / sent:.0f}/s (asked "
        f"{args.rate:.0f}/s) over {sent:.1f} s to {args.segments} live "
        f"segments ({prefix.removeprefix('bench: load ')}): lag commit -> handled "
        f"(membership rows and events written) p50 "
        f"{p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {lags[-1] * 1000:.0f} ms "
        f"(goal p95 < 2 s: {'met' if p95 < 2 else 'NOT met'}); commit p95 "
        f"{commit_p95 * 1000:.0f} ms; {entered:,} entries and exits "
        f"({entered / len(commit_times):.1f} a change) in {len(moves):,} events; {unhandled} left "
        f"unhandled; {_load()}"
    )
    # A day passes: the sweep runs as it would a day after the last re-check.
    with container.uow() as uow:
        uow.session.execute(
            update(Segment).where(Segment.status == "live").values(rechecked_at=utcnow())
        )
        uow.commit()
    started = time.perf_counter()
    result = recheck_segments(container, only_time_relative=True, now=utcnow() + timedelta(days=1))
    print(
        f"re-check a day later of the {result['segments']} segments with moving windows: "
        f"{time.perf_counter() - started:.2f} s ({result['entered']} entered, "
        f"{result['left']} left); {_load()}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
