"""`leadflow capture ...`: strategies, forms and their submissions from the shell."""

from __future__ import annotations

from typing import Annotated

import typer

from leadflow.capture import services
from leadflow.cli import _container, cli_errors, console, progress_bar
from leadflow.errors import ValidationFailed
from leadflow.lib.cli_output import print_table
from leadflow.matching import services as matching

capture_app = typer.Typer(
    help="Capture: matching strategies, forms, submissions.", no_args_is_help=True
)


@capture_app.command("strategies")
def strategies() -> None:
    """List the matching strategies (* marks the defaults; 'listed': the Duplicates page
    lists the records each finds alike)."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        rows = [
            (
                row.id,
                row.name,
                row.target,
                ", ".join(row.fields),
                "*" if row.is_default else "",
                "listed" if row.lists_duplicates else "",
            )
            for row in matching.list_strategies(session)
        ]
    print_table(
        "matching strategies", ("id", "name", "target", "fields", "default", "duplicates"), rows
    )


@capture_app.command("forms")
def forms() -> None:
    """List the forms and their landing pages."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        rows = [
            (
                form.id,
                form.name,
                f"/p/{services.get_page(session, form.page_id).slug}",
                form.update_mode,
                form.campaign,
            )
            for form in services.list_forms(session)
        ]
    print_table("forms", ("id", "name", "page", "mode", "campaign"), rows)


@capture_app.command("submissions")
def submissions(
    form_id: Annotated[int, typer.Argument(help="The form's id")],
    status: Annotated[str | None, typer.Option(help="succeeded, failed or stored")] = None,
) -> None:
    """Show a form's latest submissions and what they made."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        services.get_form(session, form_id)
        rows = [
            (
                row.id,
                row.status,
                row.contact_id,
                row.lead_id,
                "; ".join(f"{e['field']}: {e['message']}" for e in row.errors),
            )
            for row in services.list_submissions(session, form_id, status=status)
        ]
    headings = ("id", "status", "contact", "lead", "errors")
    print_table(f"submissions of form {form_id}", headings, rows)


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
