"""The scoring pages through the browser's protocol: forms, redirects, errors beside fields."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.lib.clock import utcnow
from tests.integration.scoring.helpers import make_contact, make_lead, record
from tests.web.pages.test_pages import csrf_of, log_in


def _model_id(location: str) -> int:
    found = re.search(r"/scoring/models/(\d+)", location)
    assert found is not None
    return int(found.group(1))


def _new_model(client: TestClient, token: str, name: str) -> str:
    """Create a contact-based model through the page; returns its designer's path."""
    created = client.post(
        "/scoring/new",
        data={"csrf_token": token, "name": name, "entity_target": "contact"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    return f"/scoring/models/{_model_id(created.headers['location'])}"


def test_a_marketer_designs_a_model_runs_what_if_and_goes_live(
    client: TestClient, container: Container
) -> None:
    contact = make_contact(container, job_title="VP Sales")
    lead = make_lead(container, parent_contact_id=contact)
    record(container, contact, "form_submitted", utcnow() - timedelta(days=1))
    log_in(client, container, "marketer")
    token = csrf_of(client.get("/scoring").text)

    base = _new_model(client, token, "Inbound")

    missing_value = client.post(
        f"{base}/rules",
        data={
            "csrf_token": token,
            "rule_name": "Title",
            "points": "20",
            "cond_type": "field",
            "field": "contact.job_title",
            "op": "contains",
            "value": "",
        },
    )
    assert missing_value.status_code == 422
    assert 'id="add-rule-value-error"' in missing_value.text

    for data in (
        {
            "rule_name": "Title",
            "points": "20",
            "cond_type": "field",
            "field": "contact.job_title",
            "op": "contains",
            "value": "vp",
        },
        {
            "rule_name": "Forms",
            "points": "15",
            "cond_type": "behaviour",
            "kind": "form_submitted",
            "frequency": "each",
            "window_days": "30",
        },
    ):
        done = client.post(
            f"{base}/rules", data={"csrf_token": token, **data}, follow_redirects=False
        )
        assert done.status_code == 303, done.text
    overlap = client.post(
        f"{base}/grades", data={"csrf_token": token, "grades": "Cold, 0, 20\nHot, 15, "}
    )
    assert overlap.status_code == 422 and "Hot" in overlap.text and "overlaps" in overlap.text
    client.post(
        f"{base}/grades",
        data={"csrf_token": token, "grades": "Cold, , 20\nHot, 21, "},
        follow_redirects=False,
    )
    client.post(
        f"{base}/summary",
        data={
            "csrf_token": token,
            "name": "Inbound",
            "entity_target": "contact",
            "sales_ready_threshold": "30",
        },
        follow_redirects=False,
    )

    page = client.get(base).text
    assert "Parent contact: Job title contains vp" in page
    assert "Submitted form each time in the last 30 days" in page
    # The designer offers interactions in words, not their internal names.
    assert '<option value="form_submitted">Submitted form</option>' in page
    what_if = client.post(f"{base}/what-if", data={"csrf_token": token})
    assert re.search(r'class="would-be-ready">1<', what_if.text)

    live = client.post(f"{base}/go-live", data={"csrf_token": token}, follow_redirects=False)
    assert live.status_code == 303
    assert 'id="model-status">live<' in client.get(base).text

    lead_page = client.get(f"/leads/{lead}").text
    assert 'class="score">35' in lead_page
    assert "Title: +20 = +20" in lead_page and "Hot" in lead_page
    assert "by score" in lead_page


def test_the_lead_page_says_why_a_lead_is_unscored(
    client: TestClient, container: Container
) -> None:
    lead = make_lead(container)
    log_in(client, container, "salesperson")
    page = client.get(f"/leads/{lead}").text
    assert "no parent contact or parent account" in page


def test_a_behaviour_condition_picks_its_form_by_name_and_reads_back_in_words(
    client: TestClient, container: Container
) -> None:
    from leadflow.capture.services import create_form

    with container.uow() as uow:
        form_id = create_form({"name": "Contact us", "slug": "contact-us"}, uow=uow).id
        uow.commit()
    log_in(client, container, "marketer")
    token = csrf_of(client.get("/scoring").text)
    base = _new_model(client, token, "Forms")
    designer = client.get(base).text
    assert f'<option value="{form_id}">Contact us</option>' in designer

    added = client.post(
        f"{base}/rules",
        data={
            "csrf_token": token,
            "rule_name": "Asked to be called",
            "points": "25",
            "cond_type": "behaviour",
            "kind": "form_submitted",
            "target_id": str(form_id),
            "frequency": "at_least",
        },
        follow_redirects=False,
    )

    assert added.status_code == 303, added.text
    assert "Submitted form &#39;Contact us&#39; at least once" in client.get(base).text


def test_a_behaviour_rule_filters_on_data_keys_picked_from_what_interactions_hold(
    client: TestClient, container: Container
) -> None:
    contact = make_contact(container)
    record(container, contact, "page_visited", utcnow(), data={"utm_source": "linkedin"})
    log_in(client, container, "marketer")
    token = csrf_of(client.get("/scoring").text)
    base = _new_model(client, token, "Paid social")
    designer = client.get(base).text
    # The key is offered from the interactions' own data; nothing to type in a syntax.
    assert '<datalist id="add-rule-data-keys"><option value="utm_source"></option>' in designer
    rule = {
        "csrf_token": token,
        "rule_name": "From LinkedIn",
        "points": "10",
        "cond_type": "behaviour",
        "kind": "page_visited",
        "frequency": "at_least",
    }

    keyless = client.post(
        f"{base}/rules", data={**rule, "data_key": ["", ""], "data_value": ["linkedin", ""]}
    )
    assert keyless.status_code == 422
    assert "The data filter &#39;linkedin&#39; needs a key" in keyless.text
    twice = client.post(
        f"{base}/rules",
        data={**rule, "data_key": ["utm_source", "utm_source"], "data_value": ["a", "b"]},
    )
    assert twice.status_code == 422 and "filtered twice" in twice.text

    added = client.post(
        f"{base}/rules",
        data={**rule, "data_key": ["utm_source", ""], "data_value": ["linkedin", ""]},
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    assert "with utm_source=linkedin at least once" in client.get(base).text
