"""API routes of segments: thin over their services."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from leadflow.jobs.services import job_public
from leadflow.segments import services
from leadflow.segments.explain import explain_membership
from leadflow.segments.schemas import EstimateIn, MembersIn, SegmentIn, SegmentPatch, body_data
from leadflow.users.domain import Permission
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.openapi import problems

router = APIRouter(prefix="/api/v1/segments", tags=["segments"])
can_read = Depends(Authorize(Permission.SEGMENTS_READ))
can_write = Depends(Authorize(Permission.SEGMENTS_WRITE))


def _with_job(segment: Any, job: Any, members: int | None = None) -> dict[str, Any]:
    result = services.segment_public(segment, members)
    result["job"] = job_public(job) if job is not None else None
    return result


@router.get("", dependencies=[can_read], summary="List segments")
def list_segments(request: Request) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        counts = services.member_counts(session)
        return {
            "items": [
                services.segment_public(s, counts.get(s.id, 0))
                for s in services.list_segments(session)
            ]
        }


@router.post("", status_code=201, dependencies=[can_write], summary="Create a draft segment")
def create_segment(
    request: Request, response: Response, body: SegmentIn, principal: Principal = can_write
) -> dict[str, Any]:
    """A dynamic segment's tree is checked against the field registry: an unknown
    field, operator or relationship is a 422 whose `field` is the node's path."""
    container = container_of(request)
    with container.uow() as uow:
        segment = services.do_create_segment(body_data(body), uow=uow, created_by=principal.user_id)
        result = services.segment_public(segment, 0)
    response.headers["Location"] = f"/api/v1/segments/{result['id']}"
    return result


@router.get("/{segment_id}", dependencies=[can_read], summary="Read a segment")
def read_segment(request: Request, segment_id: int) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        segment = services.get_segment(session, segment_id)
        counts = services.member_counts(session, [segment_id])
        result = services.segment_public(segment, counts.get(segment_id, 0))
        latest = services.latest_build(session, segment_id)
        result["job"] = job_public(latest) if latest else None
        result["problems"] = services.check_segment(segment, container.registry_cache.get(session))
        return result


@router.patch(
    "/{segment_id}",
    dependencies=[can_write],
    summary="Edit a segment",
    responses=problems(422, notes={422: "A node of the tree is at fault (`field`: path)"}),
)
def update_segment(
    request: Request, segment_id: int, body: SegmentPatch, principal: Principal = can_write
) -> dict[str, Any]:
    """On a live segment a changed definition is a new version; its rebuild is `job`."""
    container = container_of(request)
    with container.uow() as uow:
        segment, job = services.do_update_segment(
            segment_id, body_data(body), uow=uow, requested_by=principal.user_id
        )
        return _with_job(segment, job)


@router.delete(
    "/{segment_id}",
    status_code=204,
    dependencies=[can_write],
    summary="Delete a segment",
    responses=problems(409, notes={409: "Stop the segment first, or a compound uses it"}),
)
def delete_segment(request: Request, segment_id: int) -> Response:
    container = container_of(request)
    services.do_delete_segment(segment_id, uow=container.uow())
    return Response(status_code=204)


@router.post(
    "/{segment_id}/go-live",
    dependencies=[can_write],
    summary="Go live",
    responses=problems(409, 422, notes={409: "The segment is already live"}),
)
def go_live(request: Request, segment_id: int, principal: Principal = can_write) -> dict[str, Any]:
    """Publishes a version and starts the full build (`job`)."""
    container = container_of(request)
    with container.uow() as uow:
        segment, job = services.do_go_live(segment_id, uow=uow, requested_by=principal.user_id)
        return _with_job(segment, job)


@router.post(
    "/{segment_id}/stop",
    dependencies=[can_write],
    summary="Stop a segment",
    responses=problems(409, notes={409: "Not live, or a live compound segment uses it"}),
)
def stop_segment(request: Request, segment_id: int) -> dict[str, Any]:
    container = container_of(request)
    with container.uow() as uow:
        return services.segment_public(services.do_stop_segment(segment_id, uow=uow))


@router.post(
    "/{segment_id}/build",
    status_code=202,
    dependencies=[can_write],
    summary="Rebuild the members",
    responses=problems(409, notes={409: "Only a live dynamic or compound segment"}),
)
def build(request: Request, segment_id: int, principal: Principal = can_write) -> dict[str, Any]:
    container = container_of(request)
    with container.uow() as uow:
        job = services.do_start_build(segment_id, uow=uow, requested_by=principal.user_id)
        return job_public(job)


