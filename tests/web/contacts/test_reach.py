"""Marketing-only contacts are out of a salesperson's reach, by permission, on every face,
unless a lead the salesperson owns links to them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact
from leadflow.leads.services import create_lead
from leadflow.users.domain import Permission, Role, role_allows
from tests.support.factories import PASSWORD, user_with_token

Headers = Callable[[str], dict[str, str]]


def add_contact(container: Container, last_name: str, marketing_only: bool) -> int:
    with container.uow() as uow:
        row = create_contact(
            {
                "last_name": last_name,
                "email": f"{last_name.lower()}@example.test",
                "marketing_only": marketing_only,
            },
            uow=uow,
        )
        uow.commit()
    container.relay.drain()
    return row.id


def add_lead(container: Container, contact_id: int, owner_id: int | None) -> int:
    with container.uow() as uow:
        row = create_lead(
            {"last_name": "Lead", "parent_contact_id": contact_id, "owner_id": owner_id}, uow=uow
        )
        uow.commit()
    container.relay.drain()
    return row.id


def test_the_policy_only_salespeople_lack_the_marketing_only_permission() -> None:
    allowed = {role for role in Role if role_allows(role, Permission.CONTACTS_READ_MARKETING_ONLY)}
    assert allowed == {Role.ADMIN, Role.MARKETER, Role.TELEMARKETER, Role.SALES_MANAGER}


@pytest.fixture
def people(container: Container) -> dict[str, int]:
    seller_id, _, _ = user_with_token(container, "salesperson")
    other_seller, _, _ = user_with_token(container, "salesperson")
    hidden = add_contact(container, "Hidden", marketing_only=True)
    mine = add_contact(container, "Mine", marketing_only=True)
    theirs = add_contact(container, "Theirs", marketing_only=True)
    plain = add_contact(container, "Plain", marketing_only=False)
    add_lead(container, mine, seller_id)
    add_lead(container, theirs, other_seller)
    return {"hidden": hidden, "mine": mine, "theirs": theirs, "plain": plain, "seller": seller_id}


def test_the_api_lists_and_searches_only_reachable_contacts(
    client: TestClient, container: Container, people: dict[str, int], headers_for: Headers
) -> None:
    seller = headers_for("salesperson")
    # A fresh salesperson owns no lead: only the plain contact.
    listed = client.get("/api/v1/contacts?limit=50", headers=seller).json()["items"]
    assert [item["last_name"] for item in listed] == ["Plain"]
    manager = client.get("/api/v1/contacts?limit=50", headers=headers_for("sales_manager"))
    assert sorted(item["last_name"] for item in manager.json()["items"]) == [
        "Hidden",
        "Mine",
        "Plain",
        "Theirs",
    ]
    searched = client.get("/api/v1/contacts?q=hid", headers=seller).json()["items"]
    assert searched == []
    assert [
        item["last_name"]
        for item in client.get("/api/v1/contacts?q=hid", headers=headers_for("marketer")).json()[
            "items"
        ]
    ] == ["Hidden"]


def test_a_salesperson_reaches_a_marketing_only_contact_through_an_own_lead(
    client: TestClient, container: Container, people: dict[str, int]
) -> None:
    with container.uow() as uow:
        from leadflow.users.services import create_token

        _, token = create_token(people["seller"], name="t", uow=uow)
        uow.commit()
    seller = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/contacts?limit=50", headers=seller).json()["items"]
    assert sorted(item["last_name"] for item in listed) == ["Mine", "Plain"]
    assert client.get(f"/api/v1/contacts/{people['mine']}", headers=seller).status_code == 200
    hidden = client.get(f"/api/v1/contacts/{people['hidden']}", headers=seller)
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "not_found"
    assert client.get(f"/api/v1/contacts/{people['theirs']}", headers=seller).status_code == 404
    assert (
        client.patch(
            f"/api/v1/contacts/{people['hidden']}", json={"first_name": "X"}, headers=seller
        ).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/contacts/{people['hidden']}/interactions", headers=seller).status_code
        == 404
    )


def test_the_pages_hide_and_refuse_marketing_only_contacts(
    client: TestClient, container: Container, people: dict[str, int]
) -> None:
    _, email, _ = user_with_token(container, "salesperson")
    client.post("/login", data={"email": email, "password": PASSWORD})
    listing = client.get("/contacts?view=all").text
    assert "Plain" in listing
    assert "Hidden" not in listing
    assert client.get(f"/contacts/{people['plain']}").status_code == 200
    assert client.get(f"/contacts/{people['hidden']}").status_code == 404
    assert client.get(f"/contacts/{people['hidden']}/edit").status_code == 404


def test_the_lead_form_offers_only_reachable_contacts_but_keeps_the_linked_one(
    client: TestClient, container: Container, people: dict[str, int]
) -> None:
    lead_id = add_lead(container, people["theirs"], None)
    _, email, _ = user_with_token(container, "salesperson")
    client.post("/login", data={"email": email, "password": PASSWORD})
    page = client.get(f"/leads/{lead_id}/edit").text
    start = page.index('id="field-parent_contact_id"')
    form = page[start : page.index('<div class="field', start + 1)]
    assert f'value="{people["plain"]}"' in form
    assert f'value="{people["hidden"]}"' not in form
    assert "Theirs" not in form
    assert f'<option value="{people["theirs"]}" selected' in form


def test_the_interactions_of_a_hidden_contact_are_out_of_reach(
    client: TestClient, container: Container, people: dict[str, int], headers_for: Headers
) -> None:
    from leadflow.interactions.services import record_interaction

    with container.uow() as uow:
        hidden = record_interaction(
            {"contact_id": people["hidden"], "kind": "email_opened"}, uow=uow
        ).interaction_id
        shown = record_interaction(
            {"contact_id": people["plain"], "kind": "email_opened"}, uow=uow
        ).interaction_id
        uow.commit()
    seller = headers_for("salesperson")
    listed = client.get("/api/v1/interactions", headers=seller).json()["items"]
    assert [item["id"] for item in listed] == [shown]
    assert client.get(f"/api/v1/interactions/{shown}", headers=seller).status_code == 200
    refused = client.get(f"/api/v1/interactions/{hidden}", headers=seller)
    assert refused.status_code == 404
    marketer = client.get("/api/v1/interactions", headers=headers_for("marketer")).json()
    assert sorted(item["id"] for item in marketer["items"]) == sorted([hidden, shown])
