"""Delivery over SMTP: one connection reused across a batch, a rate limit, reconnect on drop.

`Mailer.send` says what became of one message (`Outcome`): delivered (2xx after
DATA), bounced (a 5xx on RCPT or DATA: the address is refused for good), or
deferred (a 4xx, or the connection dropped before the message was handed over).
`on_handed_over` runs after the message's content has been written and just before
its terminating "." is: the server cannot hold the whole message before the
delivery journal says so (see delivery.py). Once the "." is written the server
delivers the message whether or not its reply reaches us. TCP_NODELAY keeps the
short terminator from waiting for the content's acknowledgement.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Any, Self

from leadflow.config import Settings

_LEADING_DOT = re.compile(rb"(?m)^\.")
_BARE_NEWLINE = re.compile(rb"\r\n|\r|\n")


class Outcome(StrEnum):
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    DEFERRED = "deferred"
    REFUSED_SENDER = "refused_sender"


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    code: int
    reply: str


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str = "none"
    username: str = ""
    password: str = ""
    rate_per_second: float = 0.0
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            rate_per_second=settings.smtp_rate_per_second,
            timeout=settings.smtp_timeout_seconds,
        )


class _HandOver:
    """smtplib's DATA step, with a hook between the content and its terminating "."."""

    handed_over: Callable[[], None] | None = None
    terminated = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        client: Any = self
        client.putcmd("data")
        code, reply = client.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        payload = msg.encode("ascii") if isinstance(msg, str) else bytes(msg)
        payload = _LEADING_DOT.sub(b"..", _BARE_NEWLINE.sub(b"\r\n", payload))
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        client.send(payload)
        if self.handed_over is not None:
            self.handed_over()
        client.send(b".\r\n")
        self.terminated = True
        result: tuple[int, bytes] = client.getreply()
        return result


class _Client(_HandOver, smtplib.SMTP):
    pass


class _TlsClient(_HandOver, smtplib.SMTP_SSL):
    pass


class Mailer:
    """An SMTP session for a batch: connects on first use, reconnects when dropped."""

    def __init__(self, config: SmtpConfig, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._client: _Client | _TlsClient | None = None
        self._clock = clock
        self._next_at = 0.0
        self.connections = 0

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def connect(self) -> None:
        """Open the connection (raises OSError or smtplib.SMTPException when it cannot)."""
        config = self.config
        client: _Client | _TlsClient
        if config.security == "tls":
            client = _TlsClient(
                config.host,
                config.port,
                timeout=config.timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = _Client(config.host, config.port, timeout=config.timeout)
            if config.security == "starttls":
                client.starttls(context=ssl.create_default_context())
        try:
            client.ehlo_or_helo_if_needed()
            if client.sock is not None:
                client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if config.username:
                client.login(config.username, config.password)
        except BaseException:
            client.close()
            raise
        self._client = client
        self.connections += 1

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()

    def _pace(self) -> None:
        rate = self.config.rate_per_second
        if rate <= 0:
            return
        now = self._clock()
        if now < self._next_at:
            time.sleep(self._next_at - now)
            now = self._next_at
        self._next_at = now + 1.0 / rate

    def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        *,
        on_handed_over: Callable[[], None] | None = None,
    ) -> SendResult:
        """Send one message; a dropped connection is opened again once per message."""
        self._pace()
        for attempt in (1, 2):
            if self._client is None:
                self.connect()
            client = self._client
            assert client is not None
            client.handed_over = on_handed_over
            client.terminated = False
            try:
                client.sendmail(sender, [recipient], message)
                return SendResult(Outcome.DELIVERED, 250, "OK")
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = next(iter(exc.recipients.values()))
                return _refused(int(code), reply, Outcome.BOUNCED)
            except smtplib.SMTPSenderRefused as exc:
                self._reset()
                return _refused(exc.smtp_code, exc.smtp_error, Outcome.REFUSED_SENDER)
            except smtplib.SMTPDataError as exc:
                return _refused(exc.smtp_code, exc.smtp_error, Outcome.BOUNCED)
            except smtplib.SMTPResponseException as exc:
                self._reset()
                return SendResult(Outcome.DEFERRED, exc.smtp_code, _text(exc.smtp_error))
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                terminated = client.terminated
                self._drop()
                if terminated:
                    # The server has the whole message; only its reply was lost.
                    return SendResult(Outcome.DELIVERED, 250, f"reply lost: {exc}")
                if attempt == 2:
                    return SendResult(Outcome.DEFERRED, 0, f"connection lost: {exc}")
            finally:
                if self._client is not None:
                    self._client.handed_over = None
        raise AssertionError("unreachable")

    def _reset(self) -> None:
        try:
            if self._client is not None:
                self._client.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _refused(code: int, reply: bytes | str, permanent: Outcome) -> SendResult:
    if 500 <= code < 600:
        return SendResult(permanent, code, _text(reply))
    return SendResult(Outcome.DEFERRED, code, _text(reply))
