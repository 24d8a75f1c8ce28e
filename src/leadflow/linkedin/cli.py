"""`leadflow linkedin ...`: connections, their forms, and a sync with a progress bar."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from leadflow.cli import _container, cli_errors, console, run_job_here
from leadflow.linkedin import services

linkedin_app = typer.Typer(
    help="LinkedIn Lead Gen Forms: connections, forms, sync.", no_args_is_help=True
)


def _out() -> Console:
    return Console(width=None if sys.stdout.isatty() else 240)


@linkedin_app.command("connections")
def connections() -> None:
    """The connections and their sync status: counts, last sync, last error."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        table = Table(title="LinkedIn connections")
        for heading in (
            "id", "name", "owner", "status", "created", "updated", "skipped", "failed",
            "deleted", "last sync", "last error",
        ):  # fmt: skip
            table.add_column(heading)
        for row in services.list_connections(session):
            table.add_row(
                str(row.id),
                row.name,
                row.owner_urn,
                row.status,
                str(row.created_count),
                str(row.updated_count),
                str(row.skipped_count),
                str(row.failed_count),
                str(row.deleted_count),
                row.last_sync_at.isoformat(timespec="seconds") if row.last_sync_at else "",
                row.last_error or "",
            )
        _out().print(table)


@linkedin_app.command("forms")
def forms(
    connection_id: Annotated[int, typer.Argument(help="The connection's id")],
) -> None:
    """A connection's forms, each question with the lead field its answers go to."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        services.get_connection(session, connection_id)
        registry = container.registry_cache.get(session)
        labels = {item.name: item.label for item in services.mappable_fields(registry)}
        for form in services.list_forms(session, connection_id):
            mappings = services.mappings_for(session, form.id)
            table = Table(title=f"{form.name} (form {form.id}, LinkedIn {form.linkedin_id})")
            for heading in ("question", "text", "type", "lead field"):
                table.add_column(heading)
            for question in services.form_questions(form):
                target = mappings.target(question)
                table.add_row(
                    question.question_id,
                    question.label,
                    question.predefined_field or question.kind.replace("_", " "),
                    labels.get(target, target or "") if target else "(not saved)",
                )
            _out().print(table)


@linkedin_app.command("sync")
def sync(
    connection_id: Annotated[int, typer.Argument(help="The connection's id")],
    backfill: Annotated[
        bool, typer.Option("--backfill", help="Read the whole backfill window (up to 365 days)")
    ] = False,
) -> None:
    """Sync now (a pull over the overlapping window, or a backfill), with a progress bar."""
    container = _container()
    with cli_errors():
        with container.uow() as uow:
            job = services.do_start_sync(connection_id, backfill=backfill, uow=uow)
            job_id = job.id
        result = run_job_here(container, job_id, "LinkedIn sync")
    console.print(
        "read {read}: created {created}, updated {updated}, skipped {skipped}, "
        "failed {failed}".format(
            **{
                key: result.get(key, 0)
                for key in ("read", "created", "updated", "skipped", "failed")
            }
        )
    )
