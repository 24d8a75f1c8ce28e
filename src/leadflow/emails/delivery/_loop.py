"""The delivery loop: recover, then claim, compose, send and finish batch after batch."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select

from leadflow.dependencies import Dependencies
from leadflow.emails.compose import Links, compiled, merge_values_for, mime_bytes, render
from leadflow.emails.delivery._batch import Claimed, Finished, Totals
from leadflow.emails.delivery._claim import claim_batch, queued_count
from leadflow.emails.delivery._finish import finish_batch
from leadflow.emails.delivery._journal import JOURNAL_DIR, Journal, worker_name
from leadflow.emails.delivery._recovery import _LIVE, recover_stale
from leadflow.emails.domain import message_id_header
from leadflow.emails.models import EmailTemplate
from leadflow.emails.smtp import Mailer, Outcome, SendResult, SmtpConfig

logger = logging.getLogger(__name__)


class Composed(NamedTuple):
    """A message ready to send (a tuple still: the email benchmark indexes it)."""

    data: bytes  # the MIME message
    sender: str  # the envelope sender
    header: str  # its Message-ID header


@dataclass(frozen=True)
class DeliveryOptions:
    batch_size: int = 500
    limit: int | None = None


def _compose(container: Dependencies, claimed: Sequence[Claimed]) -> dict[int, Composed]:
    """Each claimed message rendered for its contact, by id."""
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
    composed: dict[int, Composed] = {}
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
        composed[item.id] = Composed(data, template.from_address, header)
    return composed


def _journaling(journal: Journal, message_id: int) -> Callable[[], None]:
    return lambda: journal.write(message_id, "H")


def _send_all(
    mailer: Mailer,
    journal: Journal,
    claimed: Sequence[Claimed],
    composed: dict[int, Composed],
    progress: Callable[[int], None] | None,
) -> tuple[Finished, str | None]:
    finished = Finished()
    broken: str | None = None
    for item in claimed:
        message = composed[item.id]
        if broken is not None:
            finished.deferred[item.id] = broken
            continue
        try:
            result: SendResult = mailer.send(
                message.sender,
                item.to_address,
                message.data,
                on_handed_over=_journaling(journal, item.id),
            )
        except (OSError, smtplib.SMTPException) as exc:
            broken = f"cannot reach the SMTP server: {exc}"
            finished.deferred[item.id] = broken
            continue
        journal.write(item.id, str(result.code))
        if result.outcome is Outcome.DELIVERED:
            finished.sent[item.id] = message.header
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
