"""`leadflow automation`: rules, switches and the orphan-lead backfill from the shell."""

from __future__ import annotations

from typing import Annotated

import typer

from leadflow.cli.base import cli_errors, console, open_container
from leadflow.cli.jobs import run_job_here

automation_app = typer.Typer(help="Automation rules and org switches.", no_args_is_help=True)


@automation_app.command("rules")
def rules_command() -> None:
    """List every rule: id, key, on/off, trigger, name."""
    from leadflow.automation.services import list_rules
    from leadflow.lib.cli_output import print_table

    container = open_container()
    with cli_errors(), container.read_session() as session:
        rows = [
            (rule.id, rule.key, "on" if rule.enabled else "off", rule.trigger, rule.name)
            for rule in list_rules(session)
        ]
    print_table("automation rules", ("id", "key", "on", "trigger", "name"), rows)


@automation_app.command("switch")
def switch_command(
    key: Annotated[str, typer.Argument(help="A rule key (see `rules`) or an org switch key")],
    state: Annotated[str, typer.Argument(help="on or off")],
) -> None:
    """Switch a rule or an org-wide setting on or off."""
    from leadflow.automation.services import do_set_rule_enabled, get_rule_by_key
    from leadflow.errors import ErrorCode, ValidationFailed
    from leadflow.switches.domain import SWITCHES
    from leadflow.switches.services import do_set_switch

    container = open_container()
    with cli_errors():
        if state not in ("on", "off"):
            raise ValidationFailed(
                "the state is 'on' or 'off'", field="state", code=ErrorCode.NOT_A_CHOICE
            )
        with container.uow() as uow:
            if key in SWITCHES:
                do_set_switch(key, state == "on", uow=uow)
            else:
                do_set_rule_enabled(get_rule_by_key(uow.session, key).id, state == "on", uow=uow)
        console.print(f"{key}: {state}")


@automation_app.command("backfill-orphans")
def backfill_command(
    background: Annotated[
        bool, typer.Option("--background", help="Only queue the job for a worker")
    ] = False,
) -> None:
    """Give every existing lead without a parent contact one (matched or created): a job,
    run here with a progress bar unless a worker takes it first."""
    from leadflow.automation.orphans import do_start_orphan_backfill

    container = open_container()
    with cli_errors():
        job_id = do_start_orphan_backfill(uow=container.uow()).id
        if background:
            console.print(f"job {job_id} queued: leadflow jobs show {job_id}")
            return
        result = run_job_here(container, job_id, "orphan leads")
    console.print(f"{result['linked']} linked, {result['skipped']} skipped of {result['total']}")
