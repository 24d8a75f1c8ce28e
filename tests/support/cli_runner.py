"""`run_leadflow`: the `leadflow` command as a process of its own, without its import time.

A `python -m leadflow ...` subprocess spends 1.5-2.5 s of CPU importing its modules
before it reads its arguments, and the suite runs the command over a hundred
times. Here each call is a child forked from a process that has done those
imports once (tests/support/cli_zygote.py): still a separate process, with the
call's argument list, environment, working directory, stdin, exit status and
captured output, killed on timeout like `subprocess.run`'s.

The forking process has the caller's environment but for the `LEADFLOW_` settings
and pytest's variables (which nothing reads before a command starts), and is
started again when that changes. A call whose environment differs from this
process's in more than those runs as a real
`python -m leadflow` subprocess, as does a call with `fresh_process=True`: the
tests that pin what a newly started interpreter does (the entry point, a fresh
install) keep doing so.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120.0
# Variables a call may set differently from the forking process: nothing reads them
# while the command's modules are imported (pytest sets PYTEST_CURRENT_TEST per test).
CALL_SPECIFIC = ("LEADFLOW_", "PYTEST_")


def _shared_part(values: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in values.items() if not k.startswith(CALL_SPECIFIC)}


class _Zygote:
    def __init__(self, environment: Mapping[str, str]) -> None:
        self.environment = dict(environment)
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.cli_zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            cwd=REPO,
            env=self.environment,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.requests: IO[bytes] = self.process.stdin
        self.answers: IO[bytes] = self.process.stdout
        self.pending = b""  # read from the answers' pipe, not yet a whole line
        self._read(START_TIMEOUT)

    def _line(self, timeout: float | None) -> bytes | None:
        """The next line from the pipe ('' at its end), or None when `timeout` passes."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.pending:
            if deadline is not None:
                ready, _, _ = select.select(
                    [self.answers], [], [], max(deadline - time.monotonic(), 0)
                )
                if not ready:
                    return None
            chunk = os.read(self.answers.fileno(), 65536)
            if not chunk:
                return b""
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        return line

    def _read(self, timeout: float | None) -> dict[str, Any] | None:
        """The next answer, or None when `timeout` passes first."""
        line = self._line(timeout)
        if line is None:
            return None
        if not line:
            self.log.seek(0)
            raise RuntimeError(
                "the leadflow fork server died:\n" + self.log.read().decode(errors="replace")
            )
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"the leadflow fork server refused: {answer['error']}")
        return answer

    def suits(self, env: Mapping[str, str]) -> bool:
        return self.process.poll() is None and _shared_part(env) == _shared_part(self.environment)

    def run(
        self, args: list[str], env: Mapping[str, str], cwd: Path, input_text: str | None,
        timeout: float,
    ) -> subprocess.CompletedProcess[str]:  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="leadflow-cli-") as folder:
            files = {name: Path(folder) / name for name in ("stdin", "stdout", "stderr")}
            if input_text is not None:
                files["stdin"].write_text(input_text)
            request = {
                "argv": args,
                "env": dict(env),
                "cwd": str(cwd),
                "stdin": str(files["stdin"]) if input_text is not None else None,
                "stdout": str(files["stdout"]),
                "stderr": str(files["stderr"]),
            }
            self.requests.write(json.dumps(request).encode() + b"\n")
            self.requests.flush()
            started = self._read(START_TIMEOUT)
            assert started is not None, "the leadflow fork server did not fork"
            ended = self._read(timeout)
            if ended is None:
                os.kill(started["pid"], signal.SIGKILL)
                self._read(None)
                raise subprocess.TimeoutExpired(
                    ["leadflow", *args], timeout, files["stdout"].read_text(),
                    files["stderr"].read_text(),
                )  # fmt: skip
            return subprocess.CompletedProcess(
                ["leadflow", *args],
                ended["returncode"],
                files["stdout"].read_text(),
                files["stderr"].read_text(),
            )

    def close(self) -> None:
        self.requests.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.answers.close()
        self.log.close()


_zygotes: list[_Zygote] = []
# Calls run as forked children since the process started (the runner's own test reads it).
forked_calls = [0]


def _zygote(env: Mapping[str, str]) -> _Zygote:
    """A forking process whose environment is `env`'s but for the call's own settings:
    a new one when the last one ended or had another (a test changed os.environ)."""
    if _zygotes and not _zygotes[0].suits(env):
        _zygotes.pop().close()
    if not _zygotes:
        _zygotes.append(_Zygote(env))
    return _zygotes[0]


def close_forking_server() -> None:
    while _zygotes:
        _zygotes.pop().close()


def run_leadflow(
    args: list[str] | tuple[str, ...],
    env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    input: str | None = None,  # subprocess.run's name
    timeout: float = 120,
    fresh_process: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`subprocess.run([python, "-m", "leadflow", *args], env=env, capture_output=True,
    text=True, ...)`, forked from the pre-imported process unless `fresh_process`."""
    workdir = cwd or Path.cwd()
    if not fresh_process and _shared_part(env) == _shared_part(os.environ):
        forked_calls[0] += 1
        return _zygote(env).run(list(args), env, workdir, input, timeout)
    return subprocess.run(
        [sys.executable, "-m", "leadflow", *args],
        env=dict(env),
        cwd=workdir,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
