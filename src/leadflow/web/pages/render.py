"""Template rendering for pages, with the signed-in user and CSRF token in every context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from leadflow.errors import LeadflowError, Unauthenticated

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    web_session = getattr(request.state, "web_session", None)
    full: dict[str, Any] = {
        "principal": getattr(request.state, "principal", None),
        "csrf_token": web_session.csrf if web_session else "",
        **(context or {}),
    }
    return TEMPLATES.TemplateResponse(request, template, full, status_code=status)


def error_page(request: Request, error: LeadflowError) -> Response:
    if isinstance(error, Unauthenticated):
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(f"/login?next={target}", status_code=303)
    return render(request, "error.html", {"error": error}, status=error.http_status)
