"""Maps every error to `application/problem+json` (API) or a readable page (UI), once."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as sa
from starlette.exceptions import HTTPException as StarletteHTTPException

from leadflow.errors import BadRequest, Conflict, ErrorCode, LeadflowError, ValidationFailed

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
    if "input" in first and first["input"] is None:
        # An explicit null where the column holds a value (a PATCH of a NOT NULL field).
        return ValidationFailed(f"{field} cannot be null", code=ErrorCode.REQUIRED, field=field)
    if kind in _BOUND_ERRORS:
        code = ErrorCode.OUT_OF_RANGE
    elif field and field.endswith("email"):
        code = ErrorCode.INVALID_EMAIL
    else:
        code = ErrorCode.INVALID_VALUE
    message = str(first.get("msg", "Invalid value"))
    error = ValidationFailed(f"{field}: {message}" if field else message, code=code, field=field)
    error.extra = {
        "errors": [
            {"field": _field_path(item.get("loc", ())), "message": item.get("msg")}
            for item in errors[:50]
        ]
    }
    return error


_BOUND_ERRORS = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})
_SQLITE_NOT_NULL = re.compile(r"NOT NULL constraint failed: \w+\.(\w+)")
# PostgreSQL error classes (SQLSTATE) of values its columns cannot hold.
_OUT_OF_RANGE_STATES = frozenset({"22003", "22008", "22015"})


def database_error(error: sa.StatementError) -> LeadflowError | None:
    """The problem to answer for a database error a value caused; None for a real fault.

    Values are checked before they reach SQL (the registry, the request models,
    `web.inputs`); this is the net under those checks, so a value that slips
    through is a 409 or a 422, never a 500.
    """
    original = error.orig
    message = str(original).strip().splitlines()[0] if original is not None else str(error)
    state = getattr(original, "sqlstate", None)
    column = getattr(getattr(original, "diag", None), "column_name", None)
    if isinstance(error, sa.IntegrityError):
        if state == "23502" or "NOT NULL constraint failed" in message:
            if column is None and (found := _SQLITE_NOT_NULL.search(message)):
                column = found.group(1)
            return ValidationFailed(
                f"{column or 'A field'} cannot be empty", code=ErrorCode.REQUIRED, field=column
            )
        return Conflict(f"The change conflicts with stored data: {message}")
    if isinstance(error, sa.DataError):
        if "NUL" in message or "\\u0000" in message or "0x00" in message:
            return ValidationFailed(
                "A text holds a NUL character", code=ErrorCode.NUL_CHARACTER, field=column
            )
        code = ErrorCode.OUT_OF_RANGE if state in _OUT_OF_RANGE_STATES else ErrorCode.INVALID_VALUE
        return ValidationFailed(f"The database refused a value: {message}", code=code, field=column)
    if not isinstance(error, sa.DBAPIError) and isinstance(original, OverflowError):
        return out_of_range(original)  # a bind parameter the driver could not convert
    return None


def out_of_range(error: Exception) -> ValidationFailed:
    return ValidationFailed(f"A value is too large: {error}", code=ErrorCode.OUT_OF_RANGE)


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and request.url.path != "/health"


def answer(request: Request, error: LeadflowError) -> Response:
    """The one answer to a refusal: problem details for the API, an error page for pages."""
    if wants_html(request):
        from leadflow.web.pages.render import error_page

        return error_page(request, error)
    return problem_response(error)


async def on_leadflow_error(request: Request, exc: LeadflowError) -> Response:
    return answer(request, exc)


async def on_validation_error(request: Request, exc: RequestValidationError) -> Response:
    return answer(request, validation_to_error(exc))


async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
    code = {404: ErrorCode.NOT_FOUND, 405: ErrorCode.INVALID_VALUE}.get(
        exc.status_code, ErrorCode.INVALID_VALUE
    )
    error = LeadflowError(str(exc.detail), code=code)
    error.http_status = exc.status_code
    error.title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
    return answer(request, error)


async def on_database_error(request: Request, exc: sa.StatementError) -> Response:
    error = database_error(exc)
    if error is None:
        raise exc
    logger.warning(
        "%s %s: the database refused a value (%s): %s",
        request.method,
        request.url.path,
        error.code.value,
        exc.orig if exc.orig is not None else exc,
    )
    return answer(request, error)


async def on_overflow(request: Request, exc: OverflowError) -> Response:
    # A number too large for a date, a duration or a database column (SQLite
    # refuses ints beyond 64 bits before SQL runs).
    logger.warning("%s %s: %s", request.method, request.url.path, exc)
    return answer(request, out_of_range(exc))


async def on_json_error(request: Request, exc: json.JSONDecodeError) -> Response:
    return problem_response(BadRequest(f"The body is not valid JSON: {exc.msg}"))


HANDLERS: tuple[tuple[type[Exception], Any], ...] = (
    (LeadflowError, on_leadflow_error),
    (RequestValidationError, on_validation_error),
    (StarletteHTTPException, on_http_error),
    (sa.StatementError, on_database_error),
    (OverflowError, on_overflow),
    (json.JSONDecodeError, on_json_error),
)


def install_error_handlers(app: FastAPI) -> None:
    for kind, handler in HANDLERS:
        app.add_exception_handler(kind, handler)
