"""Journeys benchmark: entering 1M segment members, and a 100k journey's first email to SMTP.

    .venv/bin/python bench/journeys.py [--entry-contacts 1000000] [--send-contacts 100000]
                                       [--database-url URL]

1. Entry. `--entry-contacts` contacts are members of a live static segment (rows
   written set-based). A journey on that segment goes live through the use case
   (`do_go_live`: publish, then the entry `INSERT ... SELECT` applying exclusion,
   suppression, consent and re-entry rules): every member then stands on the first
   tile, due now (the first step scheduled). The floor, measured first in the same
   run: a bare `INSERT INTO journey_positions SELECT ... FROM segment_memberships`
   with no rules. Prints both, the ratio, and whether go-live took under 60 s.
2. Send. A second journey (send email -> wait) on a segment of the first
   `--send-contacts` contacts goes live; the workers' code runs its first step
   (`advance`: claim, step, queue messages under idempotency keys) and the emails
   helper's delivery (`deliver_pending`: render, MIME, SMTP over one connection) sends
   every message to an SMTP sink in another process (bench/email_send.py's). The
   floor: a bare `smtplib` loop sending the same number of already-built messages over
   one connection to the same sink. Prints emails/s end to end (advance + delivery),
   each phase's rate, the ratio to the floor, and whether it reached 200 emails/s.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import smtplib
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import text

from leadflow.bootstrap import Container, install
from leadflow.config import Settings
from leadflow.db.migrate import upgrade
from leadflow.emails.delivery import DeliveryOptions, deliver_pending
from leadflow.emails.services import create_template
from leadflow.journeys import services as journeys
from leadflow.lib.clock import utcnow
from leadflow.segments import services as segments

BENCH_DIR = Path(tempfile.gettempdir()) / "leadflow-bench-journeys"

HTML = (
    "<html><head><style>p { color: #123456; }</style></head><body>"
    "<p>Hello {{ contact.first_name | default('there') }},</p>"
    '<p>Our <a href="https://example.com/guide">guide</a> is ready for you.</p>'
    "</body></html>"
)


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load {one:.1f} / {five:.1f}"


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", help="default: SQLite under the temp directory")
    parser.add_argument("--entry-contacts", type=int, default=1_000_000)
    parser.add_argument("--send-contacts", type=int, default=100_000)
    parser.add_argument("--skip-entry", action="store_true", help="only the send part")
    parser.add_argument("--skip-send", action="store_true", help="only the entry part")
    return parser.parse_args(argv)


def _contacts(container: Container, count: int) -> None:
    """`count` contacts with addresses and marketing consent, written by the database."""
    now = utcnow().isoformat(sep=" ")
    if container.engine.dialect.name == "postgresql":
        numbers = "SELECT generate_series(1, :count) AS i"
        literal_false, empty = "false", "'{}'::jsonb"
    else:
        numbers = (
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
            "SELECT i FROM n"
        )
        literal_false, empty = "0", "'{}'"
    sql = f"""
        INSERT INTO contacts (email, email_normalized, first_name, last_name, consent,
                              marketing_only, do_not_email, custom, created_at, updated_at)
        SELECT 'c' || i || '@bench.test', 'c' || i || '@bench.test', 'Ann' || i, 'Doe',
               'marketing', {literal_false}, {literal_false}, {empty}, :now, :now
        FROM ({numbers}) AS numbers
    """
    with container.engine.begin() as connection:
        connection.execute(text(sql), {"count": count, "now": now})


def _segment(container: Container, name: str, limit: int) -> int:
    """A live static segment holding the first `limit` contacts (stays written set-based)."""
    with container.uow() as uow:
        segment = segments.create_segment({"name": name, "kind": "static"}, uow=uow)
        uow.commit()
        segment_id = segment.id
    with container.uow() as uow:
        segments.go_live(segment_id, uow=uow)
        uow.commit()
    with container.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO segment_memberships (segment_id, contact_id, entered_at, version,"
                " block) SELECT :segment, id, :now, 1, -1 FROM contacts WHERE id <= :limit"
            ),
            {"segment": segment_id, "now": utcnow().isoformat(sep=" "), "limit": limit},
        )
    return segment_id


def _template(container: Container) -> int:
    with container.uow() as uow:
        template = create_template(
            {
                "name": "Bench welcome",
                "subject": "Welcome {{ contact.first_name }}",
                "html_body": HTML,
                "from_name": "Bench",
                "from_address": "news@bench.test",
            },
            uow=uow,
        )
        uow.commit()
        return template.id


def _journey(container: Container, name: str, segment_id: int, template_id: int) -> int:
    definition = {
        "start": "mail",
        "tiles": [
            {"id": "mail", "kind": "send_email", "template_id": template_id, "next": "pause"},
            {"id": "pause", "kind": "wait", "duration_minutes": 60 * 24 * 7},
        ],
    }
    settings = {"audience_segment_ids": [segment_id], "minimum_consent": "marketing"}
    with container.uow() as uow:
        journey = journeys.create_journey(name, None, settings, definition, uow=uow)
        uow.commit()
        return journey.id


def _entry(container: Container, count: int, template_id: int) -> None:
    _contacts(container, count)
    segment_id = _segment(container, "Everyone", count)
    floor_journey = _journey(container, "Floor", segment_id, template_id)
    journey_id = _journey(container, "Entry", segment_id, template_id)
    started = time.perf_counter()
    with container.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO journey_positions (journey_id, version, contact_id, entry_number,"
                " tile_id, status, due_at, state, entered_at)"
                " SELECT :journey, 1, contact_id, 1, 'mail', 'due', :now, '{}', :now"
                " FROM segment_memberships WHERE segment_id = :segment AND left_at IS NULL"
            ),
            {"journey": floor_journey, "segment": segment_id, "now": utcnow().isoformat(sep=" ")},
        )
    floor = time.perf_counter() - started
    with container.engine.begin() as connection:
        connection.execute(
            text("DELETE FROM journey_positions WHERE journey_id = :j"), {"j": floor_journey}
        )
    started = time.perf_counter()
    journeys.do_go_live(journey_id, uow=container.uow())
    took = time.perf_counter() - started
    with container.read_session() as session:
        entered = int(
            session.scalar(
                text("SELECT count(*) FROM journey_positions WHERE journey_id = :j"),
                {"j": journey_id},
            )
            or 0
        )
    print(
        f"entry: {entered:,} members entered (first step due) in {took:.1f} s via go-live; "
        f"bare INSERT ... SELECT floor {floor:.1f} s; ratio {took / floor:.2f}x; "
        f"under 60 s: {'yes' if took < 60 else 'NO'}; {_load()}"
    )
    with container.uow() as uow:
        journeys.stop_journey(journey_id, uow=uow)  # its positions stay out of the send part
        uow.commit()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _sink(port: int) -> multiprocessing.Process:
    """The emails benchmark's SMTP sink (answers every command, counts, stores nothing),
    in a process of its own, so it costs the floor and the journey the same."""
    from email_send import _serve  # bench/email_send.py: this script's directory

    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_serve, args=(port, child), daemon=True)
    process.start()
    if parent.recv() != "ready":
        raise SystemExit("the SMTP sink did not start")
    return process


def _bare_smtplib(port: int, count: int, sample: bytes) -> float:
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for index in range(count):
            client.sendmail("news@bench.test", [f"c{index + 1}@bench.test"], sample)
    return time.perf_counter() - started


def _send(container: Container, count: int, template_id: int, port: int) -> None:
    segment_id = _segment(container, "First contacts", count)
    journey_id = _journey(container, "Send", segment_id, template_id)
    journeys.do_go_live(journey_id, uow=container.uow())
    started = time.perf_counter()
    stepped = journeys.advance(container)
    queued_at = time.perf_counter()
    totals = deliver_pending(container, DeliveryOptions(batch_size=500))
    finished = time.perf_counter()
    if totals.error:
        raise SystemExit(f"delivery failed: {totals.error}")
    sent = totals.sent
    with container.read_session() as session:
        sample_row = session.execute(
            text("SELECT id FROM email_messages WHERE status = 'sent' LIMIT 1")
        ).first()
    if sent != count or sample_row is None:
        raise SystemExit(f"sent {sent} of {count} ({stepped.emails} queued)")
    sample = _sample_message(container)
    floor = _bare_smtplib(port, count, sample)
    total = finished - started
    rate = sent / total
    print(
        f"send: {sent:,} emails: steps -> queued {stepped.emails:,} in {queued_at - started:.1f} s "
        f"({stepped.emails / (queued_at - started):,.0f}/s), delivery {finished - queued_at:.1f} s "
        f"({sent / (finished - queued_at):,.0f}/s); end to end {rate:,.0f} emails/s; "
        f"bare smtplib loop {floor:.1f} s ({count / floor:,.0f}/s); ratio {total / floor:.2f}x; "
        f">= 200 emails/s: {'yes' if rate >= 200 else 'NO'}; {_load()}"
    )


def _sample_message(container: Container) -> bytes:
    """One message as delivery built it (the same size and shape), for the floor loop."""
    from leadflow.emails.compose import Links, compiled, mime_bytes, render
    from leadflow.emails.domain import message_id_header
    from leadflow.emails.models import EmailTemplate

    with container.read_session() as session:
        template = session.query(EmailTemplate).first()
        assert template is not None
        links = Links(container.settings.public_url, container.settings.effective_secret_key)
        rendered = render(compiled(template), {"contact": {"first_name": "Ann"}}, links=links,
                          message_id=1)  # fmt: skip
        return mime_bytes(
            rendered,
            from_name=template.from_name,
            from_address=template.from_address,
            to_address="c1@bench.test",
            reply_to=template.reply_to,
            message_id=message_id_header("bench", template.from_address),
            unsubscribe_url=links.unsubscribe(1),
        )


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    if not args.database_url:
        shutil.rmtree(BENCH_DIR, ignore_errors=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{BENCH_DIR / 'bench.db'}"
    upgrade(url)
    port = _free_port()
    sink = _sink(port)
    settings = Settings(
        database_url=url,
        var_dir=BENCH_DIR,
        secret_key="bench",
        smtp_port=port,
        mail_catcher_port=0,
        public_url="http://bench.test",
    )
    container = Container(settings)
    install(container)
    try:
        container.seed_defaults()
        template_id = _template(container)
        print(f"database: {container.engine.dialect.name}; {_load()}")
        if not args.skip_entry:
            _entry(container, args.entry_contacts, template_id)
        else:
            _contacts(container, args.send_contacts)
        if not args.skip_send:
            _send(container, args.send_contacts, template_id, port)
    finally:
        install(None)
        container.close()
        sink.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
