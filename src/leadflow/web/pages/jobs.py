"""Jobs pages: the latest background jobs, and one job's page with a live progress bar.

The job page works without script (it reloads itself every few seconds while
the job runs); with script, app.js polls `/api/v1/jobs/{id}` instead and
updates the bar in place.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from leadflow.errors import LeadflowError, NotFound, PermissionDenied
from leadflow.jobs.domain import ACTIVE, JobStatus
from leadflow.jobs.kinds import kinds_for
from leadflow.jobs.services import do_cancel_job, get_job, job_public, list_jobs
from leadflow.users.services import Principal, get_user
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call
from leadflow.web.pages.render import render

LIST_LIMIT = 100


def _detail(
    request: Request,
    principal: Principal,
    job_id: int,
    *,
    error: LeadflowError | None = None,
) -> Response:
    with container_of(request).read_session() as session:
        job = job_public(get_job(session, job_id, role=principal.role))
        requester = None
        if job["requested_by"] is not None:
            try:
                requester = get_user(session, job["requested_by"]).name
            except NotFound:
                requester = None
    context: dict[str, Any] = {
        "job": job,
        "requester": requester,
        "active": JobStatus(job["status"]) in ACTIVE,
        "error": error,
    }
    return render(request, "jobs/detail.html", context, status=error.http_status if error else 200)


router = APIRouter(include_in_schema=False)
signed_in = Authorize(None)


@router.get("/jobs")
def index(
    request: Request,
    kind: str = "",
    status: str = "",
    principal: Principal = Depends(signed_in),
) -> Response:
    kinds = kinds_for(principal.role)
    if not kinds:
        raise PermissionDenied(f"The {principal.role} role starts no background jobs")
    with container_of(request).read_session() as session:
        rows = list_jobs(
            session,
            role=principal.role,
            kind=kind or None,
            status=status or None,
            limit=LIST_LIMIT,
        )
        items = [job_public(job) for job in rows]
    context = {
        "jobs": items,
        "kinds": kinds,
        "statuses": [item.value for item in JobStatus],
        "kind": kind,
        "status": status,
    }
    return render(request, "jobs/list.html", context)


@router.get("/jobs/{job_id:int}")
def show(request: Request, job_id: int, principal: Principal = Depends(signed_in)) -> Response:
    return _detail(request, principal, job_id)


@router.post("/jobs/{job_id:int}/cancel")
def cancel(job_id: int, call: PageCall = page_call(None)) -> Response:
    def refused(exc: LeadflowError) -> Response:
        if isinstance(exc, NotFound | PermissionDenied):
            raise exc
        return _detail(call.request, call.principal, job_id, error=exc)

    return call.run(
        lambda uow: do_cancel_job(job_id, uow=uow, role=call.principal.role),
        done=f"/jobs/{job_id}",
        failed=refused,
    )


def routers() -> list[APIRouter]:
    return [router]
