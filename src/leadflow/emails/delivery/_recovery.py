"""Recovery: the messages a gone worker left in `sending`, settled from its journal."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from leadflow.db.uow import UnitOfWork
from leadflow.emails.delivery._batch import MESSAGES, Finished, Totals
from leadflow.emails.delivery._finish import finish_batch
from leadflow.emails.delivery._journal import Journal
from leadflow.emails.domain import MessageStatus, message_id_header
from leadflow.emails.models import EmailTemplate
from leadflow.lib.clock import utcnow

logger = logging.getLogger(__name__)

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
