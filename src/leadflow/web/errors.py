"""Maps every error to `application/problem+json` (API) or a readable page (UI), once."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from leadflow.errors import BadRequest, ErrorCode, LeadflowError, ValidationFailed

logger = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


def problem_response(error: LeadflowError) -> JSONResponse:
    return JSONResponse(error.to_problem(), status_code=error.http_status, media_type=PROBLEM)


def _field_path(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path")]
    path = ""
    for part in parts:
        if part.isdigit():
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def validation_to_error(exc: RequestValidationError) -> LeadflowError:
    errors = exc.errors()
    first = errors[0] if errors else {}
    kind = str(first.get("type", ""))
    if kind == "json_invalid":
        return BadRequest(
            f"The body is not valid JSON: {first.get('ctx', {}).get('error', 'parse error')}",
            code=ErrorCode.MALFORMED_JSON,
        )
    location = first.get("loc", ())
    field = _field_path(location) or None
    if kind == "extra_forbidden":
        return ValidationFailed(
            f"Unknown field '{field}'", code=ErrorCode.UNKNOWN_FIELD, field=field
        )
    if kind == "missing":
        return ValidationFailed(f"{field} is required", code=ErrorCode.REQUIRED, field=field)
    code = ErrorCode.INVALID_EMAIL if field and field.endswith("email") else ErrorCode.INVALID_VALUE
    message = str(first.get("msg", "Invalid value"))
    error = ValidationFailed(f"{field}: {message}" if field else message, code=code, field=field)
    error.extra = {
        "errors": [
            {"field": _field_path(item.get("loc", ())), "message": item.get("msg")}
            for item in errors[:50]
        ]
    }
    return error


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and request.url.path != "/health"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LeadflowError)
    async def on_leadflow_error(request: Request, exc: LeadflowError) -> Response:
        if wants_html(request):
            from leadflow.web.pages.render import error_page

            return error_page(request, exc)
        return problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> Response:
        error = validation_to_error(exc)
        if wants_html(request):
            from leadflow.web.pages.render import error_page

            return error_page(request, error)
        return problem_response(error)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: ErrorCode.NOT_FOUND, 405: ErrorCode.INVALID_VALUE}.get(
            exc.status_code, ErrorCode.INVALID_VALUE
        )
        error = LeadflowError(str(exc.detail), code=code)
        error.http_status = exc.status_code
        error.title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
        if wants_html(request):
            from leadflow.web.pages.render import error_page

            return error_page(request, error)
        return problem_response(error)

    @app.exception_handler(json.JSONDecodeError)
    async def on_json_error(request: Request, exc: json.JSONDecodeError) -> Response:
        return problem_response(BadRequest(f"The body is not valid JSON: {exc.msg}"))
