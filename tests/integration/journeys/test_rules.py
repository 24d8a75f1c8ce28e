"""Entry and exit rules, windows, caps and versions in the database (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from leadflow.bootstrap import Container
from leadflow.emails.services import MessageRequest, queue_messages
from leadflow.errors import ValidationFailed
from leadflow.journeys import services
from leadflow.leads.services import create_lead, mark_sales_ready
from leadflow.segments import services as segments
from tests.integration.journeys.helpers import (
    add_to_segment,
    advance,
    go_live,
    history,
    make_contacts,
    make_journey,
    make_segment,
    make_template,
    messages,
    positions,
)


def _mail_then_wait(template: int) -> list[dict[str, Any]]:
    return [
        {"id": "mail", "kind": "send_email", "template_id": template, "next": "pause"},
        {"id": "pause", "kind": "wait", "duration_minutes": 60 * 24 * 7},
    ]


def _leave_and_return(container: Container, segment: int, contact: int) -> None:
    with container.uow() as uow:
        segments.remove_members(segment, uow=uow, contact_ids=[contact])
        uow.commit()
    container.relay.drain()
    add_to_segment(container, segment, [contact])


def test_without_reentry_a_returning_member_does_not_enter_again(container: Container) -> None:
    [contact] = make_contacts(container, 1)
    segment = make_segment(container, [contact])
    journey = make_journey(
        container, [{"id": "done", "kind": "end"}], audience_segment_ids=[segment]
    )
    advance(container)
    _leave_and_return(container, segment, contact)
    assert [(p.entry_number, p.status) for p in positions(container, journey)] == [(1, "done")]


def test_reentry_after_an_interval_up_to_the_cap(container: Container) -> None:
    [contact] = make_contacts(container, 1)
    segment = make_segment(container, [contact])
    journey = make_journey(
        container,
        [{"id": "done", "kind": "end"}],
        audience_segment_ids=[segment],
        reentry="after_interval",
        reentry_after_days=0,
        reentry_cap=2,
    )
    advance(container)
    _leave_and_return(container, segment, contact)
    advance(container)
    _leave_and_return(container, segment, contact)
    assert [(p.entry_number, p.status) for p in positions(container, journey)] == [
        (1, "done"),
        (2, "done"),
    ]


def test_reentry_waits_for_the_interval(container: Container) -> None:
    [contact] = make_contacts(container, 1)
    segment = make_segment(container, [contact])
    journey = make_journey(
        container,
        [{"id": "done", "kind": "end"}],
        audience_segment_ids=[segment],
        reentry="after_interval",
        reentry_after_days=30,
    )
    advance(container)
    _leave_and_return(container, segment, contact)
    assert [p.entry_number for p in positions(container, journey)] == [1]


def test_reaching_the_goal_ends_the_journey(container: Container) -> None:
    stays, converts = make_contacts(container, 2)
    template = make_template(container)
    segment = make_segment(container, [stays, converts])
    journey = make_journey(
        container, _mail_then_wait(template), audience_segment_ids=[segment],
        goal="lead_sales_ready",
    )  # fmt: skip
    advance(container)
    with container.uow() as uow:
        lead = create_lead({"last_name": "Doe", "parent_contact_id": converts}, uow=uow)
        mark_sales_ready(lead.id, model_id=1, uow=uow)
        uow.commit()
    container.relay.drain()
    found = {p.contact_id: (p.status, p.exit_reason) for p in positions(container, journey)}
    assert found == {stays: ("waiting", None), converts: ("exited", "goal")}
    assert history(container, converts)[-1] == ("pause", "exited", "goal")


def test_suppression_segment_members_leave_and_never_enter(container: Container) -> None:
    inside, suppressed_early, suppressed_later = make_contacts(container, 3)
    template = make_template(container)
    audience = make_segment(container, [inside, suppressed_early, suppressed_later])
    suppression = make_segment(container, [suppressed_early], name="Unsubscribed")
    journey = make_journey(
        container,
        _mail_then_wait(template),
        audience_segment_ids=[audience],
        suppression_segment_id=suppression,
    )
    advance(container)
    add_to_segment(container, suppression, [suppressed_later])
    found = {p.contact_id: (p.status, p.exit_reason) for p in positions(container, journey)}
    assert found == {inside: ("waiting", None), suppressed_later: ("exited", "suppressed")}


def test_exclusion_and_minimum_consent_apply_at_entry(container: Container) -> None:
    welcome, excluded = make_contacts(container, 2)
    [no_consent] = make_contacts(container, 1, consent="none", email="nc@example.test")
    audience = make_segment(container, [welcome, excluded, no_consent])
    exclusion = make_segment(container, [excluded], name="Customers")
    journey = make_journey(
        container,
        [{"id": "done", "kind": "end"}],
        audience_segment_ids=[audience],
        exclusion_segment_ids=[exclusion],
        minimum_consent="marketing",
    )
    assert [p.contact_id for p in positions(container, journey)] == [welcome]


def test_an_intersection_needs_every_segment(container: Container) -> None:
    both, one = make_contacts(container, 2)
    first = make_segment(container, [both, one])
    second = make_segment(container, [both], name="Second")
    journey = make_journey(
        container,
        [{"id": "done", "kind": "end"}],
        audience_segment_ids=[first, second],
        audience_mode="intersection",
    )
    assert [p.contact_id for p in positions(container, journey)] == [both]


def test_the_send_window_holds_emails_until_it_opens(container: Container) -> None:
    [contact] = make_contacts(container, 1)
    template = make_template(container)
    # The contact is a member before go-live, so it enters at the pinned time, not the real one.
    segment = make_segment(container, [contact])
    saturday = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    journey = make_journey(
        container,
        [{"id": "mail", "kind": "send_email", "template_id": template}],
        audience_segment_ids=[segment],
        send_window={"weekdays": [0, 1, 2, 3, 4], "start_hour": 9, "end_hour": 17},
        time_zone="Europe/Paris",
        live=False,
    )
    go_live(container, journey, now=saturday)
    advance(container, now=saturday)
    [held] = positions(container, journey)
    # Monday 09:00 in Paris is 08:00 UTC.
    assert (held.status, held.due_at) == ("waiting", datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    assert messages(container) == []
    advance(container, now=datetime(2026, 12, 7, 8, 5, tzinfo=UTC))
    assert [m[0] for m in messages(container)] == [contact]


def test_the_frequency_cap_counts_emails_from_every_journey(container: Container) -> None:
    capped, free = make_contacts(container, 2)
    template = make_template(container)
    with container.uow() as uow:
        queue_messages([MessageRequest(template, capped, "elsewhere-1")], uow=uow)
        uow.commit()
    segment = make_segment(container, [capped, free])
    journey = make_journey(
        container,
        [{"id": "mail", "kind": "send_email", "template_id": template}],
        audience_segment_ids=[segment],
        frequency_cap={"messages": 1, "days": 7},
    )
    advance(container)
    assert history(container, capped) == [("mail", "capped", None)]
    assert history(container, free) == [("mail", "sent", None)]
    assert sorted(m[2] for m in messages(container)) == sorted(
        ["elsewhere-1", f"j{journey}:v1:c{free}:e1:mail"]
    )


def test_contacts_in_flight_keep_their_version(container: Container) -> None:
    early, late = make_contacts(container, 2)
    first = make_template(container)
    second = make_template(container, name="Second")
    segment = make_segment(container, [early])
    tiles = [
        {"id": "pause", "kind": "wait", "duration_minutes": 60, "next": "mail"},
        {"id": "mail", "kind": "send_email", "template_id": first},
    ]
    journey = make_journey(container, tiles, audience_segment_ids=[segment])
    advance(container)
    tiles[1]["template_id"] = second
    with container.uow() as uow:
        updated = services.update_journey(
            journey, {"definition": {"start": "pause", "tiles": tiles}}, uow=uow
        )
        uow.commit()
        assert updated.version == 2
    add_to_segment(container, segment, [late])
    advance(container)  # the newcomer starts waiting (under version 2)
    advance(container, minutes=61)
    assert sorted((m[0], m[1], m[2]) for m in messages(container)) == [
        (early, first, f"j{journey}:v1:c{early}:e1:mail"),
        (late, second, f"j{journey}:v2:c{late}:e1:mail"),
    ]


def test_a_stopped_journey_moves_nobody_until_resumed(container: Container) -> None:
    [contact] = make_contacts(container, 1)
    template = make_template(container)
    segment = make_segment(container, [contact])
    journey = make_journey(
        container,
        [{"id": "mail", "kind": "send_email", "template_id": template}],
        audience_segment_ids=[segment],
    )
    with container.uow() as uow:
        services.stop_journey(journey, uow=uow)
        uow.commit()
    assert advance(container) == 0
    with container.uow() as uow:
        services.resume_journey(journey, uow=uow)
        uow.commit()
    assert advance(container) == 1
    assert [m[0] for m in messages(container)] == [contact]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tiles": [{"id": "a", "kind": "end"}], "start": "b"}, "definition.start"),
        (
            {
                "start": "a",
                "tiles": [{"id": "a", "kind": "wait", "duration_minutes": 1, "next": "x"}],
            },
            "definition.tiles[0].next",
        ),
        (
            {
                "start": "a",
                "tiles": [
                    {"id": "a", "kind": "wait", "duration_minutes": 1, "next": "b"},
                    {"id": "b", "kind": "wait", "duration_minutes": 1, "next": "a"},
                ],
            },
            "definition.tiles[1]",
        ),
        (
            {
                "start": "a",
                "tiles": [
                    {"id": "a", "kind": "split", "branches": [{"percent": 50}, {"percent": 40}]}
                ],
            },
            "definition.tiles[0].branches",
        ),
        (
            {"start": "a", "tiles": [{"id": "a", "kind": "send_email", "template_id": 999}]},
            "definition.tiles[0].template_id",
        ),
        (
            {
                "start": "a",
                "tiles": [
                    {"id": "a", "kind": "update_field", "entity": "contact", "field": "nope"}
                ],
            },
            "definition.tiles[0].field",
        ),
    ],
)
def test_a_faulty_definition_is_refused_naming_the_path(
    container: Container, change: dict[str, Any], field: str
) -> None:
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        services.create_journey("Bad", None, {}, change, uow=uow)
    assert caught.value.field == field


def test_an_unknown_segment_is_refused_naming_the_setting(container: Container) -> None:
    definition = {"start": "a", "tiles": [{"id": "a", "kind": "end"}]}
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        services.create_journey(
            "Bad", None, {"exclusion_segment_ids": [5, 404]}, definition, uow=uow
        )
    assert caught.value.field == "settings.exclusion_segment_ids[0]"


def test_event_starts_let_contacts_in_when_the_event_happens(container: Container) -> None:
    from tests.integration.journeys.helpers import record

    submitter, other_form, joiner = make_contacts(container, 3)
    watched = make_segment(container, [], name="Webinar")
    on_form = make_journey(
        container,
        [{"id": "done", "kind": "end"}],
        start_event={"kind": "form_submitted", "id": 12},
    )
    on_segment = make_journey(
        container,
        [{"id": "done", "kind": "end"}],
        start_event={"kind": "segment_entered", "id": watched},
    )
    record(container, submitter, "form_submitted", target_id="12")
    record(container, other_form, "form_submitted", target_id="13")
    add_to_segment(container, watched, [joiner])
    assert [p.contact_id for p in positions(container, on_form)] == [submitter]
    assert [p.contact_id for p in positions(container, on_segment)] == [joiner]


def test_a_journey_with_no_audience_cannot_go_live(container: Container) -> None:
    journey = make_journey(container, [{"id": "done", "kind": "end"}], live=False)
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        services.go_live(journey, uow=uow)
    assert caught.value.field == "settings.audience_segment_ids"


def test_the_frequency_cap_holds_across_journeys_stepping_in_one_batch(
    container: Container,
) -> None:
    [contact] = make_contacts(container, 1)
    template = make_template(container)
    segment = make_segment(container, [contact])
    for _ in range(2):
        make_journey(
            container,
            [{"id": "mail", "kind": "send_email", "template_id": template}],
            audience_segment_ids=[segment],
            frequency_cap={"messages": 1, "days": 7},
        )
    advance(container)
    assert sorted(outcome for _, outcome, _ in history(container, contact)) == ["capped", "sent"]
    assert len(messages(container)) == 1


def test_the_send_window_reads_the_contacts_own_time_zone_when_known(
    container: Container,
) -> None:
    from leadflow.registry.services import add_custom_field

    with container.uow() as uow:
        add_custom_field({"entity": "contact", "name": "time_zone", "type": "text"}, uow=uow)
        uow.commit()
    container.relay.drain()  # the registry learns the new field
    [tokyo] = make_contacts(container, 1, custom={"time_zone": "Asia/Tokyo"})
    [paris] = make_contacts(container, 1, email="p@example.test")
    template = make_template(container)
    segment = make_segment(container, [tokyo, paris])
    monday_noon = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)  # 21:00 in Tokyo, 13:00 in Paris
    journey = make_journey(
        container,
        [{"id": "mail", "kind": "send_email", "template_id": template}],
        audience_segment_ids=[segment],
        send_window={"weekdays": [0, 1, 2, 3, 4], "start_hour": 9, "end_hour": 17},
        time_zone="Europe/Paris",
        live=False,
    )
    go_live(container, journey, now=monday_noon)
    advance(container, now=monday_noon)
    found = {p.contact_id: (p.status, p.due_at) for p in positions(container, journey)}
    # Tokyo waits for Tuesday 09:00 there (00:00 UTC); Paris is inside its window.
    assert found == {
        tokyo: ("waiting", datetime(2026, 12, 8, 0, 0, tzinfo=UTC)),
        paris: ("done", None),
    }
