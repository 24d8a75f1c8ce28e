"""Settings pages: the field registry, the users and the organisation, for the roles that
may see them.

`/settings` opens the first section the caller's role may see; the sections
live in `settings_fields`, `settings_users` and `settings_org`.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from leadflow.errors import PermissionDenied
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize
from leadflow.web.pages import settings_users
from leadflow.web.pages.render import settings_navigation
from leadflow.web.pages.settings_events import events_settings_router
from leadflow.web.pages.settings_fields import fields_settings_router
from leadflow.web.pages.settings_org import org_settings_router

router = APIRouter(include_in_schema=False)


@router.get("/settings")
def settings_home(principal: Principal = Depends(Authorize(None))) -> Response:
    sections = settings_navigation(principal)
    if not sections:
        raise PermissionDenied(f"The {principal.role} role may not open the settings")
    first_path, _ = sections[0]
    return RedirectResponse(first_path, status_code=303)


router.include_router(fields_settings_router())
router.include_router(settings_users.router)
router.include_router(events_settings_router())
router.include_router(org_settings_router())


def settings_router() -> APIRouter:
    return router
