"""`leadflow fields`: the field registry and custom fields."""

from __future__ import annotations

from typing import Annotated

import typer

from leadflow.cli.base import cli_errors, open_container
from leadflow.lib.cli_output import print_table

fields_app = typer.Typer(help="The field registry and custom fields.", no_args_is_help=True)


@fields_app.command("list")
def fields_list(
    entity: Annotated[str | None, typer.Argument(help="contact, account, lead, ...")] = None,
) -> None:
    """Show entities and their fields (built-in and custom)."""
    container = open_container()
    with cli_errors():
        registry = container.registry()
        names = [entity] if entity else list(registry.entities)
        rows = []
        for name in names:
            for item in registry.fields_of(name):
                flags = [
                    flag
                    for flag in ("matchable", "filterable", "scorable", "importable")
                    if getattr(item, flag)
                ]
                rows.append(
                    (
                        name,
                        item.name,
                        item.label,
                        item.type.value,
                        ", ".join(item.options),
                        " ".join(flags),
                        "custom" if item.custom else "built-in",
                    )
                )
        headings = ("entity", "field", "label", "type", "options", "flags", "kind")
        print_table("fields", headings, rows)


@fields_app.command("add")
def fields_add(
    entity: str,
    name: str,
    type: Annotated[str, typer.Option("--type", help="text, integer, decimal, choice, ...")],
    label: Annotated[str | None, typer.Option(help="Shown in forms and lists")] = None,
    option: Annotated[list[str] | None, typer.Option(help="A choice; repeat for more")] = None,
    matchable: Annotated[bool, typer.Option(help="Matching strategies may use it")] = False,
    scorable: Annotated[bool, typer.Option(help="Scoring conditions may use it")] = False,
    filterable: Annotated[bool, typer.Option(help="Lists and segments may filter on it")] = True,
    importable: Annotated[bool, typer.Option(help="Import mappings may fill it")] = True,
) -> None:
    """Add a typed custom field to contacts, accounts or leads."""
    from leadflow.registry.services import do_add_custom_field

    container = open_container()
    with cli_errors():
        definition = do_add_custom_field(
            {
                "entity": entity,
                "name": name,
                "label": label,
                "type": type,
                "options": option or [],
                "matchable": matchable,
                "scorable": scorable,
                "filterable": filterable,
                "importable": importable,
            },
            uow=container.uow(),
        )
    typer.echo(f"{definition.entity}.{definition.name} ({definition.type.value}) added")


@fields_app.command("remove")
def fields_remove(entity: str, name: str) -> None:
    """Remove a custom field (stored values are kept until overwritten)."""
    from leadflow.registry.services import do_remove_custom_field

    container = open_container()
    with cli_errors():
        do_remove_custom_field(entity, name, uow=container.uow())
    typer.echo(f"{entity}.{name} removed")
