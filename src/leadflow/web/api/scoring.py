"""API routes of the scoring capability: thin over its services."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.errors import ErrorCode, NotFound, ValidationFailed
from leadflow.scoring import insight, predict, services
from leadflow.scoring.models import ScoringModel
from leadflow.scoring.schemas import RescoreIn, ScoringModelIn, ScoringModelPatch, ScoringSwitchIn
from leadflow.scoring.switches import SWITCH_PREFIX, switches_public
from leadflow.users.domain import Permission
from leadflow.web.calls import ApiCall, api_call
from leadflow.web.openapi import problems


def _data(body: BaseModel) -> dict[str, Any]:
    """The members sent, as JSON values: the services read presence (absent: unchanged)."""
    return body.model_dump(mode="json", exclude_unset=True)


router = APIRouter(prefix="/api/v1/scoring", tags=["scoring"])
reading = api_call(Permission.SCORING_READ)
administering = api_call(Permission.SCORING_ADMIN)


def _model_public(model: ScoringModel, _: UnitOfWork) -> dict[str, Any]:
    return services.model_public(model)


def _job_public(call: ApiCall, job_id: int) -> dict[str, Any]:
    return call.read(lambda session: services.job_public(services.get_job(session, job_id)))


@router.get("/models", summary="List scoring models")
def list_models(call: ApiCall = reading) -> dict[str, Any]:
    return call.read(
        lambda session: {"items": [services.model_public(m) for m in services.list_models(session)]}
    )


@router.post("/models", status_code=201, summary="Create a draft")
def create_model(
    response: Response, body: ScoringModelIn, call: ApiCall = administering
) -> dict[str, Any]:
    """Body: name, description, entity_target (contact|account), sales_ready_threshold,
    rules [{name, points, conditions: [...]}], grades [{name, min, max}]."""
    result = call.run(lambda uow: services.do_create_model(_data(body), uow=uow), _model_public)
    response.headers["Location"] = f"/api/v1/scoring/models/{result['id']}"
    return result


@router.get("/models/{model_id}", summary="Read a model")
def read_model(model_id: int, call: ApiCall = reading) -> dict[str, Any]:
    return call.read(lambda session: services.model_public(services.get_model(session, model_id)))


@router.patch(
    "/models/{model_id}",
    summary="Edit a draft",
    responses=problems(409, notes={409: "A live model is read-only: stop it to edit"}),
)
def update_model(
    model_id: int, body: ScoringModelPatch, call: ApiCall = administering
) -> dict[str, Any]:
    return call.run(
        lambda uow: services.do_update_model(model_id, _data(body), uow=uow), _model_public
    )


@router.delete(
    "/models/{model_id}",
    status_code=204,
    summary="Delete a model",
    responses=problems(409, notes={409: "Stop the model before deleting it"}),
)
def delete_model(model_id: int, call: ApiCall = administering) -> Response:
    call.write(lambda uow: services.do_delete_model(model_id, uow=uow))
    return Response(status_code=204)


@router.post("/models/{model_id}/check", summary="Check for errors")
def check_model(model_id: int, call: ApiCall = administering) -> dict[str, Any]:
    found = call.read_registered(
        lambda session, registry: services.check_model(session, registry, model_id)
    )
    return {"ok": not found, "problems": found}


@router.post(
    "/models/{model_id}/go-live",
    summary="Go live",
    responses=problems(409, notes={409: "The model is already live"}),
)
def go_live(model_id: int, call: ApiCall = administering) -> dict[str, Any]:
    """Publishes a new version and starts its full rescore; returns the job."""
    job = call.write(lambda uow: services.do_go_live(model_id, uow=uow, requested_by=call.user_id))
    return _job_public(call, job.id)


@router.post(
    "/models/{model_id}/stop",
    summary="Stop a model",
    responses=problems(409, notes={409: "Only a live model can be stopped"}),
)
def stop_model(model_id: int, call: ApiCall = administering) -> dict[str, Any]:
    return call.run(lambda uow: services.do_stop_model(model_id, uow=uow), _model_public)


@router.post("/models/{model_id}/what-if", summary="What-if")
def what_if(model_id: int, call: ApiCall = administering) -> dict[str, Any]:
    """Runs the model (draft or live) on today's data without writing anything."""
    return call.read_registered(
        lambda session, registry: insight.what_if(session, registry, model_id)
    )


