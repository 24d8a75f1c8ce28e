"""The forking runner behind `run_cli` answers as `python -m leadflow` in a new process does."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from tests.support import cli_runner
from tests.support.cli_runner import run_leadflow


@pytest.mark.parametrize(
    "args", [("create-user", "--help"), ("no-such-command",), ("fields", "list", "nowhere")]
)
def test_a_forked_call_answers_as_a_new_process_does(args: tuple[str, ...], tmp_path: Path) -> None:
    env = {**os.environ, "LEADFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    forked_before = cli_runner.forked_calls[0]

    forked = run_leadflow(args, env)
    fresh = run_leadflow(args, env, fresh_process=True)

    assert cli_runner.forked_calls[0] == forked_before + 1
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        fresh.returncode,
        fresh.stdout,
        fresh.stderr,
    )


def test_each_call_has_its_own_environment_working_directory_and_stdin(tmp_path: Path) -> None:
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    for path in (first, second):
        env = {**os.environ, "LEADFLOW_DATABASE_URL": f"sqlite:///{path.name}"}
        upgraded = run_leadflow(["db", "upgrade"], env, cwd=tmp_path, input="ignored\n")
        assert upgraded.returncode == 0, upgraded.stderr
    for path in (first, second):
        engine = create_engine(f"sqlite:///{path}")
        assert "leads" in inspect(engine).get_table_names()
        engine.dispose()


def test_a_call_past_its_timeout_is_killed(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "LEADFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "LEADFLOW_VAR_DIR": str(tmp_path / "var"),
        "LEADFLOW_PORT": "0",
    }
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        run_leadflow(["serve"], env, timeout=2)
    assert time.monotonic() - started < 30
    answered = run_leadflow(["--help"], env)  # the fork server still serves
    assert answered.returncode == 0
