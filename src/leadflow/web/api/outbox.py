"""The event outbox: how much waits, and the events parked after failing too often."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from leadflow.outbox import OutboxMessage
from leadflow.users.domain import Permission as P
from leadflow.web.calls import ApiCall, api_call

router = APIRouter(prefix="/api/v1/outbox", tags=["outbox"])
administering = api_call(P.SYSTEM_ADMIN)


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


@router.get("", summary="How many events wait, and how many are parked")
def outbox_state(call: ApiCall = administering) -> OutboxState:
    relay = call.container.relay
    return OutboxState(pending=relay.pending_count(), parked=relay.parked_count())


@router.get("/parked", summary="Parked events, newest first")
def parked_events(
    limit: int = Query(100, ge=1, le=500), call: ApiCall = administering
) -> ParkedList:
    rows = call.container.relay.parked(limit=limit)
    return ParkedList(items=[ParkedEvent.of(row) for row in rows])


@router.post("/parked/retry", summary="Put parked events back in the queue")
def retry_parked(body: RetryIn, call: ApiCall = administering) -> RetryOut:
    return RetryOut(retried=call.container.relay.retry_parked(body.ids))
