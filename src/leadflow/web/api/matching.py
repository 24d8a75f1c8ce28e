"""API routes of the matching strategies: how a submission finds its contact and lead.

No `from __future__ import annotations`: FastAPI reads the body models from the
annotations at run time.
"""

from typing import Any

from fastapi import APIRouter, Body, Response

from leadflow.capture.representations import strategy_json
from leadflow.capture.schemas import StrategyIn
from leadflow.matching import services as matching
from leadflow.users.domain import Permission
from leadflow.web.calls import ApiCall, api_call
from leadflow.web.openapi import problems

router = APIRouter(prefix="/api/v1/matching-strategies", tags=["matching"])
reading = api_call(Permission.FORMS_READ)
administering = api_call(Permission.MATCHING_ADMIN)


def _dump(body: StrategyIn) -> dict[str, Any]:
    data: dict[str, Any] = body.model_dump(exclude_unset=True)
    return data


@router.get("", summary="List matching strategies")
def list_strategies(target: str | None = None, call: ApiCall = reading) -> dict[str, Any]:
    return call.read(
        lambda session: {
            "items": [strategy_json(s) for s in matching.list_strategies(session, target)]
        }
    )


@router.post("", status_code=201, summary="Create a strategy")
def create_strategy(body: StrategyIn = Body(), call: ApiCall = administering) -> dict[str, Any]:
    return call.run(
        lambda uow: matching.do_create_strategy(_dump(body), uow=uow),
        lambda strategy, _: strategy_json(strategy),
    )


@router.get("/{strategy_id}", summary="Read a strategy")
def read_strategy(strategy_id: int, call: ApiCall = reading) -> dict[str, Any]:
    return call.read(lambda session: strategy_json(matching.get_strategy(session, strategy_id)))


@router.patch("/{strategy_id}", summary="Change a strategy")
def update_strategy(
    strategy_id: int, body: StrategyIn = Body(), call: ApiCall = administering
) -> dict[str, Any]:
    return call.run(
        lambda uow: matching.do_update_strategy(strategy_id, _dump(body), uow=uow),
        lambda strategy, _: strategy_json(strategy),
    )


@router.delete(
    "/{strategy_id}",
    status_code=204,
    summary="Delete a strategy",
    responses=problems(409, notes={409: "The default strategy cannot be deleted"}),
)
def delete_strategy(strategy_id: int, call: ApiCall = administering) -> Response:
    call.write(lambda uow: matching.do_delete_strategy(strategy_id, uow=uow))
    return Response(status_code=204)
