"""Tracking and unsubscribe: what a signed link does when a contact follows it.

Opens (the pixel) are recorded once per message; clicks each time. Each becomes an
interaction of the message's contact (`email_opened`, `email_clicked`,
`email_unsubscribed`), with `target_id` the template and `data` naming the message
and its journey, so scoring, segments and journeys see them.
"""

from __future__ import annotations

from typing import Any

from leadflow.contacts.services import get_contact, update_contact
from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.emails.models import EmailMessage
from leadflow.interactions.domain import InteractionKind
from leadflow.interactions.services import record_interaction
from leadflow.lib.clock import utcnow

EMAIL_UNSUBSCRIBED = "email_unsubscribed"


def _record(message: EmailMessage, kind: str, *, uow: UnitOfWork, **extra: Any) -> None:
    record_interaction(
        {
            "contact_id": message.contact_id,
            "kind": kind,
            "target_id": str(message.template_id),
            "data": {
                "message_id": message.id,
                "journey_id": message.journey_id,
                "journey_tile": message.journey_tile,
                **extra,
            },
        },
        uow=uow,
    )


def record_open(message_id: int, *, uow: UnitOfWork) -> bool:
    """The message's pixel was fetched: `email_opened`, the first time only."""
    message = uow.session.get(EmailMessage, message_id, with_for_update=True)
    if message is None or message.opened_at is not None:
        return False
    message.opened_at = utcnow()
    _record(message, InteractionKind.EMAIL_OPENED.value, uow=uow)
    return True


def record_click(message_id: int, link: int | None, url: str, *, uow: UnitOfWork) -> bool:
    """A tracked link was followed: `email_clicked` with the original URL, each time. A
    click shows the message was opened, even with images blocked."""
    message = uow.session.get(EmailMessage, message_id, with_for_update=True)
    if message is None:
        return False
    if message.opened_at is None:
        message.opened_at = utcnow()
        _record(message, InteractionKind.EMAIL_OPENED.value, uow=uow)
    _record(message, InteractionKind.EMAIL_CLICKED.value, uow=uow, url=url, link=link)
    return True


def unsubscribe(message_id: int, *, uow: UnitOfWork) -> bool:
    """The contact asked for no more email: do-not-email set and `email_unsubscribed`
    recorded (once: a second request changes nothing)."""
    message = uow.session.get(EmailMessage, message_id)
    if message is None:
        return False
    if get_contact(uow.session, message.contact_id).do_not_email:
        return True
    update_contact(message.contact_id, {"do_not_email": True}, uow=uow)
    _record(message, EMAIL_UNSUBSCRIBED, uow=uow)
    return True


do_record_open = in_own_transaction(record_open)
do_record_click = in_own_transaction(record_click)
do_unsubscribe = in_own_transaction(unsubscribe)
