"""The `leadflow` command: thin over the services, same error codes as the API."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from leadflow.cli_automation import automation_app
from leadflow.cli_jobs import jobs_app, run_job_here
from leadflow.config import Settings
from leadflow.errors import LeadflowError, ValidationFailed
from leadflow.lib.cli_output import plain_help, print_table
from leadflow.users.domain import Role

plain_help()
ROLE_CHOICES = ", ".join(role.value for role in Role)

app = typer.Typer(help="leadflow: a self-hosted lead lifecycle engine.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
fields_app = typer.Typer(help="The field registry and custom fields.", no_args_is_help=True)
app.add_typer(fields_app, name="fields")
process_app = typer.Typer(
    help="The business process: definitions, deadlines, stages.", no_args_is_help=True
)
app.add_typer(process_app, name="process")
app.add_typer(automation_app, name="automation")
app.add_typer(jobs_app, name="jobs")
scoring_app = typer.Typer(help="Lead scoring models and scores.", no_args_is_help=True)
app.add_typer(scoring_app, name="scoring")
console = Console(stderr=True)


def _fail(error: LeadflowError) -> None:
    where = ""
    if error.line is not None:
        where += f" (line {error.line})"
    if error.field:
        where += f" [field {error.field}]"
    console.print(f"[red]error {error.code.value}{escape(where)}:[/red] {escape(error.message)}")
    raise typer.Exit(code=2)


@contextmanager
def cli_errors() -> Iterator[None]:
    try:
        yield
    except LeadflowError as error:
        _fail(error)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _container(migrate: bool = False, *, serving: bool = False) -> Any:
    from leadflow.bootstrap import bootstrap
    from leadflow.db.migrate import upgrade
    from leadflow.outbox import start_handling_inline

    if not serving:
        # A command returns once its writes have taken effect (scores, stages...).
        start_handling_inline()
    settings = Settings()
    if migrate:
        upgrade(settings.effective_database_url)
    container = bootstrap(settings)
    if migrate:
        container.seed_defaults()
    return container


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from leadflow.db.migrate import upgrade

    settings = Settings()
    upgrade(settings.effective_database_url, revision)
    if revision == "head":
        from leadflow.bootstrap import bootstrap

        bootstrap(settings).seed_defaults()
    console.print(f"database at {revision}: {_safe_url(settings.effective_database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("create-user")
def create_user_command(
    email: str,
    name: Annotated[str, typer.Option(help="Display name")],
    role: Annotated[str, typer.Option(help=f"One of: {ROLE_CHOICES}")],
    password: Annotated[str | None, typer.Option(help="Leave out for API-only users")] = None,
) -> None:
    """Add a user."""
    from leadflow.users.services import do_create_user

    container = _container()
    with cli_errors():
        user = do_create_user(
            email=email, name=name, role=role, password=password, uow=container.uow()
        )
        typer.echo(f"user {user.id} {user.email} ({user.role})")


@app.command("create-token")
def create_token_command(
    email: str,
    name: Annotated[str, typer.Option(help="What the token is for")] = "cli",
    role: Annotated[
        str | None, typer.Option(help=f"Narrower role than the user's: {ROLE_CHOICES}")
    ] = None,
) -> None:
    """Issue an API token for the user with EMAIL; prints it once."""
    from sqlalchemy import select

    from leadflow.errors import NotFound
    from leadflow.users.models import User
    from leadflow.users.services import do_create_token

    container = _container()
    with cli_errors(), container.uow() as uow:
        user = uow.session.scalar(select(User).where(User.email == email.strip().casefold()))
        if user is None:
            raise NotFound(f"No user with email {email}", field="email")
        _, token = do_create_token(user.id, name=name, role=role, uow=uow)
    typer.echo(token)


@fields_app.command("list")
def fields_list(
    entity: Annotated[str | None, typer.Argument(help="contact, account, lead, ...")] = None,
) -> None:
    """Show entities and their fields (built-in and custom)."""
    container = _container()
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

    container = _container()
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

    container = _container()
    with cli_errors():
        do_remove_custom_field(entity, name, uow=container.uow())
    typer.echo(f"{entity}.{name} removed")


@process_app.command("list")
def process_list() -> None:
    """Show the process definitions in force and how many open leads stand in each stage."""
    from leadflow.process import services as process

    container = _container()
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

    container = _container()
    with cli_errors(), container.read_session() as session:
        data = process.export_definition(session, key)
        if format == "json":
            typer.echo(json.dumps(data, indent=2))
        elif format == "yaml":
            typer.echo(yaml.safe_dump(data, sort_keys=False), nl=False)
        else:
            raise ValidationFailed("--format is json or yaml", field="format")


@process_app.command("import")
def process_import(
    path: Annotated[str, typer.Argument(help="A JSON or YAML file")],
    default: Annotated[bool, typer.Option("--default", help="Make it the default process")] = False,
) -> None:
    """Store a definition (JSON or YAML) as the next version of its key."""
    from pathlib import Path

    from leadflow.process import services as process
    from leadflow.web.api.process import parse_definition_text

    container = _container()
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

    container = _container()
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

    container = _container()
    with cli_errors():
        do_set_deadline(queue, hours, uow=container.uow())
        typer.echo(f"{queue}: {hours:g} h")


@app.command()
def demo(
    force: Annotated[bool, typer.Option(help="Load even if the database has data")] = False,
) -> None:
    """Load the demo data set (accounts, contacts, leads, interactions, users)."""
    from leadflow.demo.dataset import database_is_empty, load_demo

    container = _container(migrate=True)
    if not force and not database_is_empty(container):
        console.print("the database already holds data; use --force to add the demo anyway")
        return
    with cli_errors(), progress_bar() as progress:
        task = progress.add_task("demo data", total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        summary = load_demo(container, progress=report)
    for line in summary:
        typer.echo(line)


@app.command()
def generate(
    contacts: Annotated[int, typer.Option(help="How many contacts")] = 10_000,
    accounts: Annotated[int, typer.Option(help="How many accounts")] = 1_000,
    leads: Annotated[int, typer.Option(help="How many leads")] = 20_000,
    interactions: Annotated[int, typer.Option(help="How many interactions")] = 100_000,
    seed: Annotated[int, typer.Option(help="Same seed, same data")] = 1,
) -> None:
    """Write a deterministic synthetic data set with bulk inserts (for benchmarks)."""
    from leadflow.demo.generate import GenerateSpec, generate_dataset

    container = _container(migrate=True)
    spec = GenerateSpec(
        contacts=contacts, accounts=accounts, leads=leads, interactions=interactions, seed=seed
    )
    with cli_errors(), progress_bar() as progress:
        bars: dict[str, Any] = {}

        def report(table: str, done: int, total: int) -> None:
            if table not in bars:
                bars[table] = progress.add_task(table, total=total)
            progress.update(bars[table], completed=done)

        counts = generate_dataset(container.engine, spec, progress=report)
    for table, count in counts.items():
        typer.echo(f"{table}: {count}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    with_worker: Annotated[
        bool, typer.Option("--with-worker/--no-worker", help="Run background tasks in-process")
    ] = False,
    migrate: Annotated[bool, typer.Option(help="Apply migrations first")] = True,
    demo_if_empty: Annotated[bool, typer.Option(help="Load the demo into an empty database")] = (
        False
    ),
    relay: Annotated[
        bool,
        typer.Option(
            "--relay/--no-relay",
            help="Relay the outbox in this process (--no-relay: a `leadflow worker` does)",
        ),
    ] = True,
) -> None:
    """Serve the API and web UI (and, with --with-worker, a background worker)."""
    import uvicorn

    from leadflow.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    container = _container(migrate=migrate, serving=True)
    if demo_if_empty:
        from leadflow.demo.dataset import database_is_empty, load_demo

        if database_is_empty(container):
            for line in load_demo(container):
                console.print(line)
    if relay:
        container.start_relay()
    consumer = None
    catcher = None
    if with_worker:
        from leadflow.emails.catcher import start_catcher

        catcher = start_catcher(container)
        # Huey's consumer installs signal handlers, so it starts here on the main
        # thread; uvicorn then installs its own and we stop the consumer after it.
        consumer = container.queue.consumer(workers=2)
        consumer.start()
    settings = container.settings
    try:
        uvicorn.run(
            create_app(container),
            host=host or settings.host,
            port=port or settings.port,
            log_level="info",
        )
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)
        if catcher is not None:
            catcher.stop()
        container.close()


@app.command()
def worker(
    workers: Annotated[int, typer.Option(help="Worker threads")] = 2,
) -> None:
    """Run a background worker: queued tasks and the outbox relay."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    container = _container(serving=True)
    container.start_relay()
    consumer = container.queue.consumer(workers=workers)
    console.print(f"worker: {', '.join(container.queue.names)}")
    consumer.run()
    container.close()


