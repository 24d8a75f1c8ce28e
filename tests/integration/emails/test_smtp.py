"""The SMTP client: one connection reused across messages, and a new one when the server
dropped the old (a restarted server), without sending any message twice."""

from __future__ import annotations

from leadflow.emails.catcher import Caught, MailCatcher, free_port
from leadflow.emails.smtp import Mailer, Outcome, SmtpConfig

MESSAGE = b"From: a@x.test\r\nTo: b@y.test\r\nSubject: s\r\n\r\nhello\r\n.leading dot\r\n"


def test_one_connection_is_reused_and_reopened_after_a_drop() -> None:
    received: list[Caught] = []
    port = free_port()
    catcher = MailCatcher(received.append, port=port).start()
    mailer = Mailer(SmtpConfig("127.0.0.1", port, timeout=5))
    handed: list[int] = []
    try:
        first = mailer.send(
            "a@x.test", "b@y.test", MESSAGE, on_handed_over=lambda: handed.append(1)
        )
        second = mailer.send("a@x.test", "b@y.test", MESSAGE)
        assert mailer.connections == 1
        catcher.stop()  # the server goes away and comes back: the connection is dead
        catcher = MailCatcher(received.append, port=port).start()
        third = mailer.send("a@x.test", "b@y.test", MESSAGE)
    finally:
        mailer.close()
        catcher.stop()

    assert [r.outcome for r in (first, second, third)] == [Outcome.DELIVERED] * 3
    assert (mailer.connections, len(received), handed) == (2, 3, [1])
    assert received[0].data.endswith(b"hello\r\n.leading dot\r\n")  # dot-stuffing undone


def test_a_refused_recipient_is_a_bounce_and_a_full_mailbox_a_deferral() -> None:
    replies = {"gone@y.test": "550 5.1.1 No such user", "full@y.test": "452 4.2.2 Mailbox full"}
    catcher = MailCatcher(lambda caught: None, check_recipient=replies.get)
    with catcher, Mailer(SmtpConfig("127.0.0.1", catcher.port, timeout=5)) as mailer:
        gone = mailer.send("a@x.test", "gone@y.test", MESSAGE)
        full = mailer.send("a@x.test", "full@y.test", MESSAGE)
        fine = mailer.send("a@x.test", "b@y.test", MESSAGE)

    assert (gone.outcome, gone.code) == (Outcome.BOUNCED, 550)
    assert (full.outcome, full.code) == (Outcome.DEFERRED, 452)
    assert fine.outcome is Outcome.DELIVERED
