"""`leadflow demo` and `generate`: the demo data set and the synthetic bulk one."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import TaskID

from leadflow.cli.base import cli_errors, console, open_container, progress_bar


def demo(
    force: Annotated[bool, typer.Option(help="Load even if the database has data")] = False,
) -> None:
    """Load the demo data set (accounts, contacts, leads, interactions, users)."""
    from leadflow.demo.dataset import database_is_empty, load_demo

    container = open_container(migrate=True)
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


def generate(
    contacts: Annotated[int, typer.Option(help="How many contacts")] = 10_000,
    accounts: Annotated[int, typer.Option(help="How many accounts")] = 1_000,
    leads: Annotated[int, typer.Option(help="How many leads")] = 20_000,
    interactions: Annotated[int, typer.Option(help="How many interactions")] = 100_000,
    seed: Annotated[int, typer.Option(help="Same seed, same data")] = 1,
) -> None:
    """Write a deterministic synthetic data set with bulk inserts (for benchmarks)."""
    from leadflow.demo.synthetic import GenerateSpec, generate_dataset

    container = open_container(migrate=True)
    spec = GenerateSpec(
        contacts=contacts, accounts=accounts, leads=leads, interactions=interactions, seed=seed
    )
    with cli_errors(), progress_bar() as progress:
        bars: dict[str, TaskID] = {}

        def report(table: str, done: int, total: int) -> None:
            if table not in bars:
                bars[table] = progress.add_task(table, total=total)
            progress.update(bars[table], completed=done)

        counts = generate_dataset(container.engine, spec, progress=report)
    for table, count in counts.items():
        typer.echo(f"{table}: {count}")


def register(app: typer.Typer) -> None:
    app.command()(demo)
    app.command()(generate)