@scoring_app.command("models")
def scoring_models() -> None:
    """List scoring models: id, status, version, target and name."""
    from leadflow.scoring.services import list_models

    container = _container()
    with container.read_session() as session:
        rows = [
            (m.id, m.status, f"v{m.version}", m.entity_target, m.name) for m in list_models(session)
        ]
    print_table("scoring models", ("id", "status", "version", "target", "name"), rows)


@scoring_app.command("rescore")
def scoring_rescore(
    model: Annotated[int | None, typer.Option("--model", help="One live model's id")] = None,
    background: Annotated[
        bool, typer.Option("--background", help="Only queue the job for a worker")
    ] = False,
) -> None:
    """Recompute every lead's score under the live models (or one), set-based: a job,
    run here with a progress bar unless a worker takes it first."""
    from leadflow.scoring.services import do_start_rescore

    container = _container()
    with cli_errors():
        job_id = do_start_rescore(model, uow=container.uow()).id
        if background:
            typer.echo(f"job {job_id} queued: leadflow jobs show {job_id}")
            return
        result = run_job_here(container, job_id, "rescoring")
    typer.echo(
        f"job {job_id}: {result['scored']} scores computed, {result['changed']} changed, "
        f"{result['removed']} removed, {result['sales_ready']} leads marked sales-ready"
    )


