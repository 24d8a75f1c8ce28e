"""LinkedIn's webhooks, sent by the fake server to leadflow over HTTP: validation,
signatures, repeats, deletions, and the pull that catches a missed notification."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from leadflow.bootstrap import Container
from leadflow.leads.models import Lead
from leadflow.linkedin import tasks
from leadflow.linkedin.models import LinkedInConnection, LinkedInResponse
from tests.support.fake_linkedin import FakeLinkedIn, lead_form, response, text_question
from tests.support.linkedin import NOW_MS, connect, connection


def _hook(live_server: str, connection_id: int) -> str:
    return f"{live_server}/api/v1/linkedin/connections/{connection_id}/webhook"


def _leads(container: Container) -> list[str | None]:
    with container.read_session() as session:
        return list(session.scalars(select(Lead.email).order_by(Lead.id)))


def _responses(container: Container) -> int:
    with container.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(LinkedInResponse)) or 0)


def test_the_webhook_answers_linkedins_challenge(
    container: Container, fake: FakeLinkedIn, live_server: str
) -> None:
    connection_id = connect(container, fake)

    valid, body = fake.validate(_hook(live_server, connection_id))

    assert valid, body
    assert body["challengeCode"] == "4f8a3b2c-challenge"


def test_without_a_secret_the_challenge_is_refused(
    container: Container, fake: FakeLinkedIn, live_server: str
) -> None:
    connection_id = connect(container, fake, client_secret=None)

    answer = httpx.get(_hook(live_server, connection_id), params={"challengeCode": "x"}, timeout=30)

    assert (answer.status_code, answer.json()["code"]) == (401, "unauthenticated")


def test_a_notified_response_is_fetched_and_becomes_a_lead(
    container: Container, fake: FakeLinkedIn, live_server: str
) -> None:
    connection_id = connect(container, fake)
    assert _leads(container) == []
    fake.responses.append(response("n1", 1, NOW_MS, {11: "Grace", 13: "grace@example.com"}))

    answer = fake.notify(_hook(live_server, connection_id), "n1")

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": 1, "repeated": 0}
    assert _leads(container) == ["grace@example.com"]
    with container.read_session() as session:
        [stored] = session.scalars(select(LinkedInResponse))
        assert (stored.response_id, stored.received_via, stored.outcome) == (
            "n1",
            "webhook",
            "created",
        )


def test_repeated_notifications_store_the_response_once(
    container: Container, fake: FakeLinkedIn, live_server: str
) -> None:
    connection_id = connect(container, fake)
    fake.responses.append(response("n1", 1, NOW_MS, {13: "grace@example.com"}))

    answers = [fake.notify(_hook(live_server, connection_id), "n1").json() for _ in range(3)]

    assert answers == [
        {"received": 1, "repeated": 0},
        {"received": 0, "repeated": 1},
        {"received": 0, "repeated": 1},
    ]
    assert (_leads(container), _responses(container)) == (["grace@example.com"], 1)
    fetches = [item for item in fake.requests if item["path"] == "/rest/leadFormResponses/n1"]
    assert len(fetches) == 1


def test_a_notification_with_a_wrong_signature_is_refused(
    container: Container, fake: FakeLinkedIn, live_server: str
) -> None:
    connection_id = connect(container, fake)
    fake.responses.append(response("n1", 1, NOW_MS, {13: "grace@example.com"}))

    answer = fake.notify(_hook(live_server, connection_id), "n1", secret="someone-else")

    assert (answer.status_code, answer.json()["code"]) == (401, "unauthenticated")
    assert (_leads(container), _responses(container)) == ([], 0)


def test_a_deleted_response_erases_its_answers_and_its_lead(
    container: Container, fake: FakeLinkedIn, live_server: str
) -> None:
    fake.responses.append(response("n1", 1, NOW_MS - 60_000, {13: "grace@example.com"}))
    connection_id = connect(container, fake)
    assert _leads(container) == ["grace@example.com"]

    answer = fake.notify(_hook(live_server, connection_id), "n1", action="DELETED")

    assert answer.json() == {"received": 1, "repeated": 0}
    assert _leads(container) == []
    with container.read_session() as session:
        [stored] = session.scalars(select(LinkedInResponse))
        assert (stored.outcome, stored.raw, stored.answers, stored.lead_id) == (
            "deleted",
            None,
            [],
            None,
        )
    assert connection(container, connection_id)["counts"]["deleted"] == 1


def test_a_response_deleted_before_it_was_read_is_never_created(
    container: Container, fake: FakeLinkedIn, live_server: str
) -> None:
    connection_id = connect(container, fake)
    fake.notify(_hook(live_server, connection_id), "late", action="DELETED")
    fake.responses.append(response("late", 1, NOW_MS - 60_000, {13: "late@example.com"}))

    tasks.periodic_pull(container.uow)

    assert _leads(container) == []
    assert connection(container, connection_id)["counts"]["skipped"] == 1


def test_the_periodic_pull_finds_a_response_whose_notification_was_missed(
    container: Container, fake: FakeLinkedIn
) -> None:
    connection_id = connect(container, fake)
    with container.uow() as uow:
        synced = uow.session.get(LinkedInConnection, connection_id)
        assert synced is not None and synced.synced_through is not None
        through = synced.synced_through
        uow.commit()
    # Submitted an hour before the last finished window ended, but indexed late.
    late_ms = int((through - timedelta(hours=1)).timestamp() * 1000)
    fake.responses.append(response("missed", 1, late_ms, {13: "missed@example.com"}))

    [job_id] = tasks.periodic_pull(container.uow)

    assert _leads(container) == ["missed@example.com"]
    state = connection(container, connection_id)
    assert (state["status"], state["counts"]["created"]) == ("ok", 1)
    windows = [
        item["query"]["submittedAtTimeRange"] for item in fake.paths("/rest/leadFormResponses")
    ]
    assert len(windows) == 2 and windows[0] != windows[1]
    assert job_id > 0


def test_the_periodic_pull_leaves_out_connections_with_an_expired_token(
    container: Container, fake: FakeLinkedIn
) -> None:
    first = connect(container, fake)
    with container.uow() as uow:
        uow.session.execute(
            update(LinkedInConnection)
            .where(LinkedInConnection.id == first)
            .values(status="token_expired")
        )
        uow.commit()

    assert tasks.periodic_pull(container.uow) == []


def test_a_response_to_a_form_created_since_the_sync_fetches_the_form(
    container: Container, fake: FakeLinkedIn, live_server: str
) -> None:
    connection_id = connect(container, fake)
    fake.forms.append(lead_form(2, "Webinar", [text_question(31, "Email", "EMAIL")]))
    fake.responses.append(response("w1", 2, NOW_MS, {31: "new@example.com"}))

    fake.notify(_hook(live_server, connection_id), "w1", form_id=2)

    assert _leads(container) == ["new@example.com"]
    reads = [item["path"] for item in fake.requests]
    fetched = reads.index("/rest/leadFormResponses/w1")
    assert reads[fetched + 1] == "/rest/leadForms/2"
