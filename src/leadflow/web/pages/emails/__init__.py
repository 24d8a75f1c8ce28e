"""Pages of emails: the templates, the editor with its live preview, the messages, the mail
catcher; and the public ends of the links in every email (open pixel, click redirect,
unsubscribe)."""

from __future__ import annotations

from fastapi import APIRouter

from leadflow.web.pages.emails._links import public_router
from leadflow.web.pages.emails._pages import router


def routers() -> list[APIRouter]:
    return [public_router, router]
