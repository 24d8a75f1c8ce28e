"""Duplicates through the API (409 naming the record, create anyway, merge) and the pages."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from tests.support.factories import PASSWORD, user_with_token

# Duplicates are checked after every change, so a test sees its own at once.
pytestmark = pytest.mark.settings(duplicate_check_pause_seconds=0)


Headers = Callable[[str], dict[str, str]]


def test_the_api_refuses_a_duplicate_contact_with_a_problem_naming_it(
    client: TestClient, headers_for: Headers
) -> None:
    headers = headers_for("marketer")
    first = client.post("/api/v1/contacts", json={"email": "a@example.test"}, headers=headers)
    assert first.status_code == 201
    refused = client.post("/api/v1/contacts", json={"email": "A@example.test"}, headers=headers)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert (problem["code"], problem["existing_id"]) == ("duplicate", first.json()["id"])
    assert problem["existing"]["api"] == f"/api/v1/contacts/{first.json()['id']}"
    anyway = client.post(
        "/api/v1/contacts?create_anyway=true", json={"email": "a@example.test"}, headers=headers
    )
    assert anyway.status_code == 201
    pairs = client.get("/api/v1/duplicates/contact", headers=headers).json()["items"]
    assert [(p["first_id"], p["second_id"]) for p in pairs] == [
        (first.json()["id"], anyway.json()["id"])
    ]
    merged = client.post(
        f"/api/v1/contacts/{first.json()['id']}/merge",
        json={"other_id": anyway.json()["id"], "take": []},
        headers=headers,
    )
    assert merged.status_code == 200, merged.text
    other = client.get(f"/api/v1/contacts/{anyway.json()['id']}", headers=headers).json()
    assert other["merged_into_id"] == first.json()["id"]
    listed = client.get("/api/v1/contacts", headers=headers).json()["items"]
    assert [item["id"] for item in listed] == [first.json()["id"]]


def test_the_new_contact_page_links_the_existing_one_and_creates_anyway(
    client: TestClient, container: Container
) -> None:
    _, email, _ = user_with_token(container, "marketer")
    client.post("/login", data={"email": email, "password": PASSWORD})
    page = client.get("/contacts/new").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    form = {"csrf_token": token.group(1), "last_name": "Hopper", "email": "g@example.test"}
    made = client.post("/contacts/new", data=form, follow_redirects=False)
    assert made.status_code == 303
    first_path = made.headers["location"]
    again = client.post("/contacts/new", data=form, follow_redirects=False)
    assert again.status_code == 409
    assert f'href="{first_path}"' in again.text
    assert 'name="create_anyway"' in again.text
    anyway = client.post(
        "/contacts/new", data={**form, "create_anyway": "true"}, follow_redirects=False
    )
    assert anyway.status_code == 303
    second_path = anyway.headers["location"]
    listing = client.get("/duplicates").text
    first_id, second_id = first_path.rsplit("/", 1)[1], second_path.rsplit("/", 1)[1]
    compare = f"/duplicates/contact/{first_id}/{second_id}"
    assert compare in listing
    shown = client.get(compare)
    assert shown.status_code == 200
    assert 'name="survivor"' in shown.text
    merged = client.post(
        compare, data={"csrf_token": token.group(1), "survivor": "first"}, follow_redirects=False
    )
    assert merged.status_code == 303
    assert merged.headers["location"] == f"{first_path}?merged_from={second_id}"
    redirected = client.get(second_path, follow_redirects=False)
    assert redirected.headers["location"] == f"{first_path}?merged_from={second_id}"


def test_the_page_and_the_api_say_when_duplicates_were_checked_and_check_now(
    client: TestClient, container: Container, headers_for: Headers
) -> None:
    headers = headers_for("marketer")
    before = client.get("/api/v1/duplicates/lead", headers=headers).json()
    assert (before["checked_at"], before["stale"], before["items"]) == (None, True, [])
    _, email, _ = user_with_token(container, "marketer")
    client.post("/login", data={"email": email, "password": PASSWORD})
    page = client.get("/duplicates").text
    assert page.count("Not checked yet") == 2

    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    asked = client.post(
        "/duplicates/check", data={"csrf_token": token.group(1)}, follow_redirects=False
    )
    assert (asked.status_code, asked.headers["location"]) == (303, "/duplicates?checking=1")
    after = client.get(asked.headers["location"]).text
    assert "Looking for duplicates again" in after
    assert "Not checked yet" not in after
    assert after.count("Checked ") == 2

    queued = client.post("/api/v1/duplicates/lead/check", headers=headers)
    assert (queued.status_code, queued.json()) == (202, {"entity": "lead", "queued": True})
    state = client.get("/api/v1/duplicates/lead", headers=headers).json()
    assert state["checked_at"] is not None and state["stale"] is False
    assert state["checking"] is False and state["check_seconds"] >= 0
