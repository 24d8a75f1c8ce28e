"""The record pages through the browser's protocol: form logins, forms, redirects, CSRF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from leadflow.accounts.services import create_account
from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.contacts.services import create_contact, get_contact
from leadflow.interactions.services import record_interaction
from leadflow.leads.services import create_lead, get_lead
from leadflow.registry.services import add_custom_field
from leadflow.web.auth import SESSION_COOKIE
from tests.support.factories import PASSWORD, user_with_token

ROW = re.compile(r'<td class="title"><a href="(/[a-z]+/\d+)">([^<]*)</a></td>')


def add(container: Container, create: Any, data: dict[str, Any]) -> int:
    with container.uow() as uow:
        row_id = int(create(data, uow=uow).id)
        uow.commit()
    container.relay.drain()
    return row_id


def rows(html: str) -> list[tuple[str, str]]:
    return ROW.findall(html)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)


def field_block(html: str, name: str) -> str:
    """The markup of one form field, from its wrapper to the next field's."""
    start = html.index(f'id="field-{name}"')
    end = html.find('<div class="field', start + 1)
    return html[start : end if end != -1 else len(html)]


def log_in(client: TestClient, container: Container, role: str = "admin") -> None:
    _, email, _ = user_with_token(container, role)
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert SESSION_COOKIE in client.cookies


@pytest.fixture
def signed_in(client: TestClient, container: Container) -> Iterator[TestClient]:
    log_in(client, container)
    yield client


def test_the_login_form_signs_in(client: TestClient, container: Container) -> None:
    log_in(client, container, "marketer")

    response = client.get("/")

    assert response.status_code == 200
    assert "<h1>Welcome, Test marketer</h1>" in response.text


