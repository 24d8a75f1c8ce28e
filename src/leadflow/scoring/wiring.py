"""Wires scoring into a container: bus handlers (`subscribe`); its tasks are in tasks.py.

Every handler finds the leads a change affects and rescores only those, with the
live models this process has parsed (checked against their versions first).
Handlers are idempotent: a redelivered event recomputes the same scores and
writes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select, union, union_all
from sqlalchemy.orm import Session

from leadflow.accounts.events import AccountUpdated
from leadflow.bus import Delivery, Event
from leadflow.contacts.events import ContactLeftAccount, ContactUpdated
from leadflow.dependencies import Dependencies
from leadflow.interactions.events import InteractionRecorded, InteractionsRemoved
from leadflow.leads.events import LeadCreated, LeadsCreated, LeadUpdated
from leadflow.lib.clock import utcnow
from leadflow.registry.sql import table_for
from leadflow.scoring import tasks
from leadflow.scoring.compiler import in_ids
from leadflow.scoring.engine import (
    CompiledModel,
    LiveModels,
    count_differing,
    rescore_leads,
    rescore_turn,
    take_scoring_lock,
    write_counted,
)

LEAD_PARENTS = frozenset({"parent_contact_id", "parent_account_id"})


def leads_of_contacts(session: Session, contact_ids: Collection[int]) -> set[int]:
    """Leads whose score reads these contacts: their own leads, and account-based leads
    of their accounts (every member's interactions count there)."""
    if not contact_ids:
        return set()
    leads = table_for("lead")
    contacts = table_for("contact")
    # The ids bound as one parameter (a JSON array, an array on PostgreSQL): an
    # expanding IN of a relay batch's 500 contacts cost more Python than the query.
    accounts = select(contacts.c.account_id).where(
        in_ids(contacts.c.id, "contact_ids"), contacts.c.account_id.is_not(None)
    )
    # Two indexed lookups joined by UNION ALL: an OR across the two parent columns
    # makes SQLite scan the leads table. "No contact" is an expression, so the
    # planner reads by account, not by the many leads without a contact.
    query = union_all(
        select(leads.c.id).where(in_ids(leads.c.parent_contact_id, "contact_ids")),
        select(leads.c.id).where(
            leads.c.parent_account_id.in_(accounts.scalar_subquery()),
            func.coalesce(leads.c.parent_contact_id, -1) == -1,
        ),
    )
    return set(session.scalars(query, {"contact_ids": sorted(contact_ids)}).all())


def leads_of_accounts(session: Session, account_ids: Collection[int]) -> set[int]:
    """Leads whose score reads these accounts' fields: their own, and their contacts' leads."""
    if not account_ids:
        return set()
    leads = table_for("lead")
    contacts = table_for("contact")
    members = select(contacts.c.id).where(in_ids(contacts.c.account_id, "account_ids"))
    query = union(
        select(leads.c.id).where(in_ids(leads.c.parent_account_id, "account_ids")),
        select(leads.c.id).where(leads.c.parent_contact_id.in_(members.scalar_subquery())),
    )
    return set(session.scalars(query, {"account_ids": sorted(account_ids)}).all())


def _reads(models: list[CompiledModel], entity: str, changed: Collection[str]) -> bool:
    return any(model.definition.referenced_fields()[entity] & set(changed) for model in models)


@dataclass
class _Touched:
    """What a batch of events changed that scores read."""

    leads: set[int] = field(default_factory=set)
    contacts: set[int] = field(default_factory=set)
    accounts: set[int] = field(default_factory=set)
    # Whether a lead's parents may have changed (else only interactions did, and no
    # stored score can belong to a lead its model no longer scores).
    parents_changed: bool = False

    def add(self, item: Event, models: list[CompiledModel]) -> None:
        if isinstance(item, InteractionRecorded | InteractionsRemoved):
            self.contacts.add(item.contact_id)
            return
        self.parents_changed = True
        if isinstance(item, LeadCreated):
            self.leads.add(item.lead_id)
        elif isinstance(item, LeadsCreated):
            self.leads.update(item.lead_ids)
        elif isinstance(item, LeadUpdated):
            if LEAD_PARENTS & set(item.changed) or _reads(models, "lead", item.changed):
                self.leads.add(item.lead_id)
        elif isinstance(item, ContactUpdated):
            if "account_id" in item.changed or _reads(models, "contact", item.changed):
                self.contacts.add(item.contact_id)
        elif isinstance(item, ContactLeftAccount):
            # The account's leads counted this contact's interactions; the contact's
            # own leads are rescored by ContactUpdated (or are gone with it).
            self.accounts.add(item.account_id)
        elif isinstance(item, AccountUpdated) and _reads(models, "account", item.changed):
            self.accounts.add(item.account_id)

    def lead_ids(self, session: Session) -> set[int]:
        found = set(self.leads)
        if self.contacts:
            found |= leads_of_contacts(session, self.contacts)
        if self.accounts:
            found |= leads_of_accounts(session, self.accounts)
        return found


RESCORED_ON = (
    InteractionRecorded,
    InteractionsRemoved,
    ContactUpdated,
    AccountUpdated,
    ContactLeftAccount,
    LeadUpdated,
    LeadCreated,
    LeadsCreated,
)


def subscribe(container: Dependencies) -> None:
    live = LiveModels()

    def rescore_touched(deliveries: Sequence[Delivery]) -> None:
        """Every lead the batch touched, rescored once, set-based per live model.

        On SQLite the leads are counted without the write lock and written in a short
        transaction after, holding the scoring turn throughout: the write lock is the
        one every writer queues on, and counting is most of a batch's time. On
        PostgreSQL (or without the turn) in one write transaction."""
        with rescore_turn(container.engine) as held:
            if held:
                _count_then_write(deliveries)
                return
        with container.uow() as uow:
            models = live.current(uow.session, uow.registry)
            if not models:
                return
            touched = _touched_by(deliveries, models)
            lead_ids = touched.lead_ids(uow.session)
            if not lead_ids:
                return
            take_scoring_lock(uow.session)
            rescore_leads(
                uow, models, lead_ids, now=utcnow(), parents_changed=touched.parents_changed
            )
            uow.commit()

    def _count_then_write(deliveries: Sequence[Delivery]) -> None:
        """The counts read first, then written in a unit of work of their own. What
        committed in between has its own events, handled in a later batch."""
        with container.read_session() as session:
            registry = container.registry_cache.get(session)
            models = live.current(session, registry)
            if not models:
                return
            touched = _touched_by(deliveries, models)
            lead_ids = touched.lead_ids(session)
            if not lead_ids:
                return
            now = utcnow()
            counted = count_differing(session, registry, models, lead_ids, now=now)
        if not touched.parents_changed and not any(each.rows for each in counted):
            return
        with container.uow() as uow:
            current = live.current(uow.session, uow.registry)
            if _versions(current) == _versions(models):
                write_counted(
                    uow, counted, lead_ids, now=now, parents_changed=touched.parents_changed
                )
            else:
                # A model went live, stopped or changed meanwhile: counted again, here.
                rescore_leads(
                    uow, current, lead_ids, now=now, parents_changed=touched.parents_changed
                )
            uow.commit()

    container.bus.subscribe_batch(RESCORED_ON, rescore_touched, name="scoring.rescore_touched")
    tasks.bind_tasks(container.queue, container.uow)


def _touched_by(deliveries: Sequence[Delivery], models: list[CompiledModel]) -> _Touched:
    touched = _Touched()
    for each in deliveries:
        touched.add(each.event, models)
    return touched


def _versions(models: list[CompiledModel]) -> list[tuple[int, int, object]]:
    return [(model.id, model.version, model.stamp) for model in models]