@scoring_app.command("predict-train")
def scoring_predict_train() -> None:
    """Train the predictive score on qualified vs disqualified leads and score every lead."""
    from leadflow.scoring.predict import do_train_predictive

    container = _container()
    with cli_errors(), container.uow() as uow:
        run = do_train_predictive(uow=uow)
        typer.echo(
            f"run {run.id}: holdout AUC {run.holdout_auc} "
            f"({run.qualified} qualified, {run.disqualified} disqualified)"
        )
        for item in run.weights[:5]:
            typer.echo(f"  {item['weight']:+.3f}  {item['feature']}")


@scoring_app.command("backtest")
def scoring_backtest(model_id: int) -> None:
    """How well a model separates qualified from disqualified leads (AUC, lift by decile)."""
    from leadflow.scoring.insight import backtest

    container = _container()
    with cli_errors(), container.read_session() as session:
        result = backtest(session, container.registry_cache.get(session), model_id)
    typer.echo(
        f"AUC {result['auc']} over {result['leads']} leads "
        f"({result['qualified']} qualified, {result['disqualified']} disqualified)"
    )
    for row in result["lift"]:
        typer.echo(
            f"decile {row['decile']}: scores {row['min_score']}..{row['max_score']}, "
            f"qualified {row['qualified_rate']:.1%}, lift {row['lift']}"
        )


def _add_capability_apps() -> None:
    from leadflow.activities.cli import activities_app
    from leadflow.capture.cli import capture_app
    from leadflow.duplicates.cli import duplicates_app
    from leadflow.emails.cli import emails_app
    from leadflow.imports.cli import import_app
    from leadflow.journeys.cli import journeys_app
    from leadflow.linkedin.cli import linkedin_app
    from leadflow.segments.cli import segments_app

    app.add_typer(capture_app, name="capture")
    app.add_typer(segments_app, name="segments")
    app.add_typer(import_app, name="import")
    app.add_typer(linkedin_app, name="linkedin")
    app.add_typer(duplicates_app, name="duplicates")
    app.add_typer(activities_app, name="activities")
    app.add_typer(journeys_app, name="journeys")
    app.add_typer(emails_app, name="emails")


_add_capability_apps()


def main() -> None:  # pragma: no cover - entry point
    sys.exit(app())
