"""`run_cli`: the real `leadflow` command in a subprocess, on the test's database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli(database_url: str, tmp_path: Path) -> RunCli:
    env = {
        **os.environ,
        "LEADFLOW_DATABASE_URL": database_url,
        "LEADFLOW_VAR_DIR": str(tmp_path / "var"),
        "LEADFLOW_SECRET_KEY": "test-secret",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "leadflow", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run
