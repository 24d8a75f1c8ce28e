"""API routes of the registry's fields: every entity's fields, custom fields added and removed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from leadflow.registry.services import do_add_custom_field, do_remove_custom_field
from leadflow.users.domain import Permission as P
from leadflow.web.api.schemas import CustomFieldIn
from leadflow.web.calls import ApiCall, api_call
from leadflow.web.openapi import problems

router = APIRouter(prefix="/api/v1", tags=["fields"])
reading = api_call(P.FIELDS_READ)
administering = api_call(P.FIELDS_ADMIN)


@router.get("/fields", summary="Every entity and its fields")
def all_fields(call: ApiCall = reading) -> dict[str, Any]:
    registry = call.container.registry()
    return {
        "entities": [
            {
                "name": entity.name,
                "label": entity.label,
                "plural": entity.plural,
                "supports_custom_fields": entity.supports_custom_fields,
                "fields": [item.public() for item in registry.fields_of(entity.name)],
            }
            for entity in registry.entities.values()
        ],
        "relationships": [rel.public() for rel in registry.relationships.values()],
    }


@router.get("/fields/{entity}", summary="One entity's fields")
def entity_fields(entity: str, call: ApiCall = reading) -> dict[str, Any]:
    registry = call.container.registry()
    return {"items": [item.public() for item in registry.fields_of(entity)]}


@router.post(
    "/fields",
    status_code=201,
    summary="Add a custom field",
    responses=problems(409, notes={409: "The entity has a field of this name (`duplicate`)"}),
)
def add_field(body: CustomFieldIn, call: ApiCall = administering) -> dict[str, Any]:
    definition = call.write(lambda uow: do_add_custom_field(body.model_dump(), uow=uow))
    return definition.public()


@router.delete(
    "/fields/{entity}/{name}",
    status_code=204,
    summary="Remove a custom field",
    responses=problems(404, notes={404: "The entity has no custom field of this name"}),
)
def remove_field(entity: str, name: str, call: ApiCall = administering) -> Response:
    call.write(lambda uow: do_remove_custom_field(entity, name, uow=uow))
    return Response(status_code=204)
