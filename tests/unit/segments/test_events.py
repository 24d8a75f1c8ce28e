"""Membership events are gathered per segment: one names many contacts, and stands
for one event per contact."""

from __future__ import annotations

from leadflow.segments.events import (
    CONTACTS_PER_EVENT,
    ContactEnteredSegment,
    ContactLeftSegment,
    ContactsEnteredSegment,
    ContactsLeftSegment,
    entered_events,
    left_events,
)


def test_entries_are_gathered_per_segment_and_version() -> None:
    rows = [(1, 10, 2, 0), (1, 11, 2, 1), (1, 12, 3, 0), (4, 10, 1, 0)]

    assert entered_events(rows) == [
        ContactsEnteredSegment(1, (10, 11), 2, (0, 1)),
        ContactsEnteredSegment(1, (12,), 3, (0,)),
        ContactsEnteredSegment(4, (10,), 1, (0,)),
    ]


def test_a_segment_with_more_contacts_than_an_event_holds_gets_several() -> None:
    pairs = [(7, contact_id) for contact_id in range(CONTACTS_PER_EVENT + 5)]

    first, second = left_events(pairs, "segment stopped")

    assert first.contact_ids == tuple(range(CONTACTS_PER_EVENT))
    assert second == ContactsLeftSegment(
        7, tuple(range(CONTACTS_PER_EVENT, CONTACTS_PER_EVENT + 5)), "segment stopped"
    )


def test_an_event_about_many_contacts_stands_for_one_per_contact() -> None:
    entered = ContactsEnteredSegment(3, (5, 8), 2, (0, 1))
    left = ContactsLeftSegment(3, (5, 8), "no longer matches")

    assert entered.parts() == (
        ContactEnteredSegment(3, 5, 2, 0),
        ContactEnteredSegment(3, 8, 2, 1),
    )
    assert left.parts() == (
        ContactLeftSegment(3, 5, "no longer matches"),
        ContactLeftSegment(3, 8, "no longer matches"),
    )
    assert ContactEnteredSegment(3, 5).parts() == (ContactEnteredSegment(3, 5),)


def test_the_stored_payload_gives_the_same_event_back() -> None:
    entered = ContactsEnteredSegment(3, (5, 8), 2, (0, 1))

    payload = entered.to_payload()

    assert payload == {"segment_id": 3, "contact_ids": [5, 8], "version": 2, "blocks": [0, 1]}
    assert ContactsEnteredSegment.from_payload(payload) == entered
