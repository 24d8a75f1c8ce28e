"""The record APIs: create, read, change, list with filters, sort, search and paging."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact
from leadflow.leads.services import create_lead


def _seed_leads(container: Container, count: int) -> list[int]:
    ids: list[int] = []
    with container.uow() as uow:
        for index in range(count):
            lead = create_lead(
                {
                    "topic": "Contoso Ltd Conference" if index % 2 else "Spring webinar",
                    "first_name": f"Person{index:02d}",
                    "last_name": "Smith" if index % 3 == 0 else "Jones",
                    "email": f"p{index}@example.com",
                    "status": "disqualified" if index % 5 == 0 else "open",
                },
                uow=uow,
            )
            ids.append(lead.id)
        uow.commit()
    return ids


def test_create_then_read_returns_the_same_record(
    client: TestClient, admin: dict[str, str]
) -> None:
    created = client.post(
        "/api/v1/accounts",
        json={
            "name": "Fabrikam",
            "website": "https://www.fabrikam.example/about",
            "employee_count": 250,
        },
        headers=admin,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["domain"] == "fabrikam.example"
    assert created.headers["location"] == f"/api/v1/accounts/{body['id']}"
    read = client.get(f"/api/v1/accounts/{body['id']}", headers=admin)
    assert read.json() == body


def test_patch_changes_only_what_is_sent(client: TestClient, admin: dict[str, str]) -> None:
    contact = client.post(
        "/api/v1/contacts", json={"email": "x@example.com", "first_name": "X"}, headers=admin
    ).json()
    changed = client.patch(
        f"/api/v1/contacts/{contact['id']}", json={"job_title": "CTO"}, headers=admin
    )
    assert changed.status_code == 200
    assert (changed.json()["job_title"], changed.json()["first_name"]) == ("CTO", "X")


def test_cursor_paging_walks_every_row_once_in_order(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    ids = _seed_leads(container, 23)
    seen: list[int] = []
    url = "/api/v1/leads?sort=-created_at&limit=10"
    pages = 0
    while url:
        page = client.get(url, headers=admin).json()
        seen.extend(item["id"] for item in page["items"])
        pages += 1
        url = (
            f"/api/v1/leads?sort=-created_at&limit=10&cursor={page['next_cursor']}"
            if page["next_cursor"]
            else ""
        )
    assert pages == 3
    assert seen == sorted(ids, reverse=True)


def test_paging_on_a_nullable_field_keeps_nulls_last(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    with container.uow() as uow:
        for title in ["b", None, "a", None, "c"]:
            create_contact({"job_title": title}, uow=uow)
        uow.commit()
    titles: list[str | None] = []
    cursor = ""
    while True:
        page = client.get(f"/api/v1/contacts?sort=job_title&limit=2{cursor}", headers=admin).json()
        titles.extend(item["job_title"] for item in page["items"])
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert titles == ["a", "b", "c", None, None]


def test_filters_combine(client: TestClient, admin: dict[str, str], container: Container) -> None:
    _seed_leads(container, 20)
    page = client.get(
        "/api/v1/leads?status=open&last_name=Smith&topic__contains=contoso&limit=50",
        headers=admin,
    ).json()
    names = sorted(item["first_name"] for item in page["items"])
    assert names == ["Person03", "Person09"]


def test_date_range_filter(client: TestClient, admin: dict[str, str], container: Container) -> None:
    _seed_leads(container, 3)
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    params = {"created_at__gte": future}
    assert client.get("/api/v1/leads", params=params, headers=admin).json()["items"] == []
    params = {"created_at__lt": future}
    assert len(client.get("/api/v1/leads", params=params, headers=admin).json()["items"]) == 3


def test_search_by_email_name_and_full_name(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    with container.uow() as uow:
        ada = create_contact(
            {"email": "ada@analytical.example", "first_name": "Ada", "last_name": "Lovelace"},
            uow=uow,
        )
        create_contact(
            {
                "email": "charles@analytical.example",
                "first_name": "Charles",
                "last_name": "Babbage",
            },
            uow=uow,
        )
        uow.commit()

    def found(query: str) -> list[int]:
        response = client.get("/api/v1/contacts", params={"q": query}, headers=admin)
        return [item["id"] for item in response.json()["items"]]

    assert found("ADA@analytical.example") == [ada.id]
    assert found("love") == [ada.id]
    assert found("ada lovelace") == [ada.id]
    assert found("nobody") == []


def test_custom_fields_through_the_api(client: TestClient, admin: dict[str, str]) -> None:
    field = client.post(
        "/api/v1/fields",
        json={"entity": "contact", "name": "tshirt_size", "type": "choice", "options": ["S", "M"]},
        headers=admin,
    )
    assert field.status_code == 201
    contact = client.post(
        "/api/v1/contacts",
        json={"email": "t@example.com", "custom": {"tshirt_size": "M"}},
        headers=admin,
    ).json()
    assert contact["custom"] == {"tshirt_size": "M"}
    wrong = client.post("/api/v1/contacts", json={"custom": {"tshirt_size": "XXL"}}, headers=admin)
    assert (wrong.status_code, wrong.json()["field"]) == (422, "tshirt_size")
    listed = client.get("/api/v1/contacts?tshirt_size=M", headers=admin).json()["items"]
    assert [item["id"] for item in listed] == [contact["id"]]
    fields = client.get("/api/v1/fields/contact", headers=admin).json()["items"]
    [custom] = [item for item in fields if item["custom"]]
    assert custom["name"] == "tshirt_size"


def test_the_registry_lists_entities_and_relationships(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = client.get("/api/v1/fields", headers=admin).json()
    names = {rel["name"] for rel in body["relationships"]}
    assert {
        "lead_parent_contact",
        "lead_parent_account",
        "contact_account",
        "opportunity_contact",
        "opportunity_account",
        "opportunity_originating_lead",
        "interaction_contact",
    } <= names


def test_a_batch_of_ten_thousand_interactions_lands_in_one_call(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    with container.uow() as uow:
        contact = create_contact({"email": "busy@example.com"}, uow=uow)
        uow.commit()
    items = [
        {"contact_id": contact.id, "kind": "email_opened", "target_id": f"mail-{index % 7}"}
        for index in range(10_000)
    ]
    response = client.post("/api/v1/interactions/batch", json={"items": items}, headers=admin)
    assert response.status_code == 201
    assert response.json()["count"] == 10_000
    too_many = client.post(
        "/api/v1/interactions/batch", json={"items": items + items[:1]}, headers=admin
    )
    assert too_many.status_code == 422
    page = client.get(
        f"/api/v1/interactions?contact_id={contact.id}&target_id=mail-3&limit=200", headers=admin
    ).json()
    assert len(page["items"]) == 200
    assert page["next_cursor"] is not None


def test_user_and_token_management(client: TestClient, admin: dict[str, str]) -> None:
    user = client.post(
        "/api/v1/users",
        json={"email": "tm@example.com", "name": "Tele Marketer", "role": "telemarketer"},
        headers=admin,
    )
    assert user.status_code == 201
    token = client.post(
        f"/api/v1/users/{user.json()['id']}/tokens", json={"name": "dialer"}, headers=admin
    ).json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert (me["email"], me["role"], me["via"]) == ("tm@example.com", "telemarketer", "token")
    duplicate = client.post(
        "/api/v1/users",
        json={"email": "TM@example.com", "name": "Again", "role": "telemarketer"},
        headers=admin,
    )
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "duplicate")


def test_a_lead_page_costs_the_same_few_queries_for_50_rows_as_for_1(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    from tests.support.queries import count_queries

    _seed_leads(container, 60)
    client.get("/api/v1/leads?limit=1", headers=admin)  # warm the registry cache
    engines = (container.engine, container.read_engine)
    with count_queries(*engines) as one:
        client.get("/api/v1/leads?status=open&limit=1", headers=admin)
    with count_queries(*engines) as fifty:
        page = client.get("/api/v1/leads?status=open&limit=50", headers=admin).json()
    assert len(page["items"]) == 48
    assert len(fifty) == len(one) <= 3


def test_search_pages_through_exact_and_longer_matches_in_order(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    expected: list[int] = []
    with container.uow() as uow:
        for index in range(30):
            last = ("Smith", "Smithson", "SMITH", "Jones")[index % 4]
            lead = create_lead({"topic": "t", "first_name": "Sam", "last_name": last}, uow=uow)
            if last != "Jones":
                expected.append(lead.id)
        uow.commit()
    seen: list[int] = []
    cursor = ""
    while True:
        page = client.get(f"/api/v1/leads?q=smith&limit=7{cursor}", headers=admin).json()
        seen.extend(item["id"] for item in page["items"])
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == sorted(expected, reverse=True)
    only_exact = client.get("/api/v1/leads?q=sam smith&limit=50", headers=admin).json()
    assert len(only_exact["items"]) == len(expected)
