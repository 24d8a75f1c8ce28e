"""`leadflow activities`: the call list, logging calls and notes from the shell."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from leadflow.activities.domain import CallOutcome

activities_app = typer.Typer(help="Calls and notes on leads and contacts.", no_args_is_help=True)


@activities_app.command("call-list")
def call_list_command() -> None:
    """The telemarketing queue to call, one per line: lead id, person, phone, company, score,
    grade, next call (tab-separated)."""
    from leadflow.activities.services import call_list
    from leadflow.cli import open_container

    container = open_container()
    with container.read_session() as session:
        items = call_list(session)
    for item in items:
        next_call = item.next_call_at.isoformat() if item.next_call_at else ""
        typer.echo(
            f"{item.lead_id}\t{item.person}\t{item.phone or ''}\t{item.company or ''}\t"
            f"{'' if item.score is None else item.score}\t{item.grade or ''}\t{next_call}"
        )
    if not items:
        typer.echo("nobody to call")


@activities_app.command("log-call")
def log_call_command(
    lead_id: Annotated[int, typer.Argument(help="The lead called")],
    outcome: Annotated[
        str, typer.Option(help=f"One of: {', '.join(outcome.value for outcome in CallOutcome)}")
    ],
    notes: Annotated[str, typer.Option(help="What was said")] = "",
    next_call: Annotated[
        str, typer.Option(help="When to call next, ISO 8601 UTC (2026-12-24T10:00)")
    ] = "",
) -> None:
    """Log a call on a lead (also a call_logged interaction of its contact)."""
    from leadflow.activities.services import do_log_call
    from leadflow.cli import cli_errors, open_container
    from leadflow.errors import ErrorCode, ValidationFailed
    from leadflow.lib.clock import as_utc

    container = open_container()
    with cli_errors():
        try:
            when = as_utc(datetime.fromisoformat(next_call)) if next_call else None
        except ValueError:
            raise ValidationFailed(
                "Give --next-call as ISO 8601", field="next_call_at", code=ErrorCode.NOT_A_DATETIME
            ) from None
        row = do_log_call(lead_id, outcome, notes=notes, next_call_at=when, uow=container.uow())
    typer.echo(f"call {row.id} logged on lead {lead_id}")


@activities_app.command("note")
def note_command(
    entity: Annotated[str, typer.Argument(help="lead or contact")],
    record_id: Annotated[int, typer.Argument(help="Its id")],
    text: Annotated[str, typer.Argument(help="The note")],
) -> None:
    """Write a note on a lead or a contact."""
    from leadflow.activities.services import do_add_note
    from leadflow.cli import cli_errors, open_container
    from leadflow.errors import ErrorCode, ValidationFailed

    container = open_container()
    with cli_errors():
        if entity not in ("lead", "contact"):
            raise ValidationFailed(
                "Notes go on a lead or a contact", field="entity", code=ErrorCode.NOT_A_CHOICE
            )
        key = {"lead": "lead_id", "contact": "contact_id"}[entity]
        row = do_add_note(text, uow=container.uow(), **{key: record_id})
    typer.echo(f"note {row.id} saved on {entity} {record_id}")
