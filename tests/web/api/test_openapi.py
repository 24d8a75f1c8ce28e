"""The OpenAPI document says what the API really answers: errors, bodies, auth.

Built from the app factory alone: no database is reached and no server runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from openapi_spec_validator import validate

from leadflow.bootstrap import Container
from leadflow.capture.errors import EventFull, RateLimited
from leadflow.config import Settings
from leadflow.errors import BadRequest, Conflict, NotFound, ValidationFailed
from leadflow.web.api.capture import BENCH_FLOOR_PATH
from leadflow.web.app import create_app
from leadflow.web.auth import Authorize
from leadflow.web.openapi import WHY, Problem, declare_errors

PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
METHODS = ("get", "put", "post", "delete", "patch")
RATE_LIMITED = {
    ("post", "/api/v1/forms/{form_id}/submissions"),
    ("post", "/api/v1/events/{event_id}/registrations"),
}
# Policy, pinned: the operations whose services refuse a write with 409.
CONFLICTS = {
    ("post", "/api/v1/emails/templates"),
    ("patch", "/api/v1/emails/templates/{template_id}"),
    ("delete", "/api/v1/emails/templates/{template_id}"),
    ("post", "/api/v1/imports/{import_id}/dry-run"),
    ("put", "/api/v1/imports/{import_id}/mapping"),
    ("post", "/api/v1/imports/{import_id}/run"),
    ("post", "/api/v1/imports/{import_id}/undo"),
    ("delete", "/api/v1/accounts/{record_id}"),
    ("delete", "/api/v1/contacts/{record_id}"),
    ("patch", "/api/v1/leads/{record_id}"),
    ("post", "/api/v1/leads/with-contact"),
    # A duplicate by the matching strategy; a merge of a record already merged.
    ("post", "/api/v1/contacts"),
    ("post", "/api/v1/leads"),
    ("post", "/api/v1/contacts/{record_id}/merge"),
    ("post", "/api/v1/leads/{record_id}/merge"),
    ("delete", "/api/v1/automation/rules/{rule_id}"),
    ("post", "/api/v1/events/{event_id}/registrations"),
    ("post", "/api/v1/fields"),
    ("post", "/api/v1/forms"),
    ("patch", "/api/v1/forms/{form_id}"),
    ("delete", "/api/v1/matching-strategies/{strategy_id}"),
    ("post", "/api/v1/users"),
    ("patch", "/api/v1/users/{user_id}"),
    ("post", "/api/v1/processes/import"),
    *(("post", f"/api/v1/leads/{{lead_id}}/process/{move}") for move in
      ("next", "stage", "finish", "abandon", "switch")),
    *(("post", f"/api/v1/leads/{{lead_id}}/{verb}") for verb in
      ("assign", "accept", "qualify", "disqualify", "reactivate", "recycle")),
    ("patch", "/api/v1/scoring/models/{model_id}"),
    ("delete", "/api/v1/scoring/models/{model_id}"),
    ("post", "/api/v1/scoring/models/{model_id}/go-live"),
    ("post", "/api/v1/scoring/models/{model_id}/stop"),
    ("post", "/api/v1/scoring/rescore"),
    ("post", "/api/v1/jobs/{job_id}/cancel"),
    ("delete", "/api/v1/segments/{segment_id}"),
    *(("post", f"/api/v1/segments/{{segment_id}}/{verb}") for verb in
      ("go-live", "stop", "build", "members", "members/remove")),
    ("post", "/api/v1/linkedin/connections"),
    ("delete", "/api/v1/linkedin/strategies/{strategy_id}"),
    ("delete", "/api/v1/journeys/{journey_id}"),
    *(("post", f"/api/v1/journeys/{{journey_id}}/{verb}") for verb in
      ("go-live", "stop", "resume")),
}  # fmt: skip
# 404s that no integer path id implies: an id in the body, a key in the path, a missing run.
OTHER_NOT_FOUND = {
    ("post", "/api/v1/forms"),
    ("post", "/api/v1/tasks"),
    ("post", "/api/v1/scoring/rescore"),
    ("get", "/api/v1/scoring/predictive"),
    ("put", "/api/v1/scoring/switches/{key}"),
    ("put", "/api/v1/switches/{key}"),
    ("get", "/api/v1/org-settings/{key}"),
    ("put", "/api/v1/org-settings/{key}"),
    ("get", "/api/v1/processes/{key}/export"),
    ("delete", "/api/v1/fields/{entity}/{name}"),
    # The template and contact to preview are ids in the body.
    ("post", "/api/v1/emails/preview"),
    # The optional template and the preview contact are ids in the body.
    ("post", "/api/v1/emails/test-send"),
}


@pytest.fixture(scope="module")
def openapi_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    folder = tmp_path_factory.mktemp("openapi")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'unused.db'}",
        var_dir=folder / "var",
        secret_key="test-secret",
        bench_endpoints=True,
    )
    container = Container(settings)
    yield create_app(container)
    container.close()


@pytest.fixture(scope="module")
def document(openapi_app: FastAPI) -> dict[str, Any]:
    return openapi_app.openapi()


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    # FastAPI keeps included routers as branches; walk into them.
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes)
        elif hasattr(route, "routes"):
            yield from _routes(route.routes)


def _guarded(route: APIRoute) -> bool:
    """The route depends on `Authorize`, itself or through the call it takes
    (`web.calls.api_call` authorises before it hands the call over)."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop(0)
        if isinstance(dependency.call, Authorize):
            return True
        pending.extend(dependency.dependencies)
    return False


