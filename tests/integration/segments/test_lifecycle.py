"""Lifecycle: events published per change, history of stays, stop and go live again,
versions, the scheduled re-check of moving windows, static segments by query, the
build job's progress."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from leadflow.bootstrap import Container
from leadflow.interactions.models import Interaction
from leadflow.jobs.models import Job
from leadflow.lib.clock import utcnow
from leadflow.outbox import OutboxMessage
from leadflow.segments import services
from leadflow.segments.models import SegmentMembership
from tests.integration.segments.helpers import (
    change_contact,
    group,
    live_segment,
    make_contact,
    members_of,
    record,
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

    entered = _events(container, "segment.contact_entered")
    left = _events(container, "segment.contact_left")
    assert [(e["segment_id"], e["contact_id"]) for e in entered] == [(segment_id, contact)] * 2
    assert [(e["contact_id"], e["reason"]) for e in left] == [(contact, "no longer matches")]
    with container.read_session() as session:
        stays = session.execute(
            select(SegmentMembership.left_at.is_(None), SegmentMembership.left_reason)
            .where(SegmentMembership.segment_id == segment_id)
            .order_by(SegmentMembership.id)
        ).all()
        changes = [item["change"] for item in services.history(session, segment_id)]
    assert [tuple(stay) for stay in stays] == [(False, "no longer matches"), (True, None)]
    assert changes == ["entered", "left", "entered"]


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
    # Time passes: the click is now 9 days old (no event says so).
    with container.engine.begin() as connection:
        connection.execute(update(Interaction).values(occurred_at=utcnow() - timedelta(days=9)))
    assert members_of(container, segment_id) == {contact}

    result = services.recheck_segments(container, only_time_relative=True)

    assert result == {"entered": 0, "left": 1, "segments": 1}
    assert members_of(container, segment_id) == set()


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
