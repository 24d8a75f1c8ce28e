"""A saved view of one's own changed and deleted: through the API and the builder page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.leads.services import create_lead
from tests.web.pages.test_pages import csrf_of, log_in, rows

Headers = Callable[[str], dict[str, str]]

BIG_BUDGETS = {
    "name": "Big budgets",
    "entity": "lead",
    "filters": [["budget_amount__gte", "1000"]],
    "columns": ["company_name", "budget_amount"],
    "sort": "-budget_amount",
}


def _leads(container: Container) -> dict[str, int]:
    with container.uow() as uow:
        ids = {
            topic: create_lead({"topic": topic, "budget_amount": budget}, uow=uow).id
            for topic, budget in (("Small", 500), ("Medium", 3000), ("Large", 9000))
        }
        uow.commit()
    container.relay.drain()
    return ids


def test_the_api_replaces_a_view_of_mine_and_refuses_others(
    client: TestClient, headers_for: Headers
) -> None:
    marketer = headers_for("marketer")
    made = client.post("/api/v1/views", json=BIG_BUDGETS, headers=marketer).json()
    changed = {**BIG_BUDGETS, "name": "Huge budgets", "filters": [["budget_amount__gte", 5000]]}

    other = client.put(f"/api/v1/views/{made['id']}", json=changed, headers=headers_for("admin"))
    assert other.status_code == 404, other.text
    assert other.json()["field"] == "view"

    shipped = next(
        view for view in client.get("/api/v1/views", headers=marketer).json() if view["shipped"]
    )
    refused = client.put(f"/api/v1/views/{shipped['id']}", json=changed, headers=marketer)
    assert refused.status_code == 404

    bad = client.put(
        f"/api/v1/views/{made['id']}",
        json={**changed, "columns": ["shoe_size"]},
        headers=marketer,
    )
    assert (bad.status_code, bad.json()["field"]) == (422, "columns[0]")
    moved = client.put(
        f"/api/v1/views/{made['id']}", json={**changed, "entity": "contact"}, headers=marketer
    )
    assert (moved.status_code, moved.json()["code"]) == (422, "cannot_change")

    replaced = client.put(f"/api/v1/views/{made['id']}", json=changed, headers=marketer)
    assert replaced.status_code == 200, replaced.text
    assert {key: replaced.json()[key] for key in ("id", "name", "filters", "shipped")} == {
        "id": made["id"],
        "name": "Huge budgets",
        "filters": [["budget_amount__gte", "5000"]],
        "shipped": False,
    }
    listed = {
        view["id"]: view["name"] for view in client.get("/api/v1/views", headers=marketer).json()
    }
    assert listed[made["id"]] == "Huge budgets"


def _make_view(client: TestClient, data: dict[str, Any]) -> int:
    form = client.get("/views/new?entity=lead")
    saved = client.post(
        "/views/new",
        data={"csrf_token": csrf_of(form.text), **data},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    found = re.fullmatch(r"/leads\?view=(\d+)", saved.headers["location"])
    assert found is not None
    return int(found.group(1))


def test_a_view_of_mine_opens_in_the_builder_changes_and_lists_anew(
    client: TestClient, container: Container
) -> None:
    ids = _leads(container)
    log_in(client, container, "marketer")
    view_id = _make_view(
        client,
        {
            "entity": "lead",
            "name": "Big budgets",
            "filter_field": ["budget_amount"],
            "filter_op": ["gte"],
            "filter_value": ["1000"],
            "column": ["budget_amount"],
            "sort_field": "budget_amount",
            "sort_direction": "desc",
        },
    )
    listed = client.get(f"/leads?view={view_id}")
    assert [title for _, title in rows(listed.text)] == ["Large", "Medium"]
    assert f'href="/views/{view_id}/edit"' in listed.text

    builder = client.get(f"/views/{view_id}/edit")
    assert builder.status_code == 200
    assert "Edit a view of leads" in builder.text
    assert 'value="Big budgets"' in builder.text
    assert f'action="/views/{view_id}/edit"' in builder.text
    assert 'value="1000"' in builder.text  # the condition, filled in
    assert "/views/new?entity=contact" not in builder.text  # a view keeps its entity

    changed = client.post(
        f"/views/{view_id}/edit",
        data={
            "csrf_token": csrf_of(builder.text),
            "entity": "lead",
            "name": "Huge budgets",
            "filter_field": ["budget_amount", ""],
            "filter_op": ["gte", "eq"],
            "filter_value": ["5000", ""],
            "column": ["budget_amount"],
            "sort_field": "budget_amount",
            "sort_direction": "asc",
        },
        follow_redirects=False,
    )
    assert (changed.status_code, changed.headers["location"]) == (303, f"/leads?view={view_id}")
    after = client.get(changed.headers["location"])
    assert rows(after.text) == [(f"/leads/{ids['Large']}", "Large")]
    assert "Huge budgets" in after.text and "Big budgets" not in after.text


def test_a_refused_change_stays_in_the_builder_with_the_reason(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "marketer")
    view_id = _make_view(client, {"entity": "lead", "name": "Mine", "column": ["topic"]})
    builder = client.get(f"/views/{view_id}/edit")

    refused = client.post(
        f"/views/{view_id}/edit",
        data={
            "csrf_token": csrf_of(builder.text),
            "entity": "lead",
            "name": "Odd",
            "column": ["shoe_size"],
        },
    )

    assert refused.status_code == 422
    assert "No lead field &#39;shoe_size&#39;" in refused.text
    assert 'value="Odd"' in refused.text
    assert f'action="/views/{view_id}/edit"' in refused.text
    assert "Mine" in client.get(f"/leads?view={view_id}").text


def test_a_view_of_mine_is_deleted_from_its_builder_and_nobody_elses_is(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "marketer")
    view_id = _make_view(client, {"entity": "lead", "name": "Short-lived", "column": ["topic"]})
    builder = client.get(f"/views/{view_id}/edit")
    token = csrf_of(builder.text)
    offered = client.get("/leads?view=all").text
    found = re.search(r'href="/leads\?view=(\d+)"[^>]*>My open leads<', offered)
    assert found is not None  # a shipped view: on offer, not the user's to edit
    shipped = found.group(1)
    assert "/edit" not in client.get(f"/leads?view={shipped}").text
    assert client.get(f"/views/{shipped}/edit").status_code == 404

    deleted = client.post(
        f"/views/{view_id}/delete", data={"csrf_token": token}, follow_redirects=False
    )

    assert (deleted.status_code, deleted.headers["location"]) == (303, "/leads?view=all")
    assert "Short-lived" not in client.get("/leads?view=all").text
    assert client.get(f"/views/{view_id}/edit").status_code == 404
    again = client.post(f"/views/{view_id}/delete", data={"csrf_token": token})
    assert again.status_code == 404
