"""Jobs API: any background job's progress, the latest jobs, and cancelling one.

Whoever may start a kind of job may see and cancel its jobs; the services
check that per job, so these routes only need a signed-in caller.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from leadflow.jobs import services
from leadflow.jobs.schemas import JobList, JobOut
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.openapi import problems


def routers() -> list[APIRouter]:
    router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])
    signed_in = Depends(Authorize(None))

    @router.get("", response_model=JobList, summary="The latest jobs the caller may see")
    def list_jobs(
        request: Request,
        kind: str | None = None,
        status: str | None = None,
        limit: int = 50,
        principal: Principal = signed_in,
    ) -> dict[str, Any]:
        """Newest first; `kind` (scoring.rescore, automation.backfill_orphans, ...) and
        `status` (queued, running, succeeded, failed, cancelled) filter."""
        with container_of(request).read_session() as session:
            rows = services.list_jobs(
                session, role=principal.role, kind=kind, status=status, limit=limit
            )
            return {"items": [services.job_public(job) for job in rows]}

    @router.get("/{job_id}", response_model=JobOut, summary="A job: status, progress, result")
    def read_job(request: Request, job_id: int, principal: Principal = signed_in) -> dict[str, Any]:
        with container_of(request).read_session() as session:
            return services.job_public(services.get_job(session, job_id, role=principal.role))

    @router.post(
        "/{job_id}/cancel",
        response_model=JobOut,
        summary="Ask a job to stop",
        responses=problems(409, notes={409: "The job has already ended"}),
    )
    def cancel_job(
        request: Request, job_id: int, principal: Principal = signed_in
    ) -> dict[str, Any]:
        """A queued job is cancelled at once; a running one stops at its next check
        (`cancel_requested` is true until then). An ended job answers 409."""
        with container_of(request).uow() as uow:
            job = services.do_cancel_job(job_id, uow=uow, role=principal.role)
            return services.job_public(job)

    return [router]
