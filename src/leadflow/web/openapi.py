"""The OpenAPI document tells which errors each operation really answers, and in what shape.

Every error is `application/problem+json` (`Problem`, see `LeadflowError.to_problem`).
The error responses of an operation are derived here, once, from what the
generated operation already says about the route:

    401, 403   it has a security requirement (the route depends on `Authorize`)
    404        a path parameter is an integer id (`{record_id}`, `{lead_id}`, ...)
    400, 413   it takes a body (malformed JSON; the body-size limit guards every route)
    422        always; FastAPI's own `HTTPValidationError` answer is replaced

What only a route knows (409, 429, a 404 for an id in the body or a key in the
path) it declares itself with `responses=problems(409)`; such declarations get
the same Problem content.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema, models_json_schema

from leadflow.errors import ErrorCode
from leadflow.web.errors import PROBLEM

COMPONENTS = "#/components/schemas/"
FASTAPI_422 = "Validation Error"

WHY: dict[int, str] = {
    400: "The body cannot be read (malformed JSON): code `malformed_json`.",
    401: "No credentials, or credentials that do not check out: code `unauthenticated`.",
    403: (
        "The caller's role may not do this (`forbidden`), or a signed-in browser "
        "sent no CSRF token (`csrf_failed`)."
    ),
    404: "No record has this id: code `not_found`; `field` names the id.",
    409: (
        "The write would break an invariant (`conflict`, `duplicate`, `has_dependents`); "
        "`field` names the part at fault."
    ),
    413: "The body is larger than this route accepts: code `body_too_large`.",
    422: (
        "A value is missing or wrong: `field` names it; `errors` lists each one when "
        "several are at fault."
    ),
    429: (
        "Too many requests from this address or to this form or event: code "
        "`rate_limited`; retry after `Retry-After` (also `retry_after`) seconds."
    ),
    503: "The SMTP server cannot be reached or refused the message: code `smtp_unavailable`.",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def _no_defaults(schema: dict[str, Any]) -> None:
    for member in schema.get("properties", {}).values():
        member.pop("default", None)


class ProblemItem(BaseModel):
    """One field at fault."""

    field: str = Field(description="The path of the value at fault (`rules[0].points`)")
    message: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details with leadflow's stable `code`.

    The members below are the ones leadflow sends; some errors add members of their own.
    """

    # Optional members are absent rather than null: no `default` in their schemas.
    model_config = ConfigDict(extra="allow", json_schema_extra=_no_defaults)

    type: str = Field(description="https://leadflow.dev/problems/{code}")
    title: str
    status: int = Field(description="The HTTP status, repeated")
    code: ErrorCode = Field(description="Stable machine-readable error code")
    detail: str = Field(description="What went wrong, for a person")
    field: str | SkipJsonSchema[None] = Field(
        default=None, description="The field, parameter or path at fault"
    )
    line: int | SkipJsonSchema[None] = Field(
        default=None, description="The line at fault (imports)"
    )
    existing_id: int | SkipJsonSchema[None] = Field(
        default=None, description="The record that already holds the value"
    )
    errors: list[ProblemItem] | SkipJsonSchema[None] = Field(
        default=None, description="Every field at fault (validation, form submissions, rules)"
    )
    retry_after: int | SkipJsonSchema[None] = Field(
        default=None, description="Seconds to wait (429)"
    )
    submission_id: int | None = Field(
        default=None, description="The stored failed submission (form submissions)"
    )
    waitlist: bool | SkipJsonSchema[None] = Field(
        default=None, description="The event is full; registering with join_waitlist works"
    )
    missing_steps: list[str] | SkipJsonSchema[None] = Field(
        default=None, description="Required steps of the stage still empty"
    )
    lead_ids: list[int] | SkipJsonSchema[None] = Field(
        default=None, description="Leads that depend on the record (first 100)"
    )
    lead_count: int | SkipJsonSchema[None] = Field(
        default=None, description="How many leads depend on the record"
    )
    hint: str | SkipJsonSchema[None] = Field(default=None, description="How to go on")


# Models a route names in `openapi_extra` (a body it reads itself) rather than in its
# signature; they join the document's components.
_EXTRA_MODELS: dict[str, type[BaseModel]] = {"Problem": Problem}


def problems(
    *statuses: int, notes: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """`responses=` for the errors only the route knows it raises (409, 429, ...)."""
    notes = notes or {}
    return {status: {"description": notes.get(status, WHY[status])} for status in statuses}


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """A `$ref` to the model's schema, which joins the document's components."""
    _EXTRA_MODELS[model.__name__] = model
    return {"$ref": COMPONENTS + model.__name__}


def request_body(
    model: type[BaseModel], *media_types: str, description: str = ""
) -> dict[str, Any]:
    """`openapi_extra=` for a route that reads and parses its body itself."""
    body: dict[str, Any] = {
        "required": True,
        "content": {media_type: {"schema": schema_of(model)} for media_type in media_types},
    }
    if description:
        body["description"] = description
    return {"requestBody": body}


def derived_errors(operation: Mapping[str, Any]) -> set[int]:
    """The error statuses an operation can answer, read from what it declares."""
    statuses = {422}
    if operation.get("security"):
        statuses |= {401, 403}
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter.get("schema", {}).get("type") == "integer":
            statuses.add(404)
    if "requestBody" in operation:
        statuses |= {400, 413}
    return statuses


def _problem_response(status: int, description: str | None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description or WHY.get(status, "Error"),
        "content": {PROBLEM: {"schema": {"$ref": COMPONENTS + "Problem"}}},
    }
    if status == 429:
        response["headers"] = RETRY_AFTER
    return response


def declare_errors(operation: dict[str, Any]) -> None:
    """Give the operation its derived and declared error responses, all as problems."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    declared = {int(key) for key in responses if key.isdigit() and int(key) >= 400}
    for status in sorted(derived_errors(operation) | declared):
        description = responses.get(str(status), {}).get("description")
        # FastAPI's own 422 (HTTPValidationError) is replaced whole, description included.
        if description == FASTAPI_422:
            description = None
        responses[str(status)] = _problem_response(status, description)
    operation["responses"] = dict(sorted(responses.items()))


def _add_components(document: dict[str, Any]) -> None:
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    _, generated = models_json_schema(
        [(model, "validation") for model in _EXTRA_MODELS.values()],
        ref_template=COMPONENTS + "{model}",
    )
    for name, schema in generated.get("$defs", {}).items():
        if name in schemas and schemas[name] != schema:
            raise RuntimeError(f"Two different schemas are named {name}")
        schemas[name] = schema
    document["components"]["schemas"] = dict(sorted(schemas.items()))


def honest_document(document: dict[str, Any]) -> dict[str, Any]:
    """The document FastAPI generated, with every operation's errors declared."""
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete", "patch", "head", "options"):
                declare_errors(operation)
    _add_components(document)
    return document


class LeadflowAPI(FastAPI):
    """FastAPI whose `/openapi.json` declares the errors (see the module docstring)."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = honest_document(super().openapi())
        return self.openapi_schema
