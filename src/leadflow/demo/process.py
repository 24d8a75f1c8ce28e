"""Demo additions: leads moved through the business process and handed over to sales."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from leadflow.bootstrap import Container
from leadflow.demo.dataset import DemoLoaded
from leadflow.errors import LeadflowError
from leadflow.leads.models import Lead
from leadflow.leads.services import update_lead
from leadflow.lib.clock import as_utc, utcnow
from leadflow.process import domain
from leadflow.process import services as process
from leadflow.process.models import ProcessInstance, StageTransition
from leadflow.sales import services as sales
from leadflow.users.domain import Role
from leadflow.users.services import update_user


def extend(container: Container, loaded: DemoLoaded) -> list[str]:
    """Every open lead gets its process; a slice is moved along each path of the process."""
    seller = loaded.users.get(Role.SALESPERSON)
    manager = loaded.users.get(Role.SALES_MANAGER)
    open_ids = _start_processes(container, loaded.lead_ids, seller)
    sample = open_ids[:40]
    telemarketing, sales_ready = sample[0:12], sample[12:24]
    moved = _tick(container, telemarketing, sales_ready)
    handed: list[str] = []
    try:
        if seller is not None and len(sales_ready) >= 4:
            handed.append(_hand_over(container, sales_ready, seller, manager))
    except LeadflowError as exc:
        handed.append(f"Hand-over demo skipped: {exc.message}")
    spread_history(container, list(loaded.lead_ids))
    with container.read_session() as session:
        counts = process.stage_counts(session, domain.DEFAULT_PROCESS_KEY)
        queues = {key: len(sales.queue_items(session, key)) for key in sales.QUEUE_LABELS}
    per_stage = ", ".join(f"{stage} {count}" for stage, count in sorted(counts.items()))
    return [
        f"Process: {len(open_ids)} open leads in the default process ({per_stage}); "
        f"{moved} moved by ticks",
        f"Queues: {queues['telemarketing']} in telemarketing, "
        f"{queues['sales_acceptance']} awaiting sales acceptance",
        *handed,
    ]


def _start_processes(
    container: Container, lead_ids: Sequence[int], seller: int | None
) -> list[int]:
    """Start the default process of every open lead; the salesperson takes 25 leads.
    Returns the open leads."""
    with container.uow() as uow:
        open_ids = [
            lead_id
            for lead_id in lead_ids
            if (lead := uow.session.get(Lead, lead_id)) is not None and lead.status == "open"
        ]
        for lead_id in open_ids:
            process.start_instance(lead_id, uow=uow)
        if seller is not None:
            update_user(seller, {"capacity": 25}, uow=uow)
        uow.commit()
    return open_ids


def _tick(container: Container, telemarketing: list[int], sales_ready: list[int]) -> int:
    """Tick the flags that move leads (a third of the telemarketing ones accepted too), one
    transaction each; returns how many leads were ticked."""
    moved = 0
    for index, lead_id in enumerate(telemarketing):
        with container.uow() as uow:
            changes: dict[str, object] = {"telemarketing_ready": True}
            if index % 3 == 0:
                changes["telemarketing_accepted"] = True
            update_lead(lead_id, changes, uow=uow)
            uow.commit()
            moved += 1
    for lead_id in sales_ready:
        with container.uow() as uow:
            update_lead(lead_id, {"sales_ready": True}, uow=uow)
            uow.commit()
            moved += 1
    return moved


def _hand_over(
    container: Container, sales_ready: list[int], seller: int, manager: int | None
) -> str:
    """Four sales-ready leads handed over: one accepted by the salesperson and qualified,
    one accepted by round-robin, one recycled, one disqualified."""
    with container.uow() as uow:
        sales.accept_lead(sales_ready[0], seller, uow=uow, by_user_id=manager)
        sales.accept_lead(sales_ready[1], None, uow=uow, by_user_id=manager)
        uow.commit()
    with container.uow() as uow:
        # The core demo already has its opportunities (its counts are checked):
        # this qualification links the lead's own contact and account only.
        result = sales.qualify_lead(
            sales_ready[0],
            uow=uow,
            by_user_id=seller,
            options=sales.QualifyOptions(False, False, False),
        )
        sales.recycle_lead(sales_ready[2], "No budget before next year", uow=uow, by_user_id=seller)
        sales.disqualify_lead(sales_ready[3], "no_longer_interested", uow=uow)
        uow.commit()
    return (
        f"Hand-over: lead {result.lead_id} accepted and qualified; one accepted by "
        "round-robin, one recycled, one disqualified"
    )


# A move comes between a few hours and two weeks after the one before, as a team works.
_SHORTEST_GAP = timedelta(hours=3)
_LONGEST_GAP = timedelta(days=14)


def spread_times(start: datetime, now: datetime, moves: int, rng: random.Random) -> list[datetime]:
    """When `moves` moves after a lead's start would have happened: in order, hours to
    weeks apart, none later than a minute before `now`."""
    latest = now - timedelta(minutes=1)
    times: list[datetime] = []
    at = start
    for _ in range(moves):
        room = max((latest - at).total_seconds(), 0.0)
        wanted = rng.uniform(_SHORTEST_GAP.total_seconds(), _LONGEST_GAP.total_seconds())
        # Never more than half the time left, so later moves still fit.
        at = min(at + timedelta(seconds=max(min(wanted, room / 2), 60.0)), latest)
        times.append(at)
    return times


@dataclass
class _Spread:
    """The rows `spread_history` updates, as executemany parameters per table."""

    moves: list[dict[str, Any]] = field(default_factory=list)
    instances: list[dict[str, Any]] = field(default_factory=list)
    ready: list[dict[str, Any]] = field(default_factory=list)


def spread_history(container: Container, lead_ids: list[int], now: datetime | None = None) -> None:
    """The demo wrote every move at load time; spread each lead's moves from its (backdated)
    creation towards now, so times in stage and the funnel look like three months of work.
    A demo-sized pass: a few hundred leads, one executemany per table."""
    now = now or utcnow()
    with container.uow() as uow:
        created, by_lead = _histories(uow.session, lead_ids)
        spread = _spread(created, by_lead, now)
        _write_spread(uow.session, spread)
        uow.commit()


def _histories(
    session: Session, lead_ids: list[int]
) -> tuple[dict[int, datetime], dict[int, list[Any]]]:
    """When each lead was created, and its stage transitions in order."""
    created: dict[int, datetime] = {
        lead_id: at
        for lead_id, at in session.execute(
            select(Lead.id, Lead.created_at).where(Lead.id.in_(lead_ids))
        )
    }
    rows = session.execute(
        select(
            StageTransition.id,
            StageTransition.lead_id,
            StageTransition.instance_id,
            StageTransition.to_stage,
        )
        .where(StageTransition.lead_id.in_(lead_ids))
        .order_by(StageTransition.lead_id, StageTransition.occurred_at, StageTransition.id)
    ).all()
    by_lead: dict[int, list[Any]] = {}
    for row in rows:
        by_lead.setdefault(row.lead_id, []).append(row)
    return created, by_lead


def _spread(created: dict[int, datetime], by_lead: dict[int, list[Any]], now: datetime) -> _Spread:
    """Each lead's moves spread from its creation (seeded by its id), the time its
    instance started and entered its stage, and when it became sales-ready."""
    spread = _Spread()
    for lead_id, history in by_lead.items():
        start = as_utc(created[lead_id])
        times = [start, *spread_times(start, now, len(history) - 1, random.Random(lead_id))]
        for index, (row, at) in enumerate(zip(history, times, strict=True)):
            seconds = int((at - times[index - 1]).total_seconds()) if index else None
            spread.moves.append({"row_id": row.id, "at": at, "seconds": seconds})
        spread.instances.append(
            {"row_id": history[-1].instance_id, "started": start, "entered": times[-1]}
        )
        into_sales = [
            at
            for row, at in zip(history, times, strict=True)
            if row.to_stage == domain.SALES_ACCEPTANCE
        ]
        if into_sales:
            spread.ready.append({"row_id": lead_id, "at": into_sales[0]})
    # Leads marked sales-ready outside the process (closed ones, the plan's own): some
    # time after they came in, not all at load time.
    placed = {row["row_id"] for row in spread.ready}
    for lead_id, created_at in created.items():
        if lead_id not in placed:
            start = as_utc(created_at)
            [at] = spread_times(start, now, 1, random.Random(-lead_id))
            spread.ready.append({"row_id": lead_id, "at": at})
    return spread


def _write_spread(session: Session, spread: _Spread) -> None:
    table = cast(Table, StageTransition.__table__)
    if spread.moves:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(occurred_at=bindparam("at"), seconds_in_from=bindparam("seconds")),
            spread.moves,
        )
    if spread.instances:
        instance_table = cast(Table, ProcessInstance.__table__)
        session.execute(
            update(instance_table)
            .where(instance_table.c.id == bindparam("row_id"))
            .values(
                started_at=bindparam("started"),
                entered_stage_at=bindparam("entered"),
                updated_at=bindparam("entered"),
            ),
            spread.instances,
        )
    if spread.ready:
        lead_table = cast(Table, Lead.__table__)
        session.execute(
            update(lead_table)
            .where(lead_table.c.id == bindparam("row_id"), lead_table.c.sales_ready.is_(True))
            .values(sales_ready_at=bindparam("at")),
            spread.ready,
        )
