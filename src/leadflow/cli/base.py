"""What every command shares: the console, error printing, the progress bar and the container.

A command opens the process's container with `open_container()`, runs a use case
inside `cli_errors()` (a `LeadflowError` prints its code and message and exits
with status 2, as the API answers 422 or 409), and shows long work with
`progress_bar()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from leadflow.config import Settings
from leadflow.errors import LeadflowError

if TYPE_CHECKING:
    from leadflow.bootstrap import Container

console = Console(stderr=True)


def _fail(error: LeadflowError) -> NoReturn:
    where = ""
    if error.line is not None:
        where += f" (line {error.line})"
    if error.field:
        where += f" [field {error.field}]"
    console.print(f"[red]error {error.code.value}{escape(where)}:[/red] {escape(error.message)}")
    raise typer.Exit(code=2)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Print a `LeadflowError` raised inside as `error CODE [field]: message`, exit 2."""
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


def open_container(migrate: bool = False, *, serving: bool = False) -> Container:
    """The process's container, built from the environment's settings.

    A one-shot command handles the outbox inline, so it returns once its writes
    have taken effect (scores, stages...); `serving` leaves that to the relay.
    `migrate` upgrades the schema and seeds the defaults first.
    """
    from leadflow.bootstrap import bootstrap
    from leadflow.outbox import start_handling_inline

    if not serving:
        start_handling_inline()
    settings = Settings()
    if migrate:
        # Alembic only when asked: importing it cost every command 0.08 s of its 1.2 s start.
        from leadflow.db.migrate import upgrade

        upgrade(settings.effective_database_url)
    container = bootstrap(settings)
    if migrate:
        container.seed_defaults()
    return container
