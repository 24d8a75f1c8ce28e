"""The imports API: upload, map, dry run, run, status, errors, undo; problem details."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from tests.integration.imports.helpers import contacts, csv_bytes

DATA = csv_bytes("Mail;Given name;Town", "ann@example.com;Ann;Oslo", "oops;Bo;Rome")


def test_upload_map_dry_run_run_errors_and_undo(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    uploaded = client.post(
        "/api/v1/imports",
        data={"entity": "contact"},
        files={"file": ("people.csv", DATA, "text/csv")},
        headers=admin,
    )
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert (body["delimiter"], body["headers"]) == (";", ["Mail", "Given name", "Town"])
    assert body["mapping"] == {
        "Mail": {"field": "email", "mode": "overwrite"},
        "Given name": {"field": "first_name", "mode": "overwrite"},
        "Town": {"field": "city", "mode": "overwrite"},
    }
    import_id = body["id"]

    mapped = client.put(
        f"/api/v1/imports/{import_id}/mapping",
        json={"mapping": {"Mail": "email", "Given name": {"field": "first_name", "mode": "fill"}}},
        headers=admin,
    )
    assert mapped.status_code == 200, mapped.text
    assert client.get(f"/api/v1/imports/{import_id}/dry-run", headers=admin).status_code == 404
    dry = client.post(f"/api/v1/imports/{import_id}/dry-run", headers=admin)
    assert dry.status_code == 202, dry.text
    assert dry.json()["kind"] == "imports.dry_run"
    job = client.get(f"/api/v1/jobs/{dry.json()['id']}", headers=admin).json()
    assert (job["status"], job["done"], job["total"]) == ("succeeded", 2, 2)
    status = client.get(f"/api/v1/imports/{import_id}", headers=admin).json()
    assert status["dry_run_job"]["status"] == "succeeded"
    preview = client.get(f"/api/v1/imports/{import_id}/dry-run", headers=admin).json()
    assert [(row["line"], row["outcome"]) for row in preview["rows"]] == [
        (2, "create"),
        (3, "error"),
    ]

    started = client.post(f"/api/v1/imports/{import_id}/run", headers=admin)
    assert started.status_code == 202, started.text
    container.relay.drain()
    status = client.get(f"/api/v1/imports/{import_id}", headers=admin).json()
    assert (status["status"], status["counts"]["create"], status["counts"]["error"]) == (
        "done",
        1,
        1,
    )
    errors = client.get(f"/api/v1/imports/{import_id}/errors", headers=admin)
    assert errors.headers["content-type"].startswith("text/csv")
    assert errors.text.splitlines() == [
        "line,column,code,message,Mail,Given name,Town",
        "3,Mail,invalid_email,Email is not a valid email: An email address must have an @-sign.,"
        "oops,Bo,Rome",
    ]
    [contact] = contacts(container)
    assert (contact.email, contact.city) == ("ann@example.com", None)

    undone = client.post(f"/api/v1/imports/{import_id}/undo", headers=admin)
    assert undone.status_code == 202, undone.text
    assert undone.json()["kind"] == "imports.undo"
    container.relay.drain()
    status = client.get(f"/api/v1/imports/{import_id}", headers=admin).json()
    assert (status["status"], status["undo_job"]["status"]) == ("undone", "succeeded")
    assert status["undo_report"] == {"deleted": 1, "restored": 0, "kept": [], "kept_count": 0}
    assert contacts(container) == []
    again = client.post(f"/api/v1/imports/{import_id}/run", headers=admin)
    assert again.status_code == 409
    assert again.json()["code"] == "import_already_run"


def test_a_mapping_to_an_unknown_field_is_a_problem_naming_the_column(
    client: TestClient, admin: dict[str, str]
) -> None:
    import_id = client.post(
        "/api/v1/imports",
        data={"entity": "contact"},
        files={"file": ("people.csv", DATA, "text/csv")},
        headers=admin,
    ).json()["id"]

    answer = client.put(
        f"/api/v1/imports/{import_id}/mapping",
        json={"mapping": {"Mail": "shoe_size"}},
        headers=admin,
    )

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert (answer.json()["code"], answer.json()["field"]) == ("unknown_field", "mapping.Mail")


def test_an_empty_file_is_refused(client: TestClient, admin: dict[str, str]) -> None:
    answer = client.post(
        "/api/v1/imports",
        data={"entity": "contact"},
        files={"file": ("empty.csv", b"", "text/csv")},
        headers=admin,
    )

    assert answer.status_code == 422
    assert answer.json()["field"] == "file"


# Who may import, pinned: the marketing roles; not sales or telemarketing.
MAY_IMPORT = {
    "admin": 200,
    "marketer": 200,
    "sales_manager": 403,
    "salesperson": 403,
    "telemarketer": 403,
}


def test_who_may_see_imports(
    client: TestClient, headers_for: Callable[[str], dict[str, str]]
) -> None:
    seen = {role: client.get("/api/v1/imports", headers=headers_for(role)).status_code
            for role in MAY_IMPORT}  # fmt: skip

    assert seen == MAY_IMPORT


def test_a_saved_mapping_is_reused_by_name(client: TestClient, admin: dict[str, str]) -> None:
    saved = client.put(
        "/api/v1/imports/mappings",
        json={
            "name": "Trade fair",
            "entity": "contact",
            "mapping": {"Mail": "email", "Town": {"field": "city", "mode": "fill"}},
        },
        headers=admin,
    )
    assert saved.status_code == 200, saved.text

    uploaded = client.post(
        "/api/v1/imports",
        data={"entity": "contact", "mapping_name": "Trade fair"},
        files={"file": ("people.csv", DATA, "text/csv")},
        headers=admin,
    )

    assert uploaded.json()["mapping"] == {
        "Mail": {"field": "email", "mode": "overwrite"},
        "Town": {"field": "city", "mode": "fill"},
    }
    missing = client.post(
        "/api/v1/imports",
        data={"entity": "contact", "mapping_name": "Nope"},
        files={"file": ("people.csv", DATA, "text/csv")},
        headers=admin,
    )
    assert (missing.status_code, missing.json()["field"]) == (422, "mapping_name")
