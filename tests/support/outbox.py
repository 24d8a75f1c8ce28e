"""Outbox steps the relay tests share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import update

from leadflow.bootstrap import Container
from leadflow.capture.domain import SubmissionStatus
from leadflow.capture.models import FormSubmission
from leadflow.capture.services import SubmissionResult, do_accept_submission
from leadflow.outbox import OutboxMessage


def expire_leases(container: Container) -> None:
    """Every claim and retry pause runs out now: a dead relay's lease, a failure's wait."""
    with container.session_factory() as session, session.begin():
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dispatched_at.is_(None))
            .values(claimed_until=None)
        )


def submit_and_process(
    container: Container, form_id: int, payload: Mapping[str, Any], **kwargs: Any
) -> SubmissionResult:
    """Accept a form submission as the request path does, drain the outbox (the relay's
    `capture.submissions` batch processes it) and return what it became. Bad input
    raises ValidationFailed, as on the request path."""
    accepted = do_accept_submission(form_id, payload, uow=container.uow(), **kwargs)
    container.relay.drain()
    if accepted.submission_id is None:
        return accepted
    with container.read_session() as session:
        row = session.get(FormSubmission, accepted.submission_id)
        if row is None:  # processed, and not kept (the form stores failures only)
            return accepted
        return SubmissionResult(
            row.id, SubmissionStatus(row.status), row.contact_id, row.lead_id, list(row.errors)
        )