def test_a_page_without_a_session_redirects_to_login(client: TestClient) -> None:
    response = client.get("/contacts?q=ada&role=employee", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fcontacts%3Fq%3Dada%26role%3Demployee"


@pytest.mark.parametrize(
    ("path", "heading", "new_label"),
    [
        ("/contacts", "Contacts", "New contact"),
        ("/accounts", "Accounts", "New account"),
        ("/leads", "Leads", "New lead"),
        ("/opportunities", "Opportunities", "New opportunity"),
    ],
)
def test_every_list_page_renders(
    signed_in: TestClient, path: str, heading: str, new_label: str
) -> None:
    response = signed_in.get(path)

    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.text
    assert f'<a class="button primary" href="{path}/new">{new_label}</a>' in response.text


def test_search_finds_a_contact_by_name(signed_in: TestClient, container: Container) -> None:
    ada = add(container, create_contact, {"first_name": "Ada", "last_name": "Lovelace"})
    add(container, create_contact, {"first_name": "Grace", "last_name": "Hopper"})

    response = signed_in.get("/contacts", params={"q": "ada", "role": ""})

    assert response.status_code == 200
    assert rows(response.text) == [(f"/contacts/{ada}", "Ada Lovelace")]


def test_a_quick_filter_narrows_the_lead_list(signed_in: TestClient, container: Container) -> None:
    add(container, create_lead, {"topic": "Cold", "status": "disqualified"})
    hot = add(container, create_lead, {"topic": "Hot", "sales_ready": True})

    response = signed_in.get("/leads", params={"status": "open", "sales_ready": "true"})

    assert rows(response.text) == [(f"/leads/{hot}", "Hot")]


def test_the_generic_filter_row_filters_on_any_field(
    signed_in: TestClient, container: Container
) -> None:
    add(container, create_contact, {"first_name": "Ada", "city": "London"})
    paris = add(container, create_contact, {"first_name": "Marie", "city": "Paris"})

    response = signed_in.get(
        "/contacts", params={"f_field": "city", "f_op": "startswith", "f_value": "par"}
    )

    assert rows(response.text) == [(f"/contacts/{paris}", "Marie")]


def test_a_bad_filter_shows_the_reason_on_the_list(signed_in: TestClient) -> None:
    response = signed_in.get("/contacts", params={"f_field": "created_at", "f_value": "soon"})

    assert response.status_code == 422
    assert '<p class="alert error" role="alert">Created on must be an ISO 8601 date-time</p>' in (
        response.text
    )


def test_column_headers_toggle_the_sort(signed_in: TestClient, container: Container) -> None:
    first = add(container, create_contact, {"first_name": "Ada", "last_name": "Lovelace"})
    second = add(container, create_contact, {"first_name": "Grace", "last_name": "Hopper"})

    ascending = signed_in.get("/contacts", params={"sort": "last_name"})
    descending = signed_in.get("/contacts", params={"sort": "-last_name"})

    assert [href for href, _ in rows(ascending.text)] == [
        f"/contacts/{second}",
        f"/contacts/{first}",
    ]
    assert [href for href, _ in rows(descending.text)] == [
        f"/contacts/{first}",
        f"/contacts/{second}",
    ]
    assert '<a class="sort sorted" href="/contacts?sort=-last_name">' in ascending.text
    assert '<a class="sort sorted" href="/contacts?sort=last_name">' in descending.text


def test_next_page_follows_the_cursor(signed_in: TestClient, container: Container) -> None:
    ids = [add(container, create_contact, {"first_name": f"P{n}"}) for n in range(3)]

    first = signed_in.get("/contacts", params={"sort": "first_name", "limit": "2"})
    found = re.search(r'<a class="button" href="([^"]+)" rel="next">', first.text)
    assert found is not None
    second = signed_in.get(found.group(1).replace("&amp;", "&"))

    assert [href for href, _ in rows(first.text)] == [f"/contacts/{i}" for i in ids[:2]]
    assert rows(second.text) == [(f"/contacts/{ids[2]}", "P2")]
    assert 'rel="next"' not in second.text


def test_an_invalid_email_rerenders_the_form_beside_the_field(
    signed_in: TestClient, container: Container
) -> None:
    token = csrf_of(signed_in.get("/contacts/new").text)

    response = signed_in.post(
        "/contacts/new",
        data={"csrf_token": token, "first_name": "Ada", "email": "ada-at-example"},
        follow_redirects=False,
    )

    assert response.status_code == 422
    email = field_block(response.text, "email")
    assert 'value="ada-at-example"' in email
    assert '<p class="field-error" id="f-email-error">Email is not a valid email: ' in email
    assert 'value="Ada"' in field_block(response.text, "first_name")
    assert "field-error" not in field_block(response.text, "first_name")
    with container.read_session() as session:
        assert session.query(Contact).count() == 0


def test_creating_a_contact_redirects_to_its_page(
    signed_in: TestClient, container: Container
) -> None:
    token = csrf_of(signed_in.get("/contacts/new").text)

    response = signed_in.post(
        "/contacts/new",
        data={
            "csrf_token": token,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "Ada@Example.com",
            "role": "decision_maker",
            "marketing_only": "true",
        },
        follow_redirects=False,
    )

    with container.read_session() as session:
        [contact] = session.query(Contact).all()
    assert response.status_code == 303
    assert response.headers["location"] == f"/contacts/{contact.id}"
    assert (contact.email, contact.role, contact.marketing_only, contact.consent) == (
        "Ada@Example.com",
        "decision_maker",
        True,
        "none",
    )
    page = signed_in.get(response.headers["location"])
    assert "<h1>Ada Lovelace</h1>" in page.text


def test_a_post_without_the_csrf_token_is_refused(
    signed_in: TestClient, container: Container
) -> None:
    response = signed_in.post("/contacts/new", data={"first_name": "Ada"}, follow_redirects=False)

    assert response.status_code == 403
    assert "<code>csrf_failed</code>" in response.text
    with container.read_session() as session:
        assert session.query(Contact).count() == 0


def test_editing_sends_only_the_changed_fields(signed_in: TestClient, container: Container) -> None:
    contact_id = add(container, create_contact, {"first_name": "Ada", "phone": "+44 20 7946 0018"})
    form = signed_in.get(f"/contacts/{contact_id}/edit").text
    inputs = r'<input id="f-[a-z_]+" name="([a-z_]+)" type="[a-z-]+" value="([^"]*)"'
    values = dict(re.findall(inputs, form))

    response = signed_in.post(
        f"/contacts/{contact_id}/edit",
        data={**values, "csrf_token": csrf_of(form), "job_title": "Analyst", "consent": "none"},
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/contacts/{contact_id}"
    with container.read_session() as session:
        contact = get_contact(session, contact_id)
        assert (contact.job_title, contact.phone, contact.phone_raw) == (
            "Analyst",
            "+442079460018",
            "+44 20 7946 0018",
        )


def test_a_lead_page_shows_the_typed_phone_beside_the_e164_one_and_its_form_does_not(
    signed_in: TestClient, container: Container
) -> None:
    account = add(container, create_account, {"name": "Analytical", "country": "GB"})
    lead = add(
        container,
        create_lead,
        {"last_name": "Lovelace", "phone": "020 7946 0542", "parent_account_id": account},
    )

    html = signed_in.get(f"/leads/{lead}").text
    form = signed_in.get(f"/leads/{lead}/edit").text

    assert "<dt>Phone</dt><dd>+442079460542</dd>" in html
    assert "<dt>Phone as typed</dt><dd>020 7946 0542</dd>" in html
    assert 'name="phone"' in form
    assert 'name="phone_raw"' not in form


def test_a_contact_page_shows_its_account_leads_and_timeline(
    signed_in: TestClient, container: Container
) -> None:
    account = add(container, create_account, {"name": "Analytical Engines"})
    contact = add(container, create_contact, {"first_name": "Ada", "account_id": account})
    lead = add(container, create_lead, {"topic": "Difference engine", "parent_contact_id": contact})
    with container.uow() as uow:
        record_interaction({"contact_id": contact, "kind": "email_opened"}, uow=uow)
        uow.commit()
    container.relay.drain()

    html = signed_in.get(f"/contacts/{contact}").text

    assert f'<dd><a href="/accounts/{account}">Analytical Engines</a></dd>' in html
    assert (f"/leads/{lead}", "Difference engine") in rows(html)
    assert '<td class="text">Opened email</td>' in html


def test_a_contact_that_leads_point_to_is_deleted_by_unlinking_them(
    signed_in: TestClient, container: Container
) -> None:
    contact = add(container, create_contact, {"first_name": "Ada"})
    lead = add(container, create_lead, {"topic": "Engine", "parent_contact_id": contact})
    token = csrf_of(signed_in.get(f"/contacts/{contact}/delete").text)

    refused = signed_in.post(f"/contacts/{contact}/delete", data={"csrf_token": token})
    deleted = signed_in.post(
        f"/contacts/{contact}/delete",
        data={"csrf_token": token, "unlink_leads": "true"},
        follow_redirects=False,
    )

    assert refused.status_code == 409
    assert "1 lead(s) have this record as parent contact" in refused.text
    assert '<button type="submit" class="danger">Unlink leads and delete</button>' in refused.text
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/contacts?done=deleted"
    with container.read_session() as session:
        assert session.get(Contact, contact) is None
        assert get_lead(session, lead).parent_contact_id is None


def test_a_role_without_write_permission_sees_no_new_button(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "telemarketer")

    listing = client.get("/accounts")
    form = client.get("/accounts/new")

    assert listing.status_code == 200
    assert 'href="/accounts/new"' not in listing.text
    assert form.status_code == 403
    assert 'href="/opportunities"' not in listing.text
    assert client.get("/opportunities").status_code == 403


def test_the_contact_list_runs_the_same_queries_for_more_rows(
    signed_in: TestClient, container: Container
) -> None:
    def queries_for_list() -> int:
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(str(args[2]))

        engines = {container.engine, container.read_engine}
        for engine in engines:
            event.listen(engine, "before_cursor_execute", count)
        try:
            assert signed_in.get("/contacts").status_code == 200
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    def add_contacts(count: int) -> None:
        for n in range(count):
            account = add(container, create_account, {"name": f"Account {n}"})
            add(container, create_contact, {"first_name": f"P{n}", "account_id": account})

    add_contacts(2)
    few = queries_for_list()
    add_contacts(6)
    many = queries_for_list()

    assert many == few


def test_a_reference_filter_is_shown_with_the_record_title(
    signed_in: TestClient, container: Container
) -> None:
    contact = add(container, create_contact, {"first_name": "Ada", "last_name": "Lovelace"})
    lead = add(container, create_lead, {"topic": "Engine", "parent_contact_id": contact})
    add(container, create_lead, {"topic": "Other"})

    response = signed_in.get("/leads", params={"parent_contact_id": str(contact)})

    assert rows(response.text) == [(f"/leads/{lead}", "Engine")]
    assert (
        '<a class="chip" href="/leads" title="Remove this filter">Parent contact is Ada Lovelace'
        in (response.text)
    )


def test_custom_fields_are_in_the_form_and_on_the_page(
    signed_in: TestClient, container: Container
) -> None:
    with container.uow() as uow:
        add_custom_field(
            {"entity": "contact", "name": "tier", "type": "choice", "options": ["gold", "silver"]},
            uow=uow,
        )
        add_custom_field({"entity": "contact", "name": "seats", "type": "integer"}, uow=uow)
        uow.commit()
    container.relay.drain()
    token = csrf_of(signed_in.get("/contacts/new").text)

    refused = signed_in.post(
        "/contacts/new", data={"csrf_token": token, "first_name": "Ada", "seats": "many"}
    )
    created = signed_in.post(
        "/contacts/new",
        data={"csrf_token": token, "first_name": "Ada", "tier": "gold", "seats": "12"},
        follow_redirects=False,
    )

    assert refused.status_code == 422
    assert '<p class="field-error" id="f-seats-error">Seats must be a whole number</p>' in (
        field_block(refused.text, "seats")
    )
    assert created.status_code == 303
    with container.read_session() as session:
        [contact] = session.query(Contact).all()
        assert contact.custom == {"tier": "gold", "seats": 12}
    page = signed_in.get(created.headers["location"]).text
    assert "<h2>Custom fields</h2>" in page
    assert '<dd><span class="pill">Gold</span></dd>' in page


def test_an_unknown_record_is_a_not_found_page(signed_in: TestClient) -> None:
    missing = signed_in.get("/contacts/999")
    not_a_number = signed_in.get("/contacts/abc")

    assert missing.status_code == 404
    assert "<p>No contact with id 999</p>" in missing.text
    assert not_a_number.status_code == 404
    assert not_a_number.headers["content-type"].startswith("text/html")


def test_stored_markup_is_shown_as_text(signed_in: TestClient, container: Container) -> None:
    contact = add(
        container, create_contact, {"first_name": "<script>alert(1)</script>", "city": "x"}
    )
    account = add(container, create_account, {"name": "Evil", "website": "javascript:alert(1)"})

    contact_page = signed_in.get(f"/contacts/{contact}").text
    account_page = signed_in.get(f"/accounts/{account}").text

    assert "<script>alert(1)</script>" not in contact_page
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in contact_page
    assert 'href="https://javascript:alert(1)"' in account_page