@router.get("/models/{model_id}/backtest", summary="Backtest")
def backtest(model_id: int, call: ApiCall = reading) -> dict[str, Any]:
    """AUC and lift by decile on leads already qualified or disqualified."""
    return call.read_registered(
        lambda session, registry: insight.backtest(session, registry, model_id)
    )


@router.get("/models/{model_id}/insights", summary="Insights")
def insights(model_id: int, call: ApiCall = reading) -> dict[str, Any]:
    return call.read_registered(
        lambda session, registry: insight.insights(session, registry, model_id)
    )


@router.get("/models/{model_id}/scores", summary="Top scores")
def model_scores(model_id: int, limit: int = 100, call: ApiCall = reading) -> dict[str, Any]:
    if not 1 <= limit <= 1000:
        raise ValidationFailed(
            "limit must be between 1 and 1000", field="limit", code=ErrorCode.OUT_OF_RANGE
        )
    return call.read(
        lambda session: {"items": services.model_scores(session, model_id, limit=limit)}
    )


@router.post(
    "/rescore",
    status_code=202,
    summary="Full rescore",
    responses=problems(
        404, 409, notes={404: "No such model", 409: "Only a live model can be rescored"}
    ),
)
def rescore(call: ApiCall = administering, body: RescoreIn | None = None) -> dict[str, Any]:
    """Body (optional): {"model_id": id}; without it every live model is rescored."""
    model_id = body.model_id if body is not None else None
    job = call.write(
        lambda uow: services.do_start_rescore(model_id, uow=uow, requested_by=call.user_id)
    )
    return _job_public(call, job.id)


@router.get("/jobs/{job_id}", summary="A rescore job's progress")
def read_job(job_id: int, call: ApiCall = reading) -> dict[str, Any]:
    return _job_public(call, job_id)


@router.get("/switches", summary="Scoring org switches")
def read_switches(call: ApiCall = reading) -> dict[str, Any]:
    return call.read(lambda session: {"items": switches_public(session)})


@router.put(
    "/switches/{key}",
    summary="Turn a switch on or off",
    responses=problems(404, notes={404: "No switch has this key"}),
)
def write_switch(key: str, body: ScoringSwitchIn, call: ApiCall = administering) -> dict[str, Any]:
    """Body: {"enabled": true|false}; keys are the scoring.* switches."""
    if not key.startswith(SWITCH_PREFIX):
        raise ValidationFailed(
            f"Unknown scoring switch '{key}'", field="key", code=ErrorCode.NOT_A_CHOICE
        )
    call.write(lambda uow: services.do_set_switches({key: body.enabled}, uow=uow))
    return call.read(lambda session: {"items": switches_public(session)})


@router.post("/predictive/train", summary="Train the predictive score")
def train_predictive(call: ApiCall = administering) -> dict[str, Any]:
    """Logistic regression on qualified vs disqualified leads; 422 with too few of either."""
    return call.run(
        lambda uow: predict.do_train_predictive(uow=uow), lambda run, _: predict.run_public(run)
    )


@router.get(
    "/predictive",
    summary="The latest predictive run",
    responses=problems(404, notes={404: "The predictive score has not been trained yet"}),
)
def read_predictive(call: ApiCall = reading) -> dict[str, Any]:
    def latest(session: Session) -> dict[str, Any]:
        run = predict.latest_run(session)
        if run is None:
            raise NotFound("The predictive score has not been trained yet", field="run")
        return predict.run_public(run)

    return call.read(latest)


lead_router = APIRouter(prefix="/api/v1/leads", tags=["scoring"])


@lead_router.get("/{lead_id}/scores", summary="A lead's scores")
def lead_scores(lead_id: int, call: ApiCall = reading) -> dict[str, Any]:
    """Every live model's score, grade and explanation, why one is missing, and history."""
    return call.read(lambda session: services.lead_scores(session, lead_id))


def routers() -> list[APIRouter]:
    return [router, lead_router]
