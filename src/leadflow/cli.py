"""The `leadflow` command: thin over the services, same error codes as the API."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from leadflow.config import Settings
from leadflow.errors import LeadflowError

app = typer.Typer(help="leadflow: a self-hosted lead lifecycle engine.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True)


def _fail(error: LeadflowError) -> None:
    where = ""
    if error.line is not None:
        where += f" (line {error.line})"
    if error.field:
        where += f" [field {error.field}]"
    console.print(f"[red]error {error.code.value}{escape(where)}:[/red] {escape(error.message)}")
    raise typer.Exit(code=2)


@contextmanager
def cli_errors() -> Iterator[None]:
    try:
        yield
    except LeadflowError as error:
        _fail(error)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _container(migrate: bool = False) -> Any:
    from leadflow.bootstrap import bootstrap
    from leadflow.db.migrate import upgrade

    settings = Settings()
    if migrate:
        upgrade(settings.effective_database_url)
    return bootstrap(settings)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from leadflow.db.migrate import upgrade

    settings = Settings()
    upgrade(settings.effective_database_url, revision)
    console.print(f"database at {revision}: {_safe_url(settings.effective_database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("create-user")
def create_user_command(
    email: str,
    name: Annotated[str, typer.Option(help="Display name")],
    role: Annotated[str, typer.Option(help="admin, marketer, telemarketer, salesperson, ...")],
    password: Annotated[str | None, typer.Option(help="Leave out for API-only users")] = None,
) -> None:
    """Add a user."""
    from leadflow.users.services import create_user

    container = _container()
    with cli_errors(), container.uow() as uow:
        user = create_user(email=email, name=name, role=role, password=password, uow=uow)
        uow.commit()
        typer.echo(f"user {user.id} {user.email} ({user.role})")


@app.command("create-token")
def create_token_command(
    email: str,
    name: Annotated[str, typer.Option(help="What the token is for")] = "cli",
    role: Annotated[str | None, typer.Option(help="Narrower role than the user's")] = None,
) -> None:
    """Issue an API token for the user with EMAIL; prints it once."""
    from sqlalchemy import select

    from leadflow.errors import NotFound
    from leadflow.users.models import User
    from leadflow.users.services import create_token

    container = _container()
    with cli_errors(), container.uow() as uow:
        user = uow.session.scalar(select(User).where(User.email == email.strip().casefold()))
        if user is None:
            raise NotFound(f"No user with email {email}", field="email")
        _, token = create_token(user.id, name=name, role=role, uow=uow)
        uow.commit()
    typer.echo(token)


@app.command()
def demo(
    force: Annotated[bool, typer.Option(help="Load even if the database has data")] = False,
) -> None:
    """Load the demo data set (accounts, contacts, leads, interactions, users)."""
    from leadflow.demo.dataset import database_is_empty, load_demo

    container = _container(migrate=True)
    if not force and not database_is_empty(container):
        console.print("the database already holds data; use --force to add the demo anyway")
        return
    with cli_errors(), progress_bar() as progress:
        task = progress.add_task("demo data", total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        summary = load_demo(container, progress=report)
    for line in summary:
        typer.echo(line)


@app.command()
def generate(
    contacts: Annotated[int, typer.Option(help="How many contacts")] = 10_000,
    accounts: Annotated[int, typer.Option(help="How many accounts")] = 1_000,
    leads: Annotated[int, typer.Option(help="How many leads")] = 20_000,
    interactions: Annotated[int, typer.Option(help="How many interactions")] = 100_000,
    seed: Annotated[int, typer.Option(help="Same seed, same data")] = 1,
) -> None:
    """Write a deterministic synthetic data set with bulk inserts (for benchmarks)."""
    from leadflow.demo.generate import GenerateSpec, generate_dataset

    container = _container(migrate=True)
    spec = GenerateSpec(
        contacts=contacts, accounts=accounts, leads=leads, interactions=interactions, seed=seed
    )
    with cli_errors(), progress_bar() as progress:
        bars: dict[str, Any] = {}

        def report(table: str, done: int, total: int) -> None:
            if table not in bars:
                bars[table] = progress.add_task(table, total=total)
            progress.update(bars[table], completed=done)

        counts = generate_dataset(container.engine, spec, progress=report)
    for table, count in counts.items():
        typer.echo(f"{table}: {count}")


@app.command()
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
) -> None:
    """Serve the API and web UI (and, with --with-worker, a background worker)."""
    import uvicorn

    from leadflow.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    container = _container(migrate=migrate)
    if demo_if_empty:
        from leadflow.demo.dataset import database_is_empty, load_demo

        if database_is_empty(container):
            for line in load_demo(container):
                console.print(line)
    container.start_relay()
    consumer = None
    if with_worker:
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
        container.close()


@app.command()
def worker(
    workers: Annotated[int, typer.Option(help="Worker threads")] = 2,
) -> None:
    """Run a background worker: queued tasks and the outbox relay."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    container = _container()
    container.start_relay()
    consumer = container.queue.consumer(workers=workers)
    console.print(f"worker: {', '.join(container.queue.names)}")
    consumer.run()
    container.close()


def main() -> None:  # pragma: no cover - entry point
    sys.exit(app())
