"""Process benchmark: how fast the process handles first-score events (each moves a
lead from Inquiry to Automated marketing qualification).

    .venv/bin/python bench/process_moves.py [--leads 5000] [--database-url URL]

Creates the leads (their instances start on LeadCreated), then publishes one
LeadScored per lead in one commit and times `relay.drain()` with only the
process's own handlers subscribed, so the figure is the process's and not the
automation engine's or the sales queue's. The run stops unless every lead ended
in Automated marketing qualification.

Measured 2026-12-02, 5,000 leads, on 2 cores shared with other jobs (load about
5.5), so the figures are rough; "handlers" is the time inside the bus, the rest
of the drain is the relay's claiming and settling:

| 5,000 events | SQLite drain | handlers | PostgreSQL drain | handlers |
|---|---|---|---|---|
| before (react per lead) | 33.9 s, 147/s | 32.6 s, 153/s | 28.7 s, 174/s | 26.1 s, 192/s |
| after (set-based) | 2.7 s, 1,860/s | 1.6 s, 3,154/s | 4.8 s, 1,042/s | 2.6 s, 1,952/s |

Before: `services.react` per lead through the ORM; after: one set-based
`run_transitions` per batch of 500.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from leadflow.bootstrap import Container, install
from leadflow.bus import EVENT_TYPES
from leadflow.config import Settings
from leadflow.db.migrate import upgrade
from leadflow.leads.services import create_lead
from leadflow.process.models import ProcessInstance
from leadflow.scoring.events import LeadScored

MARKETING_QUALIFICATION = "automated_marketing_qualification"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=5000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="leadflow-bench-process-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    container = Container(
        Settings(database_url=url, var_dir=workdir, secret_key="bench", huey_immediate=True)
    )
    install(container)
    try:
        container.seed_defaults()
        container.relay.drain()
        started = time.perf_counter()
        with container.uow() as uow:
            ids = [
                create_lead({"last_name": f"Lead {i}", "company_name": "Bench"}, uow=uow).id
                for i in range(args.leads)
            ]
            uow.commit()
        container.relay.drain()
        print(
            f"{args.leads} leads created and their events handled in "
            f"{time.perf_counter() - started:.1f} s (every handler)"
        )

        # Only the process's handlers: the figure is the process's own.
        for name in [name for name in _names(container) if not name.startswith("process.")]:
            for event_type in EVENT_TYPES.values():
                container.bus.unsubscribe(event_type, name)
        with container.uow() as uow:
            uow.publish(*(LeadScored(lead_id=lead_id, model_id=1, score=10) for lead_id in ids))
            uow.commit()
        in_handlers = _time_handlers(container)
        started = time.perf_counter()
        container.relay.drain()
        elapsed = time.perf_counter() - started
        with container.read_session() as session:
            moved = session.scalar(
                select(func.count())
                .select_from(ProcessInstance)
                .where(ProcessInstance.stage == MARKETING_QUALIFICATION)
            )
        if moved != args.leads:
            raise SystemExit(f"only {moved} of {args.leads} leads moved")
        print(
            f"{args.leads} first-score events handled by the process in {elapsed:.2f} s: "
            f"{args.leads / elapsed:,.0f} leads/s (in the handlers {in_handlers[0]:.2f} s: "
            f"{args.leads / in_handlers[0]:,.0f} leads/s; the rest is the relay's)"
        )
    finally:
        install(None)
        container.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _time_handlers(container: Container) -> list[float]:
    """Seconds spent in the bus's handlers from now on (the relay's own work left out)."""
    spent = [0.0]
    handle_batch = container.bus.handle_batch

    def timed(deliveries: Any) -> Any:
        started = time.perf_counter()
        try:
            return handle_batch(deliveries)
        finally:
            spent[0] += time.perf_counter() - started

    container.bus.handle_batch = timed  # type: ignore[method-assign]
    return spent


def _names(container: Container) -> list[str]:
    # The subscription list has no public reader before the bus got `names`.
    names = getattr(container.bus, "names", None)
    if names is not None:
        return list(names)
    return [item.name for item in container.bus._subscriptions]


if __name__ == "__main__":
    main()
