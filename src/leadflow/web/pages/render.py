"""Template rendering for pages: the signed-in user, CSRF token and navigation in every context."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from leadflow.errors import LeadflowError, Unauthenticated
from leadflow.jobs.kinds import kinds_for
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.assets import static_url
from leadflow.web.pages.display import humanize, rule_words
from leadflow.web.pages.entities import RECORD_PAGES

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))
# Internal names as people read them: roles, reasons, rule keys.
TEMPLATES.env.filters["words"] = lambda value: humanize(str(value)) if value else ""
TEMPLATES.env.filters["rule_words"] = rule_words
TEMPLATES.env.globals["static_url"] = static_url


def navigation(principal: Principal | None) -> list[tuple[str, str]]:
    """The record lists the caller may open: (path, label)."""
    if principal is None:
        return []
    records = [
        (page.path, page.nav_label)
        for page in RECORD_PAGES
        if role_allows(principal.role, page.read)
    ]
    features = [
        (path, label)
        for path, label, permission in FEATURE_PAGES
        if role_allows(principal.role, permission)
    ]
    # Jobs: for whoever may start some kind of job (and so see it).
    if kinds_for(principal.role):
        features.append(("/jobs", "Jobs"))
    return records + features


# The capabilities' own pages in the main navigation, with the permission to see each.
FEATURE_PAGES: tuple[tuple[str, str, Permission], ...] = (
    ("/forms", "Forms", Permission.FORMS_READ),
    ("/events", "Events", Permission.EVENTS_READ),
    ("/scoring", "Scoring", Permission.SCORING_READ),
    ("/segments", "Segments", Permission.SEGMENTS_READ),
    ("/journeys", "Journeys", Permission.JOURNEYS_READ),
    ("/emails", "Emails", Permission.EMAILS_READ),
    ("/queues", "Queues", Permission.TASKS_READ),
    ("/call-list", "Call list", Permission.TASKS_READ),
    ("/dashboard", "Dashboard", Permission.DASHBOARDS_READ),
    ("/imports", "Imports", Permission.IMPORTS_RUN),
)


# The settings pages, each with the permission that lets a role see it.
SETTINGS_SECTIONS: tuple[tuple[str, str, Permission], ...] = (
    ("/settings/fields", "Fields", Permission.FIELDS_READ),
    ("/settings/users", "Users", Permission.USERS_READ),
    ("/settings/matching", "Matching", Permission.MATCHING_ADMIN),
    ("/settings/linkedin", "LinkedIn", Permission.LINKEDIN_ADMIN),
    ("/settings/process", "Process", Permission.PROCESS_ADMIN),
    ("/settings/automation", "Automation", Permission.AUTOMATION_READ),
    ("/settings/org", "Organisation", Permission.AUTOMATION_READ),
    ("/settings/events", "Event queue", Permission.SYSTEM_ADMIN),
)


def settings_navigation(principal: Principal | None) -> list[tuple[str, str]]:
    """The settings pages the caller may open: (path, label); none hides the Settings link."""
    if principal is None:
        return []
    return [
        (path, label)
        for path, label, permission in SETTINGS_SECTIONS
        if role_allows(principal.role, permission)
    ]


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    web_session = getattr(request.state, "web_session", None)
    principal: Principal | None = getattr(request.state, "principal", None)
    full: dict[str, Any] = {
        "principal": principal,
        "nav": navigation(principal),
        "settings_nav": settings_navigation(principal),
        "csrf_token": web_session.csrf if web_session else "",
        **(context or {}),
    }
    return TEMPLATES.TemplateResponse(request, template, full, status_code=status)


def error_page(request: Request, error: LeadflowError) -> Response:
    if isinstance(error, Unauthenticated):
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
    return render(request, "error.html", {"error": error}, status=error.http_status)
