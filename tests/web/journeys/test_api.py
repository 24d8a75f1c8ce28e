"""The journeys API: create (422 naming the path), go live, counts, stop/resume, edit into a
new version, a contact's journeys, split results."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from tests.integration.journeys.helpers import advance, make_contacts, make_segment, make_template


def _body(segment: int, template: int) -> dict[str, Any]:
    return {
        "name": "Welcome series",
        "settings": {"audience_segment_ids": [segment]},
        "definition": {
            "start": "ab",
            "tiles": [
                {
                    "id": "ab",
                    "kind": "split",
                    "label": "A/B",
                    "branches": [
                        {"percent": 50, "next": "mail", "label": "Email"},
                        {"percent": 50, "next": "done", "label": "Nothing"},
                    ],
                },
                {"id": "mail", "kind": "send_email", "template_id": template, "next": "done"},
                {"id": "done", "kind": "end", "label": "Done"},
            ],
        },
    }


def test_a_definition_naming_a_missing_tile_is_a_422_naming_the_path(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    template = make_template(container)
    body = _body(make_segment(container, []), template)
    body["definition"]["tiles"][1]["next"] = "nowhere"

    response = client.post("/api/v1/journeys", json=body, headers=admin)

    assert response.status_code == 422
    assert response.json()["field"] == "definition.tiles[1].next"


def test_a_tile_of_unknown_kind_is_a_422(client: TestClient, admin: dict[str, str]) -> None:
    body = {"name": "X", "definition": {"start": "a", "tiles": [{"id": "a", "kind": "teleport"}]}}
    response = client.post("/api/v1/journeys", json=body, headers=admin)
    assert response.status_code == 422
    assert response.json()["field"].startswith("definition.tiles[0]")


def test_create_go_live_count_stop_resume_and_read_a_contacts_journeys(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    contacts = make_contacts(container, 6)
    segment = make_segment(container, contacts)
    template = make_template(container)

    created = client.post("/api/v1/journeys", json=_body(segment, template), headers=admin)
    assert created.status_code == 201, created.text
    journey = created.json()
    assert (journey["status"], journey["version"], journey["owner_id"] is not None) == (
        "draft",
        0,
        True,
    )
    went = client.post(f"/api/v1/journeys/{journey['id']}/go-live", headers=admin)
    assert (went.status_code, went.json()["status"], went.json()["version"]) == (200, "live", 1)
    counts = client.get(f"/api/v1/journeys/{journey['id']}/counts", headers=admin).json()
    assert counts["tiles"] == {"ab": {"active": 6, "passed": 0}}

    advance(container)
    tiles = client.get(f"/api/v1/journeys/{journey['id']}/counts", headers=admin).json()["tiles"]
    emailed = tiles.get("mail", {}).get("sent", 0)
    assert tiles["ab"]["passed"] == 6
    assert tiles["ab"].get("branch_0", 0) == emailed
    assert tiles["ab"].get("branch_0", 0) + tiles["ab"].get("branch_1", 0) == 6
    assert tiles["done"]["passed"] == 6

    splits = client.get(f"/api/v1/journeys/{journey['id']}/splits", headers=admin).json()
    [readout] = splits["items"]
    assert [(b["label"], b["percent"]) for b in readout["branches"]] == [
        ("Email", 50),
        ("Nothing", 50),
    ]
    assert sum(b["contacts"] for b in readout["branches"]) == 6

    history = client.get(f"/api/v1/contacts/{contacts[0]}/journeys", headers=admin).json()
    [entry] = history["items"]
    assert (entry["journey_name"], entry["status"], entry["tile_label"]) == (
        "Welcome series",
        "done",
        "finished",
    )
    assert entry["steps"][0]["tile_label"] == "A/B"
    assert entry["steps"][-1]["tile_label"] == "Done"

    stopped = client.post(f"/api/v1/journeys/{journey['id']}/stop", headers=admin)
    assert stopped.json()["status"] == "stopped"
    again = client.post(f"/api/v1/journeys/{journey['id']}/stop", headers=admin)
    assert (again.status_code, again.json()["code"]) == (409, "not_live")
    resumed = client.post(f"/api/v1/journeys/{journey['id']}/resume", headers=admin)
    assert resumed.json()["status"] == "live"

    edited = client.patch(
        f"/api/v1/journeys/{journey['id']}", json={"name": "Welcome v2"}, headers=admin
    )
    assert (edited.json()["name"], edited.json()["version"]) == ("Welcome v2", 1)
    body = _body(segment, template)
    body["definition"]["tiles"][0]["branches"][0]["percent"] = 70
    body["definition"]["tiles"][0]["branches"][1]["percent"] = 30
    reshaped = client.patch(
        f"/api/v1/journeys/{journey['id']}", json={"definition": body["definition"]}, headers=admin
    )
    assert reshaped.json()["version"] == 2
    listed = client.get("/api/v1/journeys", headers=admin).json()["items"]
    assert [(item["name"], item["status"]) for item in listed] == [("Welcome v2", "live")]
