"""Wires segments into a container: the batch handler that keeps live memberships current.

A batch of record events names the contacts it touched (a lead's change touches
its parent contact, an account's change its contacts and the parents of its
leads and opportunities, an interaction its contact; a lead or opportunity that
moved away or was deleted touches the contact it left, ContactLeftAccount the
contact an account let go; an account's delete, the members left without an
account of the segments that read one). A dependency index picks, per live segment, the
touched contacts whose change it reads (entity, field, interaction kind); one
statement evaluates all those segments for those contacts only, never a whole
segment, and the stays that differ are opened or closed in bulk. A deleted
contact leaves every segment (ContactsLeftSegment) and its stays are deleted.
Compound segments follow their parts' own ContactsEntered/LeftSegment events in a
later batch. Idempotent: a redelivered batch finds nothing to change.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from leadflow.accounts.events import AccountDeleted, AccountUpdated
from leadflow.bus import Delivery, Event
from leadflow.contacts.events import (
    ContactCreated,
    ContactDeleted,
    ContactLeftAccount,
    ContactsCreated,
    ContactUpdated,
)
from leadflow.dependencies import Dependencies
from leadflow.duplicates.events import RecordsMerged
from leadflow.interactions.events import InteractionRecorded, InteractionsRemoved
from leadflow.leads.events import LeadCreated, LeadLeftContact, LeadsCreated, LeadUpdated
from leadflow.lib.clock import utcnow
from leadflow.opportunities.events import (
    OpportunityCreated,
    OpportunityLeftContact,
    OpportunityUpdated,
)
from leadflow.registry.sql import table_for
from leadflow.segments import tasks
from leadflow.segments.domain import EVENT_REGISTRATION, SegmentKind
from leadflow.segments.engine import (
    MEMBERS,
    Compiled,
    LiveSegments,
    StayChanges,
    changes_together,
    forget_contacts,
    reconcile,
    segments_with_parts,
    write_stays,
)
from leadflow.segments.events import (
    ContactEnteredSegment,
    ContactLeftSegment,
    ContactsEnteredSegment,
    ContactsLeftSegment,
)

IN_CHUNK = 500


def _chunks(ids: Collection[int]) -> list[list[int]]:
    ordered = sorted(ids)
    return [ordered[start : start + IN_CHUNK] for start in range(0, len(ordered), IN_CHUNK)]


def _scalars(session: Session, query: Any) -> set[int]:
    return {int(value) for value in session.scalars(query) if value is not None}


Changed = frozenset[str] | None  # None: created (every field counts)


@dataclass
class Touched:
    """What a batch changed: per record, which fields (None: the record is new)."""

    contacts: dict[int, Changed] = field(default_factory=dict)
    leads: dict[int, Changed] = field(default_factory=dict)
    opportunities: dict[int, Changed] = field(default_factory=dict)
    accounts: dict[int, Changed] = field(default_factory=dict)
    # contact id -> interaction kinds recorded
    interactions: dict[int, set[str]] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    # An account was deleted: its contacts were unlinked by the database (no event).
    accounts_deleted: bool = False
    # entity ("lead", "opportunity") -> contacts that lost one (moved away or deleted)
    lost: dict[str, set[int]] = field(default_factory=dict)
    # segment id -> contacts that entered or left it (compound segments follow them)
    parts: dict[int, set[int]] = field(default_factory=dict)
    _lead_contacts: dict[int, set[int]] = field(default_factory=dict)
    _opportunity_contacts: dict[int, set[int]] = field(default_factory=dict)
    _account_contacts: dict[int, set[int]] = field(default_factory=dict)

    @staticmethod
    def _merge(found: dict[int, Changed], key: int, changed: Changed) -> None:
        if key in found and (found[key] is None or changed is None):
            found[key] = None
        elif key in found:
            found[key] = frozenset(found[key] or ()) | (changed or frozenset())
        else:
            found[key] = changed

    def add(self, item: Event) -> None:
        if isinstance(item, ContactCreated):
            self._merge(self.contacts, item.contact_id, None)
        elif isinstance(item, ContactsCreated):
            for contact_id in item.contact_ids:
                self._merge(self.contacts, contact_id, None)
        elif isinstance(item, ContactUpdated):
            self._merge(self.contacts, item.contact_id, frozenset(item.changed))
        elif isinstance(item, LeadLeftContact):
            self.lost.setdefault("lead", set()).add(item.contact_id)
        elif isinstance(item, OpportunityLeftContact):
            self.lost.setdefault("opportunity", set()).add(item.contact_id)
        elif isinstance(item, RecordsMerged) and item.entity == "contact":
            # Leads, interactions, opportunities and registrations moved from the other
            # contact to the survivor: both are checked against every segment.
            self._merge(self.contacts, item.survivor_id, None)
            self._merge(self.contacts, item.other_id, None)
        elif isinstance(item, AccountDeleted):
            self.accounts_deleted = True
        elif isinstance(item, ContactDeleted):
            self.deleted.add(item.contact_id)
        elif isinstance(item, ContactLeftAccount):
            self._merge(self.contacts, item.contact_id, frozenset({"account_id"}))
        elif isinstance(item, LeadCreated):
            self._merge(self.leads, item.lead_id, None)
        elif isinstance(item, LeadsCreated):
            for lead_id in item.lead_ids:
                self._merge(self.leads, lead_id, None)
        elif isinstance(item, LeadUpdated):
            self._merge(self.leads, item.lead_id, frozenset(item.changed))
        elif isinstance(item, OpportunityCreated):
            self._merge(self.opportunities, item.opportunity_id, None)
        elif isinstance(item, OpportunityUpdated):
            self._merge(self.opportunities, item.opportunity_id, frozenset(item.changed))
        elif isinstance(item, AccountUpdated):
            self._merge(self.accounts, item.account_id, frozenset(item.changed))
        elif isinstance(item, InteractionRecorded):
            # Registrations and check-ins are recorded as interactions too.
            self.interactions.setdefault(item.contact_id, set()).add(item.kind)
        elif isinstance(item, InteractionsRemoved):
            self.interactions.setdefault(item.contact_id, set()).update(item.kinds)
        elif isinstance(item, ContactsEnteredSegment | ContactsLeftSegment):
            self.parts.setdefault(item.segment_id, set()).update(item.contact_ids)
        elif isinstance(item, ContactEnteredSegment | ContactLeftSegment):
            # Stored one per contact before the events were gathered per segment.
            self.parts.setdefault(item.segment_id, set()).add(item.contact_id)

    def forget(self, contact_ids: set[int]) -> None:
        """Deleted contacts: nothing to evaluate for them any more."""
        for contact_id in contact_ids:
            self.contacts.pop(contact_id, None)
            self.interactions.pop(contact_id, None)
        for losers in self.lost.values():
            losers -= contact_ids
        for members in self.parts.values():
            members -= contact_ids

    @property
    def records(self) -> bool:
        return bool(
            self.contacts
            or self.leads
            or self.opportunities
            or self.accounts
            or self.interactions
            or self.lost
            or self.accounts_deleted
        )

    def resolve(self, session: Session) -> None:
        """Find the contacts behind the touched leads, opportunities and accounts."""
        leads = table_for("lead")
        opportunities = table_for("opportunity")
        contacts = table_for("contact")
        for chunk in _chunks(self.leads):
            rows = session.execute(
                select(leads.c.id, leads.c.parent_contact_id).where(
                    leads.c.id.in_(chunk), leads.c.parent_contact_id.is_not(None)
                )
            )
            for lead_id, contact_id in rows:
                self._lead_contacts.setdefault(lead_id, set()).add(contact_id)
        for chunk in _chunks(self.opportunities):
            rows = session.execute(
                select(opportunities.c.id, opportunities.c.contact_id).where(
                    opportunities.c.id.in_(chunk), opportunities.c.contact_id.is_not(None)
                )
            )
            for opportunity_id, contact_id in rows:
                self._opportunity_contacts.setdefault(opportunity_id, set()).add(contact_id)
        for chunk in _chunks(self.accounts):
            query = union(
                select(contacts.c.account_id.label("a"), contacts.c.id.label("c")).where(
                    contacts.c.account_id.in_(chunk)
                ),
                select(leads.c.parent_account_id, leads.c.parent_contact_id).where(
                    leads.c.parent_account_id.in_(chunk), leads.c.parent_contact_id.is_not(None)
                ),
                select(opportunities.c.account_id, opportunities.c.contact_id).where(
                    opportunities.c.account_id.in_(chunk),
                    opportunities.c.contact_id.is_not(None),
                ),
            )
            for account_id, contact_id in session.execute(query):
                self._account_contacts.setdefault(account_id, set()).add(contact_id)

    def contacts_for(self, reads: dict[str, set[str]]) -> set[int]:
        """The touched contacts whose membership a tree reading `reads` may change."""

        def hit(changed: Changed, entity: str) -> bool:
            return entity in reads and (changed is None or bool(changed & reads[entity]))

        found = {cid for cid, changed in self.contacts.items() if hit(changed, "contact")}
        for lead_id, changed in self.leads.items():
            if hit(changed, "lead"):
                found |= self._lead_contacts.get(lead_id, set())
        for opportunity_id, changed in self.opportunities.items():
            if hit(changed, "opportunity"):
                found |= self._opportunity_contacts.get(opportunity_id, set())
        for account_id, changed in self.accounts.items():
            if hit(changed, "account"):
                found |= self._account_contacts.get(account_id, set())
        for entity, losers in self.lost.items():
            if entity in reads:
                found |= losers
        kinds = reads.get("interaction", set())
        registrations = EVENT_REGISTRATION in reads
        for contact_id, recorded in self.interactions.items():
            if recorded & kinds or (
                registrations and recorded & {"event_registered", "event_attended"}
            ):
                found.add(contact_id)
        return found


def unlinked_members(session: Session, segments: Sequence[Any]) -> dict[int, set[int]]:
    """After an account's delete: the members without an account of the segments that
    read a contact's account (the database unlinked the contacts without an event)."""
    readers = [
        item.segment_id for item in segments if "account_id" in item.reads.get("contact", set())
    ]
    if not readers:
        return {}
    contacts = table_for("contact")
    rows = session.execute(
        select(MEMBERS.c.segment_id, MEMBERS.c.contact_id)
        .join(contacts, contacts.c.id == MEMBERS.c.contact_id)
        .where(
            MEMBERS.c.left_at.is_(None),
            MEMBERS.c.segment_id.in_(readers),
            contacts.c.account_id.is_(None),
        )
    )
    found: dict[int, set[int]] = {}
    for segment_id, contact_id in rows:
        found.setdefault(segment_id, set()).add(contact_id)
    return found


