"""A process that dies between its commit and its handlers, or in the middle of a
batch, loses no event and doubles no effect."""

import signal
import subprocess
import sys
import textwrap
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from leadflow.automation.models import RuleRun
from leadflow.automation.services import create_rule
from leadflow.bootstrap import Container
from leadflow.contacts.events import ContactCreated
from leadflow.contacts.services import create_contact
from leadflow.outbox import OutboxMessage
from leadflow.process.models import StageTransition
from leadflow.sales.models import Notification, Task
from leadflow.users.services import create_user
from tests.integration.process.helpers import stage_of
from tests.support.outbox import expire_leases

CRASHING_WRITER = textwrap.dedent(
    """
    import os, sys
    from leadflow.bootstrap import Container
    from leadflow.config import Settings
    from leadflow.contacts.services import create_contact

    container = Container(Settings(database_url=sys.argv[1], var_dir=sys.argv[2],
                                   secret_key="t", huey_immediate=True))
    with container.uow() as uow:
        contact = create_contact({"email": "crash@example.com"}, uow=uow)
        print(contact.id, flush=True)
        uow.commit()
    # Killed right after the commit: no relay of this process ever ran.
    os.kill(os.getpid(), 9)
    """
)

# Writes sales-ready leads, then handles their events until a handler subscribed
# after every shipped one (so scoring, process, sales and automation have already
# written their effects for the batch) stalls, and the parent kills it.
KILLED_MID_BATCH = textwrap.dedent(
    """
    import sys, time
    from leadflow.bootstrap import Container
    from leadflow.config import Settings
    from leadflow.leads.services import create_lead
    from leadflow.process.events import StageChanged

    container = Container(Settings(database_url=sys.argv[1], var_dir=sys.argv[2],
                                   secret_key="t", huey_immediate=True))

    def stall(deliveries):
        print("stalled", len(deliveries), flush=True)
        time.sleep(600)

    container.bus.subscribe_batch([StageChanged], stall, name="test.stall")
    with container.uow() as uow:
        ids = [
            create_lead({"last_name": f"Ready {n}", "company_name": "Crash Ltd",
                         "sales_ready": True}, uow=uow).id
            for n in range(20)
        ]
        uow.commit()
    print(",".join(map(str, ids)), flush=True)
    container.relay.drain()
    """
)


def test_events_committed_before_a_crash_are_handled_on_restart(
    container: Container, database_url: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CRASHING_WRITER, database_url, str(tmp_path / "var")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    contact_id = int(result.stdout.strip())
    seen: list[ContactCreated] = []
    container.bus.subscribe(ContactCreated, seen.append, name="test.after-restart")

    handled = container.relay.dispatch()

    assert handled == 1
    assert seen == [ContactCreated(contact_id)]
    assert container.relay.dispatch() == 0
    assert seen == [ContactCreated(contact_id)]
    with container.read_session() as session:
        [row] = session.scalars(select(OutboxMessage)).all()
    assert row.dispatched_at is not None


def test_a_relay_killed_mid_batch_leaves_every_effect_exactly_once(
    container: Container, database_url: str, tmp_path: Path
) -> None:
    with container.uow() as uow:
        create_user(
            email="max@example.com", name="Max", role="sales_manager", password=None, uow=uow
        )
        create_rule(
            {
                "name": "Tell the managers about every move",
                "trigger": "lead.stage_changed",
                "actions": [{"type": "notify", "role": "sales_manager", "title": "Moved"}],
            },
            uow=uow,
        )
        uow.commit()
    container.relay.drain()
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_MID_BATCH, database_url, str(tmp_path / "var")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lead_ids = [int(part) for part in process.stdout.readline().strip().split(",")]
        stalled = process.stdout.readline()
        assert stalled.startswith("stalled"), process.stderr.read() if process.stderr else ""
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    with container.read_session() as session:
        pending_before = session.scalar(
            select(func.count()).where(OutboxMessage.dispatched_at.is_(None))
        )
        # The shipped handlers had already acted on the batch the kill interrupted.
        tasks_before = session.scalar(select(func.count()).select_from(Task))
    assert pending_before and pending_before > 0
    assert tasks_before == len(lead_ids)

    # The dead process's lease runs out; this process's relay takes the batch again.
    expire_leases(container)
    container.relay.drain()

    assert container.relay.pending_count() == 0
    with container.read_session() as session:
        tasks = Counter(session.scalars(select(Task.lead_id)))
        moves = Counter(
            session.execute(
                select(StageTransition.lead_id, StageTransition.to_stage).where(
                    StageTransition.lead_id.in_(lead_ids)
                )
            ).all()
        )
        runs = Counter(
            session.execute(
                select(RuleRun.rule_id, RuleRun.event_id).where(RuleRun.event_id.is_not(None))
            ).all()
        )
        notifications = session.scalar(select(func.count()).select_from(Notification))
    assert tasks == dict.fromkeys(lead_ids, 1)
    assert all(count == 1 for count in moves.values()), moves
    assert {stage_of(container, lead_id) for lead_id in lead_ids} == {"sales_acceptance"}
    # Two moves per lead (into the process, then to sales acceptance), one rule run
    # and one notification each, although the interrupted batch was handled twice.
    assert sum(runs.values()) == 2 * len(lead_ids)
    assert all(count == 1 for count in runs.values())
    assert notifications == 2 * len(lead_ids)


def test_a_failing_handler_leaves_the_event_for_a_retry(container: Container) -> None:
    attempts: list[int] = []

    def flaky(event: ContactCreated) -> None:
        attempts.append(event.contact_id)
        if len(attempts) == 1:
            raise RuntimeError("downstream unavailable")

    container.bus.subscribe(ContactCreated, flaky, name="test.flaky")
    with container.uow() as uow:
        contact = create_contact({"email": "retry@example.com"}, uow=uow)
        uow.commit()
    assert container.relay.dispatch() == 0
    with container.read_session() as session:
        [row] = session.scalars(select(OutboxMessage)).all()
    assert row.dispatched_at is None
    assert row.last_error is not None and "test.flaky" in row.last_error

    expire_leases(container)
    assert container.relay.dispatch() == 1
    assert attempts == [contact.id, contact.id]


def test_handled_events_are_purged_after_their_retention(container: Container) -> None:
    for email in ("old@example.com", "newer@example.com"):
        with container.uow() as uow:
            create_contact({"email": email}, uow=uow)
            uow.commit()
    container.relay.drain()
    assert container.relay.purge_dispatched(older_than=timedelta(days=1)) == 0
    # The newest row stays, so ids never start again from 1 on SQLite.
    assert container.relay.purge_dispatched(older_than=timedelta(seconds=-1)) == 1
    with container.read_session() as session:
        assert len(session.scalars(select(OutboxMessage)).all()) == 1
