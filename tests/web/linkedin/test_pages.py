"""Settings > LinkedIn pages: connect, map with selects, the strategy, the status page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.leads.models import Lead
from leadflow.linkedin import services
from tests.support.fake_linkedin import OWNER, FakeLinkedIn, response
from tests.support.linkedin import NOW_MS, connect
from tests.web.pages.test_pages import csrf_of, log_in


@pytest.fixture
def signed_in(client: TestClient, container: Container) -> Iterator[TestClient]:
    log_in(client, container, "marketer")
    yield client


def test_a_connection_added_on_the_page_backfills_and_shows_its_status(
    signed_in: TestClient, container: Container, fake: FakeLinkedIn
) -> None:
    fake.responses.append(response("r1", 1, NOW_MS - 60_000, {11: "Ada", 13: "ada@example.com"}))
    token = csrf_of(signed_in.get("/settings/linkedin").text)

    answer = signed_in.post(
        "/settings/linkedin/connections",
        data={
            "csrf_token": token,
            "name": "Acme ads",
            "owner_urn": OWNER,
            "access_token": fake.token,
            "client_secret": "s3cret",
            "api_version": "202509",
            "base_url": fake.url,
            "backfill_days": "365",
        },
    )

    assert answer.status_code == 200, answer.text
    page = answer.text
    assert "Connected. The backfill of up to a year of leads has started." in page
    assert '<span class="badge linkedin-ok">ok</span>' in page
    assert "<strong>1</strong><span>created</span>" in page
    assert ">Whitepaper Q3</a>" in page
    # The latest responses name their lead, never an id.
    assert ">Ada</a>" in page
    assert "fake-client-secret" not in page and fake.token not in page


def test_a_bad_owner_is_shown_beside_its_input(
    signed_in: TestClient, container: Container, fake: FakeLinkedIn
) -> None:
    token = csrf_of(signed_in.get("/settings/linkedin").text)

    answer = signed_in.post(
        "/settings/linkedin/connections",
        data={"csrf_token": token, "name": "Acme", "owner_urn": "acme", "access_token": "t"},
    )

    assert answer.status_code == 422
    assert "urn:li:sponsoredAccount:&lt;id&gt; or urn:li:organization:&lt;id&gt;" in answer.text
    assert 'id="field-owner_urn"' in answer.text and "has-error" in answer.text


def test_the_status_page_says_the_token_expired_and_where_the_sync_resumes(
    signed_in: TestClient, container: Container, fake: FakeLinkedIn
) -> None:
    fake.expire_token()
    connection_id = connect(container, fake)

    page = signed_in.get(f"/settings/linkedin/connections/{connection_id}").text

    assert '<span class="badge linkedin-token_expired">token expired</span>' in page
    assert "Reconnect with LinkedIn, or paste a new token below" in page
    assert "Resumes at response 1 of the responses submitted from" in page
    assert "The token used in the request has expired" in page


def test_sync_now_on_the_status_page_pulls_new_responses(
    signed_in: TestClient, container: Container, fake: FakeLinkedIn
) -> None:
    connection_id = connect(container, fake)
    fake.responses.append(response("r2", 1, NOW_MS - 60_000, {13: "grace@example.com"}))
    path = f"/settings/linkedin/connections/{connection_id}"
    token = csrf_of(signed_in.get(path).text)

    answer = signed_in.post(f"{path}/sync", data={"csrf_token": token})

    assert answer.status_code == 200
    assert "Sync started." in answer.text
    with container.read_session() as session:
        assert list(session.scalars(select(Lead.email))) == ["grace@example.com"]


def test_predefined_mappings_are_edited_with_selects_of_field_labels(
    signed_in: TestClient, container: Container
) -> None:
    page = signed_in.get("/settings/linkedin").text
    assert '<option value="job_title" selected>Job title</option>' in page
    token = csrf_of(page)

    answer = signed_in.post(
        "/settings/linkedin/mappings",
        data={"csrf_token": token, "EMAIL": "email", "JOB_TITLE": "", "INDUSTRY": "description"},
    )

    assert answer.status_code == 200
    with container.read_session() as session:
        mapped = services.predefined_mappings(session)
    assert (mapped.get("JOB_TITLE"), mapped["INDUSTRY"], mapped["EMAIL"]) == (
        None,
        "description",
        "email",
    )


def test_a_forms_custom_question_is_mapped_on_its_page(
    signed_in: TestClient, container: Container, fake: FakeLinkedIn
) -> None:
    connection_id = connect(container, fake)
    with container.read_session() as session:
        [form] = services.list_forms(session, connection_id)
    path = f"/settings/linkedin/forms/{form.id}"
    page = signed_in.get(path).text
    assert "Ihre Frage" in page and "As its type: Email" in page

    answer = signed_in.post(path, data={"csrf_token": csrf_of(page), "q-17": "description"})

    assert answer.status_code == 200
    assert '<option value="description" selected>' in answer.text
    with container.read_session() as session:
        assert services.mappings_for(session, form.id).by_question == {"17": "description"}


def test_a_strategy_over_an_unmapped_field_is_refused_beside_its_fields(
    signed_in: TestClient, container: Container
) -> None:
    token = csrf_of(signed_in.get("/settings/linkedin").text)

    answer = signed_in.post(
        "/settings/linkedin/strategies",
        data={"csrf_token": token, "strategy_name": "By topic", "fields": "topic"},
    )

    assert answer.status_code == 422
    assert "Only mapped LinkedIn fields can be matched on" in answer.text


def test_the_linkedin_settings_are_not_for_salespeople(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "salesperson")

    assert client.get("/settings/linkedin").status_code == 403


def test_a_leads_page_shows_its_linkedin_form_answers(
    signed_in: TestClient, container: Container, fake: FakeLinkedIn
) -> None:
    from tests.integration.scoring.helpers import make_lead

    fake.responses.append(response("r1", 1, NOW_MS - 60_000, {11: "Ada", 13: "ada@example.com"}))
    connect(container, fake)
    with container.read_session() as session:
        lead_id = session.scalars(select(Lead.id)).one()
    other = make_lead(container, topic="Walk-in")

    page = signed_in.get(f"/leads/{lead_id}").text
    plain = signed_in.get(f"/leads/{other}").text

    assert "LinkedIn form answers" in page and "LinkedIn form answers" not in plain
    assert "Whitepaper Q3" in page
    assert "<dd>Ada</dd>" in page and "<dd>ada@example.com</dd>" in page
