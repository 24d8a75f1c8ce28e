"""The engine end to end in the database: entry, steps, commands, exits (both databases)."""

from __future__ import annotations

from leadflow.bootstrap import Container
from tests.integration.journeys.helpers import (
    advance,
    make_contacts,
    make_journey,
    make_owner,
    make_segment,
    make_template,
    messages,
    positions,
    steps,
)


def test_going_live_enters_the_members_and_a_worker_queues_their_email(
    container: Container,
) -> None:
    contacts = make_contacts(container, 3)
    segment = make_segment(container, contacts[:2])
    template = make_template(container)
    journey = make_journey(
        container,
        [
            {"id": "hello", "kind": "send_email", "template_id": template, "next": "end"},
            {"id": "end", "kind": "end"},
        ],
        audience_segment_ids=[segment],
    )
    entered = positions(container, journey)
    assert [(p.contact_id, p.status, p.tile_id) for p in entered] == [
        (contacts[0], "due", "hello"),
        (contacts[1], "due", "hello"),
    ]
    assert advance(container) == 2
    assert messages(container) == [
        (contacts[0], template, f"j{journey}:v1:c{contacts[0]}:e1:hello"),
        (contacts[1], template, f"j{journey}:v1:c{contacts[1]}:e1:hello"),
    ]
    assert [p.status for p in positions(container, journey)] == ["done", "done"]
    assert steps(container, journey) == [
        (contacts[0], "hello", "sent"),
        (contacts[0], "end", "passed"),
        (contacts[1], "hello", "sent"),
        (contacts[1], "end", "passed"),
    ]
    # Nothing is due any more: a second run sends nothing again.
    assert advance(container) == 0
    assert len(messages(container)) == 2


def test_a_new_segment_member_enters_the_live_journey(container: Container) -> None:
    from tests.integration.journeys.helpers import add_to_segment

    first, later = make_contacts(container, 2)
    segment = make_segment(container, [first])
    template = make_template(container)
    owner = make_owner(container)
    journey = make_journey(
        container,
        [{"id": "hello", "kind": "send_email", "template_id": template}],
        owner_id=owner,
        audience_segment_ids=[segment],
    )
    assert [p.contact_id for p in positions(container, journey)] == [first]
    add_to_segment(container, segment, [later])
    assert [p.contact_id for p in positions(container, journey)] == [first, later]
