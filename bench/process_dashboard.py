"""How long the hand-over dashboard takes: funnel, conversion, medians, overdue, per day.

    .venv/bin/python bench/process_dashboard.py --leads 3000
    .venv/bin/python bench/process_dashboard.py --database-url postgresql+psycopg://...

Builds the leads through the services (every one gets its process instance,
a share is moved along each path), then times `views.dashboard.dashboard`
`--repeat` times and prints p50 and max in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from leadflow.bootstrap import Container
from leadflow.config import Settings
from leadflow.dashboard.services import dashboard
from leadflow.db.migrate import upgrade
from leadflow.leads.services import create_lead, update_lead


def build(container: Container, leads: int) -> None:
    for index in range(leads):
        with container.uow() as uow:
            lead_id = create_lead({"last_name": f"Bench {index}"}, uow=uow).id
            uow.commit()
        changes: dict[str, object] = {}
        if index % 3 == 0:
            changes = {"telemarketing_ready": True, "telemarketing_accepted": index % 2 == 0}
        elif index % 3 == 1:
            changes = {"sales_ready": True}
        if changes:
            with container.uow() as uow:
                update_lead(lead_id, changes, uow=uow)
                uow.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="leadflow-bench-process-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    container = Container(
        Settings(database_url=url, var_dir=folder / "var", secret_key="bench", huey_immediate=True)
    )
    container.seed_defaults()
    started = time.perf_counter()
    build(container, args.leads)
    print(f"built {args.leads} leads in {time.perf_counter() - started:.1f} s")
    timings = []
    for _ in range(args.repeat):
        with container.read_session() as session:
            begin = time.perf_counter()
            figures = dashboard(session)
            timings.append((time.perf_counter() - begin) * 1000)
    print(f"dashboard p50 {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms")
    print({row["stage"]: row["now_in_stage"] for row in figures["funnel"]})
    container.close()


if __name__ == "__main__":
    main()
