"""The local mail catcher: an SMTP server inside the product's process (aiosmtpd).

`leadflow serve --with-worker` starts it when SMTP points at it (the default), so
every email the demo sends lands in `caught_emails` and on the Mail catcher page;
nothing to install. Tests start the same class with a handler of their own (one
that keeps messages in memory, or answers 550).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any

from aiosmtpd.controller import Controller

from leadflow.dependencies import Dependencies
from leadflow.emails.domain import Caught
from leadflow.lib.clock import utcnow

logger = logging.getLogger(__name__)
__all__ = ["Caught", "MailCatcher", "free_port", "start_catcher", "storing"]


Receiver = Callable[[Caught], str | None]
# Answers RCPT TO: None accepts, else the SMTP reply (e.g. "550 5.1.1 No such user").
RecipientCheck = Callable[[str], str | None]


class _Handler:
    def __init__(self, receive: Receiver, check_recipient: RecipientCheck | None) -> None:
        self._receive = receive
        self._check = check_recipient

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        refusal = self._check(address) if self._check is not None else None
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        caught = Caught(
            str(envelope.mail_from), tuple(str(item) for item in envelope.rcpt_tos), bytes(data)
        )
        try:
            reply = self._receive(caught)
        except Exception:
            logger.exception("the mail catcher could not keep a message")
            return "451 4.3.0 Could not store the message"
        return reply or "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MailCatcher:
    """An SMTP server on a thread of this process; `receive` gets each message."""

    def __init__(
        self,
        receive: Receiver,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        check_recipient: RecipientCheck | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port()
        self._controller = Controller(
            _Handler(receive, check_recipient),
            hostname=host,
            port=self.port,
            ready_timeout=10.0,
            data_size_limit=10 * 1024 * 1024,
        )

    def start(self) -> MailCatcher:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> MailCatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def storing(container: Dependencies) -> Receiver:
    """A receiver that keeps each message in `caught_emails`."""
    from leadflow.emails.services import do_store_caught

    def receive(caught: Caught) -> None:
        do_store_caught(caught, utcnow(), uow=container.uow())

    return receive


def start_catcher(container: Dependencies) -> MailCatcher | None:
    """The catcher `leadflow serve --with-worker` runs, when SMTP points at it."""
    settings = container.settings
    if not settings.runs_mail_catcher:
        return None
    catcher = MailCatcher(storing(container), host=settings.smtp_host, port=settings.smtp_port)
    try:
        catcher.start()
    except (OSError, RuntimeError) as exc:
        logger.warning("mail catcher not started on port %s: %s", settings.smtp_port, exc)
        return None
    logger.info("mail catcher listening on %s:%s", settings.smtp_host, settings.smtp_port)
    return catcher
