"""Activities through the API and the pages: the call list, logging a call, notes."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from tests.support.factories import PASSWORD, user_with_token

Headers = Callable[[str], dict[str, str]]


def _queued_lead(client: TestClient, admin: dict[str, str], container: Container) -> int:
    contact = client.post(
        "/api/v1/contacts",
        json={"first_name": "Ada", "last_name": "Lovelace", "phone": "+442071234567"},
        headers=admin,
    ).json()
    lead = client.post(
        "/api/v1/leads",
        json={"topic": "Engines", "parent_contact_id": contact["id"], "company_name": "AE"},
        headers=admin,
    ).json()
    client.patch(f"/api/v1/leads/{lead['id']}", json={"telemarketing_ready": True}, headers=admin)
    container.relay.drain()
    return int(lead["id"])


def test_the_api_logs_a_call_and_lists_the_calls_to_make(
    client: TestClient, container: Container, headers_for: Headers, admin: dict[str, str]
) -> None:
    lead_id = _queued_lead(client, admin, container)
    caller = headers_for("telemarketer")
    [item] = client.get("/api/v1/call-list", headers=caller).json()["items"]
    assert (item["lead_id"], item["phone"], item["person"]) == (
        lead_id,
        "+442071234567",
        "Ada Lovelace",
    )
    refused = client.post(
        f"/api/v1/leads/{lead_id}/calls", json={"outcome": "maybe"}, headers=caller
    )
    assert refused.status_code == 422
    logged = client.post(
        f"/api/v1/leads/{lead_id}/calls",
        json={"outcome": "reached", "notes": "Interested"},
        headers=caller,
    )
    assert logged.status_code == 201, logged.text
    assert logged.json()["outcome"] == "reached"
    listed = client.get(f"/api/v1/leads/{lead_id}/activities", headers=caller).json()["items"]
    assert [(a["kind"], a["notes"]) for a in listed] == [("call", "Interested")]
    missing = client.post("/api/v1/leads/987654/calls", json={"outcome": "reached"}, headers=caller)
    assert missing.status_code == 404


def test_the_call_list_page_links_the_phone_and_the_lead_page_logs_a_call(
    client: TestClient, container: Container, admin: dict[str, str]
) -> None:
    lead_id = _queued_lead(client, admin, container)
    _, email, _ = user_with_token(container, "telemarketer")
    client.post("/login", data={"email": email, "password": PASSWORD})
    page = client.get("/call-list").text
    assert 'href="tel:+442071234567"' in page
    assert f'href="/leads/{lead_id}#activities"' in page
    lead_page = client.get(f"/leads/{lead_id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', lead_page)
    assert token is not None and "data-log-call" in lead_page
    done = client.post(
        f"/leads/{lead_id}/activities/call",
        data={"csrf_token": token.group(1), "outcome": "left_voicemail", "notes": "Try Friday"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    shown = client.get(done.headers["location"]).text
    assert "Call: Left a voicemail" in shown and "Try Friday" in shown


def test_notes_holding_nul_are_refused_not_a_500(
    client: TestClient, container: Container, admin: dict[str, str]
) -> None:
    lead_id = _queued_lead(client, admin, container)
    for path, body in (
        (f"/api/v1/leads/{lead_id}/notes", {"notes": "a\u0000b"}),
        (f"/api/v1/leads/{lead_id}/calls", {"outcome": "reached", "notes": "a\u0000b"}),
    ):
        refused = client.post(path, json=body, headers=admin)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "nul_character"
