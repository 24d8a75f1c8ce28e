"""API routes of interactions: recorded one by one or in batches, listed, read."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from leadflow.errors import NotFound
from leadflow.interactions.services import (
    do_record_interaction,
    do_record_interactions,
    get_interaction,
)
from leadflow.records.listing import parse_list_params, run_list
from leadflow.records.values import to_public
from leadflow.users.domain import Permission as P
from leadflow.web.api.schemas import InteractionBatchIn, InteractionIn, Page
from leadflow.web.calls import ApiCall, api_call
from leadflow.web.openapi import problems
from leadflow.web.reach import check_reach, scope_of

router = APIRouter(prefix="/api/v1/interactions", tags=["interactions"])
reading = api_call(P.INTERACTIONS_READ)
writing = api_call(P.INTERACTIONS_WRITE)


@router.post("", status_code=201, summary="Record an interaction")
def record_one(body: InteractionIn, call: ApiCall = writing) -> dict[str, Any]:
    data = body.model_dump(exclude_unset=True)
    recorded = call.write(lambda uow: do_record_interaction(data, uow=uow))
    return {"id": recorded.interaction_id, **recorded.to_payload()}


@router.post(
    "/batch",
    status_code=201,
    summary="Record up to 10,000 interactions in one transaction",
)
def record_batch(body: InteractionBatchIn, call: ApiCall = writing) -> dict[str, Any]:
    items = [item.model_dump(exclude_unset=True) for item in body.items]
    recorded = call.write(lambda uow: do_record_interactions(items, uow=uow))
    return {"count": len(recorded), "ids": [item.interaction_id for item in recorded]}


@router.get("", response_model=Page, summary="List interactions")
def list_interactions(call: ApiCall = reading) -> dict[str, Any]:
    def listed(session: Session) -> dict[str, Any]:
        registry = call.container.registry_cache.get(session)
        params = [("sort", "-occurred_at"), *call.request.query_params.multi_items()]
        query = parse_list_params(registry, "interaction", params)
        page = run_list(session, replace(query, scope=scope_of("interaction", call.principal)))
        return {
            "items": [to_public(item, registry, "interaction") for item in page.items],
            "next_cursor": page.next_cursor,
        }

    return call.read(listed)


@router.get(
    "/{interaction_id}",
    summary="Read an interaction",
    responses=problems(404, notes={404: "No such interaction, or none the caller may see"}),
)
def read_one(interaction_id: int, call: ApiCall = reading) -> dict[str, Any]:
    def one(session: Session) -> dict[str, Any]:
        row = get_interaction(session, interaction_id)
        try:
            check_reach(session, "contact", row.contact_id, call.principal)
        except NotFound:
            raise NotFound(f"No interaction with id {interaction_id}", field="id") from None
        return to_public(row, call.container.registry_cache.get(session), "interaction")

    return call.read(one)
