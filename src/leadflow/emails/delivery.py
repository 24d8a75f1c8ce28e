"""Delivery: workers claim queued messages in batches and send them over one SMTP connection.

No email sent twice, none lost. A message moves queued -> sending -> sent (or
skipped, bounced, failed). The claim commits `sending` with the worker's name and
the time (`claimed_by`, `claimed_at`) before anything goes over SMTP; a batch's
outcomes are written together when it ends (one statement per outcome).

Between those two commits each worker keeps a journal, a file of its own under
`var/email-journal/`: a line `<message id> H` once a message's content is written
to the server and just before its terminating "." is (so the server can never hold
a whole message the journal does not name), then `<message id> <reply code>`. A
write to a file survives the process being killed, and costs microseconds.

A message found in `sending` whose worker is gone (a dead process on this host, or a
claim older than `smtp_claim_seconds`) is recovered from that worker's journal:
handed over or answered 2xx -> sent; answered 5xx -> bounced; answered 4xx (or
0: the connection broke before the ".") or not in the journal -> queued again (the
server never had it whole, so sending it now is its first delivery). What is left:
a process killed in the microseconds between the journal's "H" and the kernel
taking the three bytes ".\r\n" loses that one message (it is marked sent); and a
dead worker's journal on another host (PostgreSQL with workers on several
machines) is not read, so its unfinished batch is sent again once the claim
expires, with the same Message-ID header (derived from the idempotency key), which
receivers use to drop the copy.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from leadflow.contacts.services import update_contact
from leadflow.db.uow import UnitOfWork
from leadflow.dependencies import Dependencies
from leadflow.emails.compose import (
    Links,
    compiled,
    merge_values_for,
    mime_bytes,
    render,
    valid_address,
)
from leadflow.emails.domain import MessageStatus, TemplateSource, message_id_header, skip_reason
from leadflow.emails.errors import SmtpUnavailable
from leadflow.emails.models import EmailMessage, EmailTemplate
from leadflow.emails.smtp import Mailer, Outcome, SendResult, SmtpConfig
from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.interactions.domain import InteractionKind
from leadflow.interactions.services import record_interactions
from leadflow.lib.clock import utcnow
from leadflow.registry.sql import table_for

logger = logging.getLogger(__name__)

MESSAGES: Table = EmailMessage.__table__  # type: ignore[assignment]
MAX_ATTEMPTS = 5
RETRY_SECONDS = (60, 300, 900, 3600)
JOURNAL_DIR = "email-journal"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Journal:
    """One worker's record of what it handed to the SMTP server (see the module doc)."""

    def __init__(self, directory: Path, worker: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{worker.replace(':', '_')}.log"
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def write(self, message_id: int, mark: str) -> None:
        os.write(self._fd, f"{message_id} {mark}\n".encode())

    def clear(self) -> None:
        os.ftruncate(self._fd, 0)

    def close(self) -> None:
        os.close(self._fd)
        self.path.unlink(missing_ok=True)

    @staticmethod
    def read(path: Path) -> dict[int, str]:
        """message id -> its last mark ("H": handed over, else the reply code)."""
        marks: dict[int, str] = {}
        if not path.exists():
            return marks
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0].isdigit():
                marks[int(parts[0])] = parts[1]
        return marks


@dataclass(frozen=True)
class Claimed:
    id: int
    template_id: int
    contact_id: int
    idempotency_key: str
    to_address: str
    journey_id: int | None
    journey_tile: str | None


@dataclass
class Totals:
    sent: int = 0
    skipped: int = 0
    bounced: int = 0
    deferred: int = 0
    failed: int = 0
    recovered: int = 0
    error: str | None = None

    def add(self, other: Totals) -> None:
        for name in ("sent", "skipped", "bounced", "deferred", "failed", "recovered"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def done(self) -> int:
        return self.sent + self.skipped + self.bounced + self.failed

    def public(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "skipped": self.skipped,
            "bounced": self.bounced,
            "deferred": self.deferred,
            "failed": self.failed,
            "recovered": self.recovered,
            "error": self.error,
        }


# --- claim ----------------------------------------------------------------------------------


def _due(now: datetime) -> Any:
    return (MESSAGES.c.status == MessageStatus.QUEUED.value) & (
        MESSAGES.c.claimed_at.is_(None) | (MESSAGES.c.claimed_at <= now)
    )


def queued_count(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(MESSAGES).where(_due(utcnow()))) or 0
    )


