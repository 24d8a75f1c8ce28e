"""Every node kind, evaluated by the full build and kept current by the events,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from leadflow.bootstrap import Container
from leadflow.lib.clock import utcnow
from tests.integration.segments.helpers import (
    change_account,
    change_contact,
    change_lead,
    full_rebuild,
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

SEED_EXAMPLE = group(
    related("lead_parent_contact", row("topic", "eq", "Contoso Ltd Conference")),
    row("role", "eq", "decision_maker"),
)


def test_the_seed_example_admits_decision_makers_with_a_conference_lead(
    container: Container,
) -> None:
    boss = make_contact(container, role="decision_maker")
    make_lead(container, topic="Contoso Ltd Conference", parent_contact_id=boss)
    clerk = make_contact(container, role="employee")
    make_lead(container, topic="Contoso Ltd Conference", parent_contact_id=clerk)
    other_boss = make_contact(container, role="decision_maker")
    make_lead(container, topic="Spring webinar", parent_contact_id=other_boss)

    segment_id = live_segment(container, SEED_EXAMPLE)

    assert members_of(container, segment_id) == {boss}


def test_a_change_to_a_lead_or_contact_moves_the_contact_in_and_out(
    container: Container,
) -> None:
    contact = make_contact(container, role="decision_maker")
    lead = make_lead(container, topic="Spring webinar", parent_contact_id=contact)
    segment_id = live_segment(container, SEED_EXAMPLE)
    assert members_of(container, segment_id) == set()

    change_lead(container, lead, topic="Contoso Ltd Conference")
    assert members_of(container, segment_id) == {contact}

    change_contact(container, contact, role="influencer")
    assert members_of(container, segment_id) == set()


def test_rows_under_a_related_node_hold_for_the_same_record(container: Container) -> None:
    # Topic on one lead, source on another: not the same lead, so not in.
    split = make_contact(container)
    make_lead(
        container, topic="Contoso Ltd Conference", source="landing_page", parent_contact_id=split
    )
    make_lead(container, topic="Other", source="event", parent_contact_id=split)
    same = make_contact(container)
    make_lead(container, topic="Contoso Ltd Conference", source="event", parent_contact_id=same)

    segment_id = live_segment(
        container,
        group(
            related(
                "lead_parent_contact",
                row("topic", "eq", "Contoso Ltd Conference"),
                row("source", "eq", "event"),
            )
        ),
    )

    assert members_of(container, segment_id) == {same}


def test_counts_at_least_and_none(container: Container) -> None:
    two = make_contact(container)
    make_lead(container, topic="A", parent_contact_id=two)
    make_lead(container, topic="B", parent_contact_id=two)
    one = make_contact(container)
    make_lead(container, topic="A", parent_contact_id=one)
    zero = make_contact(container)

    at_least_two = live_segment(
        container, group(related("lead_parent_contact", count="at_least", min=2))
    )
    without = live_segment(container, group(related("lead_parent_contact", count="none")))

    assert members_of(container, at_least_two) == {two}
    assert members_of(container, without) == {zero}
    make_lead(container, topic="C", parent_contact_id=one)
    assert members_of(container, at_least_two) == {two, one}


def test_account_and_opportunity_nodes(container: Container) -> None:
    big = make_account(container, name="Big", employee_count=5000)
    small = make_account(container, name="Small", employee_count=5)
    at_big = make_contact(container, account_id=big)
    at_small = make_contact(container, account_id=small)
    make_opportunity(container, contact_id=at_small, status="open")

    by_account = live_segment(
        container, group(related("contact_account", row("employee_count", "gte", 1000)))
    )
    with_deal = live_segment(
        container, group(related("opportunity_contact", row("status", "eq", "open")))
    )

    assert members_of(container, by_account) == {at_big}
    assert members_of(container, with_deal) == {at_small}
    change_account(container, small, employee_count=2000)
    assert members_of(container, by_account) == {at_big, at_small}


def test_behaviour_node_counts_interactions_in_a_moving_window(container: Container) -> None:
    now = utcnow()
    twice = make_contact(container)
    record(container, twice, "email_clicked", now - timedelta(days=3))
    record(container, twice, "email_clicked", now - timedelta(days=10))
    old = make_contact(container)
    record(container, old, "email_clicked", now - timedelta(days=3))
    record(container, old, "email_clicked", now - timedelta(days=45))

    segment_id = live_segment(
        container,
        group(
            {
                "type": "behaviour",
                "kind": "email_clicked",
                "count": "at_least",
                "min": 2,
                "window_days": 30,
            }
        ),
    )

    assert members_of(container, segment_id) == {twice}
    record(container, old, "email_clicked", now - timedelta(days=1))
    assert members_of(container, segment_id) == {twice, old}


def test_relative_dates_and_or_groups(container: Container) -> None:
    london = make_contact(container, city="London")
    paris = make_contact(container, city="Paris")
    make_contact(container, city="Rome")

    segment_id = live_segment(
        container,
        group(
            row("city", "eq", ["London", "Paris"]),
            row("created_at", "within_last_days", 7),
        ),
    )

    assert members_of(container, segment_id) == {london, paris}
    assert full_rebuild(container, segment_id) == {london, paris}


def test_event_registration_nodes_follow_registrations(container: Container) -> None:
    from leadflow.capture.services import create_event, register_for_event

    with container.uow() as uow:
        event = create_event(
            {
                "name": "Summit",
                "starts_at": "2026-12-01T09:00:00+00:00",
                "ends_at": "2026-12-01T17:00:00+00:00",
            },
            uow=uow,
        )
        uow.commit()
        event_id = event.id
    make_contact(container, email="absent@x.test")
    segment_id = live_segment(
        container,
        group(related("event_registration_contact", row("event_id", "eq", event_id))),
    )
    assert members_of(container, segment_id) == set()

    with container.uow() as uow:
        registration, _ = register_for_event(
            event_id, {"email": "guest@x.test", "last_name": "Guest"}, uow=uow
        )
        uow.commit()
        guest = registration.contact_id
    container.relay.drain()

    assert members_of(container, segment_id) == {guest}


def test_custom_fields_are_queried_like_built_in_ones(container: Container) -> None:
    from leadflow.registry.services import add_custom_field

    with container.uow() as uow:
        add_custom_field({"entity": "lead", "name": "seats", "type": "integer"}, uow=uow)
        uow.commit()
    container.relay.drain()
    big = make_contact(container)
    make_lead(container, parent_contact_id=big, custom={"seats": 50})
    small = make_contact(container)
    make_lead(container, parent_contact_id=small, custom={"seats": 5})

    segment_id = live_segment(
        container, group(related("lead_parent_contact", row("seats", "gte", 20)))
    )

    assert members_of(container, segment_id) == {big}