RECHECKED_ON = (
    ContactCreated,
    ContactsCreated,
    ContactDeleted,
    ContactUpdated,
    ContactLeftAccount,
    LeadCreated,
    LeadsCreated,
    LeadUpdated,
    LeadLeftContact,
    OpportunityCreated,
    OpportunityUpdated,
    OpportunityLeftContact,
    AccountUpdated,
    AccountDeleted,
    InteractionRecorded,
    InteractionsRemoved,
    RecordsMerged,
    ContactsEnteredSegment,
    ContactsLeftSegment,
    ContactEnteredSegment,
    ContactLeftSegment,
)


def _wanted(session: Session, touched: Touched, dynamic: list[Compiled]) -> dict[int, set[int]]:
    """The dependency index: a segment is checked only for the contacts whose change it
    reads (entity, field, interaction kind), and for its members whose account went."""
    wanted: dict[int, set[int]] = {}
    for item in dynamic:
        ids = touched.contacts_for(item.reads)
        if ids:
            wanted[item.segment_id] = ids
    if touched.accounts_deleted:
        for segment_id, ids in unlinked_members(session, dynamic).items():
            wanted.setdefault(segment_id, set()).update(ids)
    return wanted


def subscribe(container: Dependencies) -> None:
    live = LiveSegments()

    def recheck_touched(deliveries: Sequence[Delivery]) -> None:
        """Every live segment re-evaluated for the contacts the batch touched, once.

        The evaluation reads on a read session (the batch's events are committed, so
        it sees their changes); the unit opens for the writes alone, which on SQLite
        is the time the process's one write turn is held from the requests."""
        touched = Touched()
        for each in deliveries:
            touched.add(each.event)
        deleted = set(touched.deleted)
        touched.forget(deleted)
        found = StayChanges()
        now = utcnow()
        with container.read_session() as session:
            registry = container.registry_cache.get(session)
            segments = live.current(session, registry)
            dynamic = [item for item in segments if item.kind is SegmentKind.DYNAMIC]
            if dynamic and touched.records:
                touched.resolve(session)
                wanted = _wanted(session, touched, dynamic)
                if wanted:
                    chosen = [item for item in dynamic if item.segment_id in wanted]
                    if len(chosen) * 2 >= len(dynamic):
                        # Most of them: the one statement for all live segments, compiled
                        # and planned once, rather than one per subset the batches hit.
                        chosen = dynamic
                    dialect = session.get_bind().dialect.name
                    plan = live.together(chosen, registry, dialect)
                    found = changes_together(session, plan, wanted, now)
        compounds = [
            (item, contact_ids)
            for part_id, contact_ids in touched.parts.items()
            for item in segments_with_parts(segments, [part_id])
        ]
        if not (deleted or found or compounds):
            return
        with container.uow() as uow:
            changed = False
            if deleted:
                # Every segment, live or not: the contact is gone, its stays with it.
                changed = bool(forget_contacts(uow, deleted))
            if found:
                result = write_stays(uow, found.entering, found.leaving, now)
                changed = changed or bool(result.entered or result.left)
            for item, contact_ids in compounds:
                result = reconcile(uow, item, now, contact_ids)
                changed = changed or bool(result.entered or result.left)
            if changed:
                uow.commit()

    container.bus.subscribe_batch(RECHECKED_ON, recheck_touched, name="segments.recheck_touched")
    tasks.bind_tasks(container.queue, container)
