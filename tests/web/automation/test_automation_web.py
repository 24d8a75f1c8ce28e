"""Rules and switches through the API and the settings page."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from leadflow.automation.services import get_rule
from leadflow.bootstrap import Container
from leadflow.leads.services import create_lead, get_lead
from tests.web.pages.test_pages import csrf_of, log_in

RULE = {
    "name": "Webinar leads are contacted",
    "trigger": "lead.created",
    "conditions": [{"field": "lead.campaign", "op": "contains", "value": "webinar"}],
    "actions": [{"type": "set_field", "field": "status_reason", "value": "contacted"}],
}


def test_a_rule_added_through_the_api_acts_on_the_next_lead(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    created = client.post("/api/v1/automation/rules", json=RULE, headers=admin)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["key"] == "user.webinar_leads_are_contacted"

    lead = client.post(
        "/api/v1/leads",
        json={"last_name": "Hopper", "campaign": "Spring Webinar"},
        headers=admin,
    ).json()
    assert (
        lead["status_reason"] == "contacted"
        or client.get(f"/api/v1/leads/{lead['id']}", headers=admin).json()["status_reason"]
        == "contacted"
    )

    runs = client.get(f"/api/v1/automation/rules/{rule['id']}/runs", headers=admin).json()
    assert [run["status"] for run in runs["items"]] == ["done"]


def test_a_bad_rule_is_a_problem_naming_the_path(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/automation/rules",
        json={**RULE, "actions": [{"type": "set_field"}]},
        headers=admin,
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == "actions[0].field"


def test_switches_are_listed_and_flipped(client: TestClient, admin: dict[str, str]) -> None:
    listed = client.get("/api/v1/switches", headers=admin).json()["items"]
    by_key = {item["key"]: item for item in listed}
    assert by_key["scoring.auto_sales_ready"]["enabled"] is True

    flipped = client.put(
        "/api/v1/switches/scoring.auto_sales_ready", json={"enabled": False}, headers=admin
    )
    assert flipped.status_code == 200
    listed = client.get("/api/v1/switches", headers=admin).json()["items"]
    assert {i["key"]: i["enabled"] for i in listed}["scoring.auto_sales_ready"] is False
    unknown = client.put("/api/v1/switches/nope", json={"enabled": True}, headers=admin)
    assert unknown.status_code == 404


def test_the_settings_page_builds_a_rule_from_picked_parts_and_switches_it(
    client: TestClient,
    container: Container,
    headers_for: Callable[[str], dict[str, str]],
) -> None:
    log_in(client, container, "marketer")
    page = client.get("/settings/automation")
    assert page.status_code == 200
    assert "Create contacts for orphan leads" in page.text
    assert '<option value="lead.campaign">Lead: Campaign</option>' in page.text
    assert '<option value="set_field">Set a field</option>' in page.text
    token = csrf_of(page.text)

    # An action row without its required parameter is refused beside the form.
    bad = client.post(
        "/settings/automation/rules",
        data={
            "csrf_token": token,
            "name": "Broken",
            "trigger": "lead.created",
            "a0.type": "call_webhook",
            "a0.call_webhook.url": "",
        },
    )
    assert bad.status_code == 422
    assert "Call a webhook (signed, retried) needs &#39;url&#39;" in bad.text

    added = client.post(
        "/settings/automation/rules",
        data={
            "csrf_token": token,
            "name": "Webinar",
            "trigger": "lead.created",
            "match": "all",
            "cond_field": ["lead.campaign", ""],
            "cond_op": ["contains", "eq"],
            "cond_value": ["webinar", ""],
            "a0.type": "set_field",
            "a0.set_field.field": "lead.status_reason",
            "a0.set_field.value": "contacted",
            "a1.type": "",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    rule_id = int(added.headers["location"].rsplit("/", 1)[1])
    with container.read_session() as session:
        rule = get_rule(session, rule_id)
        assert rule.conditions == [{"field": "lead.campaign", "op": "contains", "value": "webinar"}]
        assert rule.actions == [
            {"type": "set_field", "entity": "lead", "field": "status_reason", "value": "contacted"}
        ]
    shown = client.get("/settings/automation").text
    assert "Lead: Campaign contains webinar" in shown
    assert "Set a field (Field: Lead: Status reason; New value: contacted)" in shown
    # Switched on (as added), the rule acts on a matching lead...
    with container.uow() as uow:
        acted_on = create_lead({"last_name": "Ada", "campaign": "webinar"}, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        assert get_lead(session, acted_on.id).status_reason == "contacted"

    switched = client.post(
        f"/settings/automation/rules/{rule_id}/switch",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert switched.status_code == 303
    assert switched.headers["location"].startswith("/settings/automation")
    # ...switched off, it leaves the next one alone.
    with container.uow() as uow:
        lead = create_lead({"last_name": "Byron", "campaign": "webinar"}, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        assert get_lead(session, lead.id).status_reason == "new"


def test_a_salesperson_cannot_open_automation(client: TestClient, container: Container) -> None:
    log_in(client, container, "salesperson")
    refused = client.get("/settings/automation")
    assert refused.status_code == 403
    assert "The salesperson role may not do this (automation:read)" in refused.text
