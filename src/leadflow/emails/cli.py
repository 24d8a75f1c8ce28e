"""`leadflow emails ...`: templates, previews, test sends and delivery from the shell."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from leadflow.cli import _container, cli_errors, console, progress_bar
from leadflow.emails import services
from leadflow.emails.compose import Links
from leadflow.emails.delivery import DeliveryOptions, deliver_pending, queued_count, send_test
from leadflow.lib.cli_output import print_table

emails_app = typer.Typer(
    help="Emails: templates, previews, test sends, delivery.", no_args_is_help=True
)


def _links() -> Links:
    container = _container()
    return Links(container.settings.public_url, container.settings.effective_secret_key)


@emails_app.command("list")
def list_command() -> None:
    """Every template: id, name, subject, sender, and how many were sent, opened, clicked."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        stats = services.template_stats(session)
        rows = []
        for template in services.list_templates(session):
            counts = stats.get(template.id, {})
            rows.append(
                (
                    template.id,
                    template.name,
                    template.subject,
                    template.from_address,
                    counts.get("sent", 0),
                    counts.get("opened", 0),
                    counts.get("clicked", 0),
                    counts.get("bounced", 0),
                )
            )
    headings = ("id", "name", "subject", "from", "sent", "opened", "clicked", "bounced")
    print_table("email templates", headings, rows)


@emails_app.command("show")
def show_command(template_id: Annotated[int, typer.Argument(help="The template's id")]) -> None:
    """One template as JSON, with its counts."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        template = services.get_template(session, template_id)
        result = services.template_public(template)
        result["stats"] = services.template_stats(session, [template_id]).get(template_id, {})
    typer.echo(json.dumps(result, indent=2))


@emails_app.command("preview")
def preview_command(
    template_id: Annotated[int, typer.Argument(help="The template's id")],
    contact: Annotated[int | None, typer.Option("--contact", help="Merge this contact")] = None,
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part, not the text")] = False,
) -> None:
    """The subject and text (or HTML) a contact would receive."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        template = services.get_template(session, template_id)
        rendered = services.preview(
            session,
            container.registry_cache.get(session),
            services.draft_source({}, template),
            contact,
            _links(),
        )
    typer.echo(f"Subject: {rendered.subject}\n")
    typer.echo(rendered.html if html else rendered.text)


@emails_app.command("send-test")
def send_test_command(
    template_id: Annotated[int, typer.Argument(help="The template's id")],
    to: Annotated[str, typer.Option("--to", help="The address to send the test to")],
    contact: Annotated[int | None, typer.Option("--contact", help="Merge this contact")] = None,
) -> None:
    """Send the template to an address now, as a contact would receive it."""
    container = _container()
    with cli_errors():
        with container.read_session() as session:
            template = services.get_template(session, template_id)
        send_test(
            container,
            services.draft_source({}, template),
            from_name=template.from_name,
            from_address=template.from_address,
            reply_to=template.reply_to,
            contact_id=contact,
            to_address=to,
        )
    typer.echo(f"test of '{template.name}' sent to {to.strip()}")


@emails_app.command("deliver")
def deliver_command(
    limit: Annotated[int | None, typer.Option(help="Stop after this many messages")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Messages claimed at a time")] = None,
) -> None:
    """Send the queued messages now (what the worker does every minute)."""
    container = _container()
    settings = container.settings
    with container.read_session() as session:
        total = queued_count(session)
    if limit is not None:
        total = min(total, limit)
    options = DeliveryOptions(batch_size=batch_size or settings.smtp_batch_size, limit=limit)
    with cli_errors(), progress_bar() as progress:
        bar = progress.add_task("delivering", total=total)
        totals = deliver_pending(
            container, options, progress=lambda done: progress.advance(bar, done)
        )
    summary = ", ".join(
        f"{value} {name}"
        for name, value in totals.public().items()
        if name != "error" and (value or name == "sent")
    )
    typer.echo(summary)
    if totals.error:
        console.print(f"[red]{totals.error}[/red]")
        raise typer.Exit(code=1)
