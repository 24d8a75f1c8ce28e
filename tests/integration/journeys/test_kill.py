"""No step lost or doubled: a worker running due steps is killed with SIGKILL mid-run,
another runs after it, and every contact got its email exactly once (both databases)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, insert, select

from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.emails.models import EmailMessage
from leadflow.journeys.models import JourneyPosition, JourneyStep
from leadflow.lib.clock import utcnow
from tests.integration.journeys.helpers import make_journey, make_segment, make_template

CONTACTS = 4000


def _contacts(container: Container) -> list[int]:
    now = utcnow()
    rows = [
        {
            "email": f"k{index}@example.test",
            "email_normalized": f"k{index}@example.test",
            "last_name": f"K{index}",
            "consent": "marketing",
            "marketing_only": False,
            "do_not_email": False,
            "custom": {},
            "created_at": now,
            "updated_at": now,
        }
        for index in range(CONTACTS)
    ]
    with container.engine.begin() as connection:
        connection.execute(insert(Contact.__table__), rows)  # type: ignore[arg-type]
    with container.read_session() as session:
        return list(session.scalars(select(Contact.id).order_by(Contact.id)))


def _sent(container: Container) -> int:
    with container.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(JourneyStep)) or 0)


def test_a_worker_killed_mid_run_loses_and_doubles_no_step(
    container: Container, database_url: str, tmp_path: Path
) -> None:
    contacts = _contacts(container)
    segment = make_segment(container, contacts)
    template = make_template(container)
    journey = make_journey(
        container,
        [
            {"id": "mail", "kind": "send_email", "template_id": template, "next": "pause"},
            {"id": "pause", "kind": "wait", "duration_minutes": 60 * 24 * 7},
        ],
        audience_segment_ids=[segment],
    )
    env = {
        **os.environ,
        "LEADFLOW_DATABASE_URL": database_url,
        "LEADFLOW_VAR_DIR": str(tmp_path / "var"),
        "LEADFLOW_SECRET_KEY": "test-secret",
    }
    command = [sys.executable, "-m", "leadflow", "journeys", "advance", "--batch-size", "100"]
    worker = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _sent(container) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()

    with container.read_session() as session:
        moved = dict(
            session.execute(
                select(JourneyPosition.status, func.count()).group_by(JourneyPosition.status)
            ).all()
        )
        steps_at_kill = session.scalar(select(func.count()).select_from(JourneyStep))
        messages_at_kill = session.scalar(select(func.count()).select_from(EmailMessage))
    # Killed part-way: some contacts moved, the others still wait for a worker.
    assert 0 < moved.get("waiting", 0) < CONTACTS
    assert moved == {"waiting": moved["waiting"], "due": CONTACTS - moved["waiting"]}
    # What moved is whole: one history line and one email per moved contact.
    assert steps_at_kill == messages_at_kill == moved["waiting"]

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr

    with container.read_session() as session:
        statuses = set(session.scalars(select(JourneyPosition.status)))
        per_contact = session.execute(
            select(JourneyStep.contact_id, func.count()).group_by(JourneyStep.contact_id)
        ).all()
        keys = list(session.scalars(select(EmailMessage.idempotency_key)))
    assert statuses == {"waiting"}
    assert len(per_contact) == CONTACTS
    assert {count for _, count in per_contact} == {1}
    assert sorted(keys) == sorted(f"j{journey}:v1:c{c}:e1:mail" for c in contacts)
