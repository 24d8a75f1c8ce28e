"""Queues, tasks, deadlines, escalation, assignment and round-robin on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.errors import Conflict
from leadflow.lib.clock import utcnow
from leadflow.process import domain
from leadflow.process import services as process
from leadflow.sales import services as sales
from leadflow.sales.models import Assignment, Notification, Task
from leadflow.users.services import update_user
from tests.integration.process.helpers import new_lead, stage_of, tick
from tests.support.factories import user_with_token


def tasks_of(container: Container, lead_id: int) -> list[tuple[str | None, str]]:
    with container.read_session() as session:
        rows = session.execute(
            select(Task.queue, Task.status).where(Task.lead_id == lead_id).order_by(Task.id)
        ).all()
    return [(queue, status) for queue, status in rows]


def test_entering_telemarketing_acceptance_puts_the_lead_in_the_queue(container: Container) -> None:
    lead_id = new_lead(container)
    tick(container, lead_id, telemarketing_ready=True)
    assert tasks_of(container, lead_id) == [("telemarketing", "open")]
    with container.read_session() as session:
        items = sales.queue_items(session, "telemarketing")
    assert [item.lead_id for item in items] == [lead_id]
    tick(container, lead_id, telemarketing_accepted=True)
    assert tasks_of(container, lead_id) == [("telemarketing", "done")]


def test_sales_acceptance_task_is_due_by_the_speed_to_lead_deadline(container: Container) -> None:
    with container.uow() as uow:
        sales.set_deadline("sales_acceptance", 2, uow=uow)
        uow.commit()
    container.relay.drain()
    before = utcnow()
    lead_id = new_lead(container)
    tick(container, lead_id, sales_ready=True)
    with container.read_session() as session:
        task = session.scalars(select(Task).where(Task.lead_id == lead_id)).one()
    assert task.queue == "sales_acceptance"
    assert task.due_at is not None
    assert before + timedelta(hours=2) <= task.due_at <= utcnow() + timedelta(hours=2)


def test_the_shipped_deadline_of_sales_acceptance_is_24_hours(container: Container) -> None:
    lead_id = new_lead(container)
    tick(container, lead_id, sales_ready=True)
    with container.read_session() as session:
        task = session.scalars(select(Task).where(Task.lead_id == lead_id)).one()
    assert task.due_at is not None
    hours = (task.due_at - task.created_at).total_seconds() / 3600
    assert hours == pytest.approx(24, abs=0.01)


def test_overdue_tasks_are_escalated_to_managers_once_and_counted(container: Container) -> None:
    manager_id, _, _ = user_with_token(container, "sales_manager")
    other_manager_id, _, _ = user_with_token(container, "sales_manager")
    seller_id, _, _ = user_with_token(container, "salesperson")
    late = new_lead(container)
    on_time = new_lead(container)
    tick(container, late, sales_ready=True)
    tick(container, on_time, sales_ready=True)
    with container.uow() as uow:
        uow.session.execute(
            Task.__table__.update()
            .where(Task.lead_id == late)
            .values(due_at=utcnow() - timedelta(hours=1))
        )
        uow.commit()
    container.relay.drain()
    with container.uow() as uow:
        escalated = sales.check_deadlines(uow=uow)
        uow.commit()
    container.relay.drain()
    assert len(escalated) == 1
    with container.uow() as uow:
        assert sales.check_deadlines(uow=uow) == []
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        notified = session.scalars(select(Notification.user_id).where(Notification.lead_id == late))
        assert sorted(notified) == sorted([manager_id, other_manager_id])
        assert sales.unread_count(session, seller_id) == 0
        assert sales.overdue_count(session) == 1
        assert sales.escalated_count(session) == 1


def test_a_manager_assigns_and_accepts(container: Container) -> None:
    manager_id, _, _ = user_with_token(container, "sales_manager")
    seller_id, _, _ = user_with_token(container, "salesperson")
    lead_id = new_lead(container)
    tick(container, lead_id, sales_ready=True)
    with container.uow() as uow:
        sales.accept_lead(lead_id, seller_id, uow=uow, by_user_id=manager_id)
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        values = process.lead_values(session, lead_id)
        history = sales.assignments(session, lead_id)
    assert values["owner_id"] == seller_id and values["sales_accepted"] is True
    assert history[0].method == "manual" and history[0].assigned_by_user_id == manager_id
    assert stage_of(container, lead_id) == domain.SALES_ACCEPTANCE


def _set_capacity(container: Container, user_id: int, capacity: int | None) -> None:
    with container.uow() as uow:
        update_user(user_id, {"capacity": capacity}, uow=uow)
        uow.commit()
    container.relay.drain()


def test_round_robin_takes_turns_and_respects_capacity(container: Container) -> None:
    first, _, _ = user_with_token(container, "salesperson")
    second, _, _ = user_with_token(container, "salesperson")
    _set_capacity(container, first, 1)
    _set_capacity(container, second, 2)
    leads = [new_lead(container) for _ in range(4)]
    chosen = []
    for lead_id in leads[:3]:
        with container.uow() as uow:
            chosen.append(sales.round_robin_assign(lead_id, uow=uow).user_id)
            uow.commit()
        container.relay.drain()
    assert chosen == [first, second, second]
    with container.uow() as uow, pytest.raises(Conflict):
        sales.round_robin_assign(leads[3], uow=uow)
    with container.read_session() as session:
        reasons = list(session.scalars(select(Assignment.reason).order_by(Assignment.id)))
    assert reasons[0].startswith("round-robin: Test salesperson had 0 open lead(s) (capacity 1)")
    assert "never had a round-robin lead" in reasons[0]
    assert "waited longest" in reasons[2]


def test_round_robin_skips_inactive_people_and_counts_only_open_leads(container: Container) -> None:
    away, _, _ = user_with_token(container, "salesperson")
    here, _, _ = user_with_token(container, "salesperson")
    _set_capacity(container, here, 1)
    with container.uow() as uow:
        update_user(away, {"is_active": False}, uow=uow)
        uow.commit()
    container.relay.drain()
    closed = new_lead(container, owner_id=here)
    with container.uow() as uow:
        sales.disqualify_lead(closed, "lost", uow=uow)
        uow.commit()
    container.relay.drain()
    lead_id = new_lead(container)
    with container.uow() as uow:
        assert sales.round_robin_assign(lead_id, uow=uow).user_id == here
        uow.commit()
    container.relay.drain()


def test_notify_a_role_reaches_each_active_member(container: Container) -> None:
    a, _, _ = user_with_token(container, "telemarketer")
    b, _, _ = user_with_token(container, "telemarketer")
    user_with_token(container, "marketer")
    with container.uow() as uow:
        assert sales.notify(uow=uow, title="New queue item", role="telemarketer") == 2
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        assert sales.unread_count(session, a) == 1
        assert sales.unread_count(session, b) == 1
    with container.uow() as uow:
        sales.mark_read(a, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        assert sales.unread_count(session, a) == 0


def test_the_deadline_task_escalates_the_overdue_task_once(container: Container) -> None:
    manager_id, _, _ = user_with_token(container, "sales_manager")
    late = new_lead(container)
    on_time = new_lead(container)
    tick(container, late, sales_ready=True)
    tick(container, on_time, sales_ready=True)
    with container.uow() as uow:
        uow.session.execute(
            Task.__table__.update()
            .where(Task.lead_id == late)
            .values(due_at=utcnow() - timedelta(minutes=5))
        )
        uow.commit()

    first = container.queue.enqueue("sales.check_deadlines").get(blocking=True, timeout=30)
    again = container.queue.enqueue("sales.check_deadlines").get(blocking=True, timeout=30)

    assert (first, again) == (1, 0)
    with container.read_session() as session:
        escalated = {
            task.lead_id: task.escalated_at is not None for task in session.scalars(select(Task))
        }
        notified = session.execute(select(Notification.user_id, Notification.lead_id)).all()
    assert escalated == {late: True, on_time: False}
    assert [tuple(row) for row in notified] == [(manager_id, late)]