@router.get("/{segment_id}/versions", dependencies=[can_read], summary="Published versions")
def versions(request: Request, segment_id: int) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        return {"items": services.versions(session, segment_id)}


@router.get("/{segment_id}/members", dependencies=[can_read], summary="Current members")
def members(
    request: Request,
    segment_id: int,
    q: str | None = Query(default=None, max_length=200, description="name or email"),
    offset: int = Query(default=0, ge=0, le=10_000_000),
    limit: int = Query(default=50, ge=1, le=200),
) -> dict[str, Any]:
    """Newest first, with since when and why each contact is in."""
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        return services.members(session, registry, segment_id, search=q, offset=offset, limit=limit)


@router.post(
    "/{segment_id}/members",
    dependencies=[can_write],
    summary="Add contacts to a static segment",
    responses=problems(409, notes={409: "Not a static segment"}),
)
def add_members(request: Request, segment_id: int, body: MembersIn) -> dict[str, Any]:
    container = container_of(request)
    data = body_data(body)
    with container.uow() as uow:
        return services.do_add_members(
            segment_id,
            uow=uow,
            contact_ids=data.get("contact_ids"),
            emails=data.get("emails"),
            query=data.get("query"),
        )


@router.post(
    "/{segment_id}/members/remove",
    dependencies=[can_write],
    summary="Remove contacts from a static segment",
    responses=problems(409, notes={409: "Not a static segment"}),
)
def remove_members(request: Request, segment_id: int, body: MembersIn) -> dict[str, Any]:
    container = container_of(request)
    data = body_data(body)
    with container.uow() as uow:
        return services.do_remove_members(
            segment_id,
            uow=uow,
            contact_ids=data.get("contact_ids"),
            emails=data.get("emails"),
            query=data.get("query"),
        )


@router.get("/{segment_id}/history", dependencies=[can_read], summary="Entries and exits")
def history(
    request: Request,
    segment_id: int,
    contact_id: int | None = Query(default=None, ge=1, le=2**63 - 1),
    limit: int = Query(default=100, ge=1, le=1000),
) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        return {"items": services.history(session, segment_id, contact_id=contact_id, limit=limit)}


@router.get(
    "/{segment_id}/explain/{contact_id}",
    dependencies=[can_read],
    summary="Why a contact is in or out",
)
def explain(request: Request, segment_id: int, contact_id: int) -> dict[str, Any]:
    """In or out, since when, why; per node whether it held and on which records."""
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        return explain_membership(session, registry, segment_id, contact_id)


@router.get(
    "/{segment_id}/export",
    dependencies=[can_read],
    summary="Members as CSV",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export(request: Request, segment_id: int) -> StreamingResponse:
    container = container_of(request)
    session = container.read_session()
    try:
        registry = container.registry_cache.get(session)
        services.get_segment(session, segment_id)
    except Exception:
        session.close()
        raise

    def lines() -> Any:
        try:
            yield from services.export_csv(session, registry, segment_id)
        finally:
            session.close()

    return StreamingResponse(
        lines(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="segment-{segment_id}.csv"'},
    )


estimate_router = APIRouter(prefix="/api/v1/segments", tags=["segments"])


@estimate_router.post(
    "/estimate",
    dependencies=[can_read],
    summary="Estimate a draft tree",
)
def estimate(request: Request, body: EstimateIn) -> dict[str, Any]:
    """How many contacts the tree admits now and each top-level node alone; a tree
    that does not validate answers its problems (each with its path)."""
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        return services.estimate(session, registry, body_data(body)["definition"])


# /estimate before /{segment_id}: the literal path wins.


def routers() -> list[APIRouter]:
    return [estimate_router, router]


def contact_segments_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/contacts", tags=["segments"])

    @router.get(
        "/{contact_id}/segments",
        dependencies=[Depends(Authorize(Permission.SEGMENTS_READ))],
        summary="The segments a contact is in",
    )
    def contact_segments(request: Request, contact_id: int) -> dict[str, Any]:
        container = container_of(request)
        with container.read_session() as session:
            registry = container.registry_cache.get(session)
            return {"items": services.segments_of_contact(session, registry, contact_id)}

    return router
