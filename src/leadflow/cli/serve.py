"""`leadflow serve` and `worker`: the long-running processes."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from leadflow.cli.base import console, open_container


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    with_worker: Annotated[
        bool, typer.Option("--with-worker/--no-worker", help="Run background tasks in-process")
    ] = False,
    migrate: Annotated[bool, typer.Option(help="Apply migrations first")] = True,
    demo_if_empty: Annotated[bool, typer.Option(help="Load the demo into an empty database")] = (
        False
    ),
    relay: Annotated[
        bool,
        typer.Option(
            "--relay/--no-relay",
            help="Relay the outbox in this process (--no-relay: a `leadflow worker` does)",
        ),
    ] = True,
) -> None:
    """Serve the API and web UI (and, with --with-worker, a background worker)."""
    import uvicorn

    from leadflow.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    container = open_container(migrate=migrate, serving=True)
    if demo_if_empty:
        from leadflow.demo.dataset import database_is_empty, load_demo

        if database_is_empty(container):
            for line in load_demo(container):
                console.print(line)
    if relay:
        container.start_relay()
    consumer = None
    catcher = None
    if with_worker:
        from leadflow.emails.catcher import start_catcher

        catcher = start_catcher(container)
        # Huey's consumer installs signal handlers, so it starts here on the main
        # thread; uvicorn then installs its own and we stop the consumer after it.
        consumer = container.queue.consumer(workers=2)
        consumer.start()
    settings = container.settings
    try:
        uvicorn.run(
            create_app(container),
            host=host or settings.host,
            port=port or settings.port,
            log_level="info",
        )
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)
        if catcher is not None:
            catcher.stop()
        container.close()


def worker(
    workers: Annotated[int, typer.Option(help="Worker threads")] = 2,
) -> None:
    """Run a background worker: queued tasks and the outbox relay."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    container = open_container(serving=True)
    container.start_relay()
    consumer = container.queue.consumer(workers=workers)
    console.print(f"worker: {', '.join(container.queue.names)}")
    consumer.run()
    container.close()


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(worker)
