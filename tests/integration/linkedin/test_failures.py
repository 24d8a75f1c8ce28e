"""Expired tokens, throttling and LinkedIn's errors: a clear state, and the cursor kept."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from leadflow.bootstrap import Container
from leadflow.jobs.models import Job
from leadflow.leads.models import Lead
from leadflow.linkedin import services
from leadflow.linkedin.services import _sync as sync_module
from tests.support.fake_linkedin import FakeLinkedIn, lead_form, response, text_question
from tests.support.linkedin import DAY_MS, NOW_MS, connect, connection


def _responses(fake: FakeLinkedIn, count: int) -> None:
    fake.responses.extend(
        response(f"r{index:03}", 1, NOW_MS - (index + 1) * 3_600_000, {13: f"p{index}@example.com"})
        for index in range(count)
    )


def _lead_count(container: Container) -> int:
    with container.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(Lead)) or 0)


def _sync(container: Container, connection_id: int) -> Job:
    with container.uow() as uow:
        job = services.do_start_sync(connection_id, uow=uow)
        job_id = job.id
    with container.read_session() as session:
        found = session.get(Job, job_id)
        assert found is not None
        session.expunge(found)
        return found


def _expire_on_third_page(fake: FakeLinkedIn) -> None:
    original = fake.answer
    calls = {"responses": 0}

    def answer(path: str, query: dict[str, str], headers: dict[str, str]) -> Any:
        if path == "/rest/leadFormResponses":
            calls["responses"] += 1
            if calls["responses"] == 3:
                fake.expire_token()
        return original(path, query, headers)

    fake.answer = answer  # type: ignore[method-assign]


def test_an_expired_token_stops_the_sync_with_its_state_and_keeps_the_cursor(
    container: Container, fake: FakeLinkedIn
) -> None:
    _responses(fake, 120)
    _expire_on_third_page(fake)

    connection_id = connect(container, fake)

    state = connection(container, connection_id)
    assert state["status"] == "token_expired"
    assert "expired" in state["last_error"]
    assert state["cursor"]["offset"] == 100
    assert (state["counts"]["created"], _lead_count(container)) == (100, 100)


def test_a_new_token_resumes_from_the_cursor_and_reads_only_the_rest(
    container: Container, fake: FakeLinkedIn
) -> None:
    _responses(fake, 120)
    _expire_on_third_page(fake)
    connection_id = connect(container, fake)
    cursor = connection(container, connection_id)["cursor"]
    fake.renew_token("fresh-token")
    fake.requests.clear()

    with container.uow() as uow:
        services.do_update_connection(connection_id, {"access_token": "fresh-token"}, uow=uow)
    assert connection(container, connection_id)["status"] == "new"
    job = _sync(container, connection_id)

    state = connection(container, connection_id)
    assert (job.status, state["status"], state["cursor"]) == ("succeeded", "ok", None)
    [page] = fake.paths("/rest/leadFormResponses")
    window = f"(start:{cursor['start_ms']},end:{cursor['end_ms']})"
    assert (page["query"]["submittedAtTimeRange"], page["query"]["start"]) == (window, "100")
    assert (_lead_count(container), state["counts"]["created"]) == (120, 120)


def test_throttling_backs_off_as_linkedin_asks_and_the_sync_completes(
    container: Container, fake: FakeLinkedIn, pauses: list[float]
) -> None:
    _responses(fake, 3)
    fake.throttle = 2
    fake.retry_after = "7"

    connection_id = connect(container, fake)

    assert pauses == [7.0, 7.0]
    state = connection(container, connection_id)
    assert (state["status"], state["counts"]["created"]) == ("ok", 3)


def test_throttling_that_does_not_stop_leaves_the_throttled_state_and_the_cursor(
    container: Container, fake: FakeLinkedIn, pauses: list[float]
) -> None:
    _responses(fake, 3)
    fake.throttle = 100
    fake.retry_after = "not-a-number"

    connection_id = connect(container, fake)

    # No usable Retry-After: a growing pause.
    assert pauses == [1.0, 2.0, 4.0, 8.0]
    state = connection(container, connection_id)
    assert state["status"] == "throttled"
    assert "throttl" in state["last_error"]
    assert state["cursor"]["offset"] == 0
    with container.read_session() as session:
        [job] = session.scalars(select(Job))
        assert job.status == "failed"


def test_server_errors_are_retried_then_reported(
    container: Container, fake: FakeLinkedIn, pauses: list[float]
) -> None:
    _responses(fake, 2)
    fake.server_errors = 2
    first = connect(container, fake)
    assert connection(container, first)["status"] == "ok"
    assert len(pauses) == 2

    fake.server_errors = 100
    fake.server_status = 502
    job = _sync(container, first)

    state = connection(container, first)
    assert (job.status, state["status"]) == ("failed", "error")
    assert "502" in state["last_error"]


def test_every_call_carries_the_version_headers(container: Container, fake: FakeLinkedIn) -> None:
    _responses(fake, 1)

    connect(container, fake, api_version="202601")

    assert fake.requests
    assert {item["headers"]["linkedin-version"] for item in fake.requests} == {"202601"}
    assert {item["headers"]["x-restli-protocol-version"] for item in fake.requests} == {"2.0.0"}


def test_a_backfill_reaches_back_at_most_the_days_asked(
    container: Container, fake: FakeLinkedIn
) -> None:
    fake.responses.append(response("recent", 1, NOW_MS - 5 * DAY_MS, {13: "a@example.com"}))
    fake.responses.append(response("older", 1, NOW_MS - 20 * DAY_MS, {13: "b@example.com"}))

    connection_id = connect(container, fake, backfill_days=10)

    assert connection(container, connection_id)["counts"]["created"] == 1


def test_a_response_that_failed_is_processed_again_when_it_can_be(
    container: Container, fake: FakeLinkedIn
) -> None:
    fake.responses.append(response("later", 2, NOW_MS - 3_600_000, {31: "ada@example.com"}))
    connection_id = connect(container, fake)
    assert (connection(container, connection_id)["counts"]["failed"], _lead_count(container)) == (
        1,
        0,
    )
    # The form could not be read; now it can.
    fake.forms.append(lead_form(2, "Webinar", [text_question(31, "Email", "EMAIL")]))

    with container.uow() as uow:
        services.do_start_sync(connection_id, backfill=True, uow=uow)

    counts = connection(container, connection_id)["counts"]
    assert (counts["failed"], counts["created"], _lead_count(container)) == (1, 1, 1)


def test_an_unexpected_failure_leaves_the_error_state_and_the_cursor(
    container: Container, fake: FakeLinkedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    _responses(fake, 3)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(sync_module, "ingest_responses", broken)
    connection_id = connect(container, fake)

    state = connection(container, connection_id)
    assert (state["status"], state["last_error"]) == ("error", "RuntimeError: disk full")
    assert state["cursor"]["offset"] == 0
