"""The event outbox: how much waits, and the events parked after failing too often."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from leadflow.outbox import OutboxMessage
from leadflow.users.domain import Permission as P
from leadflow.web.auth import Authorize, container_of

router = APIRouter(prefix="/api/v1/outbox", tags=["outbox"])
can_admin = Depends(Authorize(P.SYSTEM_ADMIN))


class OutboxState(BaseModel):
    pending: int = Field(description="Events waiting for their handlers")
    parked: int = Field(description="Events that failed too often and wait for a retry")


class ParkedEvent(BaseModel):
    id: int
    event_type: str
    subject: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    parked_at: datetime | None

    @classmethod
    def of(cls, row: OutboxMessage) -> ParkedEvent:
        return cls(
            id=row.id,
            event_type=row.event_type,
            subject=row.subject,
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=row.created_at,
            parked_at=row.parked_at,
        )


class ParkedList(BaseModel):
    items: list[ParkedEvent]


class RetryIn(BaseModel):
    ids: list[int] | None = Field(
        default=None, description="The parked events to retry; none: every parked event"
    )


class RetryOut(BaseModel):
    retried: int


@router.get("", dependencies=[can_admin], summary="How many events wait, and how many are parked")
def outbox_state(request: Request) -> OutboxState:
    relay = container_of(request).relay
    return OutboxState(pending=relay.pending_count(), parked=relay.parked_count())


@router.get("/parked", dependencies=[can_admin], summary="Parked events, newest first")
def parked_events(request: Request, limit: int = Query(100, ge=1, le=500)) -> ParkedList:
    rows = container_of(request).relay.parked(limit=limit)
    return ParkedList(items=[ParkedEvent.of(row) for row in rows])


@router.post(
    "/parked/retry", dependencies=[can_admin], summary="Put parked events back in the queue"
)
def retry_parked(request: Request, body: RetryIn) -> RetryOut:
    return RetryOut(retried=container_of(request).relay.retry_parked(body.ids))
