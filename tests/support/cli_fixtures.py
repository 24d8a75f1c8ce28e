"""`run_cli`: the real `leadflow` command as a process of its own, on the test's database.

Each call is a child process forked from one that has already imported the
command (tests/support/cli_runner.py): its own environment, arguments, output
and exit status, without the seconds of imports. `run_cli(..., fresh_process=True)`
starts a new interpreter instead, for what only a fresh start shows.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cli_runner import close_forking_server, run_leadflow

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session", autouse=True)
def _forking_server_closed() -> Iterator[None]:
    yield
    close_forking_server()


def cli_environment(database_url: str, var_dir: Path, **settings: str) -> dict[str, str]:
    """This process's environment with the command pointed at a test database."""
    return {
        **os.environ,
        "LEADFLOW_DATABASE_URL": database_url,
        "LEADFLOW_VAR_DIR": str(var_dir),
        "LEADFLOW_SECRET_KEY": "test-secret",
        **settings,
    }


@pytest.fixture
def run_cli(database_url: str, tmp_path: Path) -> RunCli:
    env = cli_environment(database_url, tmp_path / "var")

    def run(
        *args: str,
        input: str | None = None,
        fresh_process: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        return run_leadflow(args, env, input=input, timeout=120, fresh_process=fresh_process)

    return run
