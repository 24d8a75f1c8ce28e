"""`leadflow import contacts|accounts|leads FILE`: a file import from the shell.

The import runs as a job here (unless a worker has it) with a progress bar. A
run of the same file that was killed is resumed from its last committed chunk
once its worker counts as dead. Bad rows are printed with their line numbers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any

import typer

import_app = typer.Typer(
    help="Import contacts, accounts or leads from a CSV or XLSX file.", no_args_is_help=True
)

MappingOption = Annotated[
    Path | None,
    typer.Option(
        "--mapping", help="A YAML or JSON file: {column: field} or {mapping: ..., options: ...}"
    ),
]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Report what would happen")]
FileArgument = Annotated[Path, typer.Argument(help="The CSV or XLSX file", exists=True)]
NoContacts = Annotated[
    bool, typer.Option("--no-create-contacts", help="Leads: do not create missing contacts")
]
SHOWN_ERRORS = 50


def _read_mapping(path: Path | None) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    if path is None:
        return None, {}
    import yaml

    from leadflow.errors import ErrorCode, ValidationFailed

    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ValidationFailed(
            f"The mapping file cannot be read: {error}",
            field="mapping",
            code=ErrorCode.MAPPING_INVALID,
        ) from None
    if isinstance(loaded, dict) and isinstance(loaded.get("mapping"), dict):
        return dict(loaded["mapping"]), dict(loaded.get("options") or {})
    if not isinstance(loaded, dict):
        raise ValidationFailed(
            "The mapping file holds an object", field="mapping", code=ErrorCode.MAPPING_INVALID
        )
    return dict(loaded), {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while piece := handle.read(1024 * 1024):
            digest.update(piece)
    return digest.hexdigest()


def _run(entity: str, file: Path, mapping_file: Path | None, dry: bool, no_contacts: bool) -> None:
    from leadflow.cli import _container, cli_errors, console, run_job_here
    from leadflow.imports import services

    container = _container()
    storage = container.settings.var_dir / "imports"
    with cli_errors():
        mapping, options = _read_mapping(mapping_file)
        if no_contacts:
            options["create_contacts"] = False
        resumed = None
        if not dry:
            with container.read_session() as session:
                resumed = services.unfinished_import(session, entity, _sha256(file))
                resumed_job = resumed.job_id if resumed is not None else None
        if resumed is not None and resumed_job is not None:
            import_id, job_id = resumed.id, resumed_job
            console.print(f"resuming import {import_id} of {file.name} (job {job_id})")
        else:
            with file.open("rb") as source:
                imp = services.do_create_import(
                    entity,
                    file.name,
                    source,
                    uow=container.uow(),
                    storage=storage,
                    mapping=mapping,
                    options=options,
                )
            import_id = imp.id
            with container.read_session() as session:
                shown = services.get_import(session, import_id)
                for column, target in shown.mapping.items():
                    console.print(f"  {column} -> {target['field']} ({target['mode']})")
            if dry:
                dry_job = services.do_start_dry_run(import_id, uow=container.uow()).id
                run_job_here(container, dry_job, f"dry run of {file.name}")
                with container.read_session() as session:
                    result = services.current_dry_run(services.get_import(session, import_id))
                if result is None:  # the mapping changed meanwhile (another session)
                    raise typer.Exit(code=1)
                for row in result["rows"]:
                    why = f" {row['code']}: {row['message']}" if row["code"] else ""
                    where = f" [{row['column']}]" if row["column"] else ""
                    typer.echo(f"line {row['line']}: {row['outcome']}{where}{why}")
                typer.echo(_counts(result["counts"]))
                return
            job_id = services.do_start_import(import_id, uow=container.uow()).id
        result = run_job_here(container, job_id, f"importing {file.name}")
        with container.read_session() as session:
            rows = services.error_file_rows(session, import_id)
            next(rows)
            for shown_count, row in enumerate(rows):
                if shown_count >= SHOWN_ERRORS:
                    console.print("... more in the error file: leadflow import errors ID")
                    break
                where = f" column {row[1]!r}" if row[1] else ""
                console.print(f"line {row[0]}{where}: {row[2]}: {row[3]}")
    typer.echo(f"import {import_id}: {_counts(result)}")


def _counts(counts: dict[str, Any]) -> str:
    names = ("create", "update", "skip", "conflict", "error", "contacts_created")
    return ", ".join(f"{counts.get(name, 0)} {name}" for name in names)


@import_app.command("contacts")
def import_contacts(
    file: FileArgument, mapping: MappingOption = None, dry_run: DryRunOption = False
) -> None:
    """Import contacts (matched by the default contact strategy)."""
    _run("contact", file, mapping, dry_run, False)


@import_app.command("accounts")
def import_accounts(
    file: FileArgument, mapping: MappingOption = None, dry_run: DryRunOption = False
) -> None:
    """Import accounts (matched by web domain, else name)."""
    _run("account", file, mapping, dry_run, False)


@import_app.command("leads")
def import_leads(
    file: FileArgument,
    mapping: MappingOption = None,
    dry_run: DryRunOption = False,
    no_create_contacts: NoContacts = False,
) -> None:
    """Import leads, linked to contacts by email (created marketing-only when missing)."""
    _run("lead", file, mapping, dry_run, no_create_contacts)


@import_app.command("interactions")
def import_interactions(
    file: FileArgument, mapping: MappingOption = None, dry_run: DryRunOption = False
) -> None:
    """Import interactions of existing contacts (named by email or id): kind, when,
    target; scoring credits them like any other."""
    _run("interaction", file, mapping, dry_run, False)


@import_app.command("errors")
def import_errors(import_id: Annotated[int, typer.Argument(help="The import's id")]) -> None:
    """Print an import's error file (CSV) to standard output."""
    import csv
    import sys

    from leadflow.cli import _container, cli_errors
    from leadflow.imports.services import error_file_rows

    container = _container()
    with cli_errors(), container.read_session() as session:
        writer = csv.writer(sys.stdout)
        for row in error_file_rows(session, import_id):
            writer.writerow(row)


@import_app.command("undo")
def import_undo(import_id: Annotated[int, typer.Argument(help="The import's id")]) -> None:
    """Undo an import: created records removed, changed fields restored."""
    from leadflow.cli import _container, cli_errors, run_job_here
    from leadflow.imports.services import do_start_undo, get_import

    container = _container()
    with cli_errors():
        job_id = do_start_undo(import_id, uow=container.uow()).id
        run_job_here(container, job_id, f"undoing import {import_id}")
        with container.read_session() as session:
            report = dict(get_import(session, import_id).undo_report or {})
    typer.echo(
        f"import {import_id} undone: {report.get('deleted', 0)} records deleted, "
        f"{report.get('restored', 0)} fields restored, "
        f"{report.get('kept_count', len(report.get('kept', [])))} left as they are"
    )
