"""Exactly once: a CLI import killed with SIGKILL and run again lands every good row
once; an import racing form submissions for the same emails makes no duplicate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.imports.domain import created_lines
from leadflow.imports.models import ImportChange
from leadflow.jobs.models import Job
from leadflow.lib.clock import utcnow
from leadflow.matching.services import match_contact
from tests.integration.imports.helpers import csv_bytes, run, upload

# Three chunks of a run (5,000 rows each): the kill falls after the first.
ROWS = 11000


def _file(path: Path) -> Path:
    lines = ["email,first_name"]
    for index in range(ROWS):
        email = "broken" if index % 100 == 7 else f"person{index}@example.com"
        lines.append(f"{email},P{index}")
    path.write_bytes(csv_bytes(*lines))
    return path


def _done(container: Container) -> int:
    with container.read_session() as session:
        return int(session.scalar(select(func.max(Job.done))) or 0)


def test_sigkill_mid_import_then_rerun_lands_each_good_row_once(
    container: Container, database_url: str, tmp_path: Path
) -> None:
    csv_path = _file(tmp_path / "people.csv")
    env = {
        **os.environ,
        "LEADFLOW_DATABASE_URL": database_url,
        "LEADFLOW_VAR_DIR": str(tmp_path / "var"),
        "LEADFLOW_SECRET_KEY": "test-secret",
    }
    command = [sys.executable, "-m", "leadflow", "import", "contacts", str(csv_path)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _done(container) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done_at_kill = _done(container)
    assert 0 < done_at_kill < ROWS
    # The dead worker's heartbeat goes stale (two minutes in real time).
    with container.engine.begin() as connection:
        connection.execute(update(Job).values(heartbeat_at=utcnow() - timedelta(minutes=5)))

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    assert rerun.returncode == 0, rerun.stderr
    assert "resuming import" in rerun.stderr
    good = ROWS - ROWS // 100
    with container.read_session() as session:
        emails = list(session.scalars(select(Contact.email_normalized)))
        contact_ids = set(session.scalars(select(Contact.id)))
        # One change record per committed chunk names the contacts it created.
        recorded = [
            record_id
            for (after,) in session.execute(select(ImportChange.after))
            for record_id in created_lines((after or {})["runs"])
        ]
    assert len(emails) == good
    assert len(set(emails)) == good
    assert sorted(recorded) == sorted(contact_ids)
    assert f"{good} create" in rerun.stdout


def test_an_import_racing_submissions_of_the_same_emails_makes_no_duplicate(
    container: Container,
) -> None:
    emails = [f"race{index}@example.com" for index in range(300)]
    import_id = upload(container, "contact", csv_bytes("email", *emails))
    stop = threading.Event()
    failures: list[BaseException] = []

    def submit(offset: int) -> None:
        try:
            for email in emails[offset::3]:
                if stop.is_set():
                    return
                with container.uow() as uow:
                    match_contact(uow, {"email": email})
                    uow.commit()
        except BaseException as error:  # the assertion below shows it
            failures.append(error)

    threads = [threading.Thread(target=submit, args=(offset,)) for offset in range(3)]
    for thread in threads:
        thread.start()
    imp = run(container, import_id)
    for thread in threads:
        thread.join()

    assert failures == []
    assert imp.counts["create"] + imp.counts["skip"] + imp.counts["update"] == len(emails)
    with container.read_session() as session:
        rows = session.execute(
            select(Contact.email_normalized, func.count()).group_by(Contact.email_normalized)
        ).all()
    assert len(rows) == len(emails)
    assert {count for _, count in rows} == {1}