@pytest.mark.slow
def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    validate(document)


def test_fastapis_validation_error_schema_appears_nowhere(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    assert '"422"' in text
    assert "HTTPValidationError" not in text
    assert "ValidationError" not in document["components"]["schemas"]


def test_every_operation_declares_422_as_a_problem(document: dict[str, Any]) -> None:
    operations = list(_operations(document))
    assert len(operations) >= 100
    for method, path, operation in operations:
        assert operation["responses"]["422"]["content"] == PROBLEM_CONTENT, (method, path)


def test_every_error_response_is_a_problem(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"] == PROBLEM_CONTENT, (method, path, status)
                assert response["description"], (method, path, status)


LINKEDIN_WEBHOOK = "/api/v1/linkedin/connections/{connection_id}/webhook"


def test_operations_behind_authorize_declare_401_403_and_how_to_sign_in(
    openapi_app: FastAPI, document: dict[str, Any]
) -> None:
    routes = [route for route in _routes(openapi_app.routes) if route.include_in_schema]
    guarded = [route for route in routes if _guarded(route)]
    public = [route for route in routes if not _guarded(route)]
    assert len(guarded) >= 100
    for route in guarded:
        for method in route.methods:
            operation = document["paths"][route.path_format][method.lower()]
            assert {"401", "403"} <= set(operation["responses"]), (method, route.path)
            assert operation["security"] == [{"token": []}, {"session": []}]
    assert {route.path for route in public} == {
        "/health",
        "/api/v1/forms/{form_id}/submissions",
        "/api/v1/events/{event_id}/registrations",
        LINKEDIN_WEBHOOK,
    }
    for route in public:
        for method in route.methods:
            operation = document["paths"][route.path_format][method.lower()]
            # LinkedIn's webhook authenticates by its HMAC signature: a bad one is its 401.
            refused = {"403"} if route.path == LINKEDIN_WEBHOOK else {"401", "403"}
            assert not refused & set(operation["responses"]), (method, route.path)
            assert "security" not in operation
    schemes = document["components"]["securitySchemes"]
    assert schemes["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["token"]["description"],
    }
    assert (schemes["session"]["in"], schemes["session"]["name"]) == ("cookie", "leadflow_session")


def test_every_operation_with_a_body_declares_400_and_413(document: dict[str, Any]) -> None:
    with_body = [(m, p, op) for m, p, op in _operations(document) if "requestBody" in op]
    assert len(with_body) >= 40
    for method, path, operation in with_body:
        assert {"400", "413"} <= set(operation["responses"]), (method, path)
    for method, path, operation in _operations(document):
        if "requestBody" not in operation:
            assert not {"400", "413"} & set(operation["responses"]), (method, path)


def test_every_path_with_an_id_declares_404(document: dict[str, Any]) -> None:
    with_id = [(m, p, op) for m, p, op in _operations(document) if re.search(r"\{\w*id\}", p)]
    assert len(with_id) >= 60
    for method, path, operation in with_id:
        assert "404" in operation["responses"], (method, path)
    others = {
        (method, path)
        for method, path, operation in _operations(document)
        if "404" in operation["responses"] and not re.search(r"\{\w*id\}", path)
    }
    assert others == OTHER_NOT_FOUND


def test_only_the_public_capture_routes_declare_429_with_retry_after(
    document: dict[str, Any],
) -> None:
    limited = {
        (method, path)
        for method, path, operation in _operations(document)
        if "429" in operation["responses"]
    }
    assert limited == RATE_LIMITED
    for method, path in RATE_LIMITED:
        response = document["paths"][path][method]["responses"]["429"]
        assert response["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_the_operations_that_refuse_conflicting_writes_declare_409(
    document: dict[str, Any],
) -> None:
    declared = {
        (method, path)
        for method, path, operation in _operations(document)
        if "409" in operation["responses"]
    }
    assert declared == CONFLICTS


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]
    return schema


TYPED = {"type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const"}


def _untyped_parts(
    document: dict[str, Any], schema: dict[str, Any], where: str, seen: set[str]
) -> Iterator[str]:
    """Every part of a schema that says nothing of its type (`{}`, `Any`)."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen.add(schema["$ref"])
    schema = _resolve(document, schema)
    if not TYPED & set(schema):
        yield where
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for index, part in enumerate(schema.get(key, [])):
            yield from _untyped_parts(document, part, f"{where}.{key}[{index}]", seen)
    for name, part in schema.get("properties", {}).items():
        yield from _untyped_parts(document, part, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _untyped_parts(document, schema[key], f"{where}.{key}", seen)


def test_no_request_body_is_untyped(document: dict[str, Any]) -> None:
    untyped: list[str] = []
    bodies = 0
    for method, path, operation in _operations(document):
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
            bodies += 1
            where = f"{method} {path} {media_type}"
            assert content["schema"] != {}, where
            untyped.extend(_untyped_parts(document, content["schema"], where, set()))
    assert bodies >= 40
    assert untyped == []


def test_the_untyped_check_finds_an_any(document: dict[str, Any]) -> None:
    schema = {"type": "object", "properties": {"anything": {}, "named": {"type": "string"}}}
    assert list(_untyped_parts(document, schema, "body", set())) == ["body.anything"]


def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))


def test_pages_and_bench_routes_stay_hidden(openapi_app: FastAPI, document: dict[str, Any]) -> None:
    served = {route.path for route in _routes(openapi_app.routes)}
    assert {BENCH_FLOOR_PATH, "/login", "/p/{slug}"} <= served
    paths = set(document["paths"])
    assert BENCH_FLOOR_PATH not in paths
    assert {path for path in paths if not path.startswith("/api/v1/")} == {"/health"}


def test_a_routes_own_note_is_kept_and_fastapis_422_replaced() -> None:
    operation: dict[str, Any] = {
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
            "201": {"description": "Created"},
            "409": {"description": "The event is full"},
            "422": {"description": "Validation Error", "content": {"application/json": {}}},
        },
    }

    declare_errors(operation)

    responses = operation["responses"]
    assert list(responses) == ["201", "400", "409", "413", "422"]
    assert responses["201"] == {"description": "Created"}
    assert responses["409"] == {"description": "The event is full", "content": PROBLEM_CONTENT}
    assert responses["422"] == {"description": WHY[422], "content": PROBLEM_CONTENT}


def test_the_import_declares_its_json_and_yaml_body(document: dict[str, Any]) -> None:
    body = document["paths"]["/api/v1/processes/import"]["post"]["requestBody"]
    assert set(body["content"]) == {"application/json", "application/yaml"}
    schema = _resolve(document, body["content"]["application/yaml"]["schema"])
    assert schema["required"] == ["key", "name", "stages"]


@pytest.mark.parametrize(
    "error",
    [
        ValidationFailed("x: bad", field="x", extra={"errors": [{"field": "x", "message": "bad"}]}),
        NotFound("No lead with id 9", field="id"),
        Conflict("In use", field="id", existing_id=4, extra={"lead_ids": [1], "lead_count": 1}),
        BadRequest("The body is not valid JSON"),
        RateLimited("Too many", retry_after=30),
        EventFull("Full", field="join_waitlist", extra={"waitlist": True}),
    ],
    ids=lambda error: type(error).__name__,
)
def test_the_problem_model_reads_every_problem_leadflow_sends(
    error: ValidationFailed | NotFound | Conflict | BadRequest | RateLimited | EventFull,
) -> None:
    problem = error.to_problem()
    assert Problem.model_validate(problem).model_dump(exclude_unset=True) == problem


def test_optional_problem_members_are_absent_rather_than_null(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["Problem"]
    assert set(schema["required"]) == {"type", "title", "status", "code", "detail"}
    assert schema["properties"]["field"] == {
        "type": "string",
        "title": "Field",
        "description": schema["properties"]["field"]["description"],
    }
    assert schema["additionalProperties"] is True
