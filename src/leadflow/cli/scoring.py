"""`leadflow scoring`: models, rescoring, the predictive score and backtests."""

from __future__ import annotations

from typing import Annotated

import typer

from leadflow.cli.base import cli_errors, open_container
from leadflow.cli.jobs import run_job_here
from leadflow.lib.cli_output import print_table

scoring_app = typer.Typer(help="Lead scoring models and scores.", no_args_is_help=True)


@scoring_app.command("models")
def scoring_models() -> None:
    """List scoring models: id, status, version, target and name."""
    from leadflow.scoring.services import list_models

    container = open_container()
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

    container = open_container()
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

    container = open_container()
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

    container = open_container()
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