def claim_batch(worker: str, limit: int, *, uow: UnitOfWork) -> tuple[list[Claimed], int]:
    """Claim up to `limit` due messages for `worker` (SKIP LOCKED on PostgreSQL; SQLite's
    one writer serialises claims). Consent and do-not-email are read now, at send
    time: a message the contact may not receive is skipped with the reason.
    Returns the claimed messages and how many were skipped."""
    session = uow.session
    now = utcnow()
    ids = list(
        session.scalars(
            select(MESSAGES.c.id)
            .where(_due(now))
            .order_by(MESSAGES.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return [], 0
    contacts = table_for("contact")
    rows = session.execute(
        select(
            MESSAGES.c.id,
            MESSAGES.c.template_id,
            MESSAGES.c.contact_id,
            MESSAGES.c.idempotency_key,
            MESSAGES.c.journey_id,
            MESSAGES.c.journey_tile,
            MESSAGES.c.minimum_consent,
            contacts.c.email,
            contacts.c.do_not_email,
            contacts.c.consent,
        )
        .join(contacts, contacts.c.id == MESSAGES.c.contact_id)
        .where(MESSAGES.c.id.in_(ids))
        .order_by(MESSAGES.c.id)
    ).all()
    claimed: list[Claimed] = []
    skipped: dict[str, list[int]] = {}
    for row in rows:
        address = (row.email or "").strip()
        reason = skip_reason(
            address=address if valid_address(address) else None,
            do_not_email=bool(row.do_not_email),
            consent=row.consent,
            minimum=row.minimum_consent,
        )
        if reason is not None:
            skipped.setdefault(reason.value, []).append(row.id)
            continue
        claimed.append(
            Claimed(
                row.id,
                row.template_id,
                row.contact_id,
                row.idempotency_key,
                address,
                row.journey_id,
                row.journey_tile,
            )
        )
    for why, skipped_ids in skipped.items():
        session.execute(
            update(MESSAGES)
            .where(MESSAGES.c.id.in_(skipped_ids))
            .values(status=MessageStatus.SKIPPED.value, skip_reason=why, claimed_at=now)
        )
    if claimed:
        session.execute(
            update(MESSAGES)
            .where(MESSAGES.c.id.in_([item.id for item in claimed]))
            .values(
                status=MessageStatus.SENDING.value,
                claimed_at=now,
                claimed_by=worker,
                attempts=MESSAGES.c.attempts + 1,
                to_address=select(contacts.c.email)
                .where(contacts.c.id == MESSAGES.c.contact_id)
                .scalar_subquery(),
            )
        )
    return claimed, sum(len(value) for value in skipped.values())


# --- finish ---------------------------------------------------------------------------------


@dataclass
class Finished:
    """A batch's outcomes, by message."""

    sent: dict[int, str] = field(default_factory=dict)  # id -> Message-ID header
    bounced: dict[int, str] = field(default_factory=dict)  # id -> reply
    deferred: dict[int, str] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)


def finish_batch(finished: Finished, *, uow: UnitOfWork) -> Totals:
    """Write a batch's outcomes: one statement per outcome, the `email_sent`
    interactions in one batch, and each bounced address marked do-not-email."""
    session = uow.session
    now = utcnow()
    totals = Totals()
    if finished.sent:
        session.execute(
            update(MESSAGES)
            .where(MESSAGES.c.id == bindparam("b_id"))
            .values(
                status=MessageStatus.SENT.value,
                sent_at=now,
                error=None,
                message_id_header=bindparam("b_header"),
            ),
            [{"b_id": key, "b_header": value} for key, value in finished.sent.items()],
            execution_options={"synchronize_session": False},
        )
        _record_sent(session, sorted(finished.sent), now, uow=uow)
        totals.sent = len(finished.sent)
    if finished.bounced:
        session.execute(
            update(MESSAGES)
            .where(MESSAGES.c.id == bindparam("b_id"))
            .values(status=MessageStatus.BOUNCED.value, sent_at=now, error=bindparam("b_error")),
            [{"b_id": key, "b_error": value[:2000]} for key, value in finished.bounced.items()],
            execution_options={"synchronize_session": False},
        )
        contact_ids = session.scalars(
            select(MESSAGES.c.contact_id).where(MESSAGES.c.id.in_(sorted(finished.bounced)))
        )
        for contact_id in sorted(set(contact_ids)):
            # A hard bounce: the address is refused for good, so it is not mailed again.
            update_contact(contact_id, {"do_not_email": True}, uow=uow)
        totals.bounced = len(finished.bounced)
    if finished.deferred:
        attempts = dict(
            session.execute(
                select(MESSAGES.c.id, MESSAGES.c.attempts).where(
                    MESSAGES.c.id.in_(sorted(finished.deferred))
                )
            ).all()
        )
        retry: list[dict[str, Any]] = []
        for message_id, error in finished.deferred.items():
            tried = int(attempts.get(message_id, 0))
            if tried >= MAX_ATTEMPTS:
                finished.failed[message_id] = error
                continue
            wait = RETRY_SECONDS[min(tried, len(RETRY_SECONDS)) - 1] if tried else 0
            retry.append(
                {"b_id": message_id, "b_error": error[:2000], "b_at": now + timedelta(seconds=wait)}
            )
        if retry:
            session.execute(
                update(MESSAGES)
                .where(MESSAGES.c.id == bindparam("b_id"))
                .values(
                    status=MessageStatus.QUEUED.value,
                    error=bindparam("b_error"),
                    claimed_at=bindparam("b_at"),
                    claimed_by=None,
                ),
                retry,
                execution_options={"synchronize_session": False},
            )
        totals.deferred = len(retry)
    if finished.failed:
        session.execute(
            update(MESSAGES)
            .where(MESSAGES.c.id == bindparam("b_id"))
            .values(status=MessageStatus.FAILED.value, error=bindparam("b_error")),
            [{"b_id": key, "b_error": value[:2000]} for key, value in finished.failed.items()],
            execution_options={"synchronize_session": False},
        )
        totals.failed = len(finished.failed)
    return totals


def _record_sent(session: Session, ids: Sequence[int], now: datetime, *, uow: UnitOfWork) -> None:
    rows = session.execute(
        select(
            MESSAGES.c.id,
            MESSAGES.c.contact_id,
            MESSAGES.c.template_id,
            MESSAGES.c.journey_id,
            MESSAGES.c.journey_tile,
        ).where(MESSAGES.c.id.in_(ids))
    ).all()
    record_interactions(
        [
            {
                "contact_id": row.contact_id,
                "kind": InteractionKind.EMAIL_SENT.value,
                "target_id": str(row.template_id),
                "occurred_at": now,
                "data": {
                    "message_id": row.id,
                    "journey_id": row.journey_id,
                    "journey_tile": row.journey_tile,
                },
            }
            for row in rows
        ],
        uow=uow,
    )


# --- recovery -------------------------------------------------------------------------------


# The workers delivering in this process now (a worker is one deliver_pending call).
_LIVE: set[str] = set()


def _is_gone(worker: str, claimed_at: datetime | None, now: datetime, lease: float) -> bool:
    if worker in _LIVE:
        return False
    host, _, rest = worker.partition(":")
    pid_text = rest.partition(":")[0]
    if host == socket.gethostname() and pid_text.isdigit():
        pid = int(pid_text)
        if pid == os.getpid():
            return True  # an earlier process that had this pid (a restarted container)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass
    return claimed_at is None or claimed_at < now - timedelta(seconds=lease)


def recover_stale(journal_dir: Path, lease_seconds: float, *, uow: UnitOfWork) -> Totals:
    """Settle the messages left in `sending` by workers that are gone, from their journals."""
    session = uow.session
    now = utcnow()
    claims = session.execute(
        select(MESSAGES.c.claimed_by, func.min(MESSAGES.c.claimed_at))
        .where(MESSAGES.c.status == MessageStatus.SENDING.value)
        .group_by(MESSAGES.c.claimed_by)
    ).all()
    totals = Totals()
    for worker, claimed_at in claims:
        if worker is not None and not _is_gone(worker, claimed_at, now, lease_seconds):
            continue
        path = journal_dir / f"{(worker or '').replace(':', '_')}.log"
        marks = Journal.read(path)
        rows = session.execute(
            select(MESSAGES.c.id, MESSAGES.c.idempotency_key, EmailTemplate.from_address)
            .join(EmailTemplate, EmailTemplate.id == MESSAGES.c.template_id)
            .where(
                MESSAGES.c.status == MessageStatus.SENDING.value,
                MESSAGES.c.claimed_by.is_(None)
                if worker is None
                else MESSAGES.c.claimed_by == worker,
            )
            .with_for_update(skip_locked=True)
        ).all()
        finished = Finished()
        for message_id, key, from_address in rows:
            mark = marks.get(message_id)
            if mark == "H" or (mark is not None and mark.startswith("2")):
                finished.sent[message_id] = message_id_header(key, from_address)
            elif mark is not None and mark.startswith("5"):
                finished.bounced[message_id] = f"{mark} (recovered from the journal)"
            else:
                finished.deferred[message_id] = "worker gone before sending it"
        # Not handed over: sending it now is its first delivery, so it is not a retry.
        if finished.deferred:
            session.execute(
                update(MESSAGES)
                .where(MESSAGES.c.id.in_(sorted(finished.deferred)))
                .values(
                    status=MessageStatus.QUEUED.value,
                    claimed_at=None,
                    claimed_by=None,
                    attempts=MESSAGES.c.attempts - 1,
                )
            )
        deferred = len(finished.deferred)
        finished.deferred = {}
        result = finish_batch(finished, uow=uow)
        totals.add(result)
        totals.recovered += len(rows)
        totals.deferred += deferred
        if path.exists():
            uow.after_commit(_unlinker(path))
        logger.info("recovered %d messages of %s", len(rows), worker)
    return totals


def _unlinker(path: Path) -> Callable[[], None]:
    return lambda: path.unlink(missing_ok=True)


# --- the loop -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryOptions:
    batch_size: int = 500
    limit: int | None = None


def _compose(
    container: Dependencies, claimed: Sequence[Claimed]
) -> dict[int, tuple[bytes, str, str]]:
    """id -> (message bytes, envelope sender, Message-ID header)."""
    links = Links(container.settings.public_url, container.settings.effective_secret_key)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        templates = {
            row.id: row
            for row in session.scalars(
                select(EmailTemplate).where(
                    EmailTemplate.id.in_(sorted({item.template_id for item in claimed}))
                )
            )
        }
        values = merge_values_for(session, registry, [item.contact_id for item in claimed])
    composed: dict[int, tuple[bytes, str, str]] = {}
    for item in claimed:
        template = templates[item.template_id]
        unsubscribe = links.unsubscribe(item.id)
        rendered = render(
            compiled(template),
            values.get(item.contact_id, {}),
            links=links,
            message_id=item.id,
            unsubscribe_url=unsubscribe,
        )
        header = message_id_header(item.idempotency_key, template.from_address)
        data = mime_bytes(
            rendered,
            from_name=template.from_name,
            from_address=template.from_address,
            to_address=item.to_address,
            reply_to=template.reply_to,
            message_id=header,
            unsubscribe_url=unsubscribe,
        )
        composed[item.id] = (data, template.from_address, header)
    return composed


def _journaling(journal: Journal, message_id: int) -> Callable[[], None]:
    return lambda: journal.write(message_id, "H")


def _send_all(
    mailer: Mailer,
    journal: Journal,
    claimed: Sequence[Claimed],
    composed: dict[int, tuple[bytes, str, str]],
    progress: Callable[[int], None] | None,
) -> tuple[Finished, str | None]:
    finished = Finished()
    broken: str | None = None
    for item in claimed:
        data, sender, header = composed[item.id]
        if broken is not None:
            finished.deferred[item.id] = broken
            continue
        try:
            result: SendResult = mailer.send(
                sender,
                item.to_address,
                data,
                on_handed_over=_journaling(journal, item.id),
            )
        except (OSError, smtplib.SMTPException) as exc:
            broken = f"cannot reach the SMTP server: {exc}"
            finished.deferred[item.id] = broken
            continue
        journal.write(item.id, str(result.code))
        if result.outcome is Outcome.DELIVERED:
            finished.sent[item.id] = header
        elif result.outcome is Outcome.BOUNCED:
            finished.bounced[item.id] = f"{result.code} {result.reply}"
        elif result.outcome is Outcome.REFUSED_SENDER:
            finished.failed[item.id] = f"sender refused: {result.code} {result.reply}"
        else:
            finished.deferred[item.id] = f"{result.code} {result.reply}"
        if progress is not None:
            progress(1)
    return finished, broken


def deliver_pending(
    container: Dependencies,
    options: DeliveryOptions | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> Totals:
    """Recover what dead workers left, then send every due message, batch by batch."""
    options = options or DeliveryOptions(batch_size=container.settings.smtp_batch_size)
    settings = container.settings
    journal_dir = settings.var_dir / JOURNAL_DIR
    totals = Totals()
    with container.uow() as uow:
        recovered = recover_stale(journal_dir, settings.smtp_claim_seconds, uow=uow)
        uow.commit()
    totals.add(recovered)
    with container.read_session() as session:
        if queued_count(session) == 0:
            return totals
    mailer = Mailer(SmtpConfig.from_settings(settings))
    try:
        mailer.connect()
    except (OSError, smtplib.SMTPException) as exc:
        totals.error = (
            f"cannot reach the SMTP server {settings.smtp_host}:{settings.smtp_port}: {exc}"
        )
        logger.warning(totals.error)
        return totals
    worker = worker_name()
    journal = Journal(journal_dir, worker)
    _LIVE.add(worker)
    try:
        while options.limit is None or totals.done < options.limit:
            size = options.batch_size
            if options.limit is not None:
                size = min(size, options.limit - totals.done)
            with container.uow() as uow:
                claimed, skipped = claim_batch(worker, size, uow=uow)
                uow.commit()
            totals.skipped += skipped
            if progress is not None and skipped:
                progress(skipped)
            if not claimed:
                if skipped:
                    continue
                break
            composed = _compose(container, claimed)
            finished, broken = _send_all(mailer, journal, claimed, composed, progress)
            with container.uow() as uow:
                totals.add(finish_batch(finished, uow=uow))
                uow.commit()
            journal.clear()
            if broken is not None:
                totals.error = broken
                break
    finally:
        _LIVE.discard(worker)
        mailer.close()
        journal.close()
    return totals


# --- test sends -----------------------------------------------------------------------------


def send_test(
    container: Dependencies,
    source: TemplateSource,
    *,
    from_name: str,
    from_address: str,
    reply_to: str | None,
    contact_id: int | None,
    to_address: str,
) -> SendResult:
    """Send the template as `contact_id` would receive it to `to_address`, now, with
    "[Test]" before the subject; nothing is recorded."""
    from leadflow.emails.services import preview

    address = to_address.strip()
    if not valid_address(address):
        raise ValidationFailed(
            "to is not an email address", code=ErrorCode.INVALID_EMAIL, field="to"
        )
    links = Links(container.settings.public_url, container.settings.effective_secret_key)
    with container.read_session() as session:
        rendered = preview(
            session, container.registry_cache.get(session), source, contact_id, links
        )
    rendered = replace(rendered, subject=f"[Test] {rendered.subject}")
    data = mime_bytes(
        rendered,
        from_name=from_name,
        from_address=from_address,
        to_address=address,
        reply_to=reply_to,
        message_id=message_id_header(f"test:{uuid.uuid4().hex}", from_address),
        unsubscribe_url=None,
    )
    settings = container.settings
    try:
        with Mailer(SmtpConfig.from_settings(settings)) as mailer:
            result = mailer.send(from_address, address, data)
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpUnavailable(
            f"cannot reach the SMTP server {settings.smtp_host}:{settings.smtp_port}: {exc}"
        ) from None
    if result.outcome is not Outcome.DELIVERED:
        raise SmtpUnavailable(f"the SMTP server answered {result.code} {result.reply}")
    return result


# What a draft must hold before a test of it can go out, and the field that names it.
_DRAFT_NEEDS = (
    ("subject", "A test needs a subject"),
    ("html_body", "A test needs an HTML body"),
    ("from_address", "A test needs the sender address"),
)


def send_draft_test(
    container: Dependencies,
    draft: Mapping[str, Any],
    base: EmailTemplate | None,
    *,
    contact_id: int | None,
    to_address: str,
) -> SendResult:
    """Send a test of what the editor holds now, saved or not: the draft's parts win over
    the saved template's (`base`), as in the preview."""

    def part(name: str) -> str:
        value = draft.get(name)
        if isinstance(value, str) and value.strip():
            return value
        saved = getattr(base, name, None) if base is not None else None
        return saved if isinstance(saved, str) else ""

    for name, message in _DRAFT_NEEDS:
        if not part(name).strip():
            raise ValidationFailed(message, field=name)
    sender = part("from_address").strip()
    if not valid_address(sender):
        raise ValidationFailed(
            "from_address is not an email address",
            code=ErrorCode.INVALID_EMAIL,
            field="from_address",
        )
    return send_test(
        container,
        TemplateSource(part("subject"), part("html_body"), part("text_body") or None),
        from_name=part("from_name").strip(),
        from_address=sender,
        reply_to=part("reply_to").strip() or None,
        contact_id=contact_id,
        to_address=to_address,
    )
