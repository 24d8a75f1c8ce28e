"""`leadflow capture ...`: strategies, forms and their submissions from the shell."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from leadflow.capture import services
from leadflow.cli import _container, cli_errors, console, progress_bar
from leadflow.errors import ValidationFailed
from leadflow.matching import services as matching

capture_app = typer.Typer(
    help="Capture: matching strategies, forms, submissions.", no_args_is_help=True
)


def _out() -> Console:
    return Console(width=None if sys.stdout.isatty() else 240)


@capture_app.command("strategies")
def strategies() -> None:
    """List the matching strategies (* marks the defaults)."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        table = Table(title="matching strategies")
        for heading in ("id", "name", "target", "fields", "default"):
            table.add_column(heading)
        for row in matching.list_strategies(session):
            table.add_row(
                str(row.id),
                row.name,
                row.target,
                ", ".join(row.fields),
                "*" if row.is_default else "",
            )
        _out().print(table)


@capture_app.command("forms")
def forms() -> None:
    """List the forms and their landing pages."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        table = Table(title="forms")
        for heading in ("id", "name", "page", "mode", "campaign"):
            table.add_column(heading)
        for form in services.list_forms(session):
            page = services.get_page(session, form.page_id)
            table.add_row(
                str(form.id), form.name, f"/p/{page.slug}", form.update_mode, form.campaign or ""
            )
        _out().print(table)


@capture_app.command("submissions")
def submissions(
    form_id: Annotated[int, typer.Argument(help="The form's id")],
    status: Annotated[str | None, typer.Option(help="succeeded, failed or stored")] = None,
) -> None:
    """Show a form's latest submissions and what they made."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        services.get_form(session, form_id)
        table = Table(title=f"submissions of form {form_id}")
        for heading in ("id", "status", "contact", "lead", "errors"):
            table.add_column(heading)
        for row in services.list_submissions(session, form_id, status=status):
            errors = "; ".join(f"{e['field']}: {e['message']}" for e in row.errors)
            table.add_row(
                str(row.id), row.status, str(row.contact_id or ""), str(row.lead_id or ""), errors
            )
        _out().print(table)


@capture_app.command("resubmit-failed")
def resubmit_failed(form_id: Annotated[int, typer.Argument(help="The form's id")]) -> None:
    """Process the form's failed submissions again (after the cause was fixed)."""
    container = _container()
    with cli_errors():
        with container.read_session() as session:
            services.get_form(session, form_id)
            failed = [
                row.id
                for row in services.list_submissions(
                    session, form_id, status="failed", limit=100_000
                )
            ]
        fixed = 0
        with progress_bar() as progress:
            task = progress.add_task("resubmitting", total=len(failed))
            for submission_id in failed:
                try:
                    services.do_resubmit(submission_id, new_uow=container.uow)
                    fixed += 1
                except ValidationFailed:
                    pass
                progress.advance(task)
        console.print(f"{fixed} of {len(failed)} failed submissions now succeeded")
