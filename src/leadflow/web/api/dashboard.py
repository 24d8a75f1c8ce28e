"""API route of the dashboard: the funnel, overdue tasks and sales-ready leads per day."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from leadflow.dashboard import services as dashboard
from leadflow.users.domain import Permission
from leadflow.web.calls import ApiCall, api_call

# Listed with the hand-over's routes in the API reference, as it always was.
router = APIRouter(prefix="/api/v1", tags=["sales"])


@router.get("/dashboard", summary="Funnel, overdue tasks, sales-ready leads per day")
def get_dashboard(call: ApiCall = api_call(Permission.DASHBOARDS_READ)) -> dict[str, Any]:
    return call.read(dashboard.dashboard)
