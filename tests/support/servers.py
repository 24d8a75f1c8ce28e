"""PostgreSQL and Redis for the test suite: the configured ones, or throwaway ones.

The suite never skips these silently: when nothing answers and no server
program is installed, it stops with a message saying what to install.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import uvicorn

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


START_TIMEOUT = 15.0


class ServerUnavailable(RuntimeError):
    pass


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The ASGI app served by uvicorn on a free 127.0.0.1 port (a background thread):
    real HTTP, so body limits, chunked bodies and client addresses are the real ones."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="none", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise ServerUnavailable("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


def postgres_url() -> str:
    url = os.environ.get("LEADFLOW_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    parsed = urlparse(url.replace("+psycopg", ""))
    if _answers(parsed.hostname or "127.0.0.1", parsed.port or 5432):
        return url
    return _start_throwaway_postgres(url)


def _start_throwaway_postgres(configured: str) -> str:
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise ServerUnavailable(
            f"No PostgreSQL answers at {configured} and initdb/pg_ctl are not installed. "
            "Install PostgreSQL (apt-get install postgresql) or set LEADFLOW_TEST_POSTGRES_URL."
        )
    data_dir = Path(tempfile.mkdtemp(prefix="leadflow-pg-"))
    port = _free_port()
    run_as: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root; the postgres system user owns the cluster.
        shutil.chown(data_dir, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*run_as, initdb, "-D", str(data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*run_as, pg_ctl, "-D", str(data_dir), "-w", "-o",
         f"-p {port} -k {data_dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
         "-l", str(data_dir / "log")],
        check=True,
        capture_output=True,
    )  # fmt: skip
    atexit.register(
        lambda: subprocess.run(
            [*run_as, pg_ctl, "-D", str(data_dir), "-m", "immediate", "stop"], capture_output=True
        )
    )
    subprocess.run(
        [*run_as, _pg_bin("createdb") or "createdb", "-h", "127.0.0.1", "-p", str(port),
         "-U", "postgres", "test"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/test"


def redis_url() -> str:
    url = os.environ.get("LEADFLOW_TEST_REDIS_URL", DEFAULT_REDIS)
    parsed = urlparse(url)
    if _answers(parsed.hostname or "127.0.0.1", parsed.port or 6379):
        return url
    server = shutil.which("redis-server")
    if not server:
        raise ServerUnavailable(
            f"No Redis answers at {url} and redis-server is not installed. "
            "Install Redis (apt-get install redis-server) or set LEADFLOW_TEST_REDIS_URL."
        )
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(process.terminate)
    deadline = time.monotonic() + 10
    while not _answers("127.0.0.1", port):
        if time.monotonic() > deadline:
            raise ServerUnavailable("redis-server did not start within 10 s")
        time.sleep(0.05)
    return f"redis://127.0.0.1:{port}/0"
