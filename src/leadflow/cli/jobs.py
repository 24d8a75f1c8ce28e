"""`leadflow jobs`: background jobs from the shell; and how long commands run one.

A long command (a rescore, the orphan backfill) starts its job through the
service, then runs it here unless a worker already has it, and shows a
progress bar fed by the job's own progress either way.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leadflow.cli.base import cli_errors, console, open_container, progress_bar

if TYPE_CHECKING:
    from leadflow.bootstrap import Container

jobs_app = typer.Typer(help="Background jobs: list, show, cancel.", no_args_is_help=True)


def run_job_here(container: Container, job_id: int, description: str) -> dict[str, Any]:
    """Run (or follow) the job with a progress bar; returns its result, or exits
    with status 1 when it failed or was cancelled."""
    from rich.markup import escape

    from leadflow.jobs.runner import run_or_wait

    with progress_bar() as bar:
        task = bar.add_task(description, total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        try:
            job = run_or_wait(container, job_id, on_progress=report)
        except KeyboardInterrupt:
            console.print(
                f"interrupted: job {job_id} is left running; a worker resumes it from its "
                f"last checkpoint, or stop it with `leadflow jobs cancel {job_id}`"
            )
            raise typer.Exit(code=130) from None
    if job.status != "succeeded":
        why = f": {escape(job.error)}" if job.error else ""
        console.print(f"[red]job {job_id} {job.status}[/red]{why}")
        raise typer.Exit(code=1)
    return dict(job.result or {})


@jobs_app.command("list")
def list_command(
    kind: Annotated[str | None, typer.Option(help="Only this kind (scoring.rescore, ...)")] = None,
    status: Annotated[
        str | None,
        typer.Option(help="Only this status: queued, running, succeeded, failed or cancelled"),
    ] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first")] = 50,
) -> None:
    """The latest jobs: id, kind, status, done/total, created."""
    from leadflow.jobs.services import list_jobs
    from leadflow.lib.cli_output import print_table

    container = open_container()
    with cli_errors(), container.read_session() as session:
        rows = [
            (
                job.id,
                job.kind,
                job.status,
                f"{job.done}/{job.total}",
                job.created_at.isoformat(timespec="seconds"),
            )
            for job in list_jobs(session, kind=kind, status=status, limit=limit)
        ]
    print_table("jobs", ("id", "kind", "status", "done", "created"), rows)


@jobs_app.command("show")
def show_command(
    job_id: Annotated[int, typer.Argument(help="The job's id")],
    follow: Annotated[bool, typer.Option("--follow", help="Show progress until it ends")] = False,
) -> None:
    """One job: status, progress, parameters, result or error, timestamps."""
    from leadflow.jobs.domain import JobStatus
    from leadflow.jobs.runner import read_job
    from leadflow.jobs.services import job_public

    container = open_container()
    with cli_errors():
        job = read_job(container, job_id)
        if follow and not JobStatus(job.status).finished:
            with progress_bar() as bar:
                task = bar.add_task(job.kind, total=None)
                while not JobStatus(job.status).finished:
                    bar.update(task, completed=job.done, total=job.total or None)
                    time.sleep(0.5)
                    job = read_job(container, job_id)
                bar.update(task, completed=job.done, total=job.total or None)
        for key, value in job_public(job).items():
            shown = json.dumps(value) if isinstance(value, dict | list) else value
            typer.echo(f"{key}: {'' if shown is None else shown}")


@jobs_app.command("cancel")
def cancel_command(job_id: Annotated[int, typer.Argument(help="The job's id")]) -> None:
    """Ask a job to stop: a queued one at once, a running one at its next check."""
    from leadflow.jobs.services import do_cancel_job

    container = open_container()
    with cli_errors(), container.uow() as uow:
        job = do_cancel_job(job_id, uow=uow)
        if job.status == "cancelled":
            typer.echo(f"job {job_id}: cancelled")
        else:
            typer.echo(f"job {job_id}: cancel requested; it stops at its next check")
