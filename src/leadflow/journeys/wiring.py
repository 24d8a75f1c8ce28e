"""Wires journeys into a container: the batch handlers that let contacts in and out and
hand interactions to the condition tiles waiting for them.

- A contact entering a segment enters the live journeys whose audience it joined
  (checked again against the audience, so an intersection holds), or whose start
  is "segment entered"; entering a journey's suppression segment makes it leave.
- Interactions reach the if/then tiles their contact (or, per account, a contact of
  its account) waits on; a submitted form can also start a journey or be its goal.
- A lead becoming sales-ready or qualified can start a journey or be its goal.
Idempotent: entry rules admit nobody twice, and a redelivered interaction finds the
position already moved on (or its check already matched).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from leadflow.bus import Delivery
from leadflow.db.uow import UnitOfWork
from leadflow.dependencies import Dependencies
from leadflow.interactions.events import InteractionRecorded
from leadflow.interactions.models import Interaction
from leadflow.journeys import services, tasks
from leadflow.journeys.domain import EMAIL_KINDS, Observed
from leadflow.journeys.models import Journey
from leadflow.journeys.schemas import JourneySettings
from leadflow.leads.events import LeadSalesReady
from leadflow.leads.models import Lead
from leadflow.sales.events import LeadQualified
from leadflow.segments.events import ContactEnteredSegment, ContactsEnteredSegment


def _parents(session: Any, lead_ids: set[int]) -> dict[int, int]:
    ordered = sorted(lead_ids)
    found: dict[int, int] = {}
    for start in range(0, len(ordered), 500):
        for lead_id, contact_id in session.execute(
            select(Lead.id, Lead.parent_contact_id).where(
                Lead.id.in_(ordered[start : start + 500]), Lead.parent_contact_id.is_not(None)
            )
        ):
            found[int(lead_id)] = int(contact_id)
    return found


def _template_of(kind: str, target_id: str | None) -> int | None:
    if kind in EMAIL_KINDS and target_id and target_id.isdigit():
        return int(target_id)
    return None


def subscribe(container: Dependencies) -> None:
    container.bus.subscribe_batch(
        (ContactsEnteredSegment, ContactEnteredSegment),
        lambda deliveries: _on_segment_entries(container, deliveries),
        name="journeys.segment_entries",
    )
    container.bus.subscribe_batch(
        (InteractionRecorded,),
        lambda deliveries: _on_interactions(container, deliveries),
        name="journeys.interactions",
    )
    container.bus.subscribe_batch(
        (LeadSalesReady, LeadQualified),
        lambda deliveries: _on_leads(container, deliveries),
        name="journeys.leads",
    )
    tasks.bind_tasks(container.queue, container)


# --- segment entries ---------------------------------------------------------------------


def _on_segment_entries(container: Dependencies, deliveries: Sequence[Delivery]) -> None:
    """New segment members enter journeys; suppression segment members leave."""
    by_segment = _entries_by_segment(deliveries)
    if not by_segment:
        return
    with container.uow() as uow:
        journeys = services.live_journeys(uow)
        if not journeys:
            return
        changed = 0
        for journey, settings in journeys:
            changed += _segment_moves(uow, journey, settings, by_segment)
        if changed:
            uow.commit()


def _entries_by_segment(deliveries: Sequence[Delivery]) -> dict[int, set[int]]:
    """Segment id -> the contacts that entered it."""
    by_segment: dict[int, set[int]] = {}
    for each in deliveries:
        item = each.event
        if isinstance(item, ContactsEnteredSegment):
            by_segment.setdefault(item.segment_id, set()).update(item.contact_ids)
        elif isinstance(item, ContactEnteredSegment):
            # Stored one per contact before the events were gathered per segment.
            by_segment.setdefault(item.segment_id, set()).add(item.contact_id)
    return by_segment


def _segment_moves(
    uow: UnitOfWork,
    journey: Journey,
    settings: JourneySettings,
    by_segment: Mapping[int, set[int]],
) -> int:
    """One journey's exits (its suppression segment) and entries (its audience, or a
    "segment entered" start); returns how many positions changed."""
    joined: set[int] = set()
    started: set[int] = set()
    for segment_id in settings.audience_segment_ids:
        joined |= by_segment.get(segment_id, set())
    start = settings.start_event
    if start is not None and start.kind == "segment_entered":
        for segment_id, contact_ids in by_segment.items():
            if start.id is None or start.id == segment_id:
                started |= contact_ids
    changed = 0
    suppressed = by_segment.get(settings.suppression_segment_id or 0, set())
    if suppressed:
        changed += services.exit_contacts(uow, [journey.id], suppressed, "suppressed")
    if joined:
        changed += services.enter_contacts(uow, journey, joined, from_audience=True)
    if started - joined:
        changed += services.enter_contacts(uow, journey, started - joined, from_audience=False)
    return changed


# --- interactions ------------------------------------------------------------------------


def _on_interactions(container: Dependencies, deliveries: Sequence[Delivery]) -> None:
    """Interactions reach waiting conditions; form submissions start or end journeys."""
    recorded = [each.event for each in deliveries if isinstance(each.event, InteractionRecorded)]
    if not recorded:
        return
    with container.uow() as uow:
        services.observe(uow, _observed_by_contact(uow, recorded))
        forms = [item for item in recorded if item.kind == "form_submitted"]
        if forms:
            _form_starts_and_goals(uow, forms)
        # Committed even when nobody moved, as most batches of interactions: on
        # PostgreSQL a rollback makes psycopg forget the connection's prepared
        # statements (see `db.engine.ReadOnlySession`).
        uow.commit()


def _observed_by_contact(
    uow: UnitOfWork, recorded: Sequence[InteractionRecorded]
) -> dict[int, list[Observed]]:
    """Contact id -> what it did, as the condition tiles check it (a click with its URL)."""
    clicks = [item.interaction_id for item in recorded if item.kind == "email_clicked"]
    urls: dict[int, str] = {}
    if clicks:
        for interaction_id, data in uow.session.execute(
            select(Interaction.id, Interaction.data).where(Interaction.id.in_(clicks))
        ):
            if isinstance(data, dict) and data.get("url"):
                urls[int(interaction_id)] = str(data["url"])
    seen: dict[int, list[Observed]] = {}
    for item in recorded:
        seen.setdefault(item.contact_id, []).append(
            Observed(
                kind=item.kind,
                occurred_at=item.occurred_at,
                template_id=_template_of(item.kind, item.target_id),
                url=urls.get(item.interaction_id),
                target_id=item.target_id,
            )
        )
    return seen


def _form_starts_and_goals(uow: UnitOfWork, forms: list[InteractionRecorded]) -> int:
    changed = 0
    contacts = {item.contact_id for item in forms}
    goal = services.journeys_with_goal(uow, "form_submitted")
    if goal:
        changed += services.exit_contacts(uow, goal, contacts, "goal")
    for journey, settings in services.live_journeys(uow):
        start = settings.start_event
        if start is None or start.kind != "form_submitted":
            continue
        chosen = {
            item.contact_id for item in forms if start.id is None or item.target_id == str(start.id)
        }
        if chosen:
            changed += services.enter_contacts(uow, journey, chosen, from_audience=False)
    return changed


# --- leads -------------------------------------------------------------------------------


@dataclass
class _LeadChanges:
    """The leads of a batch that became sales-ready or qualified (the qualified ones by
    their contact when the event names it)."""

    ready: set[int] = field(default_factory=set)
    qualified_contacts: set[int] = field(default_factory=set)
    qualified_leads: set[int] = field(default_factory=set)


def _on_leads(container: Dependencies, deliveries: Sequence[Delivery]) -> None:
    """A lead sales-ready or qualified: the goal of some journeys, the start of others."""
    leads = _lead_changes(deliveries)
    with container.uow() as uow:
        journeys = services.live_journeys(uow)
        if not journeys:
            return
        parents = _parents(uow.session, leads.ready | leads.qualified_leads)
        ready = {parents[lead] for lead in leads.ready if lead in parents}
        qualified = leads.qualified_contacts | {
            parents[lead] for lead in leads.qualified_leads if lead in parents
        }
        changed = 0
        for journey, settings in journeys:
            changed += _lead_moves(uow, journey, settings, ready, qualified)
        if changed:
            uow.commit()


def _lead_changes(deliveries: Sequence[Delivery]) -> _LeadChanges:
    changes = _LeadChanges()
    for each in deliveries:
        item = each.event
        if isinstance(item, LeadSalesReady):
            changes.ready.add(item.lead_id)
        elif isinstance(item, LeadQualified):
            if item.contact_id is not None:
                changes.qualified_contacts.add(item.contact_id)
            else:
                changes.qualified_leads.add(item.lead_id)
    return changes


def _lead_moves(
    uow: UnitOfWork,
    journey: Journey,
    settings: JourneySettings,
    ready: set[int],
    qualified: set[int],
) -> int:
    """One journey's goal exits and sales-ready entries of these contacts."""
    changed = 0
    if settings.goal == "lead_sales_ready" and ready:
        changed += services.exit_contacts(uow, [journey.id], ready, "goal")
    if settings.goal == "lead_qualified" and qualified:
        changed += services.exit_contacts(uow, [journey.id], qualified, "goal")
    start = settings.start_event
    if start is not None and start.kind == "lead_sales_ready" and ready:
        changed += services.enter_contacts(uow, journey, ready, from_audience=False)
    return changed
