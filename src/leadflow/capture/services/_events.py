"""Events: registration (matching the contact, one lead per contact per event) and check-in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leadflow.capture.domain import EVENT_STRATEGY_KEYS, EventMatchOn
from leadflow.capture.errors import EventFull
from leadflow.capture.models import EventRegistration, MarketingEvent
from leadflow.contacts.services import update_contact
from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import ErrorCode, NotFound, ValidationFailed
from leadflow.interactions.domain import InteractionKind
from leadflow.interactions.services import record_interaction
from leadflow.leads.domain import LeadSource
from leadflow.leads.services import create_lead
from leadflow.lib.clock import as_utc, utcnow
from leadflow.lib.normalize import InvalidEmail, normalize_email
from leadflow.matching.services import match_contact, strategy_by_seed_key
from leadflow.users.models import User

_TEXT_LIMITS = {"name": 200, "venue": 300, "campaign": 200}
_PERSON_FIELDS = {
    "email": 320,
    "first_name": 100,
    "last_name": 100,
    "company": 200,
    "phone": 50,
    "job_title": 200,
}


def list_events(session: Session) -> list[MarketingEvent]:
    return list(session.scalars(select(MarketingEvent).order_by(MarketingEvent.starts_at.desc())))


def get_event(session: Session, event_id: int) -> MarketingEvent:
    found = session.get(MarketingEvent, event_id)
    if found is None:
        raise NotFound(f"No event with id {event_id}", field="id")
    return found


def _when(value: Any, name: str) -> datetime:
    if isinstance(value, datetime):
        return as_utc(value)
    try:
        return as_utc(datetime.fromisoformat(str(value)))
    except ValueError:
        raise ValidationFailed(
            f"{name} must be an ISO date and time", field=name, code=ErrorCode.NOT_A_DATETIME
        ) from None


def _apply(session: Session, row: MarketingEvent, data: Mapping[str, Any]) -> None:
    for name, limit in _TEXT_LIMITS.items():
        if name in data:
            text = str(data[name] or "").strip()
            if name == "name" and not text:
                raise ValidationFailed("An event needs a name", code=ErrorCode.REQUIRED, field=name)
            if len(text) > limit:
                raise ValidationFailed(
                    f"{name} is longer than {limit} characters",
                    field=name,
                    code=ErrorCode.TEXT_TOO_LONG,
                )
            setattr(row, name, text or None)
    for name in ("starts_at", "ends_at"):
        if name in data:
            setattr(row, name, _when(data[name], name))
    if row.ends_at < row.starts_at:
        raise ValidationFailed(
            "The event ends before it starts", field="ends_at", code=ErrorCode.DATES_OUT_OF_ORDER
        )
    if "capacity" in data:
        capacity = data["capacity"]
        if capacity in (None, ""):
            row.capacity = None
        elif not str(capacity).isdigit() or int(capacity) < 1:
            raise ValidationFailed(
                "capacity must be a positive whole number",
                field="capacity",
                code=ErrorCode.OUT_OF_RANGE,
            )
        else:
            row.capacity = int(capacity)
    if "match_on" in data:
        try:
            row.match_on = EventMatchOn(data["match_on"]).value
        except ValueError:
            raise ValidationFailed(
                "match_on must be email, name or email_and_name",
                field="match_on",
                code=ErrorCode.NOT_A_CHOICE,
            ) from None
    if "create_leads" in data:
        row.create_leads = bool(data["create_leads"])
    if "owner_id" in data:
        owner = data["owner_id"]
        if owner is not None and session.get(User, owner) is None:
            raise ValidationFailed(
                f"No user with id {owner}", field="owner_id", code=ErrorCode.USER_UNKNOWN
            )
        row.owner_id = owner


def create_event(data: Mapping[str, Any], *, uow: UnitOfWork) -> MarketingEvent:
    """An event; registrations match contacts as `match_on` says (default: email)."""
    for required in ("name", "starts_at", "ends_at"):
        if not data.get(required):
            raise ValidationFailed(
                f"{required} is required", code=ErrorCode.REQUIRED, field=required
            )
    now = utcnow()
    row = MarketingEvent(
        name="",
        starts_at=_when(data["starts_at"], "starts_at"),
        ends_at=_when(data["ends_at"], "ends_at"),
        match_on=EventMatchOn.EMAIL.value,
        create_leads=True,
        created_at=now,
        updated_at=now,
    )
    _apply(uow.session, row, data)
    uow.session.add(row)
    uow.session.flush()
    return row


def update_event(event_id: int, changes: Mapping[str, Any], *, uow: UnitOfWork) -> MarketingEvent:
    row = get_event(uow.session, event_id)
    _apply(uow.session, row, changes)
    row.updated_at = utcnow()
    uow.session.flush()
    return row


def delete_event(event_id: int, *, uow: UnitOfWork) -> None:
    uow.session.delete(get_event(uow.session, event_id))
    uow.session.flush()


def list_registrations(session: Session, event_id: int) -> list[EventRegistration]:
    return list(
        session.scalars(
            select(EventRegistration)
            .where(EventRegistration.event_id == event_id)
            .order_by(EventRegistration.id)
        )
    )


def _clean_person(data: Mapping[str, Any], match_on: EventMatchOn) -> dict[str, str]:
    person: dict[str, str] = {}
    for name, limit in _PERSON_FIELDS.items():
        raw = data.get(name)
        text = "" if raw is None else str(raw).strip()
        if len(text) > limit:
            raise ValidationFailed(
                f"{name} is longer than {limit} characters",
                field=name,
                code=ErrorCode.TEXT_TOO_LONG,
            )
        if text:
            person[name] = text
    needed = {
        EventMatchOn.EMAIL: ("email",),
        EventMatchOn.NAME: ("first_name", "last_name"),
        EventMatchOn.EMAIL_AND_NAME: ("email", "first_name", "last_name"),
    }[match_on]
    for name in needed:
        if name not in person:
            raise ValidationFailed(f"{name} is required", code=ErrorCode.REQUIRED, field=name)
    if "email" in person:
        try:
            normalize_email(person["email"])
        except InvalidEmail:
            raise ValidationFailed(
                "Not a valid email address", code=ErrorCode.INVALID_EMAIL, field="email"
            ) from None
    return person


def register_for_event(
    event_id: int, data: Mapping[str, Any], *, uow: UnitOfWork
) -> tuple[EventRegistration, bool]:
    """Register a person: (registration, newly made). Registering again changes nothing.

    A full event refuses with EventFull unless `join_waitlist` is set.
    """
    session = uow.session
    # Locks the event row on PostgreSQL so two last-seat registrations cannot both fit.
    event_row = session.get(MarketingEvent, event_id, with_for_update=True)
    if event_row is None:
        raise NotFound(f"No event with id {event_id}", field="id")
    match_on = EventMatchOn(event_row.match_on)
    person = _clean_person(data, match_on)
    contact_id = _registrant(uow, person, match_on)
    existing = _registration_of(session, event_id, contact_id)
    if existing is not None:
        return existing, False
    status = _registration_status(session, event_row, data)
    inserted = _insert_registration(session, event_id, contact_id, status)
    if inserted is None:
        winner = _registration_of(session, event_id, contact_id)
        assert winner is not None
        return winner, False
    registration = session.get(EventRegistration, inserted)
    assert registration is not None
    if event_row.create_leads:
        registration.lead_id = _event_lead(uow, event_row, person, contact_id)
    session.flush()
    record_interaction(
        {
            "contact_id": contact_id,
            "lead_id": registration.lead_id,
            "kind": InteractionKind.EVENT_REGISTERED.value,
            "target_id": str(event_id),
            "data": {"registration_id": registration.id, "status": status},
        },
        uow=uow,
    )
    return registration, True


def _registrant(uow: UnitOfWork, person: Mapping[str, str], match_on: EventMatchOn) -> int:
    """The contact the person matches on the event's strategy (updated with what they
    gave), or the new one made for them."""
    contact_values = {key: value for key, value in person.items() if key != "company"}
    strategy = strategy_by_seed_key(uow.session, EVENT_STRATEGY_KEYS[match_on])
    outcome = match_contact(
        uow,
        contact_values,
        strategy_id=strategy.id if strategy else None,
        create_values={**contact_values, "source": "event"},
    )
    contact_id = outcome.contact_id
    assert contact_id is not None
    if not outcome.created:
        update_contact(contact_id, contact_values, uow=uow)
    return contact_id


def _registration_status(
    session: Session, event_row: MarketingEvent, data: Mapping[str, Any]
) -> str:
    """`registered` while places are left, else `waitlisted` for who asked to join the
    waitlist; refuses with EventFull otherwise."""
    registered = session.scalar(
        select(func.count())
        .select_from(EventRegistration)
        .where(EventRegistration.event_id == event_row.id, EventRegistration.status == "registered")
    )
    if event_row.capacity is None or (registered or 0) < event_row.capacity:
        return "registered"
    if not data.get("join_waitlist"):
        raise EventFull(
            f"{event_row.name} is full ({event_row.capacity} places); join the waitlist instead",
            field="join_waitlist",
            extra={"waitlist": True},
        )
    return "waitlisted"


def _insert_registration(
    session: Session, event_id: int, contact_id: int, status: str
) -> int | None:
    """The new registration's id, or None when a concurrent one for the contact won."""
    insert_fn = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    inserted = session.execute(
        insert_fn(EventRegistration)
        .values(event_id=event_id, contact_id=contact_id, status=status, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["event_id", "contact_id"])
        .returning(EventRegistration.id)
    ).first()
    return None if inserted is None else int(inserted[0])


