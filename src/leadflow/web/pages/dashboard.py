"""The dashboard page: the funnel, time in stage, overdue tasks, sales-ready leads per day."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from leadflow.dashboard import services as dashboards
from leadflow.sales import services as sales
from leadflow.users.domain import Permission
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.pages.display import duration
from leadflow.web.pages.render import render

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
def dashboard(
    request: Request, principal: Principal = Depends(Authorize(Permission.DASHBOARDS_READ))
) -> Response:
    with container_of(request).read_session() as session:
        data = dashboards.dashboard(session)
        overdue = sales.overdue_tasks(session)
    peak = max([day["count"] for day in data["sales_ready_per_day"]] or [1])
    return render(
        request,
        "process/dashboard.html",
        {"data": data, "duration": duration, "peak": peak, "overdue": overdue},
    )
