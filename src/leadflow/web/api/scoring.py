"""API routes of the scoring capability: thin over its services."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from leadflow.errors import NotFound, ValidationFailed
from leadflow.scoring import insight, predict, services
from leadflow.scoring.schemas import RescoreIn, ScoringModelIn, ScoringModelPatch, ScoringSwitchIn
from leadflow.scoring.switches import SWITCH_PREFIX, switches_public
from leadflow.users.domain import Permission
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.openapi import problems


def _data(body: BaseModel) -> dict[str, Any]:
    """The members sent, as JSON values: the services read presence (absent: unchanged)."""
    return body.model_dump(mode="json", exclude_unset=True)


router = APIRouter(prefix="/api/v1/scoring", tags=["scoring"])
can_read = Depends(Authorize(Permission.SCORING_READ))
can_admin = Depends(Authorize(Permission.SCORING_ADMIN))


@router.get("/models", dependencies=[can_read], summary="List scoring models")
def list_models(request: Request) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        return {"items": [services.model_public(m) for m in services.list_models(session)]}


@router.post("/models", status_code=201, dependencies=[can_admin], summary="Create a draft")
def create_model(request: Request, response: Response, body: ScoringModelIn) -> dict[str, Any]:
    """Body: name, description, entity_target (contact|account), sales_ready_threshold,
    rules [{name, points, conditions: [...]}], grades [{name, min, max}]."""
    container = container_of(request)
    with container.uow() as uow:
        result = services.model_public(services.do_create_model(_data(body), uow=uow))
    response.headers["Location"] = f"/api/v1/scoring/models/{result['id']}"
    return result


@router.get("/models/{model_id}", dependencies=[can_read], summary="Read a model")
def read_model(request: Request, model_id: int) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        return services.model_public(services.get_model(session, model_id))


@router.patch(
    "/models/{model_id}",
    dependencies=[can_admin],
    summary="Edit a draft",
    responses=problems(409, notes={409: "A live model is read-only: stop it to edit"}),
)
def update_model(request: Request, model_id: int, body: ScoringModelPatch) -> dict[str, Any]:
    container = container_of(request)
    with container.uow() as uow:
        return services.model_public(services.do_update_model(model_id, _data(body), uow=uow))


@router.delete(
    "/models/{model_id}",
    status_code=204,
    dependencies=[can_admin],
    summary="Delete a model",
    responses=problems(409, notes={409: "Stop the model before deleting it"}),
)
def delete_model(request: Request, model_id: int) -> Response:
    container = container_of(request)
    services.do_delete_model(model_id, uow=container.uow())
    return Response(status_code=204)


@router.post("/models/{model_id}/check", dependencies=[can_admin], summary="Check for errors")
def check_model(request: Request, model_id: int) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        problems = services.check_model(session, registry, model_id)
    return {"ok": not problems, "problems": problems}


@router.post(
    "/models/{model_id}/go-live",
    dependencies=[can_admin],
    summary="Go live",
    responses=problems(409, notes={409: "The model is already live"}),
)
def go_live(request: Request, model_id: int, principal: Principal = can_admin) -> dict[str, Any]:
    """Publishes a new version and starts its full rescore; returns the job."""
    container = container_of(request)
    job = services.do_go_live(model_id, uow=container.uow(), requested_by=principal.user_id)
    job_id = job.id
    with container.read_session() as session:
        return services.job_public(services.get_job(session, job_id))


@router.post(
    "/models/{model_id}/stop",
    dependencies=[can_admin],
    summary="Stop a model",
    responses=problems(409, notes={409: "Only a live model can be stopped"}),
)
def stop_model(request: Request, model_id: int) -> dict[str, Any]:
    container = container_of(request)
    with container.uow() as uow:
        return services.model_public(services.do_stop_model(model_id, uow=uow))


@router.post("/models/{model_id}/what-if", dependencies=[can_admin], summary="What-if")
def what_if(request: Request, model_id: int) -> dict[str, Any]:
    """Runs the model (draft or live) on today's data without writing anything."""
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        return insight.what_if(session, registry, model_id)