def _event_lead(
    uow: UnitOfWork, event_row: MarketingEvent, person: Mapping[str, str], contact_id: int
) -> int:
    """The lead an event that creates leads opens for a new registrant."""
    lead = create_lead(
        {
            "topic": event_row.name,
            "first_name": person.get("first_name"),
            "last_name": person.get("last_name"),
            "email": person.get("email"),
            "company_name": person.get("company"),
            "phone": person.get("phone"),
            "source": LeadSource.EVENT.value,
            "campaign": event_row.campaign,
            "event_id": event_row.id,
            "owner_id": event_row.owner_id,
            "parent_contact_id": contact_id,
        },
        uow=uow,
    )
    return lead.id


def _registration_of(session: Session, event_id: int, contact_id: int) -> EventRegistration | None:
    return session.scalars(
        select(EventRegistration).where(
            EventRegistration.event_id == event_id, EventRegistration.contact_id == contact_id
        )
    ).first()


def check_in(
    event_id: int, registration_id: int, *, uow: UnitOfWork
) -> tuple[EventRegistration, bool]:
    """Mark a registration attended: (registration, newly attended). Twice records once."""
    registration = uow.session.get(EventRegistration, registration_id)
    if registration is None or registration.event_id != event_id:
        raise NotFound(f"No registration {registration_id} for event {event_id}", field="id")
    if registration.attended_at is not None:
        return registration, False
    registration.attended_at = utcnow()
    uow.session.flush()
    record_interaction(
        {
            "contact_id": registration.contact_id,
            "lead_id": registration.lead_id,
            "kind": InteractionKind.EVENT_ATTENDED.value,
            "target_id": str(event_id),
            "data": {"registration_id": registration.id},
        },
        uow=uow,
    )
    return registration, True


# --- Use cases: what faces call; each opens the unit of work and commits it ----------------


do_create_event = in_own_transaction(create_event)
do_update_event = in_own_transaction(update_event)
do_delete_event = in_own_transaction(delete_event)


def do_register_for_event(
    event_id: int, data: Mapping[str, Any], *, uow: UnitOfWork
) -> tuple[EventRegistration, bool]:
    """Register a person for an event: (registration, newly made)."""
    with uow:
        registration, created = register_for_event(event_id, data, uow=uow)
        uow.commit()
        return registration, created


def do_check_in(
    event_id: int, registration_id: int, *, uow: UnitOfWork
) -> tuple[EventRegistration, bool]:
    """Check a registrant in: (registration, newly attended)."""
    with uow:
        registration, attended = check_in(event_id, registration_id, uow=uow)
        uow.commit()
        return registration, attended
