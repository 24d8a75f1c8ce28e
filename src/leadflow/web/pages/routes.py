"""Every page router, in the order the app mounts them: login, the record pages,
the settings, then each concept's pages."""

from __future__ import annotations

from fastapi import APIRouter

from leadflow.web.pages.records import record_routers
from leadflow.web.pages.settings import settings_router


def pages_router() -> APIRouter:
    from leadflow.web.pages import (
        activities,
        automation,
        capture,
        dashboard,
        duplicates,
        emails,
        imports,
        jobs,
        journeys,
        linkedin,
        login,
        process,
        sales,
        saved_views,
        scoring,
        segments,
    )

    router = APIRouter(include_in_schema=False)
    for pages in (
        login.router,
        *record_routers(),
        settings_router(),
        *capture.routers(),
        *linkedin.routers(),
        *scoring.routers(),
        process.router,
        sales.router,
        dashboard.router,
        automation.router,
        *jobs.routers(),
        *segments.routers(),
        *journeys.routers(),
        *imports.routers(),
        duplicates.router,
        activities.router,
        saved_views.router,
        *emails.routers(),
    ):
        router.include_router(pages)
    return router