@router.get("/models/{model_id}/backtest", dependencies=[can_read], summary="Backtest")
def backtest(request: Request, model_id: int) -> dict[str, Any]:
    """AUC and lift by decile on leads already qualified or disqualified."""
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        return insight.backtest(session, registry, model_id)


@router.get("/models/{model_id}/insights", dependencies=[can_read], summary="Insights")
def insights(request: Request, model_id: int) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        return insight.insights(session, registry, model_id)


@router.get("/models/{model_id}/scores", dependencies=[can_read], summary="Top scores")
def model_scores(request: Request, model_id: int, limit: int = 100) -> dict[str, Any]:
    if not 1 <= limit <= 1000:
        raise ValidationFailed("limit must be between 1 and 1000", field="limit")
    container = container_of(request)
    with container.read_session() as session:
        return {"items": services.model_scores(session, model_id, limit=limit)}


@router.post(
    "/rescore",
    status_code=202,
    dependencies=[can_admin],
    summary="Full rescore",
    responses=problems(
        404, 409, notes={404: "No such model", 409: "Only a live model can be rescored"}
    ),
)
def rescore(
    request: Request, principal: Principal = can_admin, body: RescoreIn | None = None
) -> dict[str, Any]:
    """Body (optional): {"model_id": id}; without it every live model is rescored."""
    model_id = body.model_id if body is not None else None
    container = container_of(request)
    job = services.do_start_rescore(model_id, uow=container.uow(), requested_by=principal.user_id)
    job_id = job.id
    with container.read_session() as session:
        return services.job_public(services.get_job(session, job_id))


@router.get("/jobs/{job_id}", dependencies=[can_read], summary="A rescore job's progress")
def read_job(request: Request, job_id: int) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        return services.job_public(services.get_job(session, job_id))


@router.get("/switches", dependencies=[can_read], summary="Scoring org switches")
def read_switches(request: Request) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        return {"items": switches_public(session)}


@router.put(
    "/switches/{key}",
    dependencies=[can_admin],
    summary="Turn a switch on or off",
    responses=problems(404, notes={404: "No switch has this key"}),
)
def write_switch(request: Request, key: str, body: ScoringSwitchIn) -> dict[str, Any]:
    """Body: {"enabled": true|false}; keys are the scoring.* switches."""
    if not key.startswith(SWITCH_PREFIX):
        raise ValidationFailed(f"Unknown scoring switch '{key}'", field="key")
    container = container_of(request)
    services.do_set_switches({key: body.enabled}, uow=container.uow())
    with container.read_session() as session:
        return {"items": switches_public(session)}


@router.post("/predictive/train", dependencies=[can_admin], summary="Train the predictive score")
def train_predictive(request: Request) -> dict[str, Any]:
    """Logistic regression on qualified vs disqualified leads; 422 with too few of either."""
    container = container_of(request)
    with container.uow() as uow:
        return predict.run_public(predict.do_train_predictive(uow=uow))


@router.get(
    "/predictive",
    dependencies=[can_read],
    summary="The latest predictive run",
    responses=problems(404, notes={404: "The predictive score has not been trained yet"}),
)
def read_predictive(request: Request) -> dict[str, Any]:
    container = container_of(request)
    with container.read_session() as session:
        run = predict.latest_run(session)
        if run is None:
            raise NotFound("The predictive score has not been trained yet", field="run")
        return predict.run_public(run)


lead_router = APIRouter(prefix="/api/v1/leads", tags=["scoring"])


@lead_router.get("/{lead_id}/scores", dependencies=[can_read], summary="A lead's scores")
def lead_scores(request: Request, lead_id: int) -> dict[str, Any]:
    """Every live model's score, grade and explanation, why one is missing, and history."""
    container = container_of(request)
    with container.read_session() as session:
        return services.lead_scores(session, lead_id)


def routers() -> list[APIRouter]:
    return [router, lead_router]
