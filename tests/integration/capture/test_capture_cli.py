"""`leadflow capture ...` as a real process against the test databases."""

from __future__ import annotations

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.capture.models import FormSubmission
from leadflow.capture.services import create_form
from tests.support.cli_fixtures import RunCli


def test_strategies_lists_the_defaults(run_cli: RunCli, container: Container) -> None:
    result = run_cli("capture", "strategies")
    assert result.returncode == 0, result.stderr
    assert "Email and page" in result.stdout and "email, marketing_page_id" in result.stdout
    listed = {line.split("\t")[1]: line.split("\t")[5] for line in result.stdout.splitlines()[1:]}
    assert listed["Email and page"] == "listed"
    assert listed["Email (LinkedIn leads)"] == ""


def test_resubmit_failed_processes_the_kept_failures(run_cli: RunCli, container: Container) -> None:
    with container.uow() as uow:
        form_id = create_form({"name": "F", "slug": "f"}, uow=uow).id
        uow.session.add(
            FormSubmission(
                form_id=form_id,
                payload={"email": "a@example.com"},
                status="failed",
                outcome={},
                errors=[],
            )
        )
        uow.session.add(
            FormSubmission(
                form_id=form_id, payload={"email": "broken"}, status="failed", outcome={}, errors=[]
            )
        )
        uow.commit()
    result = run_cli("capture", "resubmit-failed", str(form_id))
    assert result.returncode == 0, result.stderr
    assert "1 of 2 failed submissions now succeeded" in result.stderr
    with container.read_session() as session:
        statuses = sorted(session.scalars(select(FormSubmission.status)))
    assert statuses == ["failed", "succeeded"]


def test_an_unknown_form_is_a_coded_error(run_cli: RunCli, container: Container) -> None:
    result = run_cli("capture", "submissions", "999")
    assert result.returncode == 2
    assert "error not_found" in result.stderr
