"""Over HTTP, with the relay thread a server runs: a person's write answers once its
effects are written; intake answers at once and its effects follow."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from leadflow.bootstrap import Container
from leadflow.leads.services import create_lead
from leadflow.outbox import tracking_writes
from tests.integration.process.helpers import stage_of


@pytest.fixture
def relaying(container: Container) -> Iterator[Container]:
    # A poll far longer than any wait below: only a commit's wake-up can explain
    # an event handled in time.
    container.relay.start(interval=60)
    yield container
    container.relay.stop()


def _settled_lead(container: Container) -> int:
    """A new lead, once the relay thread has handled its creation."""
    with tracking_writes() as writes, container.uow() as uow:
        lead_id = create_lead({"last_name": "Lovelace", "company_name": "Engines"}, uow=uow).id
        uow.commit()
    assert container.relay.settle(writes, timeout=30)
    return lead_id


def test_marking_sales_ready_answers_with_the_new_stage_written(
    relaying: Container, live_server: str, headers_for: Callable[[str], dict[str, str]]
) -> None:
    lead_id = _settled_lead(relaying)
    assert stage_of(relaying, lead_id) == "inquiry"

    answer = httpx.patch(
        f"{live_server}/api/v1/leads/{lead_id}",
        json={"sales_ready": True},
        headers=headers_for("marketer"),
        timeout=30,
    )

    assert answer.status_code == 200
    # The relay thread moved the lead and opened its queue task before the answer left.
    assert stage_of(relaying, lead_id) == "sales_acceptance"
    tasks = httpx.get(
        f"{live_server}/api/v1/leads/{lead_id}/tasks", headers=headers_for("admin"), timeout=30
    ).json()
    assert [task["queue"] for task in tasks] == ["sales_acceptance"]


def test_an_idle_relay_handles_a_commit_within_milliseconds(relaying: Container) -> None:
    with relaying.uow() as uow:
        lead_id = create_lead({"last_name": "Quick", "company_name": "Fast"}, uow=uow).id
        uow.commit()
    started = time.monotonic()
    while stage_of(relaying, lead_id) is None and time.monotonic() - started < 10:
        time.sleep(0.005)
    waited = time.monotonic() - started

    assert stage_of(relaying, lead_id) == "inquiry"
    # Woken by the commit: the relay's next poll is a minute away.
    assert waited < 5
