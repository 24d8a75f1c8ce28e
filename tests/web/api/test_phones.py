"""Phones through the API: the default-region org setting, records keeping what was typed
beside the E.164 number, and matching across formats in manual creates."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact
from leadflow.matching.services import create_strategy

URL = "/api/v1/org-settings/phones.default_region"
NATIONAL = "020 7946 0542"
INTERNATIONAL = "+44 20 7946 0542"
E164 = "+442079460542"


def _set_region(client: TestClient, admin: dict[str, str], value: str | None) -> None:
    response = client.put(URL, json={"value": value}, headers=admin)
    assert response.status_code == 200, response.json()


def test_the_default_region_is_listed_and_changed(
    client: TestClient, admin: dict[str, str]
) -> None:
    [listed] = client.get("/api/v1/org-settings", headers=admin).json()["items"]

    changed = client.put(URL, json={"value": " gb "}, headers=admin)

    assert {k: listed[k] for k in ("key", "label", "default", "value")} == {
        "key": "phones.default_region",
        "label": "Default phone region",
        "default": None,
        "value": None,
    }
    assert changed.status_code == 200
    assert changed.json()["value"] == "GB"
    assert client.get(URL, headers=admin).json()["value"] == "GB"


def test_a_region_phonenumbers_does_not_know_is_a_422_naming_the_value(
    client: TestClient, admin: dict[str, str]
) -> None:
    _set_region(client, admin, "GB")

    response = client.put(URL, json={"value": "ZZ"}, headers=admin)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem["field"]) == ("switch_value_invalid", "value")
    assert problem["detail"] == (
        "'ZZ' is not a region code phonenumbers knows: give an ISO 3166 alpha-2 code "
        "such as GB, US or DE"
    )
    assert client.get(URL, headers=admin).json()["value"] == "GB"


def test_null_clears_the_region(client: TestClient, admin: dict[str, str]) -> None:
    _set_region(client, admin, "GB")

    response = client.put(URL, json={"value": None}, headers=admin)

    assert (response.status_code, response.json()["value"]) == (200, None)


def test_an_unknown_setting_is_a_404(client: TestClient, admin: dict[str, str]) -> None:
    response = client.put("/api/v1/org-settings/nope", json={"value": "GB"}, headers=admin)

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_reading_needs_automation_read_and_changing_automation_admin(
    client: TestClient, headers_for: Callable[[str], dict[str, str]]
) -> None:
    manager = headers_for("sales_manager")
    seller = headers_for("salesperson")

    assert client.get(URL, headers=manager).status_code == 200
    assert client.put(URL, json={"value": "GB"}, headers=manager).status_code == 403
    assert client.get(URL, headers=seller).status_code == 403


def test_a_lead_and_a_contact_show_the_typed_phone_beside_the_e164_one(
    client: TestClient, admin: dict[str, str]
) -> None:
    _set_region(client, admin, "GB")

    lead = client.post(
        "/api/v1/leads", json={"last_name": "Lovelace", "phone": NATIONAL}, headers=admin
    )
    contact = client.post(
        "/api/v1/contacts", json={"last_name": "Lovelace", "phone": NATIONAL}, headers=admin
    )

    assert lead.status_code == 201 and contact.status_code == 201
    assert (lead.json()["phone"], lead.json()["phone_raw"]) == (E164, NATIONAL)
    assert (contact.json()["phone"], contact.json()["phone_raw"]) == (E164, NATIONAL)


def test_a_patched_phone_is_normalised_and_the_typed_one_is_read_only(
    client: TestClient, admin: dict[str, str]
) -> None:
    _set_region(client, admin, "GB")
    lead_id = client.post("/api/v1/leads", json={"last_name": "Lovelace"}, headers=admin).json()[
        "id"
    ]

    patched = client.patch(f"/api/v1/leads/{lead_id}", json={"phone": NATIONAL}, headers=admin)
    refused = client.patch(f"/api/v1/leads/{lead_id}", json={"phone_raw": "x"}, headers=admin)
    created_at = client.patch(f"/api/v1/leads/{lead_id}", json={"created_at": "x"}, headers=admin)

    assert (patched.json()["phone"], patched.json()["phone_raw"]) == (E164, NATIONAL)
    assert refused.status_code == 422
    # As every read-only field: not part of the write schema.
    assert (refused.json()["code"], refused.json()["field"]) == ("unknown_field", "phone_raw")
    assert (created_at.status_code, created_at.json()["code"]) == (422, "unknown_field")


def test_the_field_registry_lists_the_typed_phone_as_read_only(
    client: TestClient, admin: dict[str, str]
) -> None:
    for entity in ("contact", "lead"):
        fields = client.get(f"/api/v1/fields/{entity}", headers=admin).json()["items"]
        [raw] = [item for item in fields if item["name"] == "phone_raw"]
        assert (raw["label"], raw["type"], raw["writable"], raw["importable"]) == (
            "Phone as typed",
            "text",
            False,
            False,
        )


def test_a_lead_made_with_a_contact_links_the_contact_with_the_number_in_either_format(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    _set_region(client, admin, "GB")
    with container.uow() as uow:
        create_strategy(
            {"name": "Phone", "target": "contact", "fields": ["phone"], "is_default": True},
            uow=uow,
        )
        existing = create_contact({"last_name": "Lovelace", "phone": INTERNATIONAL}, uow=uow)
        uow.commit()

    response = client.post(
        "/api/v1/leads/with-contact",
        json={"last_name": "Lovelace", "topic": "Engines", "phone": NATIONAL},
        headers=admin,
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["contact_created"], body["parent_contact_id"]) == (False, existing.id)
    assert (body["phone"], body["phone_raw"]) == (E164, NATIONAL)
