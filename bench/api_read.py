"""Read benchmark: lead lists and searches through the API, against the same SQL alone.

    .venv/bin/python bench/api_read.py [--database-url URL] [--reuse] [--contacts N ...]

Builds (or, with --reuse, reuses) a generated data set, 1M contacts / 100k
accounts / 2M leads / 10M interactions by default, then times at least 200
requests of each scenario through the app in this process (FastAPI's
TestClient, a real Bearer token), and runs the very statement each request
runs as raw SQL on the same engine (the floor). It prints p50/p99 of both,
the ratio API p99 / SQL p99, and whether the API's p99 is under 50 ms.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, Select, func, select
from sqlalchemy.engine import make_url

from leadflow.bootstrap import Container
from leadflow.config import Settings
from leadflow.db.migrate import upgrade
from leadflow.demo.synthetic import GenerateSpec, generate_dataset
from leadflow.errors import Conflict
from leadflow.leads.models import Lead
from leadflow.lib.heap import freeze_startup_objects
from leadflow.records.listing import build_select, encode_cursor, parse_list_params
from leadflow.users.services import create_token, create_user
from leadflow.web.app import create_app

BUDGET_MS = 50.0
BENCH_DIR = Path(tempfile.gettempdir()) / "leadflow-bench"
LIST = [("status", "open"), ("sort", "-created_at"), ("limit", "50")]
PAGES_PER_CHAIN = 5  # a page picked at random, then four `next_cursor` pages


@dataclass
class Scenario:
    name: str
    requests: list[list[tuple[str, str]]] = field(default_factory=list)
    follow_cursor: bool = False
    api_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    rows: int = 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    url = args.database_url or f"sqlite:///{BENCH_DIR / 'bench.db'}"
    spec = GenerateSpec(
        contacts=args.contacts,
        accounts=args.accounts,
        leads=args.leads,
        interactions=args.interactions,
        seed=args.seed,
    )
    if not args.reuse and not args.database_url:
        shutil.rmtree(BENCH_DIR, ignore_errors=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    upgrade(url)
    settings = Settings(
        database_url=url, var_dir=BENCH_DIR, secret_key="bench", huey_immediate=True
    )
    container = Container(settings)
    try:
        leads = _lead_count(container)
        if args.reuse:
            if not leads:
                print("--reuse: the database holds no leads; run without --reuse first")
                return 2
        else:
            if leads:
                print(f"{_safe(url)} already holds data: use --reuse, or an empty database")
                return 2
            _generate(container.engine, spec)
            gc.collect()  # not in the middle of the timings
        token = _token(container)
        scenarios = _scenarios(container, args.requests, random.Random(args.seed))
        with TestClient(create_app(container)) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            # As `leadflow serve` does once started: the app's objects out of the
            # collector's full passes, which otherwise stall a request now and then.
            freeze_startup_objects()
            for scenario in scenarios:
                started = time.perf_counter()
                _run(client, container, scenario, warmup=args.warmup)
                elapsed = time.perf_counter() - started
                print(f"  {scenario.name}: {elapsed:.0f} s", file=sys.stderr)
        _report(container, url, scenarios)
        if args.explain:
            _explain(container, scenarios)
    finally:
        container.close()
    return 0


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: SQLite under the temp directory")
    parser.add_argument("--reuse", action="store_true", help="use the data already there")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=2_000_000)
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    return parser.parse_args(argv)


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _lead_count(container: Container) -> int:
    with container.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(Lead)) or 0)


def _generate(engine: Engine, spec: GenerateSpec) -> None:
    started = time.perf_counter()
    shown: dict[str, int] = {}

    def progress(table: str, done: int, total: int) -> None:
        step = max(1, total // 10)
        if done == total or done // step != shown.get(table, -1):
            shown[table] = done // step
            elapsed = time.perf_counter() - started
            print(f"  {table}: {done:,}/{total:,} ({elapsed:.0f} s)", file=sys.stderr)

    print(f"generating {spec}", file=sys.stderr)
    generate_dataset(engine, spec, progress=progress)
    print(f"generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _token(container: Container) -> str:
    with container.uow() as uow:
        try:
            user = create_user(
                email="bench@leadflow.example", name="Benchmark", role="admin", uow=uow
            )
            user_id = user.id
        except Conflict as exc:
            assert exc.existing_id is not None
            user_id = exc.existing_id
        _, token = create_token(user_id, name="bench", uow=uow)
        uow.commit()
    return token


def _scenarios(container: Container, requests: int, rng: random.Random) -> list[Scenario]:
    people = _sample_people(container, requests, rng)
    lists = Scenario("leads: status=open, sort=-created_at, 50/page", follow_cursor=True)
    now = datetime.now(UTC)
    for _ in range(math.ceil(requests / PAGES_PER_CHAIN)):
        # Start each chain somewhere in the two years, as a user deep in the list would.
        start = now - timedelta(seconds=rng.uniform(0, 730 * 86_400))
        lists.requests.append([*LIST, ("cursor", encode_cursor(start, 2**62))])
    by_email = Scenario("leads: q=<email>")
    by_last = Scenario("leads: q=<last name>")
    by_full = Scenario("leads: q=<first last>")
    for email, first, last in people:
        by_email.requests.append([("q", email), ("limit", "50")])
        by_last.requests.append([("q", last), ("limit", "50")])
        by_full.requests.append([("q", f"{first} {last}"), ("limit", "50")])
    return [lists, by_email, by_last, by_full]


def _sample_people(
    container: Container, count: int, rng: random.Random
) -> list[tuple[str, str, str]]:
    """Emails and names of random leads: common names come up as often as they are common."""
    with container.read_session() as session:
        top = int(session.scalar(select(func.max(Lead.id))) or 0)
        found: list[tuple[str, str, str]] = []
        while len(found) < count:
            ids = [rng.randint(1, top) for _ in range(count * 2)]
            rows = session.execute(
                select(Lead.id, Lead.email, Lead.first_name, Lead.last_name)
                .where(Lead.id.in_(ids), Lead.email.is_not(None), Lead.last_name.is_not(None))
                .order_by(Lead.id)
            ).all()
            found.extend((row.email, row.first_name, row.last_name) for row in rows)
    rng.shuffle(found)
    return found[:count]


def _statement(container: Container, params: list[tuple[str, str]]) -> Select[Any]:
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
    return build_select(parse_list_params(registry, "lead", params))


def _driver_sql(statement: Select[Any], engine: Engine) -> tuple[str, Any]:
    """The SQL text and driver parameters SQLAlchemy would send for `statement`."""
    dialect = engine.dialect
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    values = compiled.construct_params()
    processed: dict[str, Any] = {}
    for name, value in values.items():
        processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        processed[name] = processor(value) if processor is not None else value
    if compiled.positional:
        return compiled.string, tuple(processed[name] for name in compiled.positiontup or ())
    return compiled.string, processed


@dataclass(frozen=True)
class Timing:
    api_ms: float
    sql_ms: float
    items: int
    next_cursor: str | None


def _run(client: TestClient, container: Container, scenario: Scenario, *, warmup: int) -> None:
    engine = container.read_engine
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()

        def measure(params: list[tuple[str, str]]) -> Timing:
            started = time.perf_counter()
            response = client.get("/api/v1/leads", params=tuple(params))
            api = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{scenario.name}: HTTP {response.status_code} {response.text}")
            body = response.json()
            sql, values = _driver_sql(_statement(container, params), engine)
            started = time.perf_counter()
            cursor.execute(sql, values)
            rows = cursor.fetchall()
            floor = time.perf_counter() - started
            raw.rollback()
            if len(rows) != len(body["items"]) + (1 if body["next_cursor"] else 0):
                raise SystemExit(f"{scenario.name}: API and SQL disagree on {params}")
            return Timing(api * 1000, floor * 1000, len(body["items"]), body["next_cursor"])

        _walk(scenario, measure, limit=warmup)
        for timing in _walk(scenario, measure):
            scenario.api_ms.append(timing.api_ms)
            scenario.sql_ms.append(timing.sql_ms)
            scenario.rows += timing.items
    finally:
        raw.close()


def _walk(
    scenario: Scenario,
    measure: Callable[[list[tuple[str, str]]], Timing],
    *,
    limit: int | None = None,
) -> list[Timing]:
    """Every request of the scenario in order; list chains follow `next_cursor`."""
    timings: list[Timing] = []
    for first in scenario.requests:
        params = first
        for _ in range(PAGES_PER_CHAIN if scenario.follow_cursor else 1):
            if limit is not None and len(timings) >= limit:
                return timings
            timing = measure(params)
            timings.append(timing)
            if timing.next_cursor is None:
                break
            params = [
                *(item for item in params if item[0] != "cursor"),
                ("cursor", timing.next_cursor),
            ]
    return timings


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _report(container: Container, url: str, scenarios: list[Scenario]) -> None:
    with container.read_session() as session:
        leads = session.scalar(select(func.count()).select_from(Lead)) or 0
    print()
    print(f"database: {_safe(url)} ({container.engine.dialect.name}), {leads:,} leads")
    header = (
        f"{'scenario':<48} {'n':>4} {'rows':>5} {'API p50':>8} {'API p99':>8} "
        f"{'SQL p50':>8} {'SQL p99':>8} {'p99 ratio':>9}  p99 < 50 ms"
    )
    print(header)
    print("-" * len(header))
    failed = []
    for scenario in scenarios:
        api_p99 = _percentile(scenario.api_ms, 0.99)
        sql_p99 = _percentile(scenario.sql_ms, 0.99)
        verdict = "yes" if api_p99 < BUDGET_MS else "NO"
        if api_p99 >= BUDGET_MS:
            failed.append(scenario.name)
        count = len(scenario.api_ms)
        print(
            f"{scenario.name:<48} {count:>4} {scenario.rows // max(1, count):>5} "
            f"{statistics.median(scenario.api_ms):>8.2f} {api_p99:>8.2f} "
            f"{statistics.median(scenario.sql_ms):>8.2f} {sql_p99:>8.2f} "
            f"{api_p99 / sql_p99:>8.1f}x  {verdict}"
        )
    print("(milliseconds; rows = average items per page)")
    if failed:
        print(f"p99 >= {BUDGET_MS:.0f} ms in: {', '.join(failed)}")
    else:
        print(f"every scenario's API p99 is under {BUDGET_MS:.0f} ms")


def _explain(container: Container, scenarios: list[Scenario]) -> None:
    engine = container.read_engine
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for scenario in scenarios:
            sql, values = _driver_sql(_statement(container, scenario.requests[0]), engine)
            print(f"\n{scenario.name}\n{sql}\n{values}")
            cursor.execute(prefix + sql, values)
            for row in cursor.fetchall():
                print("   ", " | ".join(str(part) for part in row))
            raw.rollback()
    finally:
        raw.close()


if __name__ == "__main__":
    sys.exit(main())
