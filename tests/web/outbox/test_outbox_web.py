"""Parked events through the API and on the settings page; only admins see them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.bus import Delivery
from leadflow.contacts.events import ContactCreated
from leadflow.contacts.services import create_contact
from leadflow.outbox import MAX_ATTEMPTS
from leadflow.segments.events import ContactsEnteredSegment
from tests.support.outbox import expire_leases
from tests.web.pages.test_pages import csrf_of, log_in


def _park_one(container: Container) -> int:
    def broken(deliveries: Sequence[Delivery]) -> None:
        raise RuntimeError("the CRM is down")

    container.bus.subscribe_batch([ContactCreated], broken, name="test.broken")
    with container.uow() as uow:
        contact = create_contact({"first_name": "Ada", "last_name": "Lovelace"}, uow=uow)
        uow.commit()
    for _ in range(MAX_ATTEMPTS):
        expire_leases(container)  # each retry's pause is cut short
        container.relay.dispatch()
    container.bus.unsubscribe(ContactCreated, "test.broken")
    return contact.id


def test_parked_events_are_listed_and_retried_through_the_api(
    client: TestClient, container: Container, admin: dict[str, str]
) -> None:
    assert client.get("/api/v1/outbox/parked", headers=admin).json() == {"items": []}
    _park_one(container)

    state = client.get("/api/v1/outbox", headers=admin).json()
    assert state == {"pending": 0, "parked": 1}
    [item] = client.get("/api/v1/outbox/parked", headers=admin).json()["items"]
    assert item["event_type"] == "contact.created"
    assert item["attempts"] == MAX_ATTEMPTS
    assert "the CRM is down" in item["last_error"]

    retried = client.post("/api/v1/outbox/parked/retry", json={}, headers=admin)
    assert retried.status_code == 200
    assert retried.json() == {"retried": 1}
    container.relay.drain()
    assert client.get("/api/v1/outbox", headers=admin).json() == {"pending": 0, "parked": 0}


def test_only_admins_see_the_event_queue(
    client: TestClient, headers_for: Callable[[str], dict[str, str]]
) -> None:
    for role in ("marketer", "sales_manager", "telemarketer", "salesperson"):
        refused = client.get("/api/v1/outbox", headers=headers_for(role))
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    shown = client.get("/api/v1/outbox", headers=headers_for("admin"))
    assert (shown.status_code, shown.json()["parked"]) == (200, 0)


def test_the_settings_page_names_the_record_and_retries(
    client: TestClient, container: Container
) -> None:
    contact_id = _park_one(container)
    log_in(client, container, "admin")

    page = client.get("/settings/events")

    assert page.status_code == 200
    assert "Parked events" in page.text
    assert f'href="/contacts/{contact_id}">Ada Lovelace</a>' in page.text
    assert "the CRM is down" in page.text
    done = client.post(
        "/settings/events/retry", data={"csrf_token": csrf_of(page.text)}, follow_redirects=True
    )
    assert "1 event put back in the queue" in done.text
    assert "No parked events" in done.text


def test_a_parked_segment_event_names_its_segment(client: TestClient, container: Container) -> None:
    def broken(deliveries: Sequence[Delivery]) -> None:
        raise RuntimeError("the journeys are down")

    container.bus.subscribe_batch([ContactsEnteredSegment], broken, name="test.broken")
    with container.uow() as uow:
        uow.publish(ContactsEnteredSegment(7, (1, 2), 1, (0, 0)))
        uow.commit()
    for _ in range(MAX_ATTEMPTS):
        expire_leases(container)
        container.relay.dispatch()
    container.bus.unsubscribe(ContactsEnteredSegment, "test.broken")
    log_in(client, container, "admin")

    page = client.get("/settings/events")

    assert "the journeys are down" in page.text
    assert "Segment 7" in page.text
    assert "Segment (deleted)" not in page.text
