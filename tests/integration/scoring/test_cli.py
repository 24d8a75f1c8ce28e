"""`leadflow scoring ...`, run as a real process against the test databases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from leadflow.bootstrap import Container
from leadflow.scoring.services import create_model, go_live
from tests.integration.scoring.helpers import make_contact, make_lead, score_of
from tests.support.cli_fixtures import RunCli


def test_rescore_scores_every_lead_of_a_live_model(
    container: Container, make_container: Callable[..., Container], run_cli: RunCli, tmp_path: Path
) -> None:
    contact = make_contact(container, job_title="CTO")
    leads = [make_lead(container, parent_contact_id=contact) for _ in range(3)]
    with container.uow() as uow:
        model = create_model(
            {
                "name": "CLI",
                "rules": [
                    {
                        "points": 9,
                        "conditions": [
                            {"entity": "contact", "field": "job_title", "op": "eq", "value": "CTO"}
                        ],
                    }
                ],
            },
            uow=uow,
        )
        uow.commit()
        model_id = model.id
    # No worker runs here: going live only queues its rescore job, nothing is scored yet.
    without_worker = make_container(huey_immediate=False)
    with without_worker.uow() as uow:
        go_live(model_id, uow=uow)
        uow.commit()
    assert score_of(container, leads[0], model_id) is None

    result = run_cli("scoring", "rescore", "--model", str(model_id))
    assert result.returncode == 0, result.stderr
    assert "3 scores computed" in result.stdout
    assert [score_of(container, lead, model_id) for lead in leads] == [9, 9, 9]

    listed = run_cli("scoring", "models")
    assert f"{model_id}\tlive\tv1\tcontact\tCLI" in listed.stdout


def test_rescore_of_an_unknown_model_fails_clearly(
    container: Container, run_cli: RunCli, tmp_path: Path
) -> None:
    result = run_cli("scoring", "rescore", "--model", "999")
    assert result.returncode == 2
    assert "not_found" in result.stderr and "model_id" in result.stderr
