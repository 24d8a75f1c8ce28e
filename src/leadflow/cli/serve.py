"""`leadflow serve` and `worker`: the long-running processes."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Annotated

import typer

from leadflow.cli.base import console, open_container
from leadflow.lib.heap import freeze_startup_objects

if TYPE_CHECKING:
    from leadflow.bootstrap import Container


Host = Annotated[str | None, typer.Option(help="Interface to listen on")]
Port = Annotated[int | None, typer.Option(help="Port")]
WithWorker = Annotated[
    bool,
    typer.Option(
        "--with-worker/--no-worker",
        help="Also start a worker process (background tasks and the outbox relay)",
    ),
]
Migrate = Annotated[bool, typer.Option(help="Apply migrations first")]
DemoIfEmpty = Annotated[bool, typer.Option(help="Load the demo into an empty database")]
Relay = Annotated[
    bool | None,
    typer.Option(
        "--relay/--no-relay",
        help="Relay the outbox in this process (default: unless --with-worker, whose "
        "worker process does; --no-relay: a `leadflow worker` does)",
    ),
]


def serve(
    host: Host = None,
    port: Port = None,
    with_worker: WithWorker = False,
    migrate: Migrate = True,
    demo_if_empty: DemoIfEmpty = False,
    relay: Relay = None,
) -> None:
    """Serve the API and web UI (and, with --with-worker, a background worker process)."""
    import uvicorn

    from leadflow.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    container = open_container(migrate=migrate, serving=True)
    if demo_if_empty:
        _load_demo_if_empty(container)
    # With a worker process the handlers run there, on the other core, rather than
    # beside the requests under this process's GIL; its relay hears this process's
    # commits through the wake channel (db/wake.py) within milliseconds.
    if relay if relay is not None else not with_worker:
        container.start_relay()
    worker_process = None
    catcher = None
    if with_worker:
        from leadflow.emails.catcher import start_catcher

        catcher = start_catcher(container)
        worker_process = start_worker_process()
    settings = container.settings
    app = create_app(container)
    freeze_startup_objects()
    try:
        uvicorn.run(
            app,
            host=host or settings.host,
            port=port or settings.port,
            log_level="info",
        )
    finally:
        if worker_process is not None:
            stop_worker_process(worker_process)
        if catcher is not None:
            catcher.stop()
        container.close()


def _load_demo_if_empty(container: Container) -> None:
    from leadflow.demo.dataset import database_is_empty, load_demo

    if database_is_empty(container):
        for line in load_demo(container):
            console.print(line)


def start_worker_process() -> subprocess.Popen[bytes]:
    """`leadflow worker` as a child: the same settings (environment, working directory),
    ending when this process ends, even if this one is killed."""
    return subprocess.Popen(
        [sys.executable, "-m", "leadflow", "worker", "--exit-with-parent"],
        stdin=subprocess.DEVNULL,
    )


def stop_worker_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def worker(
    workers: Annotated[int, typer.Option(help="Worker threads")] = 2,
    exit_with_parent: Annotated[
        bool, typer.Option(hidden=True, help="Stop when the process that started it ends")
    ] = False,
) -> None:
    """Run a background worker: queued tasks and the outbox relay."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if exit_with_parent:
        _stop_when_orphaned()
    container = open_container(serving=True)
    container.start_relay()
    consumer = container.queue.consumer(workers=workers)
    console.print(f"worker: {', '.join(container.queue.names)}")
    freeze_startup_objects()
    consumer.run()
    container.close()


def _stop_when_orphaned() -> None:
    """SIGTERM to this process (Huey's consumer stops gracefully on it) once its parent
    is gone: `serve --with-worker` killed must not leave its worker running."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="leadflow-parent-watch", daemon=True).start()


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(worker)
