"""`leadflow emails`: list, show, preview, send-test and deliver, the real command in a
process of its own (tests/support/cli_runner.py) on the test's database, sending to
the test's SMTP server."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.emails.models import EmailMessage
from leadflow.emails.services import MessageRequest, queue_messages
from tests.integration.emails.conftest import Inbox
from tests.integration.emails.helpers import make_contacts, make_template
from tests.support.cli_runner import run_leadflow


def test_the_email_commands(
    mail_container: Container, inbox: tuple[Inbox, int], database_url: str, tmp_path: Path
) -> None:
    box, port = inbox
    template_id = make_template(mail_container)
    first, second = make_contacts(mail_container, 2)
    with mail_container.uow() as uow:
        queue_messages([MessageRequest(template_id, first, "cli-1")], uow=uow)
        uow.session.commit()  # left for `emails deliver`, not the after-commit task
    env = {
        **os.environ,
        "LEADFLOW_DATABASE_URL": database_url,
        "LEADFLOW_VAR_DIR": str(tmp_path / "var"),
        "LEADFLOW_SECRET_KEY": "test-secret",
        "LEADFLOW_SMTP_PORT": str(port),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_leadflow(("emails", *args), env, timeout=120)

    listed = run("list")
    shown = run("show", str(template_id))
    previewed = run("preview", str(template_id), "--contact", str(second))
    tested = run("send-test", str(template_id), "--to", "me@example.test", "--contact", str(second))
    delivered = run("deliver")
    missing = run("preview", "999999")

    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[1].split("\t")[:4] == [
        str(template_id),
        "Welcome",
        "Welcome {{ contact.first_name }}",
        "news@contoso.example",
    ]
    assert json.loads(shown.stdout)["name"] == "Welcome"
    assert previewed.stdout.startswith("Subject: Welcome Ann1\n")
    assert "Hello Ann1," in previewed.stdout
    assert tested.stdout.strip() == "test of 'Welcome' sent to me@example.test"
    assert delivered.returncode == 0, delivered.stderr
    assert delivered.stdout.strip() == "1 sent"
    assert [caught.recipients for caught in box.messages] == [
        ("me@example.test",),
        ("ann0@example.test",),
    ]
    assert str(box.messages[0].headers["Subject"]) == "[Test] Welcome Ann1"
    with mail_container.read_session() as session:
        assert session.scalars(select(EmailMessage.status)).all() == ["sent"]
    assert missing.returncode == 2
    assert "error not_found" in missing.stderr
