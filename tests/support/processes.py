"""Worker processes for the exactly-once tests: each builds its own Container (its own
engine and connections) on the shared database, as separate server processes do.

The functions run in children of a fork server (`worker_processes`), so they and the
event type they handle live in an importable module.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadflow.bootstrap import CONCEPT_MODULES, Container
from leadflow.bus import Delivery, Event, event
from leadflow.config import Settings


@event
@dataclass(frozen=True)
class Probe(Event):
    """An event about lead `lead_id`; `seq` orders a lead's probes."""

    name = "test.probe"
    lead_id: int
    seq: int


@dataclass(frozen=True)
class Handled:
    row_id: int
    lead_id: int
    seq: int
    pid: int
    started: float
    ended: float


@dataclass(frozen=True)
class StartLine:
    """Worker processes start at once when the last of `parties` is ready: each leaves
    a file in `folder` and waits for the others'. (A start time fixed in advance let a
    process slow to import arrive after the others had done all the work.)"""

    folder: str
    parties: int

    def wait(self, timeout: float = 120.0) -> None:
        Path(self.folder).mkdir(parents=True, exist_ok=True)
        Path(self.folder, str(os.getpid())).touch()
        deadline = time.monotonic() + timeout
        while len(os.listdir(self.folder)) < self.parties:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(os.listdir(self.folder))} of {self.parties} ready")
            time.sleep(0.001)


def worker_processes() -> multiprocessing.context.ForkServerContext:
    """Children forked from a server process that has imported this module and every
    concept's handlers once: fresh processes without threads or connections, as
    `spawn`'s are, without each paying the imports (seconds of CPU per child)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, *CONCEPT_MODULES])
    return context


def worker_container(database_url: str, var_dir: str, **overrides: Any) -> Container:
    settings = Settings(
        database_url=database_url,
        var_dir=Path(var_dir),
        secret_key="test-secret",
        huey_immediate=False,
        queue_name=f"leadflow-test-{uuid.uuid4().hex[:8]}",
        **overrides,
    )
    return Container(settings)


def relay_worker(
    database_url: str, var_dir: str, batch_size: int, start: StartLine, timeout: float
) -> list[Handled]:
    """Relay until no Probe is pending; returns what this process handled, with times."""
    container = worker_container(database_url, var_dir)
    handled: list[Handled] = []

    def record(deliveries: Sequence[Delivery]) -> None:
        started = time.monotonic()
        # A handler that takes a moment: wider windows for a race, and one relay alone
        # would need 0.65 s for the test's 43 batches, so on a busy machine the others
        # wake before it is done (5 ms let one process that got the CPU first do all).
        time.sleep(0.015)
        ended = time.monotonic()
        for each in deliveries:
            probe = each.event
            assert isinstance(probe, Probe)
            handled.append(Handled(each.id, probe.lead_id, probe.seq, os.getpid(), started, ended))

    container.bus.subscribe_batch([Probe], record, name="test.probe")
    container.relay.batch_size = batch_size
    start.wait()  # every process starts relaying at once
    deadline = time.monotonic() + timeout
    try:
        while container.relay.pending_count() and time.monotonic() < deadline:
            if not container.relay.run_batch(None, batch_size)[0]:
                time.sleep(0.005)  # the rest is held by other relays
    finally:
        container.close()
    return handled


def job_worker(
    database_url: str, var_dir: str, job_ids: Sequence[int], start: StartLine
) -> tuple[list[tuple[int, str | None]], list[tuple[str, int]]]:
    """Try to run every job; returns (job id, outcome) where None is "not ours", and
    the (tag, step) of every step of `test.steps` this process ran."""
    from leadflow.jobs.runner import run_job
    from tests.support import job_kinds

    container = worker_container(database_url, var_dir)
    outcomes: list[tuple[int, str | None]] = []
    start.wait()
    try:
        for job_id in job_ids:
            status = run_job(container, job_id)
            outcomes.append((job_id, None if status is None else str(status)))
    finally:
        container.close()
    return outcomes, list(job_kinds.RAN)
