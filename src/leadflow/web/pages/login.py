"""Pages of signing in and out, and the signed-in home page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from leadflow.errors import Unauthenticated
from leadflow.users.services import Principal, authenticate
from leadflow.web.auth import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    Authorize,
    container_of,
    issue_session,
)
from leadflow.web.pages.render import render

router = APIRouter(include_in_schema=False)
signed_in = Depends(Authorize(None))


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would let a link log users into elsewhere.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
) -> Response:
    container = container_of(request)
    try:
        with container.read_session() as session:
            principal = authenticate(session, email, password)
    except Unauthenticated as exc:
        context: dict[str, Any] = {"next": _safe_next(next), "error": exc.message, "email": email}
        return render(request, "login.html", context, status=401)
    token, _ = issue_session(container, principal.user_id)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=SESSION_MAX_AGE, httponly=True, samesite="lax"
    )
    return response


@router.post("/logout")
def logout(principal: Principal = signed_in) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def home(request: Request, principal: Principal = signed_in) -> Response:
    return render(request, "home.html", {})
