"""The emails API: templates (problem details naming field and line), preview for a contact,
messages with filters and stats; and the pages render."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.emails.services import MessageRequest, do_queue_messages
from tests.integration.emails.helpers import HTML, make_contacts

TEMPLATE: dict[str, Any] = {
    "name": "Welcome",
    "subject": "Welcome {{ contact.first_name }}",
    "html_body": HTML,
    "from_name": "Contoso Marketing",
    "from_address": "news@contoso.example",
}


def _create(client: TestClient, admin: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = client.post("/api/v1/emails/templates", json={**TEMPLATE, **changes}, headers=admin)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_template_is_created_read_and_edited(client: TestClient, admin: dict[str, str]) -> None:
    created = _create(client, admin)
    path = f"/api/v1/emails/templates/{created['id']}"

    edited = client.patch(path, json={"subject": "Hi {{ contact.first_name }}"}, headers=admin)
    read = client.get(path, headers=admin).json()

    assert edited.status_code == 200
    assert (read["name"], read["subject"], read["from_address"]) == (
        "Welcome",
        "Hi {{ contact.first_name }}",
        "news@contoso.example",
    )
    assert read["stats"] == {
        "queued": 0, "sent": 0, "skipped": 0, "bounced": 0, "failed": 0, "opened": 0, "clicked": 0
    }  # fmt: skip


def test_a_template_that_does_not_parse_is_a_problem_naming_field_and_line(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/emails/templates",
        json={**TEMPLATE, "html_body": "<p>one</p>\n<p>{{ contact.first_name </p>"},
        headers=admin,
    )

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert (problem["code"], problem["field"], problem["line"]) == (
        "invalid_value",
        "html_body",
        2,
    )


def test_a_bad_sender_and_a_taken_name_are_problems(
    client: TestClient, admin: dict[str, str]
) -> None:
    _create(client, admin)

    bad = client.post(
        "/api/v1/emails/templates",
        json={**TEMPLATE, "name": "Other", "from_address": "not an address"},
        headers=admin,
    )
    taken = client.post("/api/v1/emails/templates", json=TEMPLATE, headers=admin)

    assert (bad.status_code, bad.json()["code"], bad.json()["field"]) == (
        422,
        "invalid_email",
        "from_address",
    )
    assert (taken.status_code, taken.json()["code"], taken.json()["field"]) == (
        409,
        "duplicate",
        "name",
    )


def test_the_preview_merges_a_contacts_values_into_a_draft(
    container: Container, client: TestClient, admin: dict[str, str]
) -> None:
    created = _create(client, admin)
    [contact_id] = make_contacts(container, 1)

    saved = client.post(
        "/api/v1/emails/preview",
        json={"template_id": created["id"], "contact_id": contact_id},
        headers=admin,
    ).json()
    draft = client.post(
        "/api/v1/emails/preview",
        json={"subject": "Draft for {{ contact.email }}", "html_body": "<p>{{ x }</p>"},
        headers=admin,
    )

    assert saved["subject"] == "Welcome Ann0"
    assert "Hello Ann0," in saved["text"] and "Hello Ann0," in saved["html"]
    assert (draft.status_code, draft.json()["field"]) == (422, "html_body")


def test_messages_are_listed_with_filters_and_counted_per_template(
    container: Container, client: TestClient, admin: dict[str, str]
) -> None:
    created = _create(client, admin)
    first, second = make_contacts(container, 2)
    do_queue_messages(
        [
            MessageRequest(created["id"], first, "a", journey_id=3),
            MessageRequest(created["id"], second, "b"),
        ],
        uow=container.uow(),
    )

    listed = client.get("/api/v1/emails/messages", headers=admin).json()
    of_journey = client.get("/api/v1/emails/messages?journey_id=3", headers=admin).json()
    bad = client.get("/api/v1/emails/messages?status=lost", headers=admin)
    stats = client.get(f"/api/v1/emails/templates/{created['id']}", headers=admin).json()["stats"]

    assert listed["total"] == 2
    assert [item["idempotency_key"] for item in listed["items"]] == ["b", "a"]
    assert [item["contact_id"] for item in of_journey["items"]] == [first]
    assert (bad.status_code, bad.json()["field"]) == (422, "status")
    assert stats["queued"] == 2


def test_a_test_send_without_an_smtp_server_is_a_503(
    container: Container, client: TestClient, admin: dict[str, str]
) -> None:
    created = _create(client, admin)

    response = client.post(
        f"/api/v1/emails/templates/{created['id']}/test-send",
        json={"to": "me@example.test"},
        headers=admin,
    )

    assert (response.status_code, response.json()["code"]) == (503, "smtp_unavailable")


def test_the_pages_render(container: Container, client: TestClient, admin: dict[str, str]) -> None:
    created = _create(client, admin)
    [contact_id] = make_contacts(container, 1)
    do_queue_messages([MessageRequest(created["id"], contact_id, "p")], uow=container.uow())
    from leadflow.emails.catcher import Caught
    from leadflow.emails.services import do_store_caught
    from leadflow.lib.clock import utcnow

    raw = (
        b"From: a@x.test\r\nTo: ann0@example.test\r\nSubject: Caught one\r\n"
        b"Message-ID: <m1@x.test>\r\nContent-Type: text/html\r\n\r\n<p>Hello caught</p>\r\n"
    )
    caught = do_store_caught(
        Caught("a@x.test", ("ann0@example.test",), raw), utcnow(), uow=container.uow()
    )

    pages = {
        path: client.get(path, headers=admin)
        for path in (
            "/emails",
            "/emails/new",
            f"/emails/{created['id']}",
            "/emails/messages",
            "/emails/outbox",
            f"/emails/outbox/{caught.id}",
        )
    }

    assert {path: response.status_code for path, response in pages.items()} == dict.fromkeys(
        pages, 200
    )
    assert "Welcome" in pages["/emails"].text
    assert "contact.first_name" in pages[f"/emails/{created['id']}"].text
    assert "Ann0 Doe" in pages["/emails/messages"].text
    assert "Caught one" in pages["/emails/outbox"].text
    detail = pages[f"/emails/outbox/{caught.id}"].text
    assert 'sandbox srcdoc="&lt;p&gt;Hello caught&lt;/p&gt;' in detail
