"""Settings: the event queue, where events that failed too often wait for a retry."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from leadflow.outbox import OutboxMessage
from leadflow.users.domain import Permission
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call, see_other
from leadflow.web.pages.display import TITLE_FIELDS, humanize, record_href
from leadflow.web.pages.lookups import titles_by_id
from leadflow.web.pages.render import render, settings_navigation

PATH = "/settings/events"


@dataclass(frozen=True)
class ParkedRow:
    id: int
    what: str
    subject: str
    href: str | None
    attempts: int
    error: str
    parked: str


def _unnamed(kind: str, record: str) -> str:
    if kind in TITLE_FIELDS:
        return f"{humanize(kind)} (deleted)"
    # Not a record with a title (a segment's membership events): named by its id.
    return f"{humanize(kind)} {record}" if kind else "-"


def _parked_rows(session: Session, messages: list[OutboxMessage]) -> list[ParkedRow]:
    """Each parked event with the record it is about, by name and linked."""
    wanted: dict[str, set[int]] = {}
    for message in messages:
        kind, _, record = (message.subject or "").partition(":")
        if kind in TITLE_FIELDS and record.isdigit():
            wanted.setdefault(kind, set()).add(int(record))
    titles = {kind: titles_by_id(session, kind, ids) for kind, ids in wanted.items()}
    rows = []
    for message in messages:
        kind, _, record = (message.subject or "").partition(":")
        known = titles.get(kind, {}).get(int(record)) if record.isdigit() else None
        rows.append(
            ParkedRow(
                id=message.id,
                what=humanize(message.event_type.replace(".", " ")),
                subject=known or _unnamed(kind, record),
                href=record_href(kind, record) if known else None,
                attempts=message.attempts,
                error=message.last_error or "",
                parked=message.parked_at.strftime("%Y-%m-%d %H:%M") if message.parked_at else "",
            )
        )
    return rows


router = APIRouter(include_in_schema=False)
can_admin = Authorize(Permission.SYSTEM_ADMIN)
administering = page_call(Permission.SYSTEM_ADMIN)


@router.get(PATH)
def event_queue(request: Request, principal: Principal = Depends(can_admin)) -> Response:
    container = container_of(request)
    relay = container.relay
    with container.read_session() as session:
        parked = _parked_rows(session, relay.parked(limit=200))
    context = {
        "settings_sections": settings_navigation(principal),
        "pending": relay.pending_count(),
        "parked": parked,
        "retried": request.query_params.get("retried"),
    }
    return render(request, "settings/events.html", context)


@router.post(f"{PATH}/retry")
def retry(call: PageCall = administering) -> Response:
    chosen = call.form.get("event_id")
    ids = [int(chosen)] if isinstance(chosen, str) and chosen.isdigit() else None
    retried = call.container.relay.retry_parked(ids)
    return see_other(f"{PATH}?retried={retried}")


def events_settings_router() -> APIRouter:
    return router
