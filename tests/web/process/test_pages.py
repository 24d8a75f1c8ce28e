"""The process pages through the browser's protocol: the bar, its forms, queues, dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact
from leadflow.lib.clock import utcnow
from leadflow.process import services as process
from leadflow.sales.models import Task
from leadflow.sales.services import notify
from tests.integration.process.helpers import new_lead, stage_of, tick
from tests.web.pages.test_pages import csrf_of, log_in


def test_the_lead_page_carries_the_bar_and_the_timeline(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "marketer")
    lead_id = new_lead(container)
    page = client.get(f"/leads/{lead_id}")
    assert page.status_code == 200
    assert 'class="card process-bar"' in page.text
    assert re.search(
        r'class="stage active selected" aria-current="step">\s*<a href="\?stage=inquiry', page.text
    )
    assert "Stage timeline" in page.text and "Process started" in page.text


def test_next_stage_from_the_bar_and_a_refusal_beside_the_step(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "telemarketer")
    lead_id = new_lead(container)
    token = csrf_of(client.get(f"/leads/{lead_id}").text)
    moved = client.post(
        f"/leads/{lead_id}/process/next", data={"csrf_token": token, "stage": "inquiry"}
    )
    assert moved.status_code == 200
    assert stage_of(container, lead_id) == "automated_marketing_qualification"
    client.post(
        f"/leads/{lead_id}/process/set-active",
        data={"csrf_token": token, "stage": "telemarketing_qualification"},
    )
    refused = client.post(
        f"/leads/{lead_id}/process/next",
        data={"csrf_token": token, "stage": "telemarketing_qualification"},
    )
    assert refused.status_code == 200
    assert 'id="step-need-error"' in refused.text
    assert "Fill in the required step" in refused.text


def test_saving_steps_ticks_fields_and_moves_the_lead(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "marketer")
    lead_id = new_lead(container)
    tick(container, lead_id, telemarketing_ready=True)
    token = csrf_of(client.get(f"/leads/{lead_id}?stage=telemarketing_acceptance").text)
    saved = client.post(
        f"/leads/{lead_id}/process/steps",
        data={
            "csrf_token": token,
            "stage": "telemarketing_acceptance",
            "telemarketing_accepted": "true",
        },
    )
    assert saved.status_code == 200
    assert stage_of(container, lead_id) == "telemarketing_qualification"


def test_queues_and_dashboard_pages(client: TestClient, container: Container) -> None:
    log_in(client, container, "sales_manager")
    lead_id = new_lead(container, topic="Queue me")
    tick(container, lead_id, sales_ready=True)
    queues = client.get("/queues")
    assert queues.status_code == 200
    assert f'<a href="/leads/{lead_id}">Queue me</a></td>\n        <td>Lovelace</td>' in queues.text
    token = csrf_of(queues.text)
    refused = client.post(f"/leads/{lead_id}/accept", data={"csrf_token": token, "back": "queues"})
    alert = refused.text[refused.text.index('role="alert"') :].split("</p>")[0]
    # The refusal names the lead by its topic, linked, not by its id.
    assert f'<a href="/leads/{lead_id}">Queue me</a>: ' in alert
    assert "Every active salesperson is at capacity" in alert or "No active" in alert
    assert f"#{lead_id}" not in alert
    gone = client.get("/queues", params={"error": "Refused", "lead": "99999999"}).text
    assert '<p class="alert error" role="alert">Refused</p>' in gone
    with container.uow() as uow:
        uow.session.execute(
            Task.__table__.update()
            .where(Task.lead_id == lead_id)
            .values(due_at=utcnow() - timedelta(hours=3))
        )
        uow.commit()
    container.relay.drain()
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Sales acceptance" in dashboard.text and "Funnel" in dashboard.text
    overdue = dashboard.text[dashboard.text.index('id="overdue-tasks"') :]
    assert f'<a href="/leads/{lead_id}">Queue me</a></td><td>Lovelace</td>' in overdue
    assert "<strong data-overdue>1</strong>" in dashboard.text


def test_a_salesperson_lands_on_sales_contacts_without_marketing_only(
    client: TestClient, container: Container
) -> None:
    with container.uow() as uow:
        create_contact({"last_name": "Newsletter", "marketing_only": True}, uow=uow)
        create_contact({"last_name": "Buyer", "marketing_only": False}, uow=uow)
        uow.commit()
    container.relay.drain()
    log_in(client, container, "salesperson")
    page = client.get("/contacts")
    assert page.status_code == 200
    assert 'aria-current="page">Sales: contacts' in page.text
    assert "Buyer" in page.text and "Newsletter" not in page.text
    assert "Marketing: all contacts" not in page.text


def test_process_settings_export_and_import(client: TestClient, container: Container) -> None:
    log_in(client, container, "admin")
    page = client.get("/settings/process")
    assert page.status_code == 200 and "Lead to opportunity marketing sales process" in page.text
    # Stages show field labels and stage names, never registry keys.
    assert "Steps: Parent contact, Parent account" in page.text
    assert "when Sales ready ticked → Sales acceptance" in page.text
    assert "parent_contact_id" not in page.text and "eq True" not in page.text
    exported = client.get("/settings/process/lead_to_opportunity/export.yaml")
    assert exported.status_code == 200 and "telemarketing_acceptance" in exported.text
    token = csrf_of(page.text)
    bad = client.post(
        "/settings/process/import",
        data={"csrf_token": token, "definition": "key: x\nname: X\nstages: []\n"},
    )
    assert bad.status_code == 422 and "stages: needs at least one stage" in bad.text
    good = client.post(
        "/settings/process/import", data={"csrf_token": token, "definition": exported.text}
    )
    assert good.status_code == 200 and "Imported as version 2." in good.text


def test_the_automatic_moves_are_shown_in_words_on_the_process_page_only(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "admin")

    process_page = client.get("/settings/process")
    automation_page = client.get("/settings/automation")

    assert process_page.status_code == automation_page.status_code == 200
    assert (
        "When a lead is created or changed with Telemarketing ready ticked, from Inquiry or "
        "Automated marketing qualification → Telemarketing acceptance"
    ) in process_page.text
    assert "Only while “Automatic marketing qualification” is on" in process_page.text
    assert "contacts are no longer marketing-only" in automation_page.text
    # The rule builder offers stages by name; the rule tables above it list no moves.
    rules_part = automation_page.text.split('id="add-rule"')[0]
    assert "Telemarketing acceptance" not in rules_part
    assert "Sales acceptance" not in rules_part


def test_an_admin_switches_an_automatic_move_off_and_on_from_the_process_page(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "admin")
    page = client.get("/settings/process")
    switch = "/settings/process/lead_to_opportunity/transitions/telemarketing_ready/switch"

    off = client.post(switch, data={"csrf_token": csrf_of(page.text), "enabled": "false"})

    assert off.status_code == 200 and "Automatic move switched off: version 2." in off.text
    assert 'aria-label="Switch on: When a lead is created or changed with Telemarketing' in (
        off.text
    )
    with container.read_session() as session:
        [ready] = [
            t
            for t in process.load_definition(session, "lead_to_opportunity").transitions
            if t.key == "telemarketing_ready"
        ]
    assert ready.enabled is False
    on = client.post(switch, data={"csrf_token": csrf_of(off.text), "enabled": "true"})
    assert on.status_code == 200 and "Automatic move switched on: version 3." in on.text
    missing = client.post(
        "/settings/process/lead_to_opportunity/transitions/nope/switch",
        data={"csrf_token": csrf_of(on.text), "enabled": "true"},
    )
    assert missing.status_code == 404 and "has no transition &#39;nope&#39;" in missing.text


def test_disqualify_reactivate_and_recycle_from_the_lead_page(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "salesperson")
    lead_id = new_lead(container)
    tick(container, lead_id, sales_ready=True)
    token = csrf_of(client.get(f"/leads/{lead_id}").text)
    refused = client.post(f"/leads/{lead_id}/recycle", data={"csrf_token": token, "reason": ""})
    assert "Say why the lead goes back to marketing" in refused.text
    recycled = client.post(
        f"/leads/{lead_id}/recycle", data={"csrf_token": token, "reason": "Too early"}
    )
    assert "The lead went back to marketing." in recycled.text
    assert stage_of(container, lead_id) == "automated_marketing_qualification"
    assert "Sent back to marketing 1 time(s)." in recycled.text
    gone = client.post(
        f"/leads/{lead_id}/disqualify", data={"csrf_token": token, "status_reason": "lost"}
    )
    assert "The lead is disqualified." in gone.text and "Process abandoned" in gone.text
    back = client.post(f"/leads/{lead_id}/reactivate", data={"csrf_token": token})
    assert "The lead is open again." in back.text
    assert stage_of(container, lead_id) == "automated_marketing_qualification"


def test_notifications_link_their_lead_by_its_title(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "sales_manager")
    empty = client.get("/notifications")
    assert '<p class="muted">Nothing yet.</p>' in empty.text
    lead_id = new_lead(container, topic="Call me back")
    with container.uow() as uow:
        notify(uow=uow, title="New lead", body="Call today", role="sales_manager", lead_id=lead_id)
        uow.commit()

    page = client.get("/notifications")
    assert f'<a href="/leads/{lead_id}">Call me back</a>' in page.text
    assert "Nothing yet." not in page.text
