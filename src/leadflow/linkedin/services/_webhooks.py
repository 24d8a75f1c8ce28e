"""Webhooks: LinkedIn's endpoint validation, signed notifications, and the notified
response fetched at once."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.linkedin.domain import (
    LeadAction,
    challenge_response,
    parse_notifications,
    signature_valid,
)
from leadflow.linkedin.errors import InvalidSignature, LinkedInApiError
from leadflow.linkedin.models import LinkedInConnection, LinkedInNotification, LinkedInResponse
from leadflow.linkedin.services._connections import get_connection
from leadflow.linkedin.services._forms import save_forms
from leadflow.linkedin.services._ingest import ingest_responses, mark_deleted, save_campaigns
from leadflow.linkedin.services._sync import (
    FETCH_TASK,
    _campaign_names,
    _record_failure,
    _snapshot,
    _unknown_forms,
    client_for,
)

if TYPE_CHECKING:
    from leadflow.dependencies import Dependencies


def challenge(session: Session, connection_id: int, code: str) -> dict[str, str]:
    """LinkedIn's endpoint validation: the code signed with the connection's secret."""
    row = get_connection(session, connection_id)
    if not row.client_secret:
        raise InvalidSignature("The connection has no webhook secret", field="client_secret")
    if not code or len(code) > 200:
        raise ValidationFailed(
            "challengeCode is required", field="challengeCode", code=ErrorCode.REQUIRED
        )
    return {"challengeCode": code, "challengeResponse": challenge_response(row.client_secret, code)}


def receive_notifications(
    connection_id: int, body: bytes, signature_header: str | None, *, uow: UnitOfWork
) -> dict[str, int]:
    """A signed webhook: each new CREATED response is fetched after commit, each DELETED
    one reflected now; a repeated notification is dropped."""
    row = get_connection(uow.session, connection_id)
    if not row.client_secret or not signature_valid(row.client_secret, body, signature_header):
        raise InvalidSignature("The X-LI-Signature header does not match the body", field="body")
    try:
        notifications = parse_notifications(json.loads(body or b"null"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            f"Not a lead notification: {exc}", field="body", code=ErrorCode.NOTIFICATION_INVALID
        ) from None
    insert_fn = (
        postgresql.insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    received = repeated = 0
    for item in notifications:
        inserted = uow.session.execute(
            insert_fn(LinkedInNotification)
            .values(
                connection_id=row.id,
                response_id=item.response_id,
                action=item.action.value,
                occurred_at=item.occurred_at,
                received_at=utcnow(),
                payload=item.payload,
            )
            .on_conflict_do_nothing(index_elements=["connection_id", "response_id", "action"])
            .returning(LinkedInNotification.id)
        ).scalar()
        if inserted is None:
            repeated += 1
            continue
        received += 1
        if item.action is LeadAction.DELETED:
            mark_deleted(row.id, item.response_id, uow=uow)
        else:
            uow.enqueue_after_commit(FETCH_TASK, row.id, item.response_id)
    return {"received": received, "repeated": repeated}


do_receive_notifications = in_own_transaction(receive_notifications)


def fetch_notified(container: Dependencies, connection_id: int, response_id: str) -> str:
    """Fetch and store one notified response; a failure is recorded on the connection
    (the next pull reads the response anyway)."""
    with container.read_session() as session:
        row = session.get(LinkedInConnection, connection_id)
        if row is None:
            return "unknown connection"
        conn = _snapshot(row)
        stored = session.scalar(
            select(LinkedInResponse.id).where(LinkedInResponse.response_id == response_id)
        )
    if stored is not None:
        with container.uow() as uow:
            ingest_responses(conn.id, [{"id": response_id}], via="webhook", uow=uow)
            uow.commit()
        return "skipped"
    try:
        with client_for(container, conn) as client:
            element = client.response(response_id)
            new_forms = _unknown_forms(container, client, conn, [element])
            campaigns = _campaign_names(container, client, conn, [element])
    except LinkedInApiError as exc:
        _record_failure(container, conn.id, exc)
        return "failed"
    with container.uow() as uow:
        if new_forms:
            save_forms(conn.id, new_forms, uow=uow)
        if campaigns:
            save_campaigns(conn.id, campaigns, uow=uow)
        counts = ingest_responses(conn.id, [element], via="webhook", uow=uow)
        uow.commit()
    return next((name for name, count in counts.as_dict().items() if count), "skipped")


def last_received(session: Session, connection_id: int) -> datetime | None:
    return session.scalar(
        select(LinkedInNotification.received_at)
        .where(LinkedInNotification.connection_id == connection_id)
        .order_by(LinkedInNotification.id.desc())
        .limit(1)
    )
