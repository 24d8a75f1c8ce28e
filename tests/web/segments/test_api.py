"""The segments API: create, validate (422 naming the node), go live, members, explain,
history, estimate, export, static members, compound segments."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from tests.integration.segments.helpers import group, make_contact, make_lead, related, row

SEED = group(
    related("lead_parent_contact", row("topic", "eq", "Contoso Ltd Conference")),
    row("role", "eq", "decision_maker"),
)


def _seed_data(container: Container) -> tuple[int, int]:
    boss = make_contact(container, role="decision_maker", first_name="Ada", email="ada@x.test")
    make_lead(container, topic="Contoso Ltd Conference", parent_contact_id=boss)
    clerk = make_contact(container, role="employee", email="bob@x.test")
    make_lead(container, topic="Contoso Ltd Conference", parent_contact_id=clerk)
    return boss, clerk


def _live(client: TestClient, admin: dict[str, str], container: Container, **body: Any) -> int:
    created = client.post("/api/v1/segments", json={"name": "S", **body}, headers=admin)
    assert created.status_code == 201, created.text
    segment_id: int = created.json()["id"]
    went = client.post(f"/api/v1/segments/{segment_id}/go-live", headers=admin)
    assert went.status_code == 200, went.text
    container.relay.drain()
    return segment_id


def test_an_unknown_field_is_a_422_naming_the_path_in_the_tree(
    client: TestClient, admin: dict[str, str]
) -> None:
    tree = group(related("lead_parent_contact", row("topic", "eq", "x"), row("nope", "eq", "y")))

    response = client.post(
        "/api/v1/segments", json={"name": "Bad", "definition": tree}, headers=admin
    )

    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "unknown_field"
    assert problem["field"] == "root.children[0].where.children[1].field"


def test_an_operator_unfit_for_the_type_is_a_422_naming_the_path(
    client: TestClient, admin: dict[str, str]
) -> None:
    tree = group(row("role", "contains", "deci"))

    response = client.post(
        "/api/v1/segments", json={"name": "Bad", "definition": tree}, headers=admin
    )

    assert response.status_code == 422
    assert response.json()["field"] == "root.children[0].op"


def test_go_live_builds_members_with_reason_and_explain(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    boss, clerk = _seed_data(container)

    segment_id = _live(client, admin, container, definition=SEED)

    page = client.get(f"/api/v1/segments/{segment_id}/members", headers=admin).json()
    [member] = page["items"]
    assert member["contact_id"] == boss
    assert page["total"] == 1
    assert member["reason"] == (
        "has a lead (Parent contact for lead) where Topic is Contoso Ltd Conference"
        " and Role is decision maker"
    )
    explained = client.get(f"/api/v1/segments/{segment_id}/explain/{boss}", headers=admin).json()
    assert explained["member"] is True and explained["matches"] is True
    lead_node = explained["nodes"]["children"][0]
    assert lead_node["held"] is True
    [record] = lead_node["records"]
    assert record["entity"] == "lead" and record["label"] == "Contoso Ltd Conference"
    out = client.get(f"/api/v1/segments/{segment_id}/explain/{clerk}", headers=admin).json()
    assert out["member"] is False
    assert [node["held"] for node in out["nodes"]["children"]] == [True, False]


def test_estimate_counts_the_tree_and_each_top_node(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    _seed_data(container)

    response = client.post("/api/v1/segments/estimate", json={"definition": SEED}, headers=admin)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [node["count"] for node in body["nodes"]] == [2, 1]


def test_search_history_and_export(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    boss, _clerk = _seed_data(container)
    segment_id = _live(client, admin, container, definition=SEED)

    found = client.get(f"/api/v1/segments/{segment_id}/members?q=ADA", headers=admin).json()
    none = client.get(f"/api/v1/segments/{segment_id}/members?q=zed", headers=admin).json()
    history = client.get(f"/api/v1/segments/{segment_id}/history", headers=admin).json()
    export = client.get(f"/api/v1/segments/{segment_id}/export", headers=admin)

    assert [item["contact_id"] for item in found["items"]] == [boss]
    assert none["items"] == []
    assert [(i["contact_id"], i["change"]) for i in history["items"]] == [(boss, "entered")]
    lines = export.text.strip().splitlines()
    assert export.headers["content-type"].startswith("text/csv")
    assert lines[0].startswith("contact_id,email")
    assert lines[1].startswith(f"{boss},ada@x.test,Ada")


def test_static_and_compound_segments(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    boss, clerk = _seed_data(container)
    dynamic = _live(client, admin, container, definition=SEED)
    static = _live(client, admin, container, kind="static")

    added = client.post(
        f"/api/v1/segments/{static}/members",
        json={"emails": ["BOB@x.test", "nobody@x.test"]},
        headers=admin,
    ).json()
    container.relay.drain()
    union = _live(
        client, admin, container, kind="compound",
        parts=[{"segment_id": dynamic}, {"segment_id": static, "op": "union"}],
    )  # fmt: skip
    exclude = _live(
        client, admin, container, kind="compound",
        parts=[{"segment_id": static}, {"segment_id": dynamic, "op": "exclude"}],
    )  # fmt: skip
    nested = client.post(
        "/api/v1/segments",
        json={"name": "N", "kind": "compound", "parts": [{"segment_id": union}]},
        headers=admin,
    )

    assert added == {"added": 1, "already": 0, "unknown": ["nobody@x.test"]}
    members = client.get(f"/api/v1/segments/{union}/members", headers=admin).json()
    assert {item["contact_id"] for item in members["items"]} == {boss, clerk}
    excluded = client.get(f"/api/v1/segments/{exclude}/members", headers=admin).json()
    assert [item["contact_id"] for item in excluded["items"]] == [clerk]
    assert nested.status_code == 422
    assert nested.json()["field"] == "parts[0].segment_id"
    client.post(
        f"/api/v1/segments/{static}/members/remove", json={"contact_ids": [clerk]}, headers=admin
    )
    container.relay.drain()
    members = client.get(f"/api/v1/segments/{union}/members", headers=admin).json()
    assert {item["contact_id"] for item in members["items"]} == {boss}


def test_a_live_edit_makes_a_new_version_and_rebuilds(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    boss, clerk = _seed_data(container)
    segment_id = _live(client, admin, container, definition=SEED)

    edited = client.patch(
        f"/api/v1/segments/{segment_id}",
        json={
            "definition": group(
                related("lead_parent_contact", row("topic", "eq", "Contoso Ltd Conference"))
            )
        },
        headers=admin,
    )
    container.relay.drain()

    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == 2
    versions = client.get(f"/api/v1/segments/{segment_id}/versions", headers=admin).json()
    assert [item["version"] for item in versions["items"]] == [2, 1]
    members = client.get(f"/api/v1/segments/{segment_id}/members", headers=admin).json()
    assert {(i["contact_id"], i["version"]) for i in members["items"]} == {(boss, 2), (clerk, 2)}
