"""API routes of segments: thin over their services."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.jobs.services import job_public
from leadflow.registry.domain import Registry
from leadflow.segments import services
from leadflow.segments.explain import explain_membership
from leadflow.segments.schemas import EstimateIn, MembersIn, SegmentIn, SegmentPatch, body_data
from leadflow.users.domain import Permission
from leadflow.web.calls import ApiCall, api_call
from leadflow.web.openapi import problems

router = APIRouter(prefix="/api/v1/segments", tags=["segments"])
reading = api_call(Permission.SEGMENTS_READ)
writing = api_call(Permission.SEGMENTS_WRITE)


def _with_job(segment: Any, job: Any, members: int | None = None) -> dict[str, Any]:
    result = services.segment_public(segment, members)
    result["job"] = job_public(job) if job is not None else None
    return result


def _segment_and_job(changed: tuple[Any, Any], _: UnitOfWork) -> dict[str, Any]:
    segment, job = changed
    return _with_job(segment, job)


@router.get("", summary="List segments")
def list_segments(call: ApiCall = reading) -> dict[str, Any]:
    def listed(session: Session) -> dict[str, Any]:
        counts = services.member_counts(session)
        return {
            "items": [
                services.segment_public(s, counts.get(s.id, 0))
                for s in services.list_segments(session)
            ]
        }

    return call.read(listed)


@router.post("", status_code=201, summary="Create a draft segment")
def create_segment(response: Response, body: SegmentIn, call: ApiCall = writing) -> dict[str, Any]:
    """A dynamic segment's tree is checked against the field registry: an unknown
    field, operator or relationship is a 422 whose `field` is the node's path."""
    result = call.run(
        lambda uow: services.do_create_segment(body_data(body), uow=uow, created_by=call.user_id),
        lambda segment, _: services.segment_public(segment, 0),
    )
    response.headers["Location"] = f"/api/v1/segments/{result['id']}"
    return result


@router.get("/{segment_id}", summary="Read a segment")
def read_segment(segment_id: int, call: ApiCall = reading) -> dict[str, Any]:
    def one(session: Session, registry: Registry) -> dict[str, Any]:
        segment = services.get_segment(session, segment_id)
        counts = services.member_counts(session, [segment_id])
        result = services.segment_public(segment, counts.get(segment_id, 0))
        latest = services.latest_build(session, segment_id)
        result["job"] = job_public(latest) if latest else None
        result["problems"] = services.check_segment(segment, registry)
        return result

    return call.read_registered(one)


@router.patch(
    "/{segment_id}",
    summary="Edit a segment",
    responses=problems(422, notes={422: "A node of the tree is at fault (`field`: path)"}),
)
def update_segment(segment_id: int, body: SegmentPatch, call: ApiCall = writing) -> dict[str, Any]:
    """On a live segment a changed definition is a new version; its rebuild is `job`."""
    return call.run(
        lambda uow: services.do_update_segment(
            segment_id, body_data(body), uow=uow, requested_by=call.user_id
        ),
        _segment_and_job,
    )


@router.delete(
    "/{segment_id}",
    status_code=204,
    summary="Delete a segment",
    responses=problems(409, notes={409: "Stop the segment first, or a compound uses it"}),
)
def delete_segment(segment_id: int, call: ApiCall = writing) -> Response:
    call.write(lambda uow: services.do_delete_segment(segment_id, uow=uow))
    return Response(status_code=204)


@router.post(
    "/{segment_id}/go-live",
    summary="Go live",
    responses=problems(409, 422, notes={409: "The segment is already live"}),
)
def go_live(segment_id: int, call: ApiCall = writing) -> dict[str, Any]:
    """Publishes a version and starts the full build (`job`)."""
    return call.run(
        lambda uow: services.do_go_live(segment_id, uow=uow, requested_by=call.user_id),
        _segment_and_job,
    )


@router.post(
    "/{segment_id}/stop",
    summary="Stop a segment",
    responses=problems(409, notes={409: "Not live, or a live compound segment uses it"}),
)
def stop_segment(segment_id: int, call: ApiCall = writing) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_stop_segment(segment_id, uow=uow),
        lambda segment, _: services.segment_public(segment),
    )


