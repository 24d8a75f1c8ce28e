"""API routes of journeys: thin over their services."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from leadflow.journeys import services
from leadflow.journeys.schemas import JourneyIn, JourneyPatch
from leadflow.users.domain import Permission
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.openapi import problems

_DEFINITION_422 = {
    422: "The definition or settings are at fault (`field`: the path, e.g. "
    "definition.tiles[2].next): a missing tile, a loop, a split not adding up to 100, "
    "an unknown email, segment or field"
}


router = APIRouter(prefix="/api/v1/journeys", tags=["journeys"])
can_read = Depends(Authorize(Permission.JOURNEYS_READ))
can_write = Depends(Authorize(Permission.JOURNEYS_WRITE))


@router.get("", dependencies=[can_read], summary="List journeys")
def list_journeys(request: Request) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        return {
            "items": [services.journey_public(item) for item in services.list_journeys(session)]
        }


@router.post(
    "",
    status_code=201,
    summary="Create a draft journey",
    responses=problems(422, notes=_DEFINITION_422),
)
def create_journey(
    request: Request, response: Response, body: JourneyIn, principal: Principal = can_write
) -> dict[str, Any]:
    """The owner defaults to the caller (leads the journey creates are theirs)."""
    container = container_of(request)
    with container.uow() as uow:
        journey = services.do_create_journey(
            body.name,
            body.owner_id or principal.user_id,
            body.settings,
            body.definition,
            uow=uow,
            description=body.description,
        )
        result = services.journey_public(journey)
    response.headers["Location"] = f"/api/v1/journeys/{result['id']}"
    return result


@router.get(
    "/{journey_id}", dependencies=[can_read], summary="Read a journey", responses=problems(404)
)
def read_journey(request: Request, journey_id: int) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        return services.journey_public(services.get_journey(session, journey_id))


@router.patch(
    "/{journey_id}",
    dependencies=[can_write],
    summary="Edit a journey",
    responses=problems(404, 422, notes=_DEFINITION_422),
)
def update_journey(request: Request, journey_id: int, body: JourneyPatch) -> dict[str, Any]:
    """A draft changes in place; on a journey that has been live a changed definition
    or settings is the next version (contacts in flight keep theirs)."""
    container = container_of(request)
    changes = body.model_dump(exclude_unset=True)
    if body.settings is not None:
        changes["settings"] = body.settings
    if body.definition is not None:
        changes["definition"] = body.definition
    with container.uow() as uow:
        journey = services.do_update_journey(journey_id, changes, uow=uow)
        return services.journey_public(journey)


@router.delete(
    "/{journey_id}",
    status_code=204,
    dependencies=[can_write],
    summary="Delete a journey",
    responses=problems(404, 409, notes={409: "Stop the journey first"}),
)
def delete_journey(request: Request, journey_id: int) -> Response:
    container = container_of(request)
    services.do_delete_journey(journey_id, uow=container.uow())
    return Response(status_code=204)


@router.post(
    "/{journey_id}/go-live",
    dependencies=[can_write],
    summary="Go live",
    responses=problems(404, 409, 422, notes={409: "Already live", **_DEFINITION_422}),
)
def go_live(request: Request, journey_id: int) -> dict[str, Any]:
    """Publishes a version; the audience's current members enter at once."""
    container = container_of(request)
    with container.uow() as uow:
        return services.journey_public(services.do_go_live(journey_id, uow=uow))


@router.post(
    "/{journey_id}/stop",
    dependencies=[can_write],
    summary="Stop a journey",
    responses=problems(404, 409, notes={409: "Not live"}),
)
def stop_journey(request: Request, journey_id: int) -> dict[str, Any]:
    container = container_of(request)
    with container.uow() as uow:
        return services.journey_public(services.do_stop_journey(journey_id, uow=uow))


@router.post(
    "/{journey_id}/resume",
    dependencies=[can_write],
    summary="Resume a stopped journey",
    responses=problems(404, 409, notes={409: "Not stopped"}),
)
def resume_journey(request: Request, journey_id: int) -> dict[str, Any]:
    container = container_of(request)
    with container.uow() as uow:
        return services.journey_public(services.do_resume_journey(journey_id, uow=uow))


@router.get(
    "/{journey_id}/counts",
    dependencies=[can_read],
    summary="Per-tile counts",
    responses=problems(404),
)
def counts(request: Request, journey_id: int) -> dict[str, Any]:
    """Per tile id: active (standing there), passed, and per outcome (sent, capped,
    yes, no, exited, branch_0...)."""
    container = container_of(request)
    with container.read_session() as session:
        return {"tiles": services.tile_counts(session, journey_id)}


@router.get(
    "/{journey_id}/splits",
    dependencies=[can_read],
    summary="Split results",
    responses=problems(404),
)
def splits(request: Request, journey_id: int) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        return {"items": services.split_results(session, journey_id)}


contacts = APIRouter(prefix="/api/v1/contacts", tags=["journeys"])


@contacts.get(
    "/{contact_id}/journeys",
    dependencies=[can_read],
    summary="A contact's journeys and steps",
)
def contact_journeys(request: Request, contact_id: int) -> dict[str, Any]:
    """Every entry of the contact in a journey, newest first, with its steps."""
    container = container_of(request)
    with container.read_session() as session:
        return {"items": [item.public() for item in services.contact_journeys(session, contact_id)]}


def routers() -> list[APIRouter]:
    return [router, contacts]
