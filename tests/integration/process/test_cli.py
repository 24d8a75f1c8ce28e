"""The `leadflow process` commands, run as a real process against the test databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from leadflow.bootstrap import Container


def _run(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LEADFLOW_DATABASE_URL": database_url,
        "LEADFLOW_VAR_DIR": str(tmp_path / "var"),
        "LEADFLOW_SECRET_KEY": "test-secret",
    }
    return subprocess.run(
        [sys.executable, "-m", "leadflow", "process", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_export_import_and_deadlines(
    container: Container, database_url: str, tmp_path: Path
) -> None:
    exported = _run(database_url, tmp_path, "export", "--format", "yaml")
    assert exported.returncode == 0, exported.stderr
    assert "key: lead_to_opportunity" in exported.stdout
    source = tmp_path / "process.yaml"
    source.write_text(exported.stdout.replace("name: Inquiry", "name: First contact"))
    imported = _run(database_url, tmp_path, "import", str(source))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "lead_to_opportunity v2 imported"
    broken = tmp_path / "broken.json"
    broken.write_text('{"key": "x", "name": "X", "stages": [{"key": "a"}]}')
    refused = _run(database_url, tmp_path, "import", str(broken))
    assert refused.returncode == 2
    assert "stages[0].name" in refused.stderr
    listed = _run(database_url, tmp_path, "list")
    assert "lead_to_opportunity v2" in listed.stdout
    deadline = _run(database_url, tmp_path, "set-deadline", "sales_acceptance", "4")
    assert deadline.returncode == 0 and "sales_acceptance: 4 h" in deadline.stdout
    checked = _run(database_url, tmp_path, "check-deadlines")
    assert checked.returncode == 0 and "0 task(s) escalated" in checked.stdout
