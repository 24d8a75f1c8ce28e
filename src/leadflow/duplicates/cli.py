"""`leadflow duplicates`: candidate pairs and merges from the shell."""

from __future__ import annotations

from typing import Annotated

import typer

duplicates_app = typer.Typer(
    help="Duplicate contacts and leads: list the candidates, merge two.", no_args_is_help=True
)

ENTITY_HELP = "contact or lead"


@duplicates_app.command("list")
def list_command(
    entity: Annotated[str, typer.Argument(help=ENTITY_HELP)] = "contact",
    stored: Annotated[
        bool, typer.Option("--stored", help="The last background check's pairs, no new check")
    ] = False,
) -> None:
    """Pairs that share a match key, one per line: first id, second id, how many share the
    key, strategy, titles (tab-separated). Checks first (a progress bar per strategy)."""
    from leadflow.cli import cli_errors, open_container, progress_bar
    from leadflow.duplicates.services import candidate_pairs
    from leadflow.duplicates.tasks import run_check

    container = open_container()
    with cli_errors():
        if not stored:
            with progress_bar() as bar:
                task = bar.add_task(f"Looking for duplicate {entity}s", total=None)
                run_check(
                    container,
                    entity,
                    forced=True,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
        with container.read_session() as session:
            found = candidate_pairs(session, container.registry_cache.get(session), entity)
    for pair in found.pairs:
        typer.echo(
            f"{pair.first_id}\t{pair.second_id}\t{pair.count}\t{pair.strategy}\t"
            f"{pair.first_title} / {pair.second_title}"
        )
    if not found.pairs:
        typer.echo(f"no duplicate {entity}s")


@duplicates_app.command("merge")
def merge_command(
    entity: Annotated[str, typer.Argument(help=ENTITY_HELP)],
    survivor: Annotated[int, typer.Argument(help="Id of the record that stays")],
    other: Annotated[int, typer.Argument(help="Id of the record merged into it")],
    take: Annotated[
        list[str] | None,
        typer.Option(help="A field whose value comes from the other record (repeat it)"),
    ] = None,
) -> None:
    """Merge OTHER into SURVIVOR: what pointed at OTHER moves; OTHER is kept and marked."""
    from leadflow.cli import cli_errors, open_container
    from leadflow.duplicates.services import do_merge

    container = open_container()
    with cli_errors():
        do_merge(entity, survivor, other, take=take or [], uow=container.uow())
    typer.echo(f"{entity} {other} merged into {survivor}")
