"""`leadflow segments ...`: list, show, build, members, explain, export from the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from leadflow.cli import _container, cli_errors, run_job_here
from leadflow.segments import services
from leadflow.segments.explain import explain_membership

segments_app = typer.Typer(
    help="Segments: live audiences of contacts, their members and why.", no_args_is_help=True
)


def _out() -> Console:
    return Console(width=None if sys.stdout.isatty() else 240)


@segments_app.command("list")
def list_command() -> None:
    """Every segment: id, name, kind, status, version, members."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        counts = services.member_counts(session)
        table = Table(title="segments")
        for heading in ("id", "name", "kind", "status", "version", "members"):
            table.add_column(heading)
        for segment in services.list_segments(session):
            table.add_row(
                str(segment.id),
                segment.name,
                segment.kind,
                segment.status,
                f"v{segment.version}",
                str(counts.get(segment.id, 0)),
            )
        _out().print(table)


@segments_app.command("show")
def show_command(segment_id: Annotated[int, typer.Argument(help="The segment's id")]) -> None:
    """One segment as JSON: its definition, status, version and member count."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        segment = services.get_segment(session, segment_id)
        counts = services.member_counts(session, [segment_id])
        typer.echo(
            json.dumps(services.segment_public(segment, counts.get(segment_id, 0)), indent=2)
        )


@segments_app.command("build")
def build_command(
    segment_id: Annotated[int, typer.Argument(help="A live segment's id")],
    background: Annotated[
        bool, typer.Option("--background", help="Only queue the job for a worker")
    ] = False,
) -> None:
    """Rebuild a live segment's members (a job, with a progress bar here)."""
    container = _container()
    with cli_errors():
        job_id = services.do_start_build(segment_id, uow=container.uow()).id
        if background:
            typer.echo(f"job {job_id} queued: leadflow jobs show {job_id}")
            return
        result = run_job_here(container, job_id, "building segment")
    typer.echo(f"job {job_id}: {result['entered']} entered, {result['left']} left")


@segments_app.command("members")
def members_command(
    segment_id: Annotated[int, typer.Argument(help="The segment's id")],
    search: Annotated[str | None, typer.Option("--search", help="Name or email")] = None,
    offset: Annotated[int, typer.Option(help="Skip this many")] = 0,
    limit: Annotated[int, typer.Option(help="How many (at most 200)")] = 50,
) -> None:
    """A page of current members: contact, name, email, since, why."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        registry = container.registry_cache.get(session)
        page = services.members(
            session, registry, segment_id, search=search, offset=offset, limit=limit
        )
    table = Table(title=f"{page['total']} members")
    for heading in ("contact", "name", "email", "since", "why"):
        table.add_column(heading)
    for item in page["items"]:
        table.add_row(
            str(item["contact_id"]),
            item["name"],
            item["email"] or "",
            item["entered_at"],
            item["reason"],
        )
    _out().print(table)


def _print_node(node: dict[str, Any], depth: int) -> None:
    mark = "[green]✓[/green]" if node["held"] else "[red]✗[/red]"
    records = node.get("records")
    shown = ""
    if records:
        shown = " — " + ", ".join(f"{r['entity']} {r['id']} ({r['label']})" for r in records)
    if "count" in node:
        shown = f" — {node['count']} interaction(s)"
    _out().print(f"{'  ' * depth}{mark} {node['text']}{shown}", highlight=False)
    for child in node.get("children") or []:
        _print_node(child, depth + 1)
    if node.get("where"):
        _print_node(node["where"], depth + 1)


@segments_app.command("explain")
def explain_command(
    segment_id: Annotated[int, typer.Argument(help="The segment's id")],
    contact_id: Annotated[int, typer.Argument(help="The contact's id")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON")] = False,
) -> None:
    """Whether a contact is in, since when, why; and per node what held."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        registry = container.registry_cache.get(session)
        result = explain_membership(session, registry, segment_id, contact_id)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    status = "in" if result["member"] else "out"
    since = f" since {result['since']}" if result["since"] else ""
    typer.echo(f"contact {contact_id} is {status} of '{result['segment']}'{since}")
    if result["reason"]:
        typer.echo(f"why: {result['reason']}")
    if result["nodes"]:
        _print_node(result["nodes"], 0)
    for part in result["parts"] or []:
        mark = "in" if part["held"] else "out"
        typer.echo(f"  {part['op']} {part['name']}: {mark}")


@segments_app.command("export")
def export_command(
    segment_id: Annotated[int, typer.Argument(help="The segment's id")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout)")
    ] = None,
) -> None:
    """The current members as CSV."""
    container = _container()
    with cli_errors(), container.read_session() as session:
        registry = container.registry_cache.get(session)
        lines = services.export_csv(session, registry, segment_id)
        if output is None:
            for line in lines:
                sys.stdout.write(line)
            return
        with output.open("w", encoding="utf-8", newline="") as handle:
            count = -1
            for line in lines:
                handle.write(line)
                count += 1
        typer.echo(f"{count} members written to {output}")
