"""`leadflow journeys ...`: list, show, create, go-live, stop, resume, advance from the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from leadflow.cli import _container, cli_errors, progress_bar
from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.journeys import services
from leadflow.journeys.services._run import due_count

journeys_app = typer.Typer(
    help="Journeys: nurture that sends, waits, branches and creates leads.",
    no_args_is_help=True,
)


def _out() -> Console:
    return Console(width=None if sys.stdout.isatty() else 240)


@journeys_app.command("list")
def list_command() -> None:
    """Every journey: id, name, status, version, contacts in it now."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        table = Table(title="journeys")
        for heading in ("id", "name", "status", "version", "active"):
            table.add_column(heading)
        for journey in services.list_journeys(session):
            counts = services.tile_counts(session, journey.id)
            active = sum(tile.get("active", 0) for tile in counts.values())
            table.add_row(
                str(journey.id), journey.name, journey.status, f"v{journey.version}", str(active)
            )
        _out().print(table)


@journeys_app.command("show")
def show_command(journey_id: Annotated[int, typer.Argument(help="The journey's id")]) -> None:
    """One journey as JSON, with its per-tile counts."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        result: dict[str, Any] = services.journey_public(services.get_journey(session, journey_id))
        result["counts"] = services.tile_counts(session, journey_id)
        typer.echo(json.dumps(result, indent=2))


@journeys_app.command("create")
def create_command(
    file: Annotated[
        Path,
        typer.Option(
            "--file", exists=True, dir_okay=False, help="JSON: {name, settings, definition}"
        ),
    ],
    owner_id: Annotated[int | None, typer.Option(help="The owner's user id")] = None,
) -> None:
    """Create a draft journey from a JSON file."""
    container = _container()
    with cli_errors():
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationFailed(
                f"{file} is not JSON: {exc}", field="file", code=ErrorCode.MALFORMED_JSON
            ) from None
        if not isinstance(data, dict):
            raise ValidationFailed(
                "The file holds an object: name, settings, definition", code=ErrorCode.NOT_AN_OBJECT
            )
        with container.uow() as uow:
            journey = services.do_create_journey(
                str(data.get("name") or ""),
                owner_id or data.get("owner_id"),
                data.get("settings") or {},
                data.get("definition"),
                uow=uow,
                description=data.get("description"),
            )
            typer.echo(
                f"journey {journey.id} created (draft): leadflow journeys go-live {journey.id}"
            )


@journeys_app.command("go-live")
def go_live_command(journey_id: Annotated[int, typer.Argument(help="The journey's id")]) -> None:
    """Publish the journey and let its audience in."""
    container = _container()
    with cli_errors(), container.uow() as uow:
        journey = services.do_go_live(journey_id, uow=uow)
        counts = services.tile_counts(uow.session, journey.id)
        entered = sum(tile.get("active", 0) for tile in counts.values())
        typer.echo(f"journey {journey.id} is live (v{journey.version}); {entered} contacts in it")


@journeys_app.command("stop")
def stop_command(journey_id: Annotated[int, typer.Argument(help="The journey's id")]) -> None:
    """Stop: nobody enters or moves until it is resumed."""
    container = _container()
    with cli_errors(), container.uow() as uow:
        journey = services.do_stop_journey(journey_id, uow=uow)
        typer.echo(f"journey {journey.id} stopped")


@journeys_app.command("resume")
def resume_command(journey_id: Annotated[int, typer.Argument(help="The journey's id")]) -> None:
    """Resume a stopped journey: contacts move on from where they stood."""
    container = _container()
    with cli_errors(), container.uow() as uow:
        journey = services.do_resume_journey(journey_id, uow=uow)
        typer.echo(f"journey {journey.id} is live again (v{journey.version})")


@journeys_app.command("advance")
def advance_command(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Positions per batch")] = (
        services.BATCH
    ),
) -> None:
    """Run every due step now (batch after batch, each its own transaction)."""
    container = _container()
    with cli_errors():
        total = due_count(container)
        with progress_bar() as bar:
            task = bar.add_task("running due steps", total=total or None)

            def each(result: services.BatchResult) -> None:
                bar.advance(task, result.claimed)

            result = services.advance(container, limit=batch_size, each_batch=each)
    typer.echo(
        f"{result.claimed} steps run, {result.emails} emails queued, "
        f"{result.finished} contacts finished"
    )
