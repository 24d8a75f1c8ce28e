"""Small builders the journeys tests share."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact
from leadflow.emails.models import EmailMessage
from leadflow.journeys import services
from leadflow.journeys.models import JourneyPosition, JourneyStep
from leadflow.lib.clock import utcnow
from leadflow.segments import services as segments
from leadflow.users.domain import Role
from leadflow.users.services import create_user
from tests.integration.emails.helpers import make_template

__all__ = ["make_template"]


def make_owner(container: Container, email: str = "owner@example.test") -> int:
    with container.uow() as uow:
        user = create_user(email=email, name="Olive Owner", role=Role.MARKETER.value, uow=uow)
        uow.commit()
        return user.id


def make_contacts(container: Container, count: int, **values: Any) -> list[int]:
    ids: list[int] = []
    with container.uow() as uow:
        for index in range(count):
            row = create_contact(
                {
                    "first_name": f"Ann{index}",
                    "last_name": f"Doe{index}",
                    "email": f"ann{index}.{values.get('account_id', 0)}@example.test",
                    "consent": "marketing",
                    **values,
                },
                uow=uow,
            )
            ids.append(row.id)
        uow.commit()
    container.relay.drain()
    return ids


def make_segment(container: Container, contact_ids: list[int], name: str = "Audience") -> int:
    """A live static segment holding these contacts."""
    with container.uow() as uow:
        segment = segments.create_segment({"name": name, "kind": "static"}, uow=uow)
        uow.commit()
        segment_id = segment.id
    with container.uow() as uow:
        segments.go_live(segment_id, uow=uow)
        uow.commit()
    container.relay.drain()
    if contact_ids:
        add_to_segment(container, segment_id, contact_ids)
    return segment_id


def add_to_segment(container: Container, segment_id: int, contact_ids: list[int]) -> None:
    with container.uow() as uow:
        segments.add_members(segment_id, uow=uow, contact_ids=contact_ids)
        uow.commit()
    container.relay.drain()


def make_journey(
    container: Container,
    tiles: list[dict[str, Any]],
    *,
    owner_id: int | None = None,
    start: str | None = None,
    live: bool = True,
    **settings: Any,
) -> int:
    definition = {"start": start or tiles[0]["id"], "tiles": tiles}
    with container.uow() as uow:
        journey = services.create_journey("Nurture", owner_id, settings, definition, uow=uow)
        uow.commit()
        journey_id = journey.id
    if live:
        go_live(container, journey_id)
    return journey_id


def go_live(container: Container, journey_id: int, now: datetime | None = None) -> None:
    with container.uow() as uow:
        services.go_live(journey_id, uow=uow, now=now)
        uow.commit()
    container.relay.drain()


def advance(container: Container, *, minutes: float = 0, now: datetime | None = None) -> int:
    """Run every due step at `now` (default: the real time plus `minutes`)."""
    moment = now or utcnow() + timedelta(minutes=minutes)
    moved = 0
    while True:
        result = services.do_advance_batch(uow=container.uow(), now=moment)
        moved += result.moved
        if result.claimed < services.BATCH:
            break
    container.relay.drain()
    return moved


def positions(container: Container, journey_id: int) -> list[JourneyPosition]:
    with container.read_session() as session:
        return list(
            session.scalars(
                select(JourneyPosition)
                .where(JourneyPosition.journey_id == journey_id)
                .order_by(JourneyPosition.contact_id, JourneyPosition.entry_number)
            )
        )


def steps(container: Container, journey_id: int) -> list[tuple[int, str, str]]:
    """(contact, tile, outcome) in order."""
    with container.read_session() as session:
        return [
            (row.contact_id, row.tile_id, row.outcome)
            for row in session.scalars(
                select(JourneyStep)
                .where(JourneyStep.journey_id == journey_id)
                .order_by(JourneyStep.id)
            )
        ]


def messages(container: Container) -> list[tuple[int, int, str]]:
    """(contact, template, idempotency key) of every queued message."""
    with container.read_session() as session:
        return [
            (row.contact_id, row.template_id, row.idempotency_key)
            for row in session.scalars(select(EmailMessage).order_by(EmailMessage.id))
        ]


def record(container: Container, contact_id: int, kind: str, **extra: Any) -> None:
    from leadflow.interactions.services import record_interactions

    with container.uow() as uow:
        record_interactions([{"contact_id": contact_id, "kind": kind, **extra}], uow=uow)
        uow.commit()
    container.relay.drain()


def make_account(container: Container, name: str = "Acme") -> int:
    from leadflow.accounts.services import create_account

    with container.uow() as uow:
        row = create_account({"name": name}, uow=uow)
        uow.commit()
    container.relay.drain()
    return row.id


def history(container: Container, contact_id: int) -> list[tuple[str, str, str | None]]:
    """(tile, outcome, detail) of the contact's steps, in order."""
    with container.read_session() as session:
        return [
            (row.tile_id, row.outcome, row.detail)
            for row in session.scalars(
                select(JourneyStep)
                .where(JourneyStep.contact_id == contact_id)
                .order_by(JourneyStep.id)
            )
        ]
