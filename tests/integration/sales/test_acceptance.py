"""Accepting a lead, by any path, closes its Sales-acceptance task and so its deadline."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from leadflow.bootstrap import Container
from leadflow.lib.clock import utcnow
from leadflow.sales import services as sales
from leadflow.sales.models import Task
from tests.integration.process.helpers import new_lead, tick
from tests.support.factories import user_with_token


def tasks_of(container: Container, lead_id: int) -> list[tuple[str | None, str]]:
    with container.read_session() as session:
        rows = session.execute(
            select(Task.queue, Task.status).where(Task.lead_id == lead_id).order_by(Task.id)
        ).all()
    return [(queue, status) for queue, status in rows]


def queued(container: Container) -> list[int]:
    with container.read_session() as session:
        return [item.lead_id for item in sales.queue_items(session, "sales_acceptance")]


def test_assign_and_accept_closes_the_acceptance_task(container: Container) -> None:
    manager_id, _, _ = user_with_token(container, "sales_manager")
    seller_id, _, _ = user_with_token(container, "salesperson")
    accepted, waiting = new_lead(container), new_lead(container)
    tick(container, accepted, sales_ready=True)
    tick(container, waiting, sales_ready=True)
    assert queued(container) == [accepted, waiting]
    with container.uow() as uow:
        sales.accept_lead(accepted, seller_id, uow=uow, by_user_id=manager_id)
        uow.commit()
    # Closed in the accepting transaction itself, before any handler ran.
    assert tasks_of(container, accepted) == [("sales_acceptance", "done")]
    assert queued(container) == [waiting]
    container.relay.drain()
    assert tasks_of(container, accepted) == [("sales_acceptance", "done")]
    assert tasks_of(container, waiting) == [("sales_acceptance", "open")]


def test_ticking_sales_accepted_on_the_lead_closes_the_task(container: Container) -> None:
    seller_id, _, _ = user_with_token(container, "salesperson")
    lead_id = new_lead(container)
    tick(container, lead_id, sales_ready=True)
    assert tasks_of(container, lead_id) == [("sales_acceptance", "open")]
    tick(container, lead_id, owner_id=seller_id, sales_accepted=True)
    assert tasks_of(container, lead_id) == [("sales_acceptance", "done")]
    assert queued(container) == []


def test_an_accepted_task_is_never_escalated(container: Container) -> None:
    user_with_token(container, "sales_manager")
    seller_id, _, _ = user_with_token(container, "salesperson")
    late = new_lead(container)
    tick(container, late, sales_ready=True)
    with container.uow() as uow:
        uow.session.execute(
            update(Task).where(Task.lead_id == late).values(due_at=utcnow() - timedelta(hours=1))
        )
        uow.commit()
    with container.read_session() as session:
        assert sales.overdue_count(session) == 1
    with container.uow() as uow:
        sales.accept_lead(late, seller_id, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.uow() as uow:
        assert sales.check_deadlines(uow=uow) == []
        uow.commit()
    with container.read_session() as session:
        assert sales.overdue_count(session) == 0


def test_a_lead_created_accepted_gets_no_acceptance_task(container: Container) -> None:
    seller_id, _, _ = user_with_token(container, "salesperson")
    opened = new_lead(container, sales_ready=True)
    accepted = new_lead(container, sales_ready=True, sales_accepted=True, owner_id=seller_id)
    assert tasks_of(container, opened) == [("sales_acceptance", "open")]
    assert tasks_of(container, accepted) == []
