"""A real SMTP server for the delivery tests (the mail catcher's class, keeping messages in
memory), and a container whose SMTP settings point at it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from leadflow import bootstrap as bootstrap_module
from leadflow.bootstrap import Container
from leadflow.emails.catcher import Caught, MailCatcher
from leadflow.outbox import OutboxMessage
from tests.conftest import empty_tables


@dataclass
class Inbox:
    """What the test server received; `refuse` maps an address to its RCPT reply."""

    messages: list[Caught] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Called with the count so far once a message is kept, before the server answers.
    then: Callable[[int], None] | None = None

    def receive(self, caught: Caught) -> None:
        with self.lock:
            self.messages.append(caught)
            count = len(self.messages)
        if self.then is not None:
            self.then(count)

    def check(self, address: str) -> str | None:
        return self.refuse.get(address)

    def by_message_id(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for caught in list(self.messages):
            key = str(caught.headers["Message-ID"])
            counts[key] = counts.get(key, 0) + 1
        return counts


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    catcher = MailCatcher(box.receive, check_recipient=box.check).start()
    yield box, catcher.port
    catcher.stop()


@pytest.fixture
def mail_container(
    make_container: Callable[..., Container], inbox: tuple[Inbox, int]
) -> Iterator[Container]:
    """The wired application on an empty database, sending to the test SMTP server."""
    _, port = inbox
    built = make_container(smtp_port=port, public_url="http://mail.test")
    empty_tables(built)
    built.seed_defaults()
    built.relay.drain()
    with built.engine.begin() as connection:
        connection.execute(OutboxMessage.__table__.delete())
    bootstrap_module.install(built)
    yield built
    bootstrap_module.install(None)
    empty_tables(built)
