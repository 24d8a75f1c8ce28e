"""Pages of the capture capability: thin over its services.

Signed-in pages manage forms, events and matching strategies; the public pages
(/p/{slug} landing pages, /e/{id} event registration) are standalone HTML that
works without JavaScript and never echo input unescaped (Jinja autoescapes).
"""

from __future__ import annotations

from fastapi import APIRouter

from leadflow.web.pages.capture._events import events_router
from leadflow.web.pages.capture._forms import forms_router
from leadflow.web.pages.capture._matching import matching_router
from leadflow.web.pages.capture._public import public_router


def routers() -> list[APIRouter]:
    return [public_router, forms_router, events_router, matching_router]
