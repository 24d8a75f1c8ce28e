"""Jobs API: any background job's progress, the latest jobs, and cancelling one.

Whoever may start a kind of job may see and cancel its jobs; the services
check that per job, so these routes only need a signed-in caller.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from leadflow.jobs import services
from leadflow.jobs.schemas import JobList, JobOut
from leadflow.web.calls import ApiCall, api_call
from leadflow.web.openapi import problems

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])
signed_in = api_call(None)


@router.get("", response_model=JobList, summary="The latest jobs the caller may see")
def list_jobs(
    kind: str | None = None,
    status: str | None = None,
    limit: int = 50,
    call: ApiCall = signed_in,
) -> dict[str, Any]:
    """Newest first; `kind` (scoring.rescore, automation.backfill_orphans, ...) and
    `status` (queued, running, succeeded, failed, cancelled) filter."""
    role = call.principal.role
    return call.read(
        lambda session: {
            "items": [
                services.job_public(job)
                for job in services.list_jobs(
                    session, role=role, kind=kind, status=status, limit=limit
                )
            ]
        }
    )


@router.get("/{job_id}", response_model=JobOut, summary="A job: status, progress, result")
def read_job(job_id: int, call: ApiCall = signed_in) -> dict[str, Any]:
    role = call.principal.role
    return call.read(
        lambda session: services.job_public(services.get_job(session, job_id, role=role))
    )


@router.post(
    "/{job_id}/cancel",
    response_model=JobOut,
    summary="Ask a job to stop",
    responses=problems(409, notes={409: "The job has already ended"}),
)
def cancel_job(job_id: int, call: ApiCall = signed_in) -> dict[str, Any]:
    """A queued job is cancelled at once; a running one stops at its next check
    (`cancel_requested` is true until then). An ended job answers 409."""
    return call.run(
        lambda uow: services.do_cancel_job(job_id, uow=uow, role=call.principal.role),
        lambda job, _: services.job_public(job),
    )


def routers() -> list[APIRouter]:
    return [router]
