"""A body over the route's limit is 413 `body_too_large`, with or without Content-Length."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
from fastapi.testclient import TestClient

MIB = 1024 * 1024


def _chunked_json(size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """A JSON object of about `size` bytes, sent in pieces with no Content-Length."""
    yield b'{"email": "a@example.com", "notes": "'
    for _ in range(size // chunk):
        yield b"x" * chunk
    yield b'"}'


def _form(client: TestClient, admin: dict[str, str]) -> int:
    response = client.post("/api/v1/forms", json={"name": "W", "slug": "w"}, headers=admin)
    form_id: int = response.json()["id"]
    return form_id


def test_a_chunked_body_over_the_limit_is_413_through_the_app(
    client: TestClient, admin: dict[str, str]
) -> None:
    form_id = _form(client, admin)
    for url, headers, size in [
        (f"/api/v1/forms/{form_id}/submissions", {}, 10 * MIB),  # public: 64 KiB
        (f"/api/v1/forms/{form_id}/submissions", {}, 65 * 1024),
        ("/api/v1/leads", admin, 10 * MIB),  # others: 1 MiB
        ("/api/v1/leads", admin, MIB + 1),
    ]:
        response = client.post(
            url,
            content=_chunked_json(size),
            headers={**headers, "content-type": "application/json"},
        )
        assert response.status_code == 413, (url, size, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "body_too_large"


def test_a_chunked_body_under_the_limit_reaches_the_route_whole(
    client: TestClient, admin: dict[str, str]
) -> None:
    form_id = _form(client, admin)
    pieces = [b'{"email": "ada', b'@example.com", ', b'"first_name": "Ada"}']
    response = client.post(
        f"/api/v1/forms/{form_id}/submissions",
        content=iter(pieces),
        headers={"content-type": "application/json"},
    )
    assert (response.status_code, response.json()["status"]) == (202, "accepted")
    lead = client.post(
        "/api/v1/leads",
        content=iter([b'{"topic": ', b'"Spring', b' webinar"}']),
        headers={**admin, "content-type": "application/json"},
    )
    assert (lead.status_code, lead.json()["topic"]) == (201, "Spring webinar")


def test_a_chunked_body_over_the_limit_is_413_over_http(
    live_server: str, client: TestClient, admin: dict[str, str]
) -> None:
    form_id = _form(client, admin)
    with httpx.Client(base_url=live_server, timeout=30) as http:
        for url, headers in [
            (f"/api/v1/forms/{form_id}/submissions", {}),
            ("/api/v1/contacts", admin),
        ]:
            request = http.build_request(
                "POST",
                url,
                content=_chunked_json(10 * MIB),
                headers={**headers, "content-type": "application/json"},
            )
            assert "content-length" not in request.headers
            assert request.headers["transfer-encoding"] == "chunked"
            response = http.send(request)
            assert response.status_code == 413, (url, response.text)
            assert json.loads(response.content)["code"] == "body_too_large"
        declared = http.post(
            "/api/v1/contacts", content=b"{" + b" " * (2 * MIB) + b"}", headers=admin
        )
        assert declared.status_code == 413
