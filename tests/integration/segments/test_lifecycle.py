"""Lifecycle: events published per change, history of stays, stop and go live again,
versions, the scheduled re-check of moving windows, static segments by query, the
build job's progress."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from leadflow.bootstrap import Container
from leadflow.contacts.services import update_contact
from leadflow.jobs.models import Job
from leadflow.leads.models import Lead
from leadflow.lib.clock import utcnow
from leadflow.outbox import OutboxMessage
from leadflow.segments import services
from leadflow.segments.engine import compile_live, evaluate, published
from leadflow.segments.models import SegmentMembership
from tests.integration.segments.helpers import (
    change_contact,
    group,
    live_segment,
    make_contact,
    make_lead,
    members_of,
    record,
    related,
    row,
)

LONDON = group(row("city", "eq", "London"))


def _events(container: Container, name: str) -> list[dict[str, object]]:
    with container.read_session() as session:
        return [
            dict(payload)
            for payload in session.scalars(
                select(OutboxMessage.payload)
                .where(OutboxMessage.event_type == name)
                .order_by(OutboxMessage.id)
            )
        ]


def test_each_entry_and_exit_is_an_event_and_a_row_of_history(container: Container) -> None:
    contact = make_contact(container, city="London")
    segment_id = live_segment(container, LONDON)

    change_contact(container, contact, city="Paris")
    change_contact(container, contact, city="London")

    entered = _events(container, "segment.contacts_entered")
    left = _events(container, "segment.contacts_left")
    assert [(e["segment_id"], e["contact_ids"]) for e in entered] == [(segment_id, [contact])] * 2
    assert [(e["contact_ids"], e["reason"]) for e in left] == [([contact], "no longer matches")]
    with container.read_session() as session:
        stays = session.execute(
            select(SegmentMembership.left_at.is_(None), SegmentMembership.left_reason)
            .where(SegmentMembership.segment_id == segment_id)
            .order_by(SegmentMembership.id)
        ).all()
        changes = [item["change"] for item in services.history(session, segment_id)]
    assert [tuple(stay) for stay in stays] == [(False, "no longer matches"), (True, None)]
    assert changes == ["entered", "left", "entered"]


def test_a_batch_of_changes_stores_one_event_per_segment_for_its_entries_and_its_exits(
    container: Container,
) -> None:
    first, second, third = (make_contact(container, city="Paris") for _ in range(3))
    leaving = make_contact(container, city="London")
    london = live_segment(container, LONDON)
    everyone_but_rome = live_segment(container, group(row("city", "ne", "Rome")))
    since = _last_event_id(container)

    with container.uow() as uow:
        for contact_id in (first, second, third):
            update_contact(contact_id, {"city": "London"}, uow=uow)
        update_contact(leaving, {"city": "Rome"}, uow=uow)
        uow.commit()
    container.relay.drain()

    with container.read_session() as session:
        stored = session.execute(
            select(OutboxMessage.event_type, OutboxMessage.subject, OutboxMessage.payload)
            .where(OutboxMessage.id > since, OutboxMessage.event_type.like("segment.%"))
            .order_by(OutboxMessage.id)
        ).all()
    assert sorted(
        (kind, subject, payload["segment_id"], payload["contact_ids"])
        for kind, subject, payload in stored
    ) == sorted(
        [
            ("segment.contacts_entered", f"segment:{london}", london, [first, second, third]),
            ("segment.contacts_left", f"segment:{london}", london, [leaving]),
            ("segment.contacts_left", f"segment:{everyone_but_rome}", everyone_but_rome, [leaving]),
        ]
    )


def _last_event_id(container: Container) -> int:
    with container.read_session() as session:
        return int(session.scalar(select(func.max(OutboxMessage.id))) or 0)


def test_a_stopped_segment_keeps_its_members_until_it_goes_live_again(
    container: Container,
) -> None:
    contact = make_contact(container, city="London")
    segment_id = live_segment(container, LONDON)
    with container.uow() as uow:
        services.stop_segment(segment_id, uow=uow)
        uow.commit()

    change_contact(container, contact, city="Paris")
    assert members_of(container, segment_id) == {contact}

    with container.uow() as uow:
        services.go_live(segment_id, uow=uow)
        uow.commit()
    container.relay.drain()
    assert members_of(container, segment_id) == set()
    with container.read_session() as session:
        assert [v["version"] for v in services.versions(session, segment_id)] == [2, 1]


def test_the_re_check_lets_members_go_when_their_window_passes(container: Container) -> None:
    contact = make_contact(container)
    record(container, contact, "email_clicked", utcnow() - timedelta(days=2))
    segment_id = live_segment(
        container,
        group({"type": "behaviour", "kind": "email_clicked", "window_days": 7}),
    )
    assert members_of(container, segment_id) == {contact}

    soon = services.recheck_segments(
        container, only_time_relative=True, now=utcnow() + timedelta(days=4)
    )
    assert soon == {"entered": 0, "left": 0, "segments": 1}
    # Six days on, the click is 8 days old (no event says so).
    result = services.recheck_segments(
        container, only_time_relative=True, now=utcnow() + timedelta(days=6)
    )

    assert result == {"entered": 0, "left": 1, "segments": 1}
    assert members_of(container, segment_id) == set()


def test_the_window_sweep_checks_only_what_an_edge_passed_and_agrees_with_a_full_one(
    container: Container,
) -> None:
    now = utcnow()
    ages = [1, 5, 9, 12, 20, 28, 33]
    people = [make_contact(container, city="London" if age % 2 else "Paris") for age in ages]
    for person, age in zip(people, ages, strict=True):
        record(container, person, "email_clicked", now - timedelta(days=age))
        make_lead(container, parent_contact_id=person)
    with container.engine.begin() as connection:
        for person, age in zip(people, ages, strict=True):
            connection.execute(
                update(Lead).where(Lead.parent_contact_id == person)
                .values(created_at=now - timedelta(days=age))
            )  # fmt: skip
    trees = [
        group({"type": "behaviour", "kind": "email_clicked", "min": 1, "window_days": 14}),
        group({"type": "behaviour", "kind": "email_clicked", "count": "none", "window_days": 10}),
        group(related("lead_parent_contact", row("created_at", "within_last_days", 15))),
        group(row("city", "eq", "London"), row("created_at", "older_than_days", 3), op="or"),
    ]
    segments = [live_segment(container, tree) for tree in trees]
    before = [members_of(container, segment_id) for segment_id in segments]

    later = now + timedelta(days=6)
    result = services.recheck_segments(container, only_time_relative=True, now=later)

    after = [members_of(container, segment_id) for segment_id in segments]
    assert after != before  # the windows moved people in and out
    assert after == [_evaluated(container, segment_id, later) for segment_id in segments]
    assert result["segments"] == 4 and result["entered"] and result["left"]


def _evaluated(container: Container, segment_id: int, now: datetime) -> set[int]:
    with container.uow() as uow:
        segment = services.get_segment(uow.session, segment_id)
        definition, parts = published(uow.session, segment)
        compiled = compile_live(segment, definition, parts, uow.registry)
        return set(evaluate(uow.session, compiled, now, None))


def test_the_re_check_of_windows_leaves_other_segments_alone(container: Container) -> None:
    make_contact(container, city="London")
    live_segment(container, LONDON)

    assert services.recheck_segments(container, only_time_relative=True)["segments"] == 0
    assert services.recheck_segments(container, only_time_relative=False)["segments"] == 1


def test_a_static_segment_adds_contacts_once_from_a_query(container: Container) -> None:
    london = make_contact(container, city="London")
    segment_id = live_segment(container, kind="static")

    with container.uow() as uow:
        added = services.add_members(segment_id, uow=uow, query=LONDON)
        uow.commit()
    container.relay.drain()
    later = make_contact(container, city="London")

    assert added == {"added": 1, "already": 0, "unknown": []}
    assert members_of(container, segment_id) == {london}
    assert later not in members_of(container, segment_id)


def test_the_build_job_reports_its_progress_and_result(container: Container) -> None:
    for _ in range(3):
        make_contact(container, city="London")
    segment_id = live_segment(container, LONDON)

    with container.read_session() as session:
        job = session.scalars(select(Job).where(Job.kind == "segments.build")).one()
    assert job.status == "succeeded"
    assert (job.done, job.total) == (3, 3)
    assert job.result == {"segment_id": segment_id, "entered": 3, "left": 0}
