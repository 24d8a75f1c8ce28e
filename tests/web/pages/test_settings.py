"""The settings pages: custom fields, users and API tokens, through forms as browsers send them."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.registry.models import CustomField
from leadflow.registry.services import add_custom_field
from leadflow.users.domain import Role
from leadflow.users.models import ApiToken, User
from leadflow.users.services import Principal, create_user
from leadflow.web.pages.render import settings_navigation
from tests.web.pages.test_pages import csrf_of, field_block, log_in

NEW_TOKEN = re.compile(r'<input id="new-token" class="token-value" type="text" value="([^"]+)"')


@pytest.fixture
def as_admin(client: TestClient, container: Container) -> Iterator[TestClient]:
    log_in(client, container, "admin")
    yield client


def options_of(html: str) -> list[str]:
    return re.findall(r'<option value="([^"]*)"', html)


def add_user(
    container: Container, email: str = "grace@example.com", role: str = "salesperson"
) -> int:
    with container.uow() as uow:
        user = create_user(email=email, name="Grace Hopper", role=role, uow=uow)
        uow.commit()
        return user.id


def issue_token(client: TestClient, user_id: int, name: str, role: str = "") -> str:
    page = client.get(f"/settings/users/{user_id}").text
    response = client.post(
        f"/settings/users/{user_id}/tokens",
        data={"csrf_token": csrf_of(page), "token_name": name, "token_role": role},
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    found = NEW_TOKEN.search(response.text)
    assert found is not None, "the new token is not on the page"
    return found.group(1)


def test_an_admin_adds_a_choice_field_that_contact_forms_and_the_api_then_have(
    as_admin: TestClient, admin: dict[str, str]
) -> None:
    token = csrf_of(as_admin.get("/settings/fields").text)

    response = as_admin.post(
        "/settings/fields",
        data={
            "csrf_token": token,
            "entity": "contact",
            "name": "tier",
            "label": "Customer tier",
            "type": "choice",
            "options": "gold\nsilver, bronze",
            "filterable": "true",
        },
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/settings/fields?added=contact.tier#entity-contact"
    settings = as_admin.get(response.headers["location"]).text
    assert (
        '<p class="alert notice" role="status">Added the custom field “tier” to contacts.</p>'
        in (settings)
    )
    tier = field_block(as_admin.get("/contacts/new").text, "tier")
    assert '<label for="f-tier">Customer tier</label>' in tier
    assert options_of(tier) == ["", "gold", "silver", "bronze"]
    fields = as_admin.get("/api/v1/fields/contact", headers=admin).json()["items"]
    [public] = [item for item in fields if item["name"] == "tier"]
    assert public == {
        "entity": "contact",
        "name": "tier",
        "label": "Customer tier",
        "type": "choice",
        "options": ["gold", "silver", "bronze"],
        "matchable": False,
        "filterable": True,
        "scorable": False,
        "importable": False,
        "writable": True,
        "required": False,
        "nullable": True,
        "custom": True,
        "reference": None,
    }


def test_a_bad_field_name_is_shown_beside_the_name_with_the_typed_values(
    as_admin: TestClient, container: Container
) -> None:
    token = csrf_of(as_admin.get("/settings/fields").text)

    response = as_admin.post(
        "/settings/fields",
        data={
            "csrf_token": token,
            "entity": "lead",
            "name": "9 Lives",
            "label": "Lives",
            "type": "integer",
            "scorable": "true",
        },
    )

    assert response.status_code == 422
    name = field_block(response.text, "name")
    assert 'value="9 Lives"' in name
    assert (
        '<p class="field-error" id="f-name-error">'
        "Name must start with a letter and hold only a-z, 0-9 and _</p>"
    ) in name
    assert 'value="Lives"' in field_block(response.text, "label")
    assert "field-error" not in field_block(response.text, "label")
    assert '<option value="lead" selected>' in field_block(response.text, "entity")
    assert '<option value="integer" selected>' in field_block(response.text, "type")
    assert 'name="scorable" value="true" checked' in field_block(response.text, "scorable")
    assert " checked" not in field_block(response.text, "filterable")
    with container.read_session() as session:
        assert session.scalars(select(CustomField)).all() == []


def test_a_marketer_sees_the_fields_read_only_and_may_not_add_one(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "marketer")

    page = client.get("/settings/fields")
    refused = client.post(
        "/settings/fields",
        data={"csrf_token": csrf_of(page.text), "entity": "contact", "name": "tier"},
    )

    assert page.status_code == 200
    assert '<tr id="field-row-contact-email">' in page.text
    assert "Add custom field" not in page.text
    assert 'method="post" action="/settings/fields' not in page.text
    assert "Remove</a>" not in page.text
    assert refused.status_code == 403
    assert "<code>forbidden</code>" in refused.text
    with container.read_session() as session:
        assert session.scalars(select(CustomField)).all() == []


def test_removing_a_custom_field_takes_it_out_of_the_registry(
    as_admin: TestClient, container: Container, admin: dict[str, str]
) -> None:
    with container.uow() as uow:
        add_custom_field({"entity": "contact", "name": "tier", "type": "text"}, uow=uow)
        uow.commit()
    container.relay.drain()
    listing = as_admin.get("/settings/fields").text
    assert 'href="/settings/fields/contact/tier/remove">Remove</a>' in listing
    confirm = as_admin.get("/settings/fields/contact/tier/remove")

    response = as_admin.post(
        "/settings/fields/contact/tier/remove",
        data={"csrf_token": csrf_of(confirm.text)},
        follow_redirects=False,
    )

    assert confirm.status_code == 200
    assert "<h1>Remove the custom field “Tier”?</h1>" in confirm.text
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/fields?removed=contact.tier#entity-contact"
    assert container.registry().has_field("contact", "tier") is False
    names = [
        item["name"]
        for item in as_admin.get("/api/v1/fields/contact", headers=admin).json()["items"]
    ]
    assert "tier" not in names
    assert 'id="field-tier"' not in as_admin.get("/contacts/new").text


def test_a_built_in_field_has_no_remove_page(as_admin: TestClient) -> None:
    response = as_admin.get("/settings/fields/contact/email/remove")

    assert response.status_code == 404
    assert "<p>No custom field email on contact</p>" in response.text


def test_an_admin_adds_a_user_through_the_form(as_admin: TestClient, container: Container) -> None:
    token = csrf_of(as_admin.get("/settings/users").text)

    response = as_admin.post(
        "/settings/users",
        data={
            "csrf_token": token,
            "email": "Grace@Example.com",
            "name": "Grace Hopper",
            "role": "sales_manager",
            "password": "",
            "capacity": "25",
        },
        follow_redirects=False,
    )

    with container.read_session() as session:
        user = session.scalars(select(User).where(User.name == "Grace Hopper")).one()
        row = (user.email, user.role, user.capacity, user.is_active, user.password_hash)
    assert response.status_code == 303
    assert response.headers["location"] == f"/settings/users/{user.id}?notice=created"
    assert row == ("grace@example.com", "sales_manager", 25, True, None)
    page = as_admin.get(response.headers["location"]).text
    assert "<h1>Grace Hopper</h1>" in page
    assert "User added. Issue an API token below if they need one." in page


def test_a_bad_user_email_is_shown_beside_the_email_with_the_typed_values(
    as_admin: TestClient, container: Container
) -> None:
    token = csrf_of(as_admin.get("/settings/users").text)

    response = as_admin.post(
        "/settings/users",
        data={
            "csrf_token": token,
            "email": "grace-at-example",
            "name": "Grace Hopper",
            "role": "marketer",
            "password": "secret-enough",
            "capacity": "3",
        },
    )

    assert response.status_code == 422
    email = field_block(response.text, "email")
    assert 'value="grace-at-example"' in email
    assert '<p class="field-error" id="f-email-error">' in email
    assert '<option value="marketer" selected>' in field_block(response.text, "role")
    assert 'value="3"' in field_block(response.text, "capacity")
    assert 'value=""' in field_block(response.text, "password")
    with container.read_session() as session:
        assert session.scalars(select(User.name)).all() == ["Test admin"]


def test_a_capacity_that_is_not_a_number_is_refused_beside_it(as_admin: TestClient) -> None:
    token = csrf_of(as_admin.get("/settings/users").text)

    response = as_admin.post(
        "/settings/users",
        data={
            "csrf_token": token,
            "email": "grace@example.com",
            "name": "Grace Hopper",
            "role": "marketer",
            "capacity": "lots",
        },
    )

    assert response.status_code == 422
    assert '<p class="field-error" id="f-capacity-error">Capacity must be a whole number</p>' in (
        field_block(response.text, "capacity")
    )


def test_an_admin_changes_a_users_role_capacity_and_activity(
    as_admin: TestClient, container: Container
) -> None:
    user_id = add_user(container)
    token = csrf_of(as_admin.get(f"/settings/users/{user_id}").text)

    response = as_admin.post(
        f"/settings/users/{user_id}",
        data={
            "csrf_token": token,
            "name": "Grace B. Hopper",
            "role": "marketer",
            "capacity": "7",
            "password": "",
        },
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/settings/users/{user_id}?notice=saved"
    with container.read_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        assert (user.name, user.role, user.capacity, user.is_active) == (
            "Grace B. Hopper",
            "marketer",
            7,
            False,
        )


def test_a_token_issued_on_the_user_page_works_and_is_shown_once(
    as_admin: TestClient, container: Container
) -> None:
    # A sales manager's token may carry the narrower telemarketer role.
    user_id = add_user(container, role="sales_manager")

    secret = issue_token(as_admin, user_id, "CRM sync", "telemarketer")

    me = as_admin.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    assert me.json() == {
        "id": user_id,
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "role": "telemarketer",
        "via": "token",
    }
    with container.read_session() as session:
        [token] = session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)).all()
        assert (token.name, token.role, token.prefix) == ("CRM sync", "telemarketer", secret[:10])
    again = as_admin.get(f"/settings/users/{user_id}").text
    assert secret not in again
    assert f"<code>{secret[:10]}…</code>" in again


def test_a_revoked_token_is_refused(as_admin: TestClient, container: Container) -> None:
    user_id = add_user(container)
    secret = issue_token(as_admin, user_id, "CRM sync")
    with container.read_session() as session:
        token_id = session.scalars(select(ApiToken.id).where(ApiToken.user_id == user_id)).one()
    page = as_admin.get(f"/settings/users/{user_id}").text
    assert f'href="/settings/users/{user_id}/tokens/{token_id}/revoke">Revoke</a>' in page
    confirm = as_admin.get(f"/settings/users/{user_id}/tokens/{token_id}/revoke")

    response = as_admin.post(
        f"/settings/users/{user_id}/tokens/{token_id}/revoke",
        data={"csrf_token": csrf_of(confirm.text)},
        follow_redirects=False,
    )

    assert "<h1>Revoke the token “CRM sync”?</h1>" in confirm.text
    assert response.status_code == 303
    assert response.headers["location"] == f"/settings/users/{user_id}?notice=revoked"
    me = as_admin.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 401
    assert me.json()["code"] == "unauthenticated"


def test_a_token_role_wider_than_the_users_is_refused_beside_the_role(
    as_admin: TestClient, container: Container
) -> None:
    user_id = add_user(container)
    page = as_admin.get(f"/settings/users/{user_id}").text

    response = as_admin.post(
        f"/settings/users/{user_id}/tokens",
        data={"csrf_token": csrf_of(page), "token_name": "Root", "token_role": "admin"},
    )

    # A telemarketer reads marketing-only contacts, a salesperson does not: not narrower.
    assert options_of(field_block(page, "token_role")) == ["", "salesperson"]
    assert response.status_code == 422
    assert (
        '<p class="field-error" id="f-token_role-error">'
        "A token of this salesperson cannot carry the admin role: "
        "it would allow more than the user may</p>"
    ) in field_block(response.text, "token_role")
    assert NEW_TOKEN.search(response.text) is None


def test_a_sales_manager_sees_the_users_but_may_not_add_one(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "sales_manager")

    page = client.get("/settings/users")
    refused = client.post(
        "/settings/users",
        data={
            "csrf_token": csrf_of(page.text),
            "email": "grace@example.com",
            "name": "Grace Hopper",
            "role": "admin",
        },
    )

    assert page.status_code == 200
    assert re.findall(
        r'<td class="title"><a href="/settings/users/\d+">([^<]*)</a>', page.text
    ) == ["Test sales_manager"]
    assert "Add user" not in page.text
    assert refused.status_code == 403
    assert "<code>forbidden</code>" in refused.text
    with container.read_session() as session:
        assert session.scalars(select(User.name)).all() == ["Test sales_manager"]


def test_the_settings_link_opens_the_first_section_the_role_may_see(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "marketer")

    home = client.get("/").text
    response = client.get("/settings", follow_redirects=False)
    users = client.get("/settings/users")

    assert '<a class="settings-link" href="/settings">Settings</a>' in home
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/fields"
    assert users.status_code == 403


@pytest.mark.parametrize(
    ("role", "sections"),
    [
        (
            Role.ADMIN,
            [
                "/settings/fields",
                "/settings/users",
                "/settings/matching",
                "/settings/linkedin",
                "/settings/process",
                "/settings/automation",
                "/settings/org",
                "/settings/events",
            ],
        ),
        (
            Role.SALES_MANAGER,
            ["/settings/fields", "/settings/users", "/settings/automation", "/settings/org"],
        ),
        (
            Role.MARKETER,
            [
                "/settings/fields",
                "/settings/matching",
                "/settings/linkedin",
                "/settings/automation",
                "/settings/org",
            ],
        ),
        (Role.TELEMARKETER, ["/settings/fields"]),
    ],
)
def test_settings_sections_follow_the_role(role: Role, sections: list[str]) -> None:
    principal = Principal(1, "Someone", "someone@example.com", role, "session")

    assert [path for path, _ in settings_navigation(principal)] == sections
    assert settings_navigation(None) == []


REGION = "phones.default_region"


def test_an_admin_sets_the_default_phone_region_and_leads_then_read_numbers_in_it(
    as_admin: TestClient, admin: dict[str, str]
) -> None:
    page = as_admin.get("/settings/org").text
    region = field_block(page, REGION)
    assert '<label for="f-phones.default_region">Default phone region</label>' in region
    assert 'list="phones.default_region-options"' in region
    assert '<option value="GB">United Kingdom</option>' in page

    response = as_admin.post(
        "/settings/org",
        data={"csrf_token": csrf_of(page), REGION: "gb"},
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/settings/org?notice=saved#org-settings"
    saved = as_admin.get(response.headers["location"]).text
    assert '<p class="alert notice" role="status">Settings saved.</p>' in saved
    assert 'name="phones.default_region" type="text" value="GB"' in saved
    lead = as_admin.post(
        "/api/v1/leads", json={"last_name": "Lovelace", "phone": "020 7946 0542"}, headers=admin
    ).json()
    assert (lead["phone"], lead["phone_raw"]) == ("+442079460542", "020 7946 0542")


def test_an_unknown_region_is_refused_beside_the_input_and_nothing_is_saved(
    as_admin: TestClient, container: Container
) -> None:
    from leadflow.switches.services import setting_value

    page = as_admin.get("/settings/org").text

    response = as_admin.post("/settings/org", data={"csrf_token": csrf_of(page), REGION: "Narnia"})

    assert response.status_code == 422
    region = field_block(response.text, REGION)
    assert 'value="Narnia"' in region
    assert (
        '<p class="field-error" id="f-phones.default_region-error">&#39;Narnia&#39; is not a '
        "region code phonenumbers knows: give an ISO 3166 alpha-2 code such as GB, US or DE</p>"
    ) in region
    with container.read_session() as session:
        assert setting_value(session, REGION) is None


def test_a_sales_manager_sees_the_region_but_cannot_change_it(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "sales_manager")

    page = client.get("/settings/org")
    response = client.post("/settings/org", data={"csrf_token": csrf_of(page.text), REGION: "GB"})

    assert page.status_code == 200
    assert "<dt>Default phone region</dt>" in page.text
    assert 'action="/settings/org' not in page.text
    assert response.status_code == 403
