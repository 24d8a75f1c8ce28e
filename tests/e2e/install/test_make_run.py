"""`make run` on a fresh copy of the repository, as the README tells a new user to start.

Every other test runs in the dev venv, which has the dev extras; this one lets the
Makefile build a new .venv with `pip install -e .` only, so it fails on a runtime
dependency declared only in the dev extras, on a migration that breaks on an empty
database and on a demo that does not load. It then does what the README says a
user does: logs in as the demo admin, fills in the demo landing page like a browser
and finds the new lead through the API.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
# Creating the venv and installing (numpy, scikit-learn, ...) takes minutes even
# with pip's cache; from an empty cache it downloads them all.
HEALTH_TIMEOUT = 1200.0
STOP_TIMEOUT = 30.0
DEMO_ADMIN = ("admin@leadflow.example", "leadflow-admin")
VISITOR = {
    "email": "first.visitor@whitepaper.example",
    "first_name": "First",
    "last_name": "Visitor",
    "company": "Fresh Clone Ltd",
}


def copy_of_the_working_tree(destination: Path) -> None:
    """Copy what git would commit: the tracked files and the untracked, not ignored ones.

    Not a `git clone`: that would test the last commit, not the work a developer is
    about to commit. Like a clone, the copy has no .venv, no var/ and no caches.
    """
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if not source.is_symlink() and not source.exists():
            continue  # deleted in the working tree, not yet in the index
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)


def user_environment(port: int) -> dict[str, str]:
    """This environment less what a new user's shell would not have, plus the port."""
    dropped = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in dropped and not name.startswith("LEADFLOW_")
    }
    # The dev venv's bin/ on PATH (an activated venv) would give the Makefile its python3.
    if sys.prefix != sys.base_prefix:
        venv_bin = str(Path(sys.prefix) / "bin")
        path = environment.get("PATH", "").split(os.pathsep)
        environment["PATH"] = os.pathsep.join(entry for entry in path if entry != venv_bin)
    environment["LEADFLOW_PORT"] = str(port)
    return environment


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after ")".
        state, _, group = stat.rpartition(")")[2].split()[:3]
        if int(group) == pgid and state != "Z":
            members.append(int(entry.name))
    return members


@dataclass
class MakeRun:
    process: subprocess.Popen[bytes]
    log: Path
    base_url: str
    stopped: bool = field(default=False)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_health(self, timeout: float) -> float:
        """Seconds until GET /health answered ok; fails if make exits or time runs out."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            status = self.process.poll()
            if status is not None:
                pytest.fail(f"make run exited with status {status} before /health answered")
            try:
                response = httpx.get(f"{self.base_url}/health", timeout=5)
            except httpx.TransportError:
                time.sleep(1)
                continue
            assert response.status_code == 200, response.text
            return time.monotonic() - started
        pytest.fail(f"/health did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        """SIGTERM to the whole group (make, leadflow serve, its worker), SIGKILL if it lingers.

        make may exit before the server has shut down, so the group's members are
        watched rather than make alone.
        """
        if self.stopped:
            return
        self.stopped = True
        pgid = self.process.pid
        for signal_number in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pgid, signal_number)
            except ProcessLookupError:
                break  # the whole group is gone
            if self._group_ended(pgid, within=STOP_TIMEOUT):
                break
        self.process.wait(timeout=STOP_TIMEOUT)

    def _group_ended(self, pgid: int, *, within: float) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            self.process.poll()  # reaps make, which would otherwise stay a zombie
            if not _group_members(pgid):
                return True
            time.sleep(0.2)
        return False


@contextmanager
def make_run(directory: Path, port: int) -> Iterator[MakeRun]:
    log = directory.parent / "make-run.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            ["make", "run"],
            cwd=directory,
            env=user_environment(port),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one
        )
    run = MakeRun(process, log, f"http://127.0.0.1:{port}")
    try:
        yield run
    except BaseException:
        run.stop()
        # Captured by pytest and shown with the failure.
        print(f"----- output of make run -----\n{run.output()}")
        raise
    finally:
        run.stop()


@dataclass
class Form:
    action: str
    # (tag or input type, name, value) in page order
    controls: list[tuple[str, str, str]] = field(default_factory=list)


class FormsOfPage(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", "")))
        elif tag in ("input", "textarea", "select") and self.forms and "name" in values:
            kind = values.get("type", "text") if tag == "input" else tag
            self.forms[-1].controls.append((kind, values["name"], values.get("value", "")))


def the_form(html: str, action: str) -> Form:
    parser = FormsOfPage()
    parser.feed(html)
    [form] = [form for form in parser.forms if form.action == action]
    return form


def filled_in(form: Form, typed: dict[str, str]) -> dict[str, str]:
    """What a browser posts: hidden values as served, what the user typed, other fields
    (the honeypot among them) empty, unchecked boxes left out."""
    names = {name for _, name, _ in form.controls}
    assert typed.keys() <= names, f"the form has no field {sorted(typed.keys() - names)}"
    posted = {}
    for kind, name, value in form.controls:
        if kind in ("checkbox", "radio", "submit", "button"):
            continue
        posted[name] = value if kind == "hidden" else typed.get(name, "")
    return posted


def test_make_run_on_a_fresh_copy_serves_the_demo_and_takes_a_landing_page_lead() -> None:
    if shutil.which("make") is None or shutil.which("git") is None:
        pytest.fail("this test needs make and git (it copies what `git ls-files` lists)")
    with tempfile.TemporaryDirectory(prefix="leadflow-fresh-", ignore_cleanup_errors=True) as tmp:
        copy = Path(tmp) / "leadflow"
        copy_of_the_working_tree(copy)
        assert not (copy / ".venv").exists()

        with make_run(copy, free_port()) as run:
            seconds = run.wait_for_health(HEALTH_TIMEOUT)
            print(f"make run on a fresh copy: /health answered after {seconds:.0f} s")
            assert httpx.get(f"{run.base_url}/health").json() == {
                "status": "ok",
                "database": "sqlite",
            }

            with httpx.Client(base_url=run.base_url, timeout=30) as admin:
                login_page = admin.get("/login")
                email, password = DEMO_ADMIN
                login = the_form(login_page.text, "/login")
                signed_in = admin.post(
                    "/login", data=filled_in(login, {"email": email, "password": password})
                )
                assert signed_in.status_code == 303, signed_in.text
                assert admin.get("/").status_code == 200

                with httpx.Client(base_url=run.base_url, timeout=30) as visitor:
                    landing = visitor.get("/p/whitepaper")
                    assert landing.status_code == 200, landing.text
                    form = the_form(landing.text, "/p/whitepaper")
                    thanked = visitor.post(form.action, data=filled_in(form, VISITOR))
                assert thanked.status_code == 200, thanked.text
                assert "Thank you! We received your submission." in thanked.text

                # The submission is accepted at once and matched by the server's relay
                # moments later: the lead appears within seconds.
                deadline = time.monotonic() + 30
                while True:
                    found = admin.get("/api/v1/leads", params={"email": VISITOR["email"]})
                    assert found.status_code == 200, found.text
                    if found.json()["items"] or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                [lead] = found.json()["items"]
                assert (lead["email"], lead["first_name"], lead["last_name"], lead["source"]) == (
                    VISITOR["email"],
                    "First",
                    "Visitor",
                    "landing_page",
                )

        assert (copy / "var" / "leadflow.db").exists()