@router.post(
    "/{segment_id}/build",
    status_code=202,
    summary="Rebuild the members",
    responses=problems(409, notes={409: "Only a live dynamic or compound segment"}),
)
def build(segment_id: int, call: ApiCall = writing) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_start_build(segment_id, uow=uow, requested_by=call.user_id),
        lambda job, _: job_public(job),
    )


@router.get("/{segment_id}/versions", summary="Published versions")
def versions(segment_id: int, call: ApiCall = reading) -> dict[str, Any]:
    return call.read(lambda session: {"items": services.versions(session, segment_id)})


@router.get("/{segment_id}/members", summary="Current members")
def members(
    segment_id: int,
    q: str | None = Query(default=None, max_length=200, description="name or email"),
    offset: int = Query(default=0, ge=0, le=10_000_000),
    limit: int = Query(default=50, ge=1, le=200),
    call: ApiCall = reading,
) -> dict[str, Any]:
    """Newest first, with since when and why each contact is in."""
    return call.read_registered(
        lambda session, registry: services.members(
            session, registry, segment_id, search=q, offset=offset, limit=limit
        )
    )


def _members_change(body: MembersIn) -> dict[str, Any]:
    data = body_data(body)
    return {
        "contact_ids": data.get("contact_ids"),
        "emails": data.get("emails"),
        "query": data.get("query"),
    }


@router.post(
    "/{segment_id}/members",
    summary="Add contacts to a static segment",
    responses=problems(409, notes={409: "Not a static segment"}),
)
def add_members(segment_id: int, body: MembersIn, call: ApiCall = writing) -> dict[str, Any]:
    change = _members_change(body)
    return call.write(lambda uow: services.do_add_members(segment_id, uow=uow, **change))


@router.post(
    "/{segment_id}/members/remove",
    summary="Remove contacts from a static segment",
    responses=problems(409, notes={409: "Not a static segment"}),
)
def remove_members(segment_id: int, body: MembersIn, call: ApiCall = writing) -> dict[str, Any]:
    change = _members_change(body)
    return call.write(lambda uow: services.do_remove_members(segment_id, uow=uow, **change))


@router.get("/{segment_id}/history", summary="Entries and exits")
def history(
    segment_id: int,
    contact_id: int | None = Query(default=None, ge=1, le=2**63 - 1),
    limit: int = Query(default=100, ge=1, le=1000),
    call: ApiCall = reading,
) -> dict[str, Any]:
    return call.read(
        lambda session: {
            "items": services.history(session, segment_id, contact_id=contact_id, limit=limit)
        }
    )


@router.get("/{segment_id}/explain/{contact_id}", summary="Why a contact is in or out")
def explain(segment_id: int, contact_id: int, call: ApiCall = reading) -> dict[str, Any]:
    """In or out, since when, why; per node whether it held and on which records."""
    return call.read_registered(
        lambda session, registry: explain_membership(session, registry, segment_id, contact_id)
    )


@router.get(
    "/{segment_id}/export",
    summary="Members as CSV",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export(segment_id: int, call: ApiCall = reading) -> StreamingResponse:
    # The session outlives the route: the response streams from it, then closes it.
    container = call.container
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


@estimate_router.post("/estimate", summary="Estimate a draft tree")
def estimate(body: EstimateIn, call: ApiCall = reading) -> dict[str, Any]:
    """How many contacts the tree admits now and each top-level node alone; a tree
    that does not validate answers its problems (each with its path)."""
    definition = body_data(body)["definition"]
    return call.read_registered(
        lambda session, registry: services.estimate(session, registry, definition)
    )


contact_router = APIRouter(prefix="/api/v1/contacts", tags=["segments"])


@contact_router.get("/{contact_id}/segments", summary="The segments a contact is in")
def contact_segments(contact_id: int, call: ApiCall = reading) -> dict[str, Any]:
    return call.read_registered(
        lambda session, registry: {
            "items": services.segments_of_contact(session, registry, contact_id)
        }
    )


# /estimate before /{segment_id}: the literal path wins.


def routers() -> list[APIRouter]:
    return [estimate_router, router]


def contact_segments_router() -> APIRouter:
    return contact_router
