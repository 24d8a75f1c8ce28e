"""Wires scoring into a container: bus handlers (`subscribe`); its tasks are in tasks.py.

Every handler finds the leads a change affects and rescores only those, with the
live models this process has parsed (checked against their versions first).
Handlers are idempotent: a redelivered event recomputes the same scores and
writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select, union, union_all
from sqlalchemy.orm import Session

from leadflow.accounts.events import AccountUpdated
from leadflow.contacts.events import ContactLeftAccount, ContactUpdated
from leadflow.db.uow import UnitOfWork
from leadflow.interactions.events import InteractionRecorded
from leadflow.leads.events import LeadCreated, LeadUpdated
from leadflow.lib.clock import utcnow
from leadflow.registry.sql import table_for
from leadflow.scoring.engine import CompiledModel, LiveModels, rescore_leads

if TYPE_CHECKING:
    from leadflow.bootstrap import Container

LEAD_PARENTS = frozenset({"parent_contact_id", "parent_account_id"})


@cache
def _contact_leads_query() -> Any:
    # Two indexed lookups joined by UNION ALL: an OR across the two parent columns
    # makes SQLite scan the leads table.
    leads = table_for("lead")
    contacts = table_for("contact")
    contact_id: Any = bindparam("contact_id")
    account = select(contacts.c.account_id).where(contacts.c.id == contact_id).scalar_subquery()
    return union_all(
        select(leads.c.id).where(leads.c.parent_contact_id == contact_id),
        # "No contact" as an expression, so the planner reads by account, not by the
        # many leads without a contact.
        select(leads.c.id).where(
            leads.c.parent_account_id == account,
            func.coalesce(leads.c.parent_contact_id, -1) == -1,
        ),
    )


@cache
def _account_leads_query() -> Any:
    leads = table_for("lead")
    contacts = table_for("contact")
    account_id: Any = bindparam("account_id")
    members = select(contacts.c.id).where(contacts.c.account_id == account_id)
    return union(
        select(leads.c.id).where(leads.c.parent_account_id == account_id),
        select(leads.c.id).where(leads.c.parent_contact_id.in_(members.scalar_subquery())),
    )


def leads_of_contact(session: Session, contact_id: int) -> list[int]:
    """Leads whose score reads this contact: its own leads, and account-based leads of its
    account (every member's interactions count there)."""
    return list(session.scalars(_contact_leads_query(), {"contact_id": contact_id}))


def leads_of_account(session: Session, account_id: int) -> list[int]:
    """Leads whose score reads this account's fields: its own, and its contacts' leads."""
    return list(session.scalars(_account_leads_query(), {"account_id": account_id}))


def _reads(models: list[CompiledModel], entity: str, changed: Collection[str]) -> bool:
    return any(model.definition.referenced_fields()[entity] & set(changed) for model in models)


def subscribe(container: Container) -> None:
    live = LiveModels()

    def rescore(find: Callable[[UnitOfWork, list[CompiledModel]], Collection[int]]) -> None:
        with container.uow() as uow:
            models = live.current(uow.session, uow.registry)
            if not models:
                return
            lead_ids = find(uow, models)
            if not lead_ids:
                return
            rescore_leads(uow, models, lead_ids, now=utcnow())
            uow.commit()

    def on_interaction(event: InteractionRecorded) -> None:
        rescore(lambda uow, _models: leads_of_contact(uow.session, event.contact_id))

    def on_contact(event: ContactUpdated) -> None:
        def find(uow: UnitOfWork, models: list[CompiledModel]) -> Collection[int]:
            if "account_id" in event.changed or _reads(models, "contact", event.changed):
                return leads_of_contact(uow.session, event.contact_id)
            return ()

        rescore(find)

    def on_contact_left_account(event: ContactLeftAccount) -> None:
        # The account's leads counted this contact's interactions; the contact's
        # own leads are rescored by ContactUpdated (or are gone with it).
        rescore(lambda uow, _models: leads_of_account(uow.session, event.account_id))

    def on_account(event: AccountUpdated) -> None:
        def find(uow: UnitOfWork, models: list[CompiledModel]) -> Collection[int]:
            if _reads(models, "account", event.changed):
                return leads_of_account(uow.session, event.account_id)
            return ()

        rescore(find)

    def on_lead_updated(event: LeadUpdated) -> None:
        def find(_uow: UnitOfWork, models: list[CompiledModel]) -> Collection[int]:
            if LEAD_PARENTS & set(event.changed) or _reads(models, "lead", event.changed):
                return (event.lead_id,)
            return ()

        rescore(find)

    def on_lead_created(event: LeadCreated) -> None:
        rescore(lambda _uow, _models: (event.lead_id,))

    container.bus.subscribe(InteractionRecorded, on_interaction, name="scoring.on_interaction")
    container.bus.subscribe(ContactUpdated, on_contact, name="scoring.on_contact_updated")
    container.bus.subscribe(AccountUpdated, on_account, name="scoring.on_account_updated")
    container.bus.subscribe(
        ContactLeftAccount, on_contact_left_account, name="scoring.on_contact_left_account"
    )
    container.bus.subscribe(LeadUpdated, on_lead_updated, name="scoring.on_lead_updated")
    container.bus.subscribe(LeadCreated, on_lead_created, name="scoring.on_lead_created")
