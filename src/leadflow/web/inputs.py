"""Checks every request's inputs once, before a route reads them.

- A whole-number path parameter beyond BIGINT names no row: 404, as for any
  unknown id (the database could not even compare it).
- Text holding NUL (U+0000) anywhere (path, query string, JSON or form body):
  422 `nul_character` naming where. PostgreSQL cannot store it; SQLite could,
  but both databases refuse it alike.

Installed as an app-wide dependency, so it covers every route, the API's and the
pages', and runs before the route's own dependencies.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute

from leadflow.errors import ErrorCode, NotFound, ValidationFailed
from leadflow.lib.bounds import INT64, NUL, nul_location

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
# The only ways NUL can be written in a JSON text (a raw one is not valid JSON).
_JSON_NUL = (b"\\u0000", b"\x00")


async def check_inputs(request: Request) -> None:
    _check_path(request)
    for key, value in request.query_params.multi_items():
        if NUL in key or NUL in value:
            raise nul_character(key)
    await _check_body(request)


def nul_character(where: str) -> ValidationFailed:
    return ValidationFailed(
        f"{where} holds a NUL character", code=ErrorCode.NUL_CHARACTER, field=where or "body"
    )


def _check_path(request: Request) -> None:
    whole_numbers = _whole_number_params(request.scope.get("route"))
    for name, raw in request.path_params.items():
        if not isinstance(raw, str):
            continue
        if NUL in raw:
            raise nul_character(name)
        if name in whole_numbers and _WHOLE_NUMBER.fullmatch(raw) and not _fits_bigint(raw):
            raise NotFound(f"No record has id {raw}", field=name)


def _fits_bigint(raw: str) -> bool:
    # Longer than any BIGINT: not parsed at all (int() refuses 4,300 digits and more).
    return len(raw.lstrip("+-")) <= 19 and int(raw) in INT64


def _whole_number_params(route: Any) -> set[str]:
    if not isinstance(route, APIRoute):
        return set()
    return set(
        param.name for param in route.dependant.path_params if param.field_info.annotation is int
    )


async def _check_body(request: Request) -> None:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type in FORM_TYPES:
        # Files may hold any bytes; only the text fields are values.
        form = await request.form()
        for key, value in form.multi_items():
            if NUL in key or (isinstance(value, str) and NUL in value):
                raise nul_character(key)
        return
    body = await request.body()
    if not any(marker in body for marker in _JSON_NUL):
        return
    try:
        data = json.loads(body)
    except ValueError:
        if b"\x00" in body:  # not JSON: a text body (YAML, CSV) holding a raw NUL
            raise nul_character("body") from None
        return  # the route says what is wrong with it
    where = nul_location(data)
    if where is not None:
        raise nul_character(where)
