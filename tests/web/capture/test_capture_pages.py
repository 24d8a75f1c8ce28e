"""Landing pages, registration pages and the signed-in capture pages."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.capture.guards import VISITOR_COOKIE
from leadflow.capture.models import FormSubmission, MarketingForm
from leadflow.capture.services import create_event, create_form
from leadflow.contacts.models import Contact
from leadflow.interactions.models import Interaction
from leadflow.leads.models import Lead
from leadflow.matching.models import MatchingStrategy
from tests.web.pages.test_pages import csrf_of, log_in


@pytest.fixture
def signed_in(client: TestClient, container: Container) -> Iterator[TestClient]:
    log_in(client, container)
    yield client


@pytest.fixture
def form_id(container: Container) -> int:
    with container.uow() as uow:
        form = create_form({"name": "Webinar", "slug": "webinar", "intro": "Join us"}, uow=uow)
        uow.commit()
        return form.id


def _token(html: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_the_landing_page_is_plain_html_with_the_form(client: TestClient, form_id: int) -> None:
    response = client.get("/p/webinar")
    assert response.status_code == 200
    assert '<form method="post" action="/p/webinar"' in response.text
    assert 'name="email"' in response.text and "<script" not in response.text


def test_submitting_the_landing_page_thanks_and_remembers_the_visitor(
    client: TestClient, container: Container, form_id: int
) -> None:
    token = _token(client.get("/p/webinar").text)
    response = client.post("/p/webinar", data={"form_token": token, "email": "ada@example.com"})
    assert response.status_code == 200
    assert "Thank you" in response.text
    assert VISITOR_COOKIE in client.cookies
    container.relay.drain()
    client.get("/p/webinar")
    with container.read_session() as session:
        kinds = list(session.scalars(select(Interaction.kind).order_by(Interaction.id)))
        [contact_id] = session.scalars(select(Contact.id)).all()
        [lead] = session.scalars(select(Lead)).all()
    assert kinds == ["form_submitted", "page_visited"]
    assert lead.parent_contact_id == contact_id


def test_a_post_without_the_form_token_is_refused(
    client: TestClient, container: Container, form_id: int
) -> None:
    response = client.post("/p/webinar", data={"email": "ada@example.com"})
    assert response.status_code == 403
    assert "expired" in response.text
    with container.read_session() as session:
        assert session.scalars(select(Contact.id)).all() == []


def test_script_tags_are_escaped_on_the_error_page(
    client: TestClient, container: Container, form_id: int
) -> None:
    token = _token(client.get("/p/webinar").text)
    evil = "<script>alert(1)</script>"
    response = client.post(
        "/p/webinar", data={"form_token": token, "email": evil, "first_name": evil}
    )
    assert response.status_code == 422
    assert "<script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "Email is not a valid email address" in response.text
    with container.read_session() as session:
        [stored] = session.scalars(select(FormSubmission)).all()
    assert stored.status == "failed" and stored.payload["first_name"] == evil


def test_a_filled_honeypot_is_thanked_and_dropped(
    client: TestClient, container: Container, form_id: int
) -> None:
    token = _token(client.get("/p/webinar").text)
    response = client.post(
        "/p/webinar", data={"form_token": token, "email": "bot@example.com", "website_url": "x"}
    )
    assert response.status_code == 200
    with container.read_session() as session:
        assert session.scalars(select(FormSubmission.id)).all() == []


def test_an_unknown_page_is_a_plain_404(client: TestClient) -> None:
    response = client.get("/p/nothing-here")
    assert response.status_code == 404
    assert "There is no page at this address." in response.text


def test_event_registration_page_registers_and_reports_a_full_event(
    client: TestClient, container: Container
) -> None:
    with container.uow() as uow:
        event_id = create_event(
            {
                "name": "Summit",
                "starts_at": "2026-12-01T09:00:00",
                "ends_at": "2026-12-01T10:00:00",
                "capacity": 1,
            },
            uow=uow,
        ).id
        uow.commit()
    page = client.get(f"/e/{event_id}")
    assert page.status_code == 200
    token = _token(page.text)
    ok = client.post(f"/e/{event_id}", data={"email": "a@example.com", "form_token": token})
    assert (ok.status_code, "You are registered" in ok.text) == (200, True)
    full = client.post(f"/e/{event_id}", data={"email": "b@example.com", "form_token": token})
    assert (
        full.status_code == 409 and "is full" in full.text and 'name="join_waitlist"' in full.text
    )
    waiting = client.post(
        f"/e/{event_id}",
        data={"email": "b@example.com", "join_waitlist": "on", "form_token": _token(full.text)},
    )
    assert (waiting.status_code, "You are on the waitlist" in waiting.text) == (200, True)


def test_a_user_creates_a_form_in_the_ui(signed_in: TestClient, container: Container) -> None:
    page = signed_in.get("/forms/new")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_of(page.text),
        "name": "Spring offer",
        "slug": "spring",
        "update_mode": "contacts_and_leads",
        "store_all_submissions": "true",
        "field_0_name": "email",
        "field_0_type": "email",
        "field_0_required": "true",
        "field_0_contact_field": "email",
        "field_0_lead_field": "email",
        "field_1_name": "",
    }
    response = signed_in.post("/forms/new", data=data, follow_redirects=False)
    assert response.status_code == 303
    with container.read_session() as session:
        [form] = session.scalars(select(MarketingForm)).all()
    assert response.headers["location"] == f"/forms/{form.id}"
    assert [f["name"] for f in form.fields] == ["email"]
    detail = signed_in.get(f"/forms/{form.id}")
    assert "/p/spring" in detail.text


def test_a_taken_slug_is_shown_beside_its_field(signed_in: TestClient, form_id: int) -> None:
    page = signed_in.get("/forms/new")
    response = signed_in.post(
        "/forms/new",
        data={
            "csrf_token": csrf_of(page.text),
            "name": "Other",
            "slug": "webinar",
            "field_0_name": "email",
            "field_0_type": "email",
        },
    )
    assert response.status_code == 409
    assert "Another page already lives at /p/webinar" in response.text


def _strategy(container: Container, name: str) -> MatchingStrategy:
    with container.read_session() as session:
        return session.scalars(select(MatchingStrategy).where(MatchingStrategy.name == name)).one()


def test_the_matching_settings_page_adds_a_strategy_and_lists_its_duplicates_on_request(
    signed_in: TestClient, container: Container
) -> None:
    page = signed_in.get("/settings/matching")
    assert page.status_code == 200 and "Email and page" in page.text
    # New strategies list their duplicates unless the box is cleared.
    assert 'name="lists_duplicates" value="true" checked' in page.text
    added = signed_in.post(
        "/settings/matching",
        data={
            "csrf_token": csrf_of(page.text),
            "name": "Phone",
            "target": "contact",
            "fields": ["phone"],
        },
        follow_redirects=True,
    )
    assert added.status_code == 200 and '<td class="title">Phone</td>' in added.text
    strategy = _strategy(container, "Phone")
    assert not strategy.lists_duplicates
    assert f"List the duplicates {strategy.name} finds" in added.text

    listed = signed_in.post(
        f"/settings/matching/{strategy.id}/duplicates",
        data={"csrf_token": csrf_of(added.text), "lists_duplicates": "true"},
        follow_redirects=True,
    )
    assert listed.status_code == 200
    assert _strategy(container, "Phone").lists_duplicates
    assert f"Stop listing the duplicates {strategy.name} finds" in listed.text


def test_failed_submissions_can_be_resubmitted_from_the_form_page(
    signed_in: TestClient, container: Container, form_id: int
) -> None:
    with container.uow() as uow:
        uow.session.add(
            FormSubmission(
                form_id=form_id,
                payload={"email": "ada@example.com"},
                status="failed",
                outcome={},
                errors=[{"field": "email", "message": "was down"}],
            )
        )
        uow.commit()
    detail = signed_in.get(f"/forms/{form_id}")
    assert "Resubmit" in detail.text
    with container.read_session() as session:
        [submission_id] = session.scalars(select(FormSubmission.id)).all()
    signed_in.post(
        f"/forms/{form_id}/submissions/{submission_id}/resubmit",
        data={"csrf_token": csrf_of(detail.text)},
    )
    with container.read_session() as session:
        stored = session.get(FormSubmission, submission_id)
        assert stored is not None and stored.status == "succeeded"


def test_the_new_lead_form_creates_a_contact_on_the_spot(
    signed_in: TestClient, container: Container
) -> None:
    page = signed_in.get("/leads/new")
    assert 'name="new_contact"' in page.text
    response = signed_in.post(
        "/leads/new",
        data={
            "csrf_token": csrf_of(page.text),
            "topic": "Walk-in",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "new_contact": "true",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    with container.read_session() as session:
        [contact] = session.scalars(select(Contact)).all()
        [lead] = session.scalars(select(Lead)).all()
    assert lead.parent_contact_id == contact.id and contact.last_name == "Hopper"


def test_events_are_created_and_checked_in_from_the_pages(
    signed_in: TestClient, container: Container
) -> None:
    page = signed_in.get("/events")
    created = signed_in.post(
        "/events",
        data={
            "csrf_token": csrf_of(page.text),
            "name": "Meetup",
            "starts_at": "2026-12-01T18:00",
            "ends_at": "2026-12-01T21:00",
            "match_on": "email",
            "create_leads": "true",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    event_path = created.headers["location"]
    event_id = int(event_path.rsplit("/", 1)[1])
    registration = signed_in.get(f"/e/{event_id}")
    registered = signed_in.post(
        f"/e/{event_id}", data={"email": "ada@example.com", "form_token": _token(registration.text)}
    )
    assert "You are registered" in registered.text
    detail = signed_in.get(event_path)
    assert "Check in" in detail.text
    found = re.search(rf'action="/events/{event_id}/registrations/(\d+)/check-in"', detail.text)
    assert found is not None
    signed_in.post(found.group(0)[8:-1], data={"csrf_token": csrf_of(detail.text)})
    with container.read_session() as session:
        kinds = sorted(session.scalars(select(Interaction.kind)))
    assert kinds == ["event_attended", "event_registered"]


def test_an_event_ending_before_it_starts_is_shown_beside_the_field(signed_in: TestClient) -> None:
    page = signed_in.get("/events")
    response = signed_in.post(
        "/events",
        data={
            "csrf_token": csrf_of(page.text),
            "name": "X",
            "starts_at": "2026-12-02T10:00",
            "ends_at": "2026-12-01T10:00",
            "match_on": "email",
        },
    )
    assert response.status_code == 422
    assert "The event ends before it starts" in response.text
