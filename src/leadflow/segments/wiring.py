"""Wires segments into a container: the batch handler that keeps live memberships current.

A batch of record events names the contacts it touched (a lead's change touches
its parent contact, an account's change its contacts and the parents of its
leads and opportunities, an interaction its contact). Each live segment that
reads the kind of record touched is evaluated again for those contacts only
(`contact.id IN (:contact_ids)`), never the whole segment, and the stays that
differ are opened or closed. Compound segments follow their parts' own
ContactEntered/LeftSegment events in a later batch. Idempotent: a redelivered
batch finds nothing to change.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from leadflow.accounts.events import AccountUpdated
from leadflow.bus import Delivery, Event
from leadflow.contacts.events import ContactCreated, ContactLeftAccount, ContactUpdated
from leadflow.interactions.events import InteractionRecorded
from leadflow.leads.events import LeadCreated, LeadUpdated
from leadflow.lib.clock import utcnow
from leadflow.opportunities.events import OpportunityCreated, OpportunityUpdated
from leadflow.registry.sql import table_for
from leadflow.segments.domain import EVENT_REGISTRATION, SegmentKind, entities_read
from leadflow.segments.engine import LiveSegments, reconcile, segments_with_parts
from leadflow.segments.events import ContactEnteredSegment, ContactLeftSegment

if TYPE_CHECKING:
    from leadflow.bootstrap import Container

IN_CHUNK = 500


def _chunks(ids: Collection[int]) -> list[list[int]]:
    ordered = sorted(ids)
    return [ordered[start : start + IN_CHUNK] for start in range(0, len(ordered), IN_CHUNK)]


def _scalars(session: Session, query: Any) -> set[int]:
    return {int(value) for value in session.scalars(query) if value is not None}


@dataclass
class Touched:
    """The contacts a batch touched, by the kind of record that changed."""

    contacts: set[int] = field(default_factory=set)
    leads: set[int] = field(default_factory=set)
    opportunities: set[int] = field(default_factory=set)
    accounts: set[int] = field(default_factory=set)
    interactions: set[int] = field(default_factory=set)
    # segment id -> contacts that entered or left it (compound segments follow them)
    parts: dict[int, set[int]] = field(default_factory=dict)

    def add(self, item: Event) -> None:
        if isinstance(item, ContactCreated | ContactUpdated | ContactLeftAccount):
            self.contacts.add(item.contact_id)
        elif isinstance(item, LeadCreated | LeadUpdated):
            self.leads.add(item.lead_id)
        elif isinstance(item, OpportunityCreated | OpportunityUpdated):
            self.opportunities.add(item.opportunity_id)
        elif isinstance(item, AccountUpdated):
            self.accounts.add(item.account_id)
        elif isinstance(item, InteractionRecorded):
            # Registrations and check-ins are recorded as interactions too.
            self.interactions.add(item.contact_id)
        elif isinstance(item, ContactEnteredSegment | ContactLeftSegment):
            self.parts.setdefault(item.segment_id, set()).add(item.contact_id)

    def by_entity(self, session: Session) -> dict[str, set[int]]:
        """Contact ids per entity whose change touched them."""
        leads = table_for("lead")
        opportunities = table_for("opportunity")
        contacts = table_for("contact")
        found: dict[str, set[int]] = {
            "contact": set(self.contacts),
            "lead": set(),
            "opportunity": set(),
            "account": set(),
            "interaction": set(self.interactions),
            EVENT_REGISTRATION: set(self.interactions),
        }
        for chunk in _chunks(self.leads):
            found["lead"] |= _scalars(
                session, select(leads.c.parent_contact_id).where(leads.c.id.in_(chunk))
            )
        for chunk in _chunks(self.opportunities):
            found["opportunity"] |= _scalars(
                session,
                select(opportunities.c.contact_id).where(opportunities.c.id.in_(chunk)),
            )
        for chunk in _chunks(self.accounts):
            found["account"] |= _scalars(
                session,
                union(
                    select(contacts.c.id).where(contacts.c.account_id.in_(chunk)),
                    select(leads.c.parent_contact_id).where(leads.c.parent_account_id.in_(chunk)),
                    select(opportunities.c.contact_id).where(opportunities.c.account_id.in_(chunk)),
                ),
            )
        return found


RECHECKED_ON = (
    ContactCreated,
    ContactUpdated,
    ContactLeftAccount,
    LeadCreated,
    LeadUpdated,
    OpportunityCreated,
    OpportunityUpdated,
    AccountUpdated,
    InteractionRecorded,
    ContactEnteredSegment,
    ContactLeftSegment,
)


def subscribe(container: Container) -> None:
    live = LiveSegments()

    def recheck_touched(deliveries: Sequence[Delivery]) -> None:
        """Every live segment re-evaluated for the contacts the batch touched, once."""
        touched = Touched()
        for each in deliveries:
            touched.add(each.event)
        with container.uow() as uow:
            segments = live.current(uow.session, uow.registry)
            if not segments:
                return
            now = utcnow()
            changed = False
            dynamic = [item for item in segments if item.kind is SegmentKind.DYNAMIC]
            if dynamic and (
                touched.contacts
                or touched.leads
                or touched.opportunities
                or touched.accounts
                or touched.interactions
            ):
                by_entity = touched.by_entity(uow.session)
                for item in dynamic:
                    assert item.tree is not None
                    ids: set[int] = set()
                    for entity in entities_read(item.tree):
                        ids |= by_entity.get(entity, set())
                    if ids:
                        result = reconcile(uow, item, now, ids)
                        changed = changed or bool(result.entered or result.left)
            for part_id, contact_ids in touched.parts.items():
                for item in segments_with_parts(segments, [part_id]):
                    result = reconcile(uow, item, now, contact_ids)
                    changed = changed or bool(result.entered or result.left)
            if changed:
                uow.commit()

    container.bus.subscribe_batch(RECHECKED_ON, recheck_touched, name="segments.recheck_touched")
