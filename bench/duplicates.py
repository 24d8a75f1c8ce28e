"""Duplicates at scale: the list read from the last check, against the check itself.

    .venv/bin/python bench/api_read.py --requests 5 --warmup 1   # builds 1M contacts, 2M leads
    .venv/bin/python bench/duplicates.py [--database-url URL] [--requests 20]

Runs on the data set `bench/api_read.py` built (SQLite under $TMPDIR/leadflow-bench/, or
`--database-url`): migrates it, seeds the shipped matching strategies, then per entity
times the **check** (every strategy's GROUP BY over the table and the write of its
pairs: what each load of the duplicates page and API cost before checks ran in the
background) and `--requests` **reads** of `GET /api/v1/duplicates/{entity}` through the
app (a real token): what a load costs now. Prints both, and the check over the read's
p50 (how many times faster a load got).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence

from fastapi.testclient import TestClient

# The data set and the admin token of the read benchmark (bench/ is the script's path).
from api_read import BENCH_DIR
from api_read import _token as admin_token
from leadflow.bootstrap import Container
from leadflow.config import Settings
from leadflow.db.migrate import upgrade
from leadflow.duplicates.tasks import run_check
from leadflow.web.app import create_app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", help="default: the SQLite file api_read.py built")
    parser.add_argument("--requests", type=int, default=20, help="timed reads per entity")
    args = parser.parse_args(argv)
    url = args.database_url or f"sqlite:///{BENCH_DIR / 'bench.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url, var_dir=BENCH_DIR, secret_key="bench", huey_immediate=True
    )
    container = Container(settings)
    try:
        container.seed_defaults()
        token = admin_token(container)
        with TestClient(create_app(container)) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            for entity in ("contact", "lead"):
                started = time.perf_counter()
                found = run_check(container, entity, forced=True)
                check = time.perf_counter() - started
                reads = []
                for _ in range(args.requests + 1):
                    started = time.perf_counter()
                    response = client.get(f"/api/v1/duplicates/{entity}")
                    reads.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.text
                reads = reads[1:]  # the first warms the route
                p50 = statistics.median(reads)
                print(
                    f"{entity}: check {check:.2f} s ({found} pairs); read p50 "
                    f"{p50 * 1000:.1f} ms, max {max(reads) * 1000:.1f} ms "
                    f"({len(response.json()['items'])} pairs); check / read {check / p50:.0f}x"
                )
    finally:
        container.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
