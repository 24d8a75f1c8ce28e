"""The capture and matching API, the public endpoints and their defences."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.capture.models import FormSubmission
from leadflow.contacts.models import Contact
from leadflow.interactions.models import Interaction
from leadflow.leads.models import Lead


def _form(client: TestClient, admin: dict[str, str], **settings: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/forms", json={"name": "Webinar", "slug": "webinar", **settings}, headers=admin
    )
    assert response.status_code == 201, response.json()
    body: dict[str, Any] = response.json()
    return body


def _ids(container: Container, model: Any) -> list[int]:
    with container.read_session() as session:
        return list(session.scalars(select(model.id).order_by(model.id)))


def test_create_form_copies_the_default_strategies(
    client: TestClient, admin: dict[str, str]
) -> None:
    strategies = client.get("/api/v1/matching-strategies", headers=admin).json()["items"]
    defaults = {s["target"]: s["id"] for s in strategies if s["is_default"]}
    form = _form(client, admin)
    assert form["contact_strategy_id"] == defaults["contact"]
    assert form["lead_strategy_id"] == defaults["lead"]
    assert form["url"] == "/p/webinar"
    assert [f["name"] for f in form["fields"]] == [
        "email",
        "first_name",
        "last_name",
        "company",
        "phone",
    ]


def test_json_submission_creates_contact_lead_and_interaction(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    form = _form(client, admin, campaign="Spring")
    response = client.post(
        f"/api/v1/forms/{form['id']}/submissions", json={"email": "ada@example.com"}
    )
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["contact_id"], body["lead_id"]) == ("accepted", None, None)
    assert body["status_url"] == f"/api/v1/submissions/{body['submission_id']}"
    container.relay.drain()
    processed = client.get(body["status_url"], headers=admin).json()
    assert processed["status"] == "succeeded"
    assert [processed["contact_id"]] == _ids(container, Contact)
    assert [processed["lead_id"]] == _ids(container, Lead)
    listed = client.get(f"/api/v1/forms/{form['id']}/submissions", headers=admin).json()["items"]
    [only] = listed
    assert only["outcome"]["contact"]["created"] is True


def test_bad_json_submission_is_problem_json_and_kept(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    form = _form(client, admin)
    response = client.post(f"/api/v1/forms/{form['id']}/submissions", json={"email": "nope"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "submission_invalid" and problem["field"] == "email"
    assert problem["errors"] == [
        {"field": "email", "message": "Email is not a valid email address"}
    ]
    with container.read_session() as session:
        [stored] = session.scalars(select(FormSubmission)).all()
    assert stored.status == "failed" and stored.id == problem["submission_id"]


def test_resubmit_with_a_corrected_payload(client: TestClient, admin: dict[str, str]) -> None:
    form = _form(client, admin)
    failed = client.post(f"/api/v1/forms/{form['id']}/submissions", json={"email": "nope"}).json()
    response = client.post(
        f"/api/v1/submissions/{failed['submission_id']}/resubmit",
        json={"payload": {"email": "ada@example.com"}},
        headers=admin,
    )
    assert response.status_code == 200
    assert response.json()["status"] == "succeeded" and response.json()["contact_id"] is not None


def test_field_values_longer_than_their_limit_are_refused(
    client: TestClient, admin: dict[str, str]
) -> None:
    form = _form(client, admin)
    response = client.post(
        f"/api/v1/forms/{form['id']}/submissions",
        json={"email": "a@example.com", "first_name": "x" * 101},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "first_name"


def test_public_bodies_over_64_kib_are_refused(client: TestClient, admin: dict[str, str]) -> None:
    form = _form(client, admin)
    response = client.post(
        f"/api/v1/forms/{form['id']}/submissions",
        json={"email": "a@example.com", "junk": "x" * 70_000},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_per_ip_rate_limit_answers_429_with_retry_after(
    make_container: Callable[..., Container],
) -> None:
    from leadflow.web.app import create_app

    limited = make_container(capture_ip_limit_per_minute=2)
    limited.seed_defaults()
    with limited.uow() as uow:
        from leadflow.capture.services import create_form

        form_id = create_form({"name": "F", "slug": "f"}, uow=uow).id
        uow.commit()
    with TestClient(create_app(limited)) as client:
        statuses = [
            client.post(
                f"/api/v1/forms/{form_id}/submissions", json={"email": f"p{i}@example.com"}
            ).status_code
            for i in range(3)
        ]
        last = client.post(f"/api/v1/forms/{form_id}/submissions", json={"email": "q@example.com"})
    assert statuses == [202, 202, 429]
    assert last.json()["code"] == "rate_limited" and int(last.headers["Retry-After"]) >= 1


def test_strategy_crud_through_the_api(client: TestClient, admin: dict[str, str]) -> None:
    created = client.post(
        "/api/v1/matching-strategies",
        json={"name": "Phone", "target": "contact", "fields": ["phone"]},
        headers=admin,
    )
    assert created.status_code == 201
    strategy_id = created.json()["id"]
    changed = client.patch(
        f"/api/v1/matching-strategies/{strategy_id}",
        json={"fields": ["phone", "last_name"]},
        headers=admin,
    )
    assert changed.json()["fields"] == ["phone", "last_name"]
    assert changed.json()["lists_duplicates"] is True  # the default
    unlisted = client.patch(
        f"/api/v1/matching-strategies/{strategy_id}",
        json={"lists_duplicates": False},
        headers=admin,
    )
    assert unlisted.json()["lists_duplicates"] is False
    read_back = client.get(f"/api/v1/matching-strategies/{strategy_id}", headers=admin)
    assert read_back.json()["lists_duplicates"] is False
    not_a_flag = client.patch(
        f"/api/v1/matching-strategies/{strategy_id}",
        json={"lists_duplicates": None},
        headers=admin,
    )
    assert not_a_flag.status_code == 422 and not_a_flag.json()["field"] == "lists_duplicates"
    bad = client.post(
        "/api/v1/matching-strategies",
        json={"name": "X", "target": "lead", "fields": ["nope"]},
        headers=admin,
    )
    assert bad.status_code == 422 and bad.json()["field"] == "fields"
    assert (
        client.delete(f"/api/v1/matching-strategies/{strategy_id}", headers=admin).status_code
        == 204
    )


def test_marketers_may_not_administer_strategies(
    client: TestClient, headers_for: Callable[[str], dict[str, str]]
) -> None:
    response = client.post(
        "/api/v1/matching-strategies",
        json={"name": "Phone", "target": "contact", "fields": ["phone"]},
        headers=headers_for("salesperson"),
    )
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    names = [
        item["name"]
        for item in client.get("/api/v1/matching-strategies", headers=headers_for("admin")).json()[
            "items"
        ]
    ]
    assert "Phone" not in names


def test_event_registration_check_in_and_waitlist(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    event = client.post(
        "/api/v1/events",
        json={
            "name": "Summit",
            "starts_at": "2026-12-01T09:00:00Z",
            "ends_at": "2026-12-01T17:00:00Z",
            "capacity": 1,
        },
        headers=admin,
    ).json()
    first = client.post(
        f"/api/v1/events/{event['id']}/registrations", json={"email": "a@example.com"}
    )
    again = client.post(
        f"/api/v1/events/{event['id']}/registrations", json={"email": "a@example.com"}
    )
    full = client.post(
        f"/api/v1/events/{event['id']}/registrations", json={"email": "b@example.com"}
    )
    waiting = client.post(
        f"/api/v1/events/{event['id']}/registrations",
        json={"email": "b@example.com", "join_waitlist": True},
    )
    assert (first.status_code, again.status_code, full.status_code, waiting.status_code) == (
        201,
        200,
        409,
        201,
    )
    assert full.json()["code"] == "event_full"
    assert waiting.json()["status"] == "waitlisted"
    checked = client.post(
        f"/api/v1/events/{event['id']}/registrations/{first.json()['id']}/check-in", headers=admin
    )
    assert checked.json()["attended_at"] is not None
    with container.read_session() as session:
        kinds = sorted(session.scalars(select(Interaction.kind)))
    assert kinds == ["event_attended", "event_registered", "event_registered"]


def test_fifty_concurrent_http_submissions_make_one_contact_and_one_lead(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    form = _form(client, admin)
    count = 50
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def submit() -> None:
        barrier.wait()
        response = client.post(
            f"/api/v1/forms/{form['id']}/submissions", json={"email": "race@example.com"}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=submit) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [202] * count
    container.relay.drain()
    assert len(_ids(container, Contact)) == 1
    assert len(_ids(container, Lead)) == 1
    with container.read_session() as session:
        assert len(list(session.scalars(select(Interaction.id)))) == count


def test_a_lead_created_by_hand_gets_a_contact_on_the_spot(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    response = client.post(
        "/api/v1/leads/with-contact",
        json={
            "topic": "Call back",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
        },
        headers=admin,
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    with container.read_session() as session:
        [contact] = session.scalars(select(Contact)).all()
    assert body["parent_contact_id"] == contact.id and body["contact_created"] is True
    assert (contact.first_name, contact.email) == ("Ada", "ada@example.com")
    again = client.post(
        "/api/v1/leads/with-contact",
        json={"topic": "Second", "email": "ADA@example.com"},
        headers=admin,
    ).json()
    assert again["parent_contact_id"] == contact.id and again["contact_created"] is False


def test_a_contact_on_the_spot_needs_an_email_or_name(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.post("/api/v1/leads/with-contact", json={"topic": "Nobody"}, headers=admin)
    assert response.status_code == 422 and response.json()["field"] == "email"


def test_a_form_field_mapped_to_an_unknown_field_is_refused(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/forms",
        json={
            "name": "F",
            "slug": "f",
            "fields": [{"name": "size", "lead_field": "no_such_field"}],
        },
        headers=admin,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "fields[0].lead_field"


def test_a_bad_slug_is_refused(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/forms", json={"name": "F", "slug": "Not A Slug!"}, headers=admin
    )
    assert response.status_code == 422 and response.json()["field"] == "slug"


def test_a_json_submission_runs_two_statements_the_form_kept_per_process(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    from tests.support.queries import count_queries

    form = _form(client, admin)
    path = f"/api/v1/forms/{form['id']}/submissions"
    engines = (container.engine, container.read_engine)
    with count_queries(*engines) as first:
        client.post(path, json={"email": "warm@example.com"})
    container.relay.drain()
    with count_queries(*engines) as statements:
        response = client.post(path, json={"email": "new@example.com"})
    assert response.status_code == 202
    # The first submission read the form (outside the write transaction); the next
    # ones find it in the process's form cache: the submission and its outbox row are
    # the request's only statements, as the floor endpoint's unit has one.
    assert any("marketing_forms" in item for item in first), first
    assert [item.split()[2] for item in statements] == ["form_submissions", "outbox"], statements


def test_a_form_changed_or_deleted_is_read_again_at_once(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    form = _form(client, admin)
    path = f"/api/v1/forms/{form['id']}/submissions"
    assert client.post(path, json={"email": "a@example.com"}).status_code == 202
    fields = [
        {"name": "email", "contact_field": "email", "required": True},
        {"name": "size", "lead_field": "topic", "required": True},
    ]
    changed = client.patch(f"/api/v1/forms/{form['id']}", json={"fields": fields}, headers=admin)
    assert changed.status_code == 200, changed.json()
    refused = client.post(path, json={"email": "b@example.com"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "size"
    deleted = client.delete(f"/api/v1/forms/{form['id']}", headers=admin)
    assert deleted.status_code == 204
    gone = client.post(path, json={"email": "c@example.com", "size": "big"})
    assert gone.status_code == 404 and gone.json()["field"] == "id"


def test_a_form_deleted_by_another_process_is_a_404_not_a_500(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    from sqlalchemy import delete

    from leadflow.capture.models import MarketingForm

    form = _form(client, admin)
    path = f"/api/v1/forms/{form['id']}/submissions"
    assert client.post(path, json={"email": "a@example.com"}).status_code == 202
    container.relay.drain()
    # Another process deletes it: this one's cache still holds the form.
    with container.session_factory() as session, session.begin():
        session.execute(delete(MarketingForm).where(MarketingForm.id == form["id"]))
    gone = client.post(path, json={"email": "b@example.com"})
    assert gone.status_code == 404 and gone.json()["field"] == "id", gone.json()
    with container.read_session() as session:
        assert session.scalars(select(FormSubmission)).all() == []
