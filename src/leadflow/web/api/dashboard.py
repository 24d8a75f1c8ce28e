"""API route of the dashboard: the funnel, overdue tasks and sales-ready leads per day."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from leadflow.dashboard import services as dashboard
from leadflow.users.domain import Permission
from leadflow.web.auth import Authorize, container_of

# Listed with the hand-over's routes in the API reference, as it always was.
router = APIRouter(prefix="/api/v1", tags=["sales"])


@router.get(
    "/dashboard",
    dependencies=[Depends(Authorize(Permission.DASHBOARDS_READ))],
    summary="Funnel, overdue tasks, sales-ready leads per day",
)
def get_dashboard(request: Request) -> dict[str, Any]:
    with container_of(request).read_session() as session:
        return dashboard.dashboard(session)
