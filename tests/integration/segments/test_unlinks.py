"""Records that go away or move: a deleted contact leaves every segment with an event; a
lead or opportunity deleted or moved to another contact, an account deleted or a lead's
account changed, or two contacts merged re-check the contacts concerned, as they happen
(not at the nightly re-check)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from leadflow.accounts.services import delete_account
from leadflow.bootstrap import Container
from leadflow.contacts.services import delete_contact
from leadflow.duplicates.services import merge_contacts
from leadflow.leads.services import delete_lead
from leadflow.lib.clock import utcnow
from leadflow.opportunities.services import delete_opportunity
from leadflow.outbox import OutboxMessage
from leadflow.segments import services
from leadflow.segments.models import SegmentMembership
from tests.integration.segments.helpers import (
    change_lead,
    group,
    live_segment,
    make_account,
    make_contact,
    make_lead,
    make_opportunity,
    members_of,
    record,
    related,
    row,
)

CONFERENCE = group(related("lead_parent_contact", row("topic", "eq", "Conference")))


def _left(container: Container) -> list[tuple[object, object, object]]:
    with container.read_session() as session:
        return [
            (payload["segment_id"], contact_id, payload["reason"])
            for payload in session.scalars(
                select(OutboxMessage.payload)
                .where(OutboxMessage.event_type == "segment.contacts_left")
                .order_by(OutboxMessage.id)
            )
            for contact_id in payload["contact_ids"]
        ]


def _stays(container: Container, contact_id: int) -> int:
    with container.read_session() as session:
        return len(
            session.scalars(
                select(SegmentMembership.id).where(SegmentMembership.contact_id == contact_id)
            ).all()
        )


def test_a_deleted_contact_leaves_every_segment_with_an_event_and_its_stays_go(
    container: Container,
) -> None:
    ada = make_contact(container, city="London")
    bob = make_contact(container, city="London")
    dynamic = live_segment(container, group(row("city", "eq", "London")))
    static = live_segment(container, kind="static")
    with container.uow() as uow:
        services.add_members(static, uow=uow, contact_ids=[ada, bob])
        uow.commit()
    container.relay.drain()
    assert ada in members_of(container, dynamic) and ada in members_of(container, static)
    assert _stays(container, ada) == 2

    with container.uow() as uow:
        delete_contact(ada, uow=uow)
        uow.commit()
    container.relay.drain()

    assert sorted(_left(container)) == sorted(
        [(dynamic, ada, "contact deleted"), (static, ada, "contact deleted")]
    )
    assert _stays(container, ada) == 0
    assert members_of(container, dynamic) == {bob} == members_of(container, static)


def test_a_contact_leaves_when_its_matching_lead_is_deleted(container: Container) -> None:
    ada = make_contact(container)
    lead = make_lead(container, topic="Conference", parent_contact_id=ada)
    segment_id = live_segment(container, CONFERENCE)
    assert members_of(container, segment_id) == {ada}

    with container.uow() as uow:
        delete_lead(lead, uow=uow)
        uow.commit()
    container.relay.drain()

    assert members_of(container, segment_id) == set()
    assert _left(container) == [(segment_id, ada, "no longer matches")]


def test_a_lead_moved_to_another_contact_takes_the_membership_with_it(
    container: Container,
) -> None:
    ada = make_contact(container)
    bob = make_contact(container)
    lead = make_lead(container, topic="Conference", parent_contact_id=ada)
    segment_id = live_segment(container, CONFERENCE)
    assert members_of(container, segment_id) == {ada}

    change_lead(container, lead, parent_contact_id=bob)

    assert members_of(container, segment_id) == {bob}
    assert _left(container) == [(segment_id, ada, "no longer matches")]


def test_a_lead_whose_account_changes_is_checked_through_it(container: Container) -> None:
    contoso = make_account(container, name="Contoso")
    fabrikam = make_account(container, name="Fabrikam")
    ada = make_contact(container)
    lead = make_lead(container, parent_contact_id=ada, parent_account_id=contoso)
    segment_id = live_segment(
        container,
        group(
            related(
                "lead_parent_contact",
                related("lead_parent_account", row("name", "eq", "Contoso")),
            )
        ),
    )
    assert members_of(container, segment_id) == {ada}

    change_lead(container, lead, parent_account_id=fabrikam)

    assert members_of(container, segment_id) == set()


def test_contacts_leave_when_their_account_or_opportunity_is_deleted(
    container: Container,
) -> None:
    contoso = make_account(container, name="Contoso")
    ada = make_contact(container, account_id=contoso)
    bob = make_contact(container)
    deal = make_opportunity(container, contact_id=bob)
    of_contoso = live_segment(
        container, group(related("contact_account", row("name", "eq", "Contoso")))
    )
    with_deal = live_segment(container, group(related("opportunity_contact")))
    assert members_of(container, of_contoso) == {ada}
    assert members_of(container, with_deal) == {bob}

    with container.uow() as uow:
        delete_account(contoso, uow=uow)
        delete_opportunity(deal, uow=uow)
        uow.commit()
    container.relay.drain()

    assert members_of(container, of_contoso) == set()
    assert members_of(container, with_deal) == set()
    assert sorted(_left(container)) == sorted(
        [(of_contoso, ada, "no longer matches"), (with_deal, bob, "no longer matches")]
    )


def test_a_merge_moves_the_membership_with_the_clicks_to_the_survivor(
    container: Container,
) -> None:
    survivor = make_contact(container, email="ada@example.com")
    other = make_contact(container, email="ada.old@example.com")
    for days in (1, 2):
        record(container, other, "email_clicked", utcnow() - timedelta(days=days))
    segment_id = live_segment(
        container,
        group({"type": "behaviour", "kind": "email_clicked", "min": 2, "window_days": 30}),
    )
    assert members_of(container, segment_id) == {other}

    with container.uow() as uow:
        merge_contacts(survivor, other, uow=uow)
        uow.commit()
    container.relay.drain()

    assert members_of(container, segment_id) == {survivor}
