"""Settings > LinkedIn: connections (with LinkedIn's sign-in or a pasted token), the
predefined field mappings, the lead-matching strategy; a connection's sync status page
with its lead notifications; a form's question mappings. Thin over
leadflow.linkedin.services.

"Connect with LinkedIn" binds its OAuth `state` to the login session: a short-lived
signed cookie holds the state, the session's CSRF token and what the callback will
create; the callback accepts LinkedIn's answer only when all three agree."""

from __future__ import annotations

from fastapi import APIRouter

# The modules are imported for the routes and the panel they declare.
from leadflow.web.pages.linkedin import _panel, _routes, _sign_in  # noqa: F401
from leadflow.web.pages.linkedin._pages import router


def routers() -> list[APIRouter]:
    return [router]
