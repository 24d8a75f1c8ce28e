"""The model lifecycle: created, edited, checked and stopped (going live starts a rescore,
in `_rescore`); the scoring switches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from leadflow.lib.bounds import INT32
from leadflow.lib.clock import utcnow
from leadflow.registry.domain import Registry
from leadflow.scoring.domain import (
    ModelDefinition,
    Problems,
    Status,
    Target,
    go_live_problems,
    parse_definition,
)
from leadflow.scoring.models import LeadScore, ScoreHistory, ScoringModel
from leadflow.switches.domain import DELETE_SCORES_ON_STOP
from leadflow.switches.services import set_switch, switch_is_on


def model_public(row: ScoringModel) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "entity_target": row.entity_target,
        "status": row.status,
        "version": row.version,
        "sales_ready_threshold": row.sales_ready_threshold,
        "rules": list((row.definition or {}).get("rules", [])),
        "grades": list((row.definition or {}).get("grades", [])),
        "went_live_at": row.went_live_at.isoformat() if row.went_live_at else None,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def _text(data: Mapping[str, Any], key: str, *, limit: int, required: bool) -> str | None:
    raw = data.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise ValidationFailed(
                f"{key.replace('_', ' ').capitalize()} is required",
                field=key,
                code=ErrorCode.REQUIRED,
            )
        return None
    if not isinstance(raw, str):
        raise ValidationFailed(f"{key} must be text", field=key, code=ErrorCode.NOT_TEXT)
    text = raw.strip()
    if len(text) > limit:
        raise ValidationFailed(
            f"{key} is longer than {limit} characters", field=key, code=ErrorCode.TEXT_TOO_LONG
        )
    return text


def _threshold(raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise ValidationFailed(
            "The sales-ready threshold must be a whole number",
            field="sales_ready_threshold",
            code=ErrorCode.NOT_A_WHOLE_NUMBER,
        )
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed(
            "The sales-ready threshold must be a whole number",
            field="sales_ready_threshold",
            code=ErrorCode.NOT_A_WHOLE_NUMBER,
        ) from None
    if value not in INT32:
        raise ValidationFailed(
            f"The sales-ready threshold must be between {INT32.low} and {INT32.high}",
            code=ErrorCode.OUT_OF_RANGE,
            field="sales_ready_threshold",
        )
    return value


def _apply_fields(row: ScoringModel, data: Mapping[str, Any], registry: Registry) -> None:
    if "name" in data or row.name is None:
        row.name = _text(data, "name", limit=100, required=True) or ""
    if "description" in data:
        row.description = _text(data, "description", limit=2000, required=False)
    if "entity_target" in data:
        try:
            row.entity_target = Target(data["entity_target"]).value
        except ValueError:
            raise ValidationFailed(
                "Entity target must be contact or account",
                field="entity_target",
                code=ErrorCode.NOT_A_CHOICE,
            ) from None
    if "sales_ready_threshold" in data:
        row.sales_ready_threshold = _threshold(data["sales_ready_threshold"])
    if "rules" in data or "grades" in data:
        current = dict(row.definition or {})
        raw = {
            "rules": data.get("rules", current.get("rules", [])),
            "grades": data.get("grades", current.get("grades", [])),
        }
        definition, problems = parse_definition(raw, registry)
        # Drafts are saved only when well-formed: the designer shows the first problem
        # beside the part at fault.
        problems.raise_first()
        row.definition = definition.public()


def create_model(data: Mapping[str, Any], *, uow: UnitOfWork) -> ScoringModel:
    """A new draft model."""
    row = ScoringModel(status=Status.DRAFT.value, version=0, definition={"rules": [], "grades": []})
    row.entity_target = Target.CONTACT.value
    _apply_fields(row, {"name": data.get("name"), **data}, uow.registry)
    row.created_at = row.updated_at = utcnow()
    uow.session.add(row)
    uow.session.flush()
    return row


def get_model(session: Session, model_id: int) -> ScoringModel:
    row = session.get(ScoringModel, model_id)
    if row is None:
        raise NotFound(f"No scoring model {model_id}", field="model_id")
    return row


def list_models(session: Session) -> list[ScoringModel]:
    return list(session.scalars(select(ScoringModel).order_by(ScoringModel.id)))


def update_model(model_id: int, data: Mapping[str, Any], *, uow: UnitOfWork) -> ScoringModel:
    """Edit a draft or stopped model; a live one is read-only until stopped."""
    row = get_model(uow.session, model_id)
    if row.status == Status.LIVE.value:
        raise Conflict(
            "A live model is read-only: stop it to edit", field="status", code=ErrorCode.READ_ONLY
        )
    _apply_fields(row, data, uow.registry)
    row.updated_at = utcnow()
    uow.session.flush()
    return row


def delete_model(model_id: int, *, uow: UnitOfWork) -> None:
    row = get_model(uow.session, model_id)
    if row.status == Status.LIVE.value:
        raise Conflict(
            "Stop the model before deleting it", field="status", code=ErrorCode.NOT_STOPPED
        )
    uow.session.execute(delete(LeadScore).where(LeadScore.model_id == model_id))
    uow.session.execute(delete(ScoreHistory).where(ScoreHistory.model_id == model_id))
    uow.session.delete(row)
    uow.session.flush()


def definition_of(row: ScoringModel, registry: Registry) -> tuple[ModelDefinition, Problems]:
    return parse_definition(row.definition or {}, registry)


def check_model(session: Session, registry: Registry, model_id: int) -> list[dict[str, str]]:
    """ "Check for errors": every problem that would stop the model from going live."""
    row = get_model(session, model_id)
    definition, problems = definition_of(row, registry)
    checked = go_live_problems(definition, problems)
    return [{"field": where, "message": message} for where, message in checked.items]


def stop_model(model_id: int, *, uow: UnitOfWork) -> ScoringModel:
    """Back to editable; its scores go when the org switch says so."""
    row = get_model(uow.session, model_id)
    if row.status != Status.LIVE.value:
        raise Conflict("Only a live model can be stopped", field="status", code=ErrorCode.NOT_LIVE)
    row.status = Status.STOPPED.value
    row.updated_at = utcnow()
    if switch_is_on(uow.session, DELETE_SCORES_ON_STOP.key):
        uow.session.execute(delete(LeadScore).where(LeadScore.model_id == model_id))
    uow.session.flush()
    return row


# --- Use cases: what faces call; each opens the unit of work and commits it ----------------
# `do_x` carries out the step `x` in a transaction of its own; a job it starts is queued
# after that commit. The steps stay for the seeds, benchmarks and tasks that run them.


do_create_model = in_own_transaction(create_model)
do_update_model = in_own_transaction(update_model)
do_delete_model = in_own_transaction(delete_model)
do_stop_model = in_own_transaction(stop_model)


def do_set_switches(switches: Mapping[str, bool], *, uow: UnitOfWork) -> None:
    """Turn scoring org switches on or off, all in one transaction."""
    with uow:
        for key, enabled in switches.items():
            set_switch(key, enabled, uow=uow)
        uow.commit()
