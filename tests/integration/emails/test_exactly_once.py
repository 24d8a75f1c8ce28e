"""No email sent twice, none lost: a worker process killed with SIGKILL mid-batch, while the
server holds a message it has not answered yet; a new worker finishes. Counted by
Message-ID at the server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from leadflow.bootstrap import Container
from leadflow.emails.models import EmailMessage
from leadflow.emails.services import MessageRequest, queue_messages
from leadflow.interactions.models import Interaction
from tests.integration.emails.conftest import Inbox
from tests.integration.emails.helpers import make_contacts, make_template

MESSAGES = 40
KILL_AT = 15


def _statuses(container: Container) -> dict[str, int]:
    with container.read_session() as session:
        rows = session.execute(
            select(EmailMessage.status, func.count()).group_by(EmailMessage.status)
        ).all()
    return {status: int(count) for status, count in rows}


def test_a_worker_killed_mid_batch_leaves_nothing_sent_twice_or_lost(
    mail_container: Container,
    make_container: Callable[..., Container],
    inbox: tuple[Inbox, int],
    database_url: str,
    tmp_path: Path,
) -> None:
    box, port = inbox
    template_id = make_template(mail_container)
    contacts = make_contacts(mail_container, MESSAGES)
    quiet = make_container(huey_immediate=False)  # queue only: no delivery after commit
    with quiet.uow() as uow:
        queue_messages(
            [
                MessageRequest(template_id, contact_id, f"kill:{contact_id}")
                for contact_id in contacts
            ],
            uow=uow,
        )
        uow.commit()
    env = {
        **os.environ,
        "LEADFLOW_DATABASE_URL": database_url,
        "LEADFLOW_VAR_DIR": str(tmp_path / "worker-var"),
        "LEADFLOW_SECRET_KEY": "test-secret",
        "LEADFLOW_SMTP_PORT": str(port),
        "LEADFLOW_QUEUE_NAME": "emails-kill-test",
    }
    command = [sys.executable, "-m", "leadflow", "emails", "deliver", "--batch-size", "25"]
    worker = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def kill_mid_batch(count: int) -> None:
        # The server holds message KILL_AT whole and has not answered: the worker is
        # waiting for the reply when it dies.
        if count == KILL_AT:
            os.kill(worker.pid, signal.SIGKILL)

    box.then = kill_mid_batch
    worker.communicate(timeout=120)
    assert worker.returncode == -signal.SIGKILL
    box.then = None
    assert len(box.messages) == KILL_AT
    at_kill = _statuses(mail_container)
    assert at_kill == {"sending": 25, "queued": MESSAGES - 25}

    finisher = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    assert finisher.returncode == 0, finisher.stderr
    counts = box.by_message_id()
    assert len(counts) == MESSAGES
    assert set(counts.values()) == {1}
    assert _statuses(mail_container) == {"sent": MESSAGES}
    with mail_container.read_session() as session:
        sent = session.scalar(
            select(func.count()).select_from(Interaction).where(Interaction.kind == "email_sent")
        )
    assert sent == MESSAGES
