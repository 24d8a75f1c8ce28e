"""The `leadflow` command, run as a real process against the test databases."""

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.web.app import create_app
from tests.support.cli_fixtures import RunCli


def test_db_upgrade_is_idempotent(run_cli: RunCli, container: Container) -> None:
    # A newly started interpreter, entry point and all (the other calls are forked).
    result = run_cli("db", "upgrade", fresh_process=True)
    assert result.returncode == 0, result.stderr
    assert "database at head" in result.stderr


def test_create_user_and_token_give_working_api_access(
    run_cli: RunCli, container: Container
) -> None:
    created = run_cli(
        "create-user", "ops@example.com", "--name", "Ops", "--role", "marketer", "--password",
        "long-enough-pw",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().endswith("ops@example.com (marketer)")
    issued = run_cli("create-token", "ops@example.com", "--name", "ci")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.startswith("lf_")
    with TestClient(create_app(container)) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert (me.status_code, me.json()["email"]) == (200, "ops@example.com")


def test_bad_input_prints_the_error_code_and_field(run_cli: RunCli, container: Container) -> None:
    result = run_cli("create-user", "not-an-email", "--name", "X", "--role", "marketer")
    assert result.returncode == 2
    assert "error invalid_email [field email]" in " ".join(result.stderr.split())


def test_unknown_role_is_refused(run_cli: RunCli, container: Container) -> None:
    result = run_cli("create-user", "a@example.com", "--name", "X", "--role", "ceo")
    assert result.returncode == 2
    assert "[field role]" in result.stderr


def test_custom_fields_from_the_command_line(run_cli: RunCli, container: Container) -> None:
    added = run_cli(
        "fields", "add", "lead", "product_line", "--type", "choice", "--option", "Cloud",
        "--option", "On-premises", "--scorable",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "lead.product_line (choice) added"
    listed = run_cli("fields", "list", "lead")
    assert "product_line" in listed.stdout
    assert "Cloud, On-premises" in listed.stdout
    with container.read_session() as session:
        from leadflow.registry.services import load_registry

        definition = load_registry(session).field("lead", "product_line")
    assert (definition.options, definition.scorable) == (("Cloud", "On-premises"), True)
    clash = run_cli("fields", "add", "lead", "email", "--type", "text")
    assert clash.returncode == 2
    assert "error duplicate [field name]" in " ".join(clash.stderr.split())
