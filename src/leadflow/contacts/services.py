"""Contact use cases: the only code that writes contacts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from leadflow.accounts.models import Account
from leadflow.contacts.events import (
    ContactCreated,
    ContactDeleted,
    ContactLeftAccount,
    ContactUpdated,
)
from leadflow.contacts.models import Contact
from leadflow.db.uow import UnitOfWork
from leadflow.leads.services import detach_leads
from leadflow.lib.crud import EntitySpec, create_row, delete_row, get_row, update_row
from leadflow.lib.normalize import normalize_email, normalize_phone


def prepare_person(session: Session, values: dict[str, Any], existing: Any) -> None:
    """Keep the normalised email and the E.164 phone in step with what was given."""
    if "email" in values:
        email = values["email"]
        values["email_normalized"] = normalize_email(email) if email else None
    if "phone" in values:
        raw = values["phone"]
        country = values.get("country") or (
            getattr(existing, "country", None) if existing else None
        )
        values["phone_raw"] = raw
        values["phone"] = (normalize_phone(raw, country) or raw) if raw else None


CONTACTS: EntitySpec[Contact] = EntitySpec(
    entity="contact",
    model=Contact,
    created=ContactCreated,
    updated=ContactUpdated,
    deleted=ContactDeleted,
    references={"account_id": lambda: Account},
    prepare=prepare_person,
)


def create_contact(data: Mapping[str, Any], *, uow: UnitOfWork) -> Contact:
    """Create a contact from public field values (custom ones under `custom`)."""
    return create_row(CONTACTS, data, uow=uow)


def update_contact(contact_id: int, changes: Mapping[str, Any], *, uow: UnitOfWork) -> Contact:
    """Change some fields; publishes ContactUpdated naming the ones that changed."""
    before = get_contact(uow.session, contact_id).account_id
    row, changed = update_row(CONTACTS, contact_id, changes, uow=uow)
    if "account_id" in changed and before is not None:
        uow.publish(ContactLeftAccount(contact_id=contact_id, account_id=before))
    return row


def get_contact(session: Session, contact_id: int) -> Contact:
    return get_row(session, CONTACTS, contact_id)


def delete_contact(contact_id: int, *, unlink_leads: bool = False, uow: UnitOfWork) -> None:
    """Delete a contact and its interactions.

    Leads that name it as parent contact keep it alive unless the caller asks to
    unlink them: a lead silently losing its contact would lose its score.
    """
    account_id = get_contact(uow.session, contact_id).account_id
    detach_leads(uow, field="parent_contact_id", target_id=contact_id, unlink=unlink_leads)
    delete_row(CONTACTS, contact_id, uow=uow)
    if account_id is not None:
        uow.publish(ContactLeftAccount(contact_id=contact_id, account_id=account_id))
