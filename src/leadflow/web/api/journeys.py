"""API routes of journeys: thin over their services."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from leadflow.db.uow import UnitOfWork
from leadflow.journeys import services
from leadflow.journeys.models import Journey
from leadflow.journeys.schemas import JourneyIn, JourneyPatch
from leadflow.users.domain import Permission
from leadflow.web.calls import ApiCall, api_call
from leadflow.web.openapi import problems

_DEFINITION_422 = {
    422: "The definition or settings are at fault (`field`: the path, e.g. "
    "definition.tiles[2].next): a missing tile, a loop, a split not adding up to 100, "
    "an unknown email, segment or field"
}


router = APIRouter(prefix="/api/v1/journeys", tags=["journeys"])
reading = api_call(Permission.JOURNEYS_READ)
writing = api_call(Permission.JOURNEYS_WRITE)


def _journey_public(journey: Journey, _: UnitOfWork) -> dict[str, Any]:
    return services.journey_public(journey)


@router.get("", summary="List journeys")
def list_journeys(call: ApiCall = reading) -> dict[str, Any]:
    return call.read(
        lambda session: {
            "items": [services.journey_public(item) for item in services.list_journeys(session)]
        }
    )


@router.post(
    "",
    status_code=201,
    summary="Create a draft journey",
    responses=problems(422, notes=_DEFINITION_422),
)
def create_journey(response: Response, body: JourneyIn, call: ApiCall = writing) -> dict[str, Any]:
    """The owner defaults to the caller (leads the journey creates are theirs)."""
    result = call.run(
        lambda uow: services.do_create_journey(
            body.name,
            body.owner_id or call.user_id,
            body.settings,
            body.definition,
            uow=uow,
            description=body.description,
        ),
        _journey_public,
    )
    response.headers["Location"] = f"/api/v1/journeys/{result['id']}"
    return result


@router.get("/{journey_id}", summary="Read a journey", responses=problems(404))
def read_journey(journey_id: int, call: ApiCall = reading) -> dict[str, Any]:
    return call.read(
        lambda session: services.journey_public(services.get_journey(session, journey_id))
    )


@router.patch(
    "/{journey_id}",
    summary="Edit a journey",
    responses=problems(404, 422, notes=_DEFINITION_422),
)
def update_journey(journey_id: int, body: JourneyPatch, call: ApiCall = writing) -> dict[str, Any]:
    """A draft changes in place; on a journey that has been live a changed definition
    or settings is the next version (contacts in flight keep theirs)."""
    changes = body.model_dump(exclude_unset=True)
    if body.settings is not None:
        changes["settings"] = body.settings
    if body.definition is not None:
        changes["definition"] = body.definition
    return call.run(
        lambda uow: services.do_update_journey(journey_id, changes, uow=uow), _journey_public
    )


@router.delete(
    "/{journey_id}",
    status_code=204,
    summary="Delete a journey",
    responses=problems(404, 409, notes={409: "Stop the journey first"}),
)
def delete_journey(journey_id: int, call: ApiCall = writing) -> Response:
    call.write(lambda uow: services.do_delete_journey(journey_id, uow=uow))
    return Response(status_code=204)


@router.post(
    "/{journey_id}/go-live",
    summary="Go live",
    responses=problems(404, 409, 422, notes={409: "Already live", **_DEFINITION_422}),
)
def go_live(journey_id: int, call: ApiCall = writing) -> dict[str, Any]:
    """Publishes a version; the audience's current members enter at once."""
    return call.run(lambda uow: services.do_go_live(journey_id, uow=uow), _journey_public)


@router.post(
    "/{journey_id}/stop",
    summary="Stop a journey",
    responses=problems(404, 409, notes={409: "Not live"}),
)
def stop_journey(journey_id: int, call: ApiCall = writing) -> dict[str, Any]:
    return call.run(lambda uow: services.do_stop_journey(journey_id, uow=uow), _journey_public)


@router.post(
    "/{journey_id}/resume",
    summary="Resume a stopped journey",
    responses=problems(404, 409, notes={409: "Not stopped"}),
)
def resume_journey(journey_id: int, call: ApiCall = writing) -> dict[str, Any]:
    return call.run(lambda uow: services.do_resume_journey(journey_id, uow=uow), _journey_public)


@router.get("/{journey_id}/counts", summary="Per-tile counts", responses=problems(404))
def counts(journey_id: int, call: ApiCall = reading) -> dict[str, Any]:
    """Per tile id: active (standing there), passed, and per outcome (sent, capped,
    yes, no, exited, branch_0...)."""
    return call.read(lambda session: {"tiles": services.tile_counts(session, journey_id)})


@router.get("/{journey_id}/splits", summary="Split results", responses=problems(404))
def splits(journey_id: int, call: ApiCall = reading) -> dict[str, Any]:
    return call.read(lambda session: {"items": services.split_results(session, journey_id)})


contacts = APIRouter(prefix="/api/v1/contacts", tags=["journeys"])


@contacts.get("/{contact_id}/journeys", summary="A contact's journeys and steps")
def contact_journeys(contact_id: int, call: ApiCall = reading) -> dict[str, Any]:
    """Every entry of the contact in a journey, newest first, with its steps."""
    return call.read(
        lambda session: {
            "items": [item.public() for item in services.contact_journeys(session, contact_id)]
        }
    )


def routers() -> list[APIRouter]:
    return [router, contacts]
