"""The `leadflow` command with its imports already done: a process that forks a child per call.

Started once per test process by tests/support/cli_runner.py. It imports the
command's modules (what `python -m leadflow` spends seconds on before it reads
its arguments), then reads one request per line on its stdin: the argument list,
the environment, the working directory and the files that become the child's
stdin, stdout and stderr. For each it forks a child that takes those, runs
`leadflow/__main__.py` as `python -m leadflow` would and exits with the command's
status; it writes back the child's pid, then how the child ended.

Each call is therefore its own process, with its own environment, file
descriptors, exit status, atexit handlers and no state left by an earlier call;
only the imports are shared, done before any of them. This process starts no
thread and opens no connection (it checks before each fork), so a child starts
from what a freshly started interpreter that has imported those modules holds.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import runpy
import sys
import threading
from typing import Any

# The protocol on descriptors of its own: fd 0 and 1 become the child's stdin/stdout.
REQUESTS = os.fdopen(os.dup(0), "r", encoding="utf-8")
ANSWERS = os.fdopen(os.dup(1), "w", encoding="utf-8")


def _redirect(path: str | None, fd: int, flags: int) -> None:
    opened = os.open(path or os.devnull, flags, 0o644)
    os.dup2(opened, fd)
    os.close(opened)


def _exit_status(exit_code: object) -> int:
    """What the interpreter does with `SystemExit(code)`."""
    if exit_code is None:
        return 0
    if isinstance(exit_code, int):
        return exit_code & 0xFF
    print(exit_code, file=sys.stderr)
    return 1


def _child(request: dict[str, Any]) -> None:
    """Become the command: never returns."""
    status = 1
    try:
        REQUESTS.close()
        ANSWERS.close()
        _redirect(request.get("stdin"), 0, os.O_RDONLY)
        _redirect(request["stdout"], 1, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        _redirect(request["stderr"], 2, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [sys.argv[0], *request["argv"]]
        try:
            runpy.run_module("leadflow", run_name="__main__", alter_sys=True)
            status = 0
        except SystemExit as exit_:
            status = _exit_status(exit_.code)
        except BaseException:  # what the interpreter does with an uncaught exception
            sys.excepthook(*sys.exc_info())
            status = 1
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed stream: nothing left to write
                stream.flush()
        os._exit(status)


def _answer(message: dict[str, Any]) -> None:
    ANSWERS.write(json.dumps(message) + "\n")
    ANSWERS.flush()


def serve() -> None:
    _redirect(None, 0, os.O_RDONLY)
    _redirect(None, 1, os.O_WRONLY)
    import leadflow.cli.app  # noqa: F401 - the imports every call shares
    from leadflow.bootstrap import CONCEPT_MODULES

    # What every command's Container imports (each concept's handlers and tasks): a
    # second of CPU a call otherwise, 38 s of the suite's.
    for module in CONCEPT_MODULES:
        importlib.import_module(module)

    _answer({"ready": os.getpid()})
    for line in REQUESTS:
        request = json.loads(line)
        if threading.active_count() != 1:
            _answer({"error": f"{threading.active_count()} threads: forking is not safe"})
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(request)
        _answer({"pid": pid})
        _, wait_status = os.waitpid(pid, 0)
        _answer({"pid": pid, "returncode": os.waitstatus_to_exitcode(wait_status)})


if __name__ == "__main__":
    serve()
