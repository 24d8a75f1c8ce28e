"""The journey pages through the browser's protocol: the list, the designer's form (names,
not ids), errors beside the setting or on the tile at fault, going live, the counts, the
contact's journey history, and who may see and change them."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.journeys.services import advance
from tests.web.journeys.helpers import email_then_condition, make_audience, make_email
from tests.web.pages.test_pages import csrf_of, log_in


def _json_script(page: str, element_id: str) -> Any:
    found = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S
    )
    assert found is not None, element_id
    return json.loads(found.group(1))


def _hidden_definition(page: str) -> Any:
    found = re.search(r'id="journey-definition" value="([^"]*)"', page)
    assert found is not None
    return json.loads(html.unescape(found.group(1)))


def _create(client: TestClient, token: str, name: str) -> int:
    created = client.post(
        "/journeys/new",
        data={"csrf_token": token, "name": name, "target": "contact"},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    found = re.fullmatch(r"/journeys/(\d+)", created.headers["location"])
    assert found is not None
    return int(found.group(1))


def _settings(token: str, segment_id: int, **extra: str) -> dict[str, Any]:
    return {
        "csrf_token": token,
        "name": "Conference nurture",
        "target": "contact",
        "audience_segment": str(segment_id),
        "audience_mode": "union",
        "reentry": "never",
        "time_zone": "Europe/Paris",
        **extra,
    }


@dataclass(frozen=True)
class Draft:
    """A marketer logged in, with an audience of one (Ada), an email, and a draft journey."""

    segment: int
    invite: int
    token: str
    journey_id: int


@pytest.fixture
def draft(client: TestClient, container: Container) -> Draft:
    segment = make_audience(container, "Audience", [("Ada", "ada@example.test")])
    invite = make_email(container, "Invitation")
    log_in(client, container, "marketer")
    token = csrf_of(client.get("/journeys").text)
    return Draft(segment, invite, token, _create(client, token, "Draft name"))


def test_a_marketer_designs_a_journey_takes_it_live_and_sees_its_counts(
    client: TestClient, container: Container
) -> None:
    segment = make_audience(
        container, "Contoso decision makers", [("Ada", "ada@example.test"), ("Bob", "bob@x.test")]
    )
    invite = make_email(container, "Conference invitation")
    log_in(client, container, "marketer")
    listing = client.get("/journeys")
    assert listing.status_code == 200 and "No journey yet." in listing.text
    token = csrf_of(listing.text)

    journey_id = _create(client, token, "Conference nurture")
    page = client.get(f"/journeys/{journey_id}").text
    # Emails and segments are offered by name.
    catalogue = _json_script(page, "journey-catalogue")
    assert [invite, "Conference invitation"] in catalogue["templates"]
    assert [segment, "Contoso decision makers"] in catalogue["segments"]
    assert f'name="audience_segment" value="{segment}"> Contoso decision makers' in page
    assert '<option value="Europe/Paris">Europe/Paris</option>' in page

    saved = client.post(
        f"/journeys/{journey_id}",
        data={
            **_settings(token, segment, cap_messages="3", cap_days="7"),
            "description": "Invite, then a lead",
            "definition": json.dumps(email_then_condition(invite)),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    page = client.get(saved.headers["location"]).text
    assert "Saved." in page
    assert f'name="audience_segment" value="{segment}" checked' in page
    assert 'name="cap_messages" value="3"' in page
    assert 'name="description" value="Invite, then a lead"' in page
    # The readout table reads the tiles in words.
    assert "Send &#39;Conference invitation&#39;" in page
    assert "If opened &#39;Conference invitation&#39; within 1 day, else no" in page

    live = client.post(
        f"/journeys/{journey_id}/go-live", data={"csrf_token": token}, follow_redirects=False
    )
    assert live.status_code == 303
    advance(container)
    container.relay.drain()

    page = client.get(f"/journeys/{journey_id}").text
    assert 'id="journey-status">live<' in page
    counts = _json_script(page, "journey-counts")
    assert counts["email1"]["passed"] == 2
    assert counts["if1"]["active"] == 2
    assert re.search(
        r'<tr data-tile-row="if1">.*?<td class="number[^"]*" data-label="Active">2</td>', page, re.S
    )
    assert "<strong>2</strong> entered" in page
    assert 'data-counts-url="/api/v1/journeys/' in page

    listing = client.get("/journeys").text
    row = re.search(r"<tr>\s*<td class=\"title\"><a href=\"/journeys/\d+\">.*?</tr>", listing, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    assert "Conference nurture" in cells[0]
    assert "live" in cells[1] and "Contacts" in cells[2]
    assert cells[3] == "Contoso decision makers"
    assert [c.strip() for c in cells[4:7]] == ["2", "2", "0"]
    assert cells[7] == "Test marketer"
    assert 'aria-label="Stop: Conference nurture"' in listing

    stopped = client.post(
        f"/journeys/{journey_id}/stop",
        data={"csrf_token": token, "back": "list"},
        follow_redirects=False,
    )
    assert (stopped.status_code, stopped.headers["location"]) == (303, "/journeys?notice=stopped")
    listing = client.get("/journeys").text
    assert '<span class="pill status-stopped">stopped</span>' in listing
    assert 'aria-label="Resume: Conference nurture"' in listing
    client.post(f"/journeys/{journey_id}/resume", data={"csrf_token": token})
    assert 'id="journey-status">live<' in client.get(f"/journeys/{journey_id}").text


def test_a_tile_at_fault_is_named_on_the_page_and_the_edits_are_kept(
    client: TestClient, draft: Draft
) -> None:
    posted = email_then_condition(draft.invite, split=(60, 30))

    refused = client.post(
        f"/journeys/{draft.journey_id}",
        data={**_settings(draft.token, draft.segment), "definition": json.dumps(posted)},
    )

    assert refused.status_code == 422
    errors = _json_script(refused.text, "journey-errors")
    assert errors == [
        {
            "tile": "split1",
            "field": "definition.tiles[3].branches",
            "message": "The split's branches add up to 90%, not 100%",
        }
    ]
    assert '<tr data-tile-row="split1" class="has-error">' in refused.text
    assert "<strong>Flow</strong>: The split&#39;s branches add up to 90%" in refused.text
    # What the person built is shown again, not the saved journey.
    assert _hidden_definition(refused.text) == posted
    assert 'value="Conference nurture"' in refused.text


def test_a_setting_at_fault_is_shown_beside_its_field(client: TestClient, draft: Draft) -> None:
    token, journey_id = draft.token, draft.journey_id
    refused = client.post(
        f"/journeys/{journey_id}",
        data={
            **_settings(token, draft.segment, cap_messages="lots", cap_days="7"),
            "definition": json.dumps(email_then_condition(draft.invite)),
        },
    )

    assert refused.status_code == 422
    assert re.search(r'<p class="field-error" id="set-cap-error">[^<]+</p>', refused.text)
    assert 'name="cap_messages" value="lots"' in refused.text
    assert _json_script(refused.text, "journey-errors") == []

    no_audience = client.post(
        f"/journeys/{journey_id}/go-live", data={"csrf_token": token}, follow_redirects=False
    )
    assert no_audience.status_code == 422
    assert 'id="set-audience-error">Choose the audience' in no_audience.text
    from_list = client.post(
        f"/journeys/{journey_id}/go-live", data={"csrf_token": token, "back": "list"}
    )
    assert from_list.status_code == 422
    assert '<p class="alert error" role="alert">Choose the audience' in from_list.text


def test_the_contact_page_lists_its_journeys_with_the_tile_and_steps(
    client: TestClient, container: Container, draft: Draft
) -> None:
    token, journey_id = draft.token, draft.journey_id
    client.post(
        f"/journeys/{journey_id}",
        data={
            **_settings(token, draft.segment),
            "definition": json.dumps(email_then_condition(draft.invite)),
        },
    )
    page = client.get("/contacts").text
    contact = re.search(r'href="/contacts/(\d+)">Ada Tester<', page)
    assert contact is not None
    before = client.get(f"/contacts/{contact.group(1)}").text
    assert "In no journey." in before

    client.post(f"/journeys/{journey_id}/go-live", data={"csrf_token": token})
    advance(container)
    container.relay.drain()

    panel = client.get(f"/contacts/{contact.group(1)}").text
    section = panel[panel.index('id="contact-journeys"') :]
    section = section[: section.index("</section>")]
    assert f'<a href="/journeys/{journey_id}">Conference nurture</a>' in section
    assert "at <strong>Opened?</strong>" in section
    assert '<span class="pill status-waiting">waiting</span>' in section
    assert 'Invitation <span class="journey-outcome">sent</span>' in section


def test_journeys_are_for_marketing_roles(client: TestClient, container: Container) -> None:
    log_in(client, container, "marketer")
    assert '<a href="/journeys"' in client.get("/").text
    client.cookies.clear()
    log_in(client, container, "salesperson")
    home = client.get("/").text
    token = csrf_of(home)

    assert '<a href="/journeys"' not in home
    assert client.get("/journeys").status_code == 403
    refused = client.post("/journeys/new", data={"csrf_token": token, "name": "Mine"})
    assert refused.status_code == 403


def test_the_owner_of_the_journey_and_of_its_leads_is_picked_by_name(
    client: TestClient, container: Container, draft: Draft
) -> None:
    from leadflow.users.services import create_user

    with container.uow() as uow:
        olive = create_user(
            email="olive@example.test", name="Olive Owner", role="marketer", uow=uow
        ).id
        uow.commit()
    definition = {
        "start": "lead",
        "tiles": [
            {"id": "lead", "kind": "create_lead", "owner_id": olive, "next": "task"},
            {"id": "task", "kind": "create_task", "title": "Call", "owner": "journey_owner"},
        ],
    }
    page = client.get(f"/journeys/{draft.journey_id}").text
    # The creator owns a new journey; everyone it may go to is listed by name.
    assert re.search(r'<option value="\d+" selected>Test marketer</option>', page)
    assert f'<option value="{olive}">Olive Owner</option>' in page
    catalogue = _json_script(page, "journey-catalogue")
    assert catalogue["journey_owner"] == "Test marketer"
    assert [olive, "Olive Owner"] in catalogue["users"]

    saved = client.post(
        f"/journeys/{draft.journey_id}",
        data={
            **_settings(draft.token, draft.segment),
            "owner_id": str(olive),
            "definition": json.dumps(definition),
        },
    )
    assert saved.status_code == 200, saved.text
    assert f'<option value="{olive}" selected>Olive Owner</option>' in saved.text
    assert "Owner: Olive Owner" in saved.text
    assert "Create a lead for the contact, owned by Olive Owner" in saved.text
    assert "Task &#39;Call&#39; for the journey&#39;s owner" in saved.text

    for owner, message in (("someone", "Pick the owner from the list"), ("999999", "No user")):
        refused = client.post(
            f"/journeys/{draft.journey_id}",
            data={
                **_settings(draft.token, draft.segment),
                "owner_id": owner,
                "definition": json.dumps(definition),
            },
        )
        assert refused.status_code == 422
        assert re.search(rf'id="set-owner-error">{message}', refused.text), owner
    unknown = {**definition, "tiles": [{**definition["tiles"][0], "owner_id": 999999}]}
    unknown["tiles"][0]["next"] = None
    refused = client.post(
        f"/journeys/{draft.journey_id}",
        data={**_settings(draft.token, draft.segment), "definition": json.dumps(unknown)},
    )
    assert refused.status_code == 422
    assert _json_script(refused.text, "journey-errors")[0]["field"] == (
        "definition.tiles[0].owner_id"
    )


def test_an_inactive_owner_stays_the_owner_when_the_settings_are_saved(
    client: TestClient, container: Container, draft: Draft
) -> None:
    from leadflow.journeys.services import get_journey
    from leadflow.users.services import create_user, update_user

    with container.uow() as uow:
        gone = create_user(email="gone@example.test", name="Gone Owner", role="marketer", uow=uow)
        uow.commit()
        gone_id = gone.id
    client.post(
        f"/journeys/{draft.journey_id}",
        data={
            **_settings(draft.token, draft.segment),
            "owner_id": str(gone_id),
            "definition": json.dumps(email_then_condition(draft.invite)),
        },
    )
    with container.uow() as uow:
        update_user(gone_id, {"is_active": False}, uow=uow)
        uow.commit()

    page = client.get(f"/journeys/{draft.journey_id}").text
    assert f'<option value="{gone_id}" selected>Gone Owner (inactive)</option>' in page
    with container.read_session() as session:
        assert get_journey(session, draft.journey_id).owner_id == gone_id
