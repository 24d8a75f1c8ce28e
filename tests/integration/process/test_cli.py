"""The `leadflow process` commands, run as a real process against the test databases."""

from __future__ import annotations

from pathlib import Path

from leadflow.bootstrap import Container
from tests.support.cli_fixtures import RunCli


def test_export_import_and_deadlines(container: Container, run_cli: RunCli, tmp_path: Path) -> None:
    exported = run_cli("process", "export", "--format", "yaml")
    assert exported.returncode == 0, exported.stderr
    assert "key: lead_to_opportunity" in exported.stdout
    source = tmp_path / "process.yaml"
    source.write_text(exported.stdout.replace("name: Inquiry", "name: First contact"))
    imported = run_cli("process", "import", str(source))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "lead_to_opportunity v2 imported"
    broken = tmp_path / "broken.json"
    broken.write_text('{"key": "x", "name": "X", "stages": [{"key": "a"}]}')
    refused = run_cli("process", "import", str(broken))
    assert refused.returncode == 2
    assert "stages[0].name" in refused.stderr
    listed = run_cli("process", "list")
    assert "lead_to_opportunity v2" in listed.stdout
    assert "\tsales_acceptance\tSales acceptance\t" in listed.stdout
    deadline = run_cli("process", "set-deadline", "sales_acceptance", "4")
    assert deadline.returncode == 0 and "sales_acceptance: 4 h" in deadline.stdout
    checked = run_cli("process", "check-deadlines")
    assert checked.returncode == 0 and "0 task(s) escalated" in checked.stdout
