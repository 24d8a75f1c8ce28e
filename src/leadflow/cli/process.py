"""`leadflow process`: definitions, stages and the speed-to-lead deadlines."""

from __future__ import annotations

from typing import Annotated

import typer

from leadflow.cli.base import cli_errors, open_container
from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.lib.cli_output import print_table

process_app = typer.Typer(
    help="The business process: definitions, deadlines, stages.", no_args_is_help=True
)


@process_app.command("list")
def process_list() -> None:
    """Show the process definitions in force and how many open leads stand in each stage."""
    from leadflow.process import services as process

    container = open_container()
    with cli_errors(), container.read_session() as session:
        rows = []
        for row in process.list_definitions(session):
            default = " (default)" if row.is_default else ""
            counts = process.stage_counts(session, row.key)
            for stage in process.load_definition(session, row.key).stages:
                rows.append(
                    (
                        f"{row.key} v{row.version}{default}",
                        stage.key,
                        stage.name,
                        counts.get(stage.key, 0),
                    )
                )
        print_table("processes", ("process", "stage", "name", "open leads"), rows)


@process_app.command("export")
def process_export(
    key: Annotated[str, typer.Argument(help="The process key")] = "lead_to_opportunity",
    format: Annotated[str, typer.Option("--format", help="json or yaml")] = "yaml",
) -> None:
    """Print a definition as JSON or YAML."""
    import json

    import yaml

    from leadflow.process import services as process

    container = open_container()
    with cli_errors(), container.read_session() as session:
        data = process.export_definition(session, key)
        if format == "json":
            typer.echo(json.dumps(data, indent=2))
        elif format == "yaml":
            typer.echo(yaml.safe_dump(data, sort_keys=False), nl=False)
        else:
            raise ValidationFailed(
                "--format is json or yaml", field="format", code=ErrorCode.NOT_A_CHOICE
            )


@process_app.command("import")
def process_import(
    path: Annotated[str, typer.Argument(help="A JSON or YAML file")],
    default: Annotated[bool, typer.Option("--default", help="Make it the default process")] = False,
) -> None:
    """Store a definition (JSON or YAML) as the next version of its key."""
    from pathlib import Path

    from leadflow.process import services as process
    from leadflow.process.schemas import parse_definition_text

    container = open_container()
    with cli_errors():
        text = Path(path).read_text(encoding="utf-8")
        kind = "json" if path.endswith(".json") else "yaml"
        data = parse_definition_text(text, kind)
        row = process.do_save_definition(data, uow=container.uow(), make_default=default)
        typer.echo(f"{row.key} v{row.version} imported")


@process_app.command("check-deadlines")
def process_check_deadlines() -> None:
    """Escalate open tasks past their speed-to-lead deadline (run it every few minutes)."""
    from leadflow.sales.services import do_check_deadlines, overdue_count

    container = open_container()
    with cli_errors():
        escalated = do_check_deadlines(uow=container.uow())
        with container.read_session() as session:
            overdue = overdue_count(session)
        typer.echo(f"{len(escalated)} task(s) escalated; {overdue} overdue in all")


@process_app.command("set-deadline")
def process_set_deadline(
    queue: Annotated[str, typer.Argument(help="telemarketing or sales_acceptance")],
    hours: Annotated[float, typer.Argument(help="Hours to touch a lead")],
) -> None:
    """Set a queue's speed-to-lead deadline."""
    from leadflow.sales.services import do_set_deadline

    container = open_container()
    with cli_errors():
        do_set_deadline(queue, hours, uow=container.uow())
        typer.echo(f"{queue}: {hours:g} h")
