"""Email delivery benchmark: N queued messages sent over SMTP, against a bare smtplib loop.

    .venv/bin/python bench/email_send.py [--messages 100000] [--database-url URL]

N contacts are inserted set-based, one template is made and N messages are queued
(`queue_messages`, INSERT ... ON CONFLICT DO NOTHING in chunks). The SMTP server is a
minimal sink in a process of its own (it answers every command and counts the
messages; it stores nothing), so it costs both sides the same.

1. Floor: the same N messages, rendered beforehand (untimed) exactly as delivery
   renders them, sent by a bare `smtplib` loop over one connection.
2. Delivery: `deliver_pending`, as the worker runs it: claim a batch (committed as
   `sending`), read consent, render (template compiled once, each contact merged,
   links signed, CSS inlined, MIME built), send over one connection with the
   journal, then one statement per outcome, the `email_sent` interactions in one
   batch insert, and the outbox events.

Prints both rates, the ratio delivery time / floor time, and whether delivery is at
least 200 emails/s. The sink's count must equal 2N, or the run stops.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import smtplib
import socket
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from leadflow.bootstrap import Container, install
from leadflow.config import Settings
from leadflow.contacts.models import Contact
from leadflow.db.migrate import upgrade
from leadflow.emails.delivery import MESSAGES, Claimed, DeliveryOptions, _compose, deliver_pending
from leadflow.emails.services import MessageRequest, create_template, queue_messages
from leadflow.lib.clock import utcnow

BENCH_DIR = Path(tempfile.gettempdir()) / "leadflow-bench-emails"
HTML = """<html><head><style>
body { font-family: Arial, sans-serif; color: #222222; }
h1 { color: #0b5cad; font-size: 22px; }
p { line-height: 1.5; }
a.button { background: #0b5cad; color: #ffffff; padding: 8px 14px; text-decoration: none; }
</style></head><body>
<h1>Hello {{ contact.first_name | default("there") }},</h1>
<p>Thank you for your interest in {{ account.name | default("our products") }}. Our guide
to lead management covers capture, scoring and hand-over to sales.</p>
<p><a class="button" href="https://example.com/guide?utm_source=email">Read the guide</a></p>
<p>Or book a call: <a href="https://example.com/call">example.com/call</a></p>
</body></html>"""


# --- the sink -----------------------------------------------------------------------------


class _Sink(asyncio.Protocol):
    count = 0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.buffer = b""
        self.in_data = False
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    return
                self.buffer = self.buffer[end + 5 :]
                self.in_data = False
                _Sink.count += 1
                self.transport.write(b"250 2.0.0 Ok\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.transport.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                self.in_data = True
                self.buffer = b"\r\n" + self.buffer  # the terminator may follow at once
                self.transport.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
            elif verb == b"QUIT":
                self.transport.write(b"221 Bye\r\n")
                self.transport.close()
            else:
                self.transport.write(b"250 Ok\r\n")


def _serve(port: int, control: Connection) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Sink, "127.0.0.1", port)
        control.send("ready")
        while True:
            await asyncio.sleep(0.05)
            if control.poll():
                control.recv()
                control.send(_Sink.count)
                server.close()
                return

    asyncio.run(main())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- data ---------------------------------------------------------------------------------


def _build(container: Container, count: int) -> int:
    now = utcnow()
    table = Contact.__table__
    with container.engine.begin() as connection:
        for start in range(0, count, 10_000):
            connection.execute(
                insert(table),
                [
                    {
                        "first_name": f"Ann{index}",
                        "last_name": "Doe",
                        "email": f"ann{index}@example.test",
                        "email_normalized": f"ann{index}@example.test",
                        "consent": "marketing",
                        "do_not_email": False,
                        "marketing_only": False,
                        "custom": {},
                        "created_at": now,
                        "updated_at": now,
                    }
                    for index in range(start, min(count, start + 10_000))
                ],
            )
    with container.uow() as uow:
        template = create_template(
            {
                "name": "Guide",
                "subject": "Your guide, {{ contact.first_name }}",
                "html_body": HTML,
                "from_name": "Contoso Marketing",
                "from_address": "news@contoso.example",
            },
            uow=uow,
        )
        ids = list(uow.session.scalars(select(Contact.id).order_by(Contact.id)))
        queued = queue_messages(
            [MessageRequest(template.id, contact_id, f"bench:{contact_id}") for contact_id in ids],
            uow=uow,
        )
        uow.commit()
    return queued


def _floor_corpus(container: Container) -> list[tuple[str, str, bytes]]:
    """Every queued message rendered as delivery renders it (untimed)."""
    with container.read_session() as session:
        rows = session.execute(
            select(
                MESSAGES.c.id,
                MESSAGES.c.template_id,
                MESSAGES.c.contact_id,
                MESSAGES.c.idempotency_key,
            ).order_by(MESSAGES.c.id)
        ).all()
    corpus: list[tuple[str, str, bytes]] = []
    for start in range(0, len(rows), 1000):
        claimed = [
            Claimed(row.id, row.template_id, row.contact_id, row.idempotency_key,
                    f"ann{row.contact_id}@example.test", None, None)
            for row in rows[start : start + 1000]
        ]  # fmt: skip
        composed = _compose(container, claimed)
        corpus.extend(
            (sender, item.to_address, composed[item.id][0])
            for item in claimed
            for sender in [composed[item.id][1]]
        )
    return corpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args(argv)

    shutil.rmtree(BENCH_DIR, ignore_errors=True)
    BENCH_DIR.mkdir(parents=True)
    url = args.database_url or f"sqlite:///{BENCH_DIR / 'bench.db'}"
    port = _free_port()
    parent, child = multiprocessing.Pipe()
    sink = multiprocessing.Process(target=_serve, args=(port, child), daemon=True)
    sink.start()
    assert parent.recv() == "ready"
    upgrade(url)
    settings = Settings(
        database_url=url,
        var_dir=BENCH_DIR / "var",
        secret_key="bench",
        smtp_port=port,
        smtp_batch_size=args.batch_size,
        queue_name="bench-emails",
    )
    container = Container(settings)
    install(container)
    try:
        started = time.perf_counter()
        queued = _build(container, args.messages)
        print(f"{queued} messages queued in {time.perf_counter() - started:.1f} s", flush=True)

        corpus = _floor_corpus(container)
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as client:
            for sender, recipient, data in corpus:
                client.sendmail(sender, [recipient], data)
        floor = time.perf_counter() - started
        del corpus
        print(f"floor (bare smtplib, one connection): {queued / floor:,.0f} emails/s", flush=True)

        started = time.perf_counter()
        totals = deliver_pending(container, DeliveryOptions(batch_size=args.batch_size))
        elapsed = time.perf_counter() - started
        parent.send("count")
        received = parent.recv()
        if totals.sent != queued or received != 2 * queued:
            print(f"mismatch: sent {totals.sent}, sink received {received}", file=sys.stderr)
            return 1
        rate = queued / elapsed
        print(f"delivery (deliver_pending): {rate:,.0f} emails/s ({elapsed:.1f} s)")
        print(f"ratio delivery / floor: {elapsed / floor:.2f}x")
        print(f"target >= 200 emails/s: {'met' if rate >= 200 else 'MISSED'}")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        container.close()
        sink.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
