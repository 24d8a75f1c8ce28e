"""The process, hand-over and views API end to end on both databases."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import yaml
from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]


def _lead(client: TestClient, headers: dict[str, str], **values: object) -> int:
    response = client.post(
        "/api/v1/leads",
        json={"last_name": "Curie", "company_name": "Radium", **values},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_walk_a_lead_from_inquiry_to_opportunity(client: TestClient, headers_for: Headers) -> None:
    marketer, manager = headers_for("marketer"), headers_for("sales_manager")
    seller = headers_for("salesperson")
    lead_id = _lead(client, marketer, topic="Reactor upgrade")
    bar = client.get(f"/api/v1/leads/{lead_id}/process", headers=marketer).json()
    assert bar["stage"] == "inquiry" and [s["state"] for s in bar["stages"]][:2] == [
        "active",
        "todo",
    ]
    moved = client.post(f"/api/v1/leads/{lead_id}/process/next", headers=marketer).json()
    assert moved["stage"] == "automated_marketing_qualification"
    client.patch(f"/api/v1/leads/{lead_id}", json={"sales_ready": True}, headers=marketer)
    assert client.get(f"/api/v1/leads/{lead_id}/process", headers=manager).json()["stage"] == (
        "sales_acceptance"
    )
    queue = client.get("/api/v1/queues/sales_acceptance", headers=manager).json()
    assert [item["lead_id"] for item in queue] == [lead_id]
    assert (queue[0]["lead"], queue[0]["person"]) == ("Reactor upgrade", "Curie")
    # The seller may not assign; the manager may.
    seller_id = client.get("/api/v1/me", headers=seller).json()["id"]
    refused = client.post(
        f"/api/v1/leads/{lead_id}/accept", json={"user_id": seller_id}, headers=seller
    )
    assert refused.status_code == 403
    accepted = client.post(
        f"/api/v1/leads/{lead_id}/accept", json={"user_id": seller_id}, headers=manager
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["sales_accepted"] is True
    qualified = client.post(f"/api/v1/leads/{lead_id}/qualify", json={}, headers=seller).json()
    assert qualified["opportunity_id"] is not None
    opportunity = client.get(
        f"/api/v1/opportunities/{qualified['opportunity_id']}", headers=seller
    ).json()
    assert opportunity["originating_lead_id"] == lead_id
    timeline = client.get(f"/api/v1/leads/{lead_id}/timeline", headers=seller).json()
    assert [entry["to_stage"] for entry in timeline] == [
        None,
        "sales_acceptance",
        "automated_marketing_qualification",
        "inquiry",
    ]
    assert client.get("/api/v1/queues/sales_acceptance", headers=manager).json() == []
    locked = client.patch(f"/api/v1/leads/{lead_id}", json={"topic": "x"}, headers=seller)
    assert locked.status_code == 409 and locked.json()["field"] == "status"


def test_next_stage_refusal_names_the_step(client: TestClient, admin: dict[str, str]) -> None:
    lead_id = _lead(client, admin)
    client.post(
        f"/api/v1/leads/{lead_id}/process/stage",
        json={"stage": "telemarketing_acceptance"},
        headers=admin,
    )
    refused = client.post(f"/api/v1/leads/{lead_id}/process/next", headers=admin)
    assert refused.status_code == 422
    assert refused.json()["field"] == "telemarketing_accepted"
    bad = client.post(
        f"/api/v1/leads/{lead_id}/process/stage", json={"stage": "nowhere"}, headers=admin
    )
    assert bad.status_code == 422 and bad.json()["field"] == "stage"


def test_definitions_round_trip_through_yaml(client: TestClient, admin: dict[str, str]) -> None:
    exported = client.get("/api/v1/processes/lead_to_opportunity/export?format=yaml", headers=admin)
    assert exported.status_code == 200
    data = yaml.safe_load(exported.text)
    data["name"] = "Renamed process"
    imported = client.post(
        "/api/v1/processes/import",
        content=yaml.safe_dump(data),
        headers={**admin, "content-type": "application/yaml"},
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["version"] == 2
    data["stages"][1]["branches"][0]["to"] = "nowhere"
    broken = client.post("/api/v1/processes/import", json=data, headers=admin)
    assert broken.status_code == 422
    assert broken.json()["field"] == "stages[1].branches[0].to"
    listed = client.get("/api/v1/processes", headers=admin).json()
    assert listed == [
        {"key": "lead_to_opportunity", "name": "Renamed process", "version": 2, "default": True}
    ]


def test_transitions_round_trip_and_refuse_unknown_stages_and_fields(
    client: TestClient, admin: dict[str, str]
) -> None:
    exported = client.get("/api/v1/processes/lead_to_opportunity/export?format=yaml", headers=admin)
    data = yaml.safe_load(exported.text)
    data["transitions"][2]["enabled"] = False
    data["transitions"][2]["from"] = ["inquiry"]
    imported = client.post(
        "/api/v1/processes/import",
        content=yaml.safe_dump(data),
        headers={**admin, "content-type": "application/yaml"},
    )
    assert imported.status_code == 201, imported.text
    again = client.get("/api/v1/processes/lead_to_opportunity/export?format=json", headers=admin)
    assert again.json()["transitions"] == data["transitions"]
    assert again.json()["transitions"][2] == {
        "key": "telemarketing_ready",
        "on": ["lead.created", "lead.updated"],
        "when": [{"field": "telemarketing_ready", "op": "eq", "value": True}],
        "from": ["inquiry"],
        "to": "telemarketing_acceptance",
        "enabled": False,
    }
    for path, value, field in [
        (("transitions", 1, "to"), "nowhere", "transitions[1].to"),
        (("transitions", 2, "when", 0, "field"), "no_such_field", "transitions[2].when[0].field"),
    ]:
        broken = copy.deepcopy(data)
        target: Any = broken
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        response = client.post("/api/v1/processes/import", json=broken, headers=admin)
        assert response.status_code == 422
        assert response.json()["field"] == field


def test_only_admins_import_definitions(client: TestClient, headers_for: Headers) -> None:
    exported = client.get(
        "/api/v1/processes/lead_to_opportunity/export", headers=headers_for("admin")
    ).json()
    response = client.post(
        "/api/v1/processes/import", json=exported, headers=headers_for("marketer")
    )
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    listed = client.get("/api/v1/processes", headers=headers_for("admin")).json()
    assert [item["version"] for item in listed] == [1]


def test_sales_views_never_show_marketing_only_contacts(
    client: TestClient, headers_for: Headers, admin: dict[str, str]
) -> None:
    for name, flag in (("Only", True), ("Shared", False)):
        client.post(
            "/api/v1/contacts", json={"last_name": name, "marketing_only": flag}, headers=admin
        )
    seller = headers_for("salesperson")
    offered = client.get("/api/v1/views?entity=contact", headers=seller).json()
    assert [view["name"] for view in offered] == ["Sales: contacts"]
    records = client.get(f"/api/v1/views/{offered[0]['id']}/records", headers=seller).json()
    assert [item["last_name"] for item in records["items"]] == ["Shared"]
    marketing = client.get("/api/v1/views?entity=contact", headers=headers_for("marketer")).json()
    everything = next(v for v in marketing if v["name"] == "Marketing: all contacts")
    refused = client.get(f"/api/v1/views/{everything['id']}/records", headers=seller)
    assert refused.status_code == 403


def test_shipped_lead_views_and_my_open_leads(
    client: TestClient, headers_for: Headers, admin: dict[str, str]
) -> None:
    seller = headers_for("salesperson")
    seller_id = client.get("/api/v1/me", headers=seller).json()["id"]
    mine = _lead(client, admin, owner_id=seller_id)
    ready = _lead(client, admin, sales_ready=True)
    _lead(client, admin)
    offered = {v["name"]: v["id"] for v in client.get("/api/v1/views", headers=seller).json()}
    assert set(offered) == {"Sales: sales-ready leads", "Sales acceptance queue", "My open leads"}

    def ids(name: str) -> list[int]:
        response = client.get(f"/api/v1/views/{offered[name]}/records", headers=seller)
        return [item["id"] for item in response.json()["items"]]

    assert ids("Sales: sales-ready leads") == [ready]
    assert ids("My open leads") == [mine]


def test_users_save_views_of_their_own(client: TestClient, headers_for: Headers) -> None:
    marketer = headers_for("marketer")
    bad = client.post(
        "/api/v1/views",
        json={"name": "Broken", "entity": "lead", "filters": [["no_such__eq", "1"]]},
        headers=marketer,
    )
    assert bad.status_code == 422 and bad.json()["field"].startswith("filters")
    made = client.post(
        "/api/v1/views",
        json={
            "name": "Big budgets",
            "entity": "lead",
            "filters": [["budget_amount__gte", "1000"]],
            "columns": ["company_name", "budget_amount"],
            "sort": "-budget_amount",
        },
        headers=marketer,
    )
    assert made.status_code == 201, made.text
    other = headers_for("telemarketer")
    names = [v["name"] for v in client.get("/api/v1/views", headers=other).json()]
    assert "Big budgets" not in names
    assert client.delete(f"/api/v1/views/{made.json()['id']}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/views/{made.json()['id']}", headers=marketer).status_code == 204


def test_round_robin_and_recycle_through_the_api(
    client: TestClient, headers_for: Headers, admin: dict[str, str]
) -> None:
    seller = headers_for("salesperson")
    manager = headers_for("sales_manager")
    lead_id = _lead(client, admin, sales_ready=True)
    assigned = client.post(
        f"/api/v1/leads/{lead_id}/assign", json={"round_robin": True}, headers=manager
    ).json()
    assert assigned["reason"].startswith("round-robin:")
    recycled = client.post(
        f"/api/v1/leads/{lead_id}/recycle", json={"reason": "Not now"}, headers=seller
    ).json()
    assert recycled == {"lead_id": lead_id, "recycled": 1}
    dashboard = client.get("/api/v1/dashboard", headers=manager).json()
    assert dashboard["recycled_leads"] == 1
    funnel = {row["stage"]: row for row in dashboard["funnel"]}
    assert funnel["automated_marketing_qualification"]["now_in_stage"] == 1
    assert funnel["sales_acceptance"]["entered"] == 1
    assert funnel["inquiry"]["conversion"] == 1.0
    assert funnel["sales_acceptance"]["median_seconds_in_stage"] is not None
    assert sum(day["count"] for day in dashboard["sales_ready_per_day"]) == 0
