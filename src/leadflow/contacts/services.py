"""Contact use cases: the only code that writes contacts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from leadflow.contacts.events import (
    ContactCreated,
    ContactDeleted,
    ContactLeftAccount,
    ContactUpdated,
)
from leadflow.contacts.models import Contact
from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import NotFound
from leadflow.leads.detach import detach_leads
from leadflow.lib.normalize import Phone, needs_region, normalize_email, parse_phone, phone_region
from leadflow.records.crud import (
    NO_CONTEXT,
    EntitySpec,
    WriteContext,
    create_row,
    delete_row,
    get_row,
    update_row,
)
from leadflow.records.lookup import find_record
from leadflow.switches.domain import PHONE_DEFAULT_REGION
from leadflow.switches.services import setting_value
from leadflow.users.domain import Permission, Role, role_allows

# The fields that say which country a record's phone belongs to.
_REGION_FIELDS = ("country", "account_id", "parent_contact_id", "parent_account_id")


_MAX_ID = 2**63 - 1


def _an_id(value: Any) -> int | None:
    """An id that can name a row: values reach matching uncoerced (a JSON body's "7")."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdecimal():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _MAX_ID:
        return value
    return None


def _record_countries(
    session: Session, values: Mapping[str, Any], existing: Any
) -> Iterator[str | None]:
    """The record's own country, then its parent contact's, then its account's; lazily."""

    def current(name: str) -> Any:
        return values[name] if name in values else getattr(existing, name, None)

    yield current("country")
    contact_id = _an_id(current("parent_contact_id"))
    contact = session.get(Contact, contact_id) if contact_id is not None else None
    if contact is not None:
        yield contact.country
    account_id = _an_id(current("account_id")) or _an_id(current("parent_account_id"))
    if account_id is None and contact is not None and "parent_account_id" not in values:
        # A new lead of a contact becomes its account's lead too (leads' own rule).
        account_id = contact.account_id
    if account_id is not None:
        account = find_record(session, "account", account_id)
        yield account.country if account is not None else None


def phone_region_for(
    session: Session,
    values: Mapping[str, Any],
    existing: Any = None,
    context: WriteContext = NO_CONTEXT,
) -> str | None:
    """The region a contact's or lead's national-format phone is read in.

    The record's own country (a contact's; a lead's parent contact's), else its
    account's, else the submission's country, else the org default region.
    """
    return phone_region(
        _record_countries(session, values, existing),
        context.country,
        lambda: setting_value(session, PHONE_DEFAULT_REGION.key),
    )


def read_phone(
    session: Session,
    raw: Any,
    *,
    values: Mapping[str, Any],
    existing: Any = None,
    context: WriteContext = NO_CONTEXT,
) -> Phone | None:
    """A typed phone as the record `values` describe would store it (None when blank).

    The one path for contacts and leads, for writes and for matching: a number with
    its country code is read as is; a national one in `phone_region_for`'s region.
    """
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None
    region = phone_region_for(session, values, existing, context) if needs_region(text) else None
    return parse_phone(text, region)


def _unread_phone(existing: Any) -> str | None:
    """The typed phone of a stored record that could not be read for want of a region."""
    raw = getattr(existing, "phone_raw", None)
    if raw and existing.phone == raw and needs_region(raw):
        return str(raw)
    return None


def prepare_person(
    session: Session, values: dict[str, Any], existing: Any, context: WriteContext
) -> None:
    """Keep the normalised email and the E.164 phone in step with what was given.

    The typed phone is kept in `phone_raw`. A stored phone that could not be read
    (national format, no region known) is read again when the record gains a country.
    """
    if "email" in values:
        email = values["email"]
        values["email_normalized"] = normalize_email(email) if email else None
    if "phone" in values:
        phone = read_phone(
            session, values["phone"], values=values, existing=existing, context=context
        )
        values["phone_raw"] = phone.raw if phone else None
        values["phone"] = phone.value if phone else None
        return
    unread = _unread_phone(existing) if existing is not None else None
    if unread and any(name in values for name in _REGION_FIELDS):
        phone = read_phone(session, unread, values=values, existing=existing, context=context)
        if phone is not None and phone.e164 is not None:
            values["phone"] = phone.e164


CONTACTS: EntitySpec[Contact] = EntitySpec(
    entity="contact",
    model=Contact,
    created=ContactCreated,
    updated=ContactUpdated,
    deleted=ContactDeleted,
    prepare=prepare_person,
)


def create_contact(
    data: Mapping[str, Any], *, uow: UnitOfWork, context: WriteContext = NO_CONTEXT
) -> Contact:
    """Create a contact from public field values (custom ones under `custom`)."""
    return create_row(CONTACTS, data, uow=uow, context=context)


def update_contact(
    contact_id: int,
    changes: Mapping[str, Any],
    *,
    uow: UnitOfWork,
    context: WriteContext = NO_CONTEXT,
    flush: bool = True,
) -> Contact:
    """Change some fields; publishes ContactUpdated naming the ones that changed.
    `flush=False`: the UPDATE waits for the session's next flush (a batch's one)."""
    before = get_contact(uow.session, contact_id).account_id
    row, changed = update_row(CONTACTS, contact_id, changes, uow=uow, context=context, flush=flush)
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


# Use cases: what faces call. Each opens the unit of work (or joins the one its
# face holds open to render), runs the step above and commits.


do_create_contact = in_own_transaction(create_contact)


do_update_contact = in_own_transaction(update_contact)


do_delete_contact = in_own_transaction(delete_contact)


# --- Reach: which contacts a caller may see ------------------------------------------------


def reach_conditions(role: Role, user_id: int) -> tuple[ColumnElement[bool], ...]:
    """SQL conditions on the contacts table for what `role`/`user_id` may see.

    Without the marketing-only permission (salespeople) a marketing-only contact is out of
    reach unless a lead the caller owns names it as parent contact. Empty: everything.
    """
    if role_allows(role, Permission.CONTACTS_READ_MARKETING_ONLY):
        return ()
    from leadflow.leads.models import Lead

    owns_a_lead = (
        select(Lead.id)
        .where(Lead.parent_contact_id == Contact.id, Lead.owner_id == user_id)
        .exists()
    )
    return (or_(Contact.marketing_only.is_(False), owns_a_lead),)


def check_reach(session: Session, contact_id: int, role: Role, user_id: int) -> None:
    """404 for a contact the caller may not see, as if it did not exist."""
    conditions = reach_conditions(role, user_id)
    if not conditions:
        return
    found = session.scalar(select(Contact.id).where(Contact.id == contact_id, *conditions))
    if found is None:
        raise NotFound(f"No contact with id {contact_id}", field="id")
