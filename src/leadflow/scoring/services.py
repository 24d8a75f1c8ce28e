"""Scoring use cases: the model lifecycle, rescoring, and what the lead page and insights read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from leadflow.jobs import services as jobs
from leadflow.jobs.domain import JobStatus
from leadflow.jobs.services import start_job
from leadflow.lib.bounds import INT32
from leadflow.lib.clock import as_utc, utcnow
from leadflow.registry.domain import Registry
from leadflow.registry.sql import table_for
from leadflow.scoring.compiler import LeadScope
from leadflow.scoring.domain import (
    ModelDefinition,
    Problems,
    Status,
    Target,
    go_live_problems,
    parse_definition,
)
from leadflow.scoring.engine import CompiledModel, apply_model
from leadflow.scoring.models import LeadScore, ScoreHistory, ScoringModel
from leadflow.switches.domain import DELETE_SCORES_ON_STOP
from leadflow.switches.services import set_switch, switch_is_on

if TYPE_CHECKING:
    from leadflow.jobs.models import Job
    from leadflow.jobs.runner import JobContext

RESCORE_BATCH = 250_000


# --- models -----------------------------------------------------------------


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
            raise ValidationFailed(f"{key.replace('_', ' ').capitalize()} is required", field=key)
        return None
    if not isinstance(raw, str):
        raise ValidationFailed(f"{key} must be text", field=key)
    text = raw.strip()
    if len(text) > limit:
        raise ValidationFailed(f"{key} is longer than {limit} characters", field=key)
    return text


def _threshold(raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise ValidationFailed(
            "The sales-ready threshold must be a whole number", field="sales_ready_threshold"
        )
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed(
            "The sales-ready threshold must be a whole number", field="sales_ready_threshold"
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
                "Entity target must be contact or account", field="entity_target"
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
        raise Conflict("A live model is read-only: stop it to edit", field="status")
    _apply_fields(row, data, uow.registry)
    row.updated_at = utcnow()
    uow.session.flush()
    return row


def delete_model(model_id: int, *, uow: UnitOfWork) -> None:
    row = get_model(uow.session, model_id)
    if row.status == Status.LIVE.value:
        raise Conflict("Stop the model before deleting it", field="status")
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


def go_live(model_id: int, *, uow: UnitOfWork, requested_by: int | None = None) -> Job:
    """Publish a new version and start its full rescore (a job, queued after commit)."""
    row = get_model(uow.session, model_id)
    if row.status == Status.LIVE.value:
        raise Conflict("The model is already live", field="status")
    definition, problems = definition_of(row, uow.registry)
    go_live_problems(definition, problems).raise_first()
    now = utcnow()
    row.status = Status.LIVE.value
    row.version += 1
    row.went_live_at = now
    row.updated_at = now
    uow.session.flush()
    return _start_rescore_job(row.id, uow=uow, requested_by=requested_by, now=now)


def stop_model(model_id: int, *, uow: UnitOfWork) -> ScoringModel:
    """Back to editable; its scores go when the org switch says so."""
    row = get_model(uow.session, model_id)
    if row.status != Status.LIVE.value:
        raise Conflict("Only a live model can be stopped", field="status")
    row.status = Status.STOPPED.value
    row.updated_at = utcnow()
    if switch_is_on(uow.session, DELETE_SCORES_ON_STOP.key):
        uow.session.execute(delete(LeadScore).where(LeadScore.model_id == model_id))
    uow.session.flush()
    return row


# --- full rescore ------------------------------------------------------------

RESCORE_JOB = "scoring.rescore"
_RESULT_KEYS = ("scored", "changed", "removed", "sales_ready")
# Statuses as `/api/v1/scoring/jobs/{id}` has always named them.
_LEGACY_STATUS = {JobStatus.SUCCEEDED.value: "done"}


def start_rescore(
    model_id: int | None,
    *,
    uow: UnitOfWork,
    requested_by: int | None = None,
    now: datetime | None = None,
) -> Job:
    """Start a full rescore of one live model or all of them: a job, queued after commit.

    `now` is the moment scores are computed for (windows count back from it); it
    is fixed at the start, so a resumed run scores its remaining leads as of the
    same moment as the ranges done before the crash.
    """
    if model_id is not None:
        row = get_model(uow.session, model_id)
        if row.status != Status.LIVE.value:
            raise Conflict("Only a live model can be rescored", field="model_id")
    return _start_rescore_job(model_id, uow=uow, requested_by=requested_by, now=now)


def _start_rescore_job(
    model_id: int | None, *, uow: UnitOfWork, requested_by: int | None, now: datetime | None
) -> Job:
    params: dict[str, Any] = {"model_id": model_id, "as_of": (now or utcnow()).isoformat()}
    return start_job(RESCORE_JOB, params, uow=uow, requested_by=requested_by)


def job_public(job: Job) -> dict[str, Any]:
    """A rescore job in the shape `/api/v1/scoring/jobs/{id}` has always returned."""
    return {
        "id": job.id,
        "model_id": (job.params or {}).get("model_id"),
        "status": _LEGACY_STATUS.get(job.status, job.status),
        "done": job.done,
        "total": job.total,
        "error": job.error,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def get_job(session: Session, job_id: int) -> Job:
    """A rescore job; another kind's id is not a scoring job."""
    job = jobs.find_job(session, job_id)
    if job is None or job.kind != RESCORE_JOB:
        raise NotFound(f"No scoring job {job_id}", field="job_id")
    return job


def latest_rescore(session: Session, model_id: int) -> Job | None:
    """The model's newest full rescore (going live starts one)."""
    return jobs.latest_job(session, RESCORE_JOB, model_id=model_id)


@dataclass
class _RescoreCursor:
    """Where a full rescore stands: models below `model_id` are done, and this one's
    leads below `start`; `totals` adds up the ranges done so far."""

    model_id: int = 0
    start: int | None = None
    totals: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, raw: Any) -> _RescoreCursor:
        if not isinstance(raw, dict):
            return cls()
        return cls(int(raw.get("model_id") or 0), raw.get("start"), dict(raw.get("totals") or {}))

    def to_json(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "start": self.start, "totals": self.totals}


def _as_of(params: Mapping[str, Any]) -> datetime:
    raw = params.get("as_of")
    return as_utc(datetime.fromisoformat(raw)) if isinstance(raw, str) else utcnow()


def _batch_size(params: Mapping[str, Any]) -> int:
    raw = params.get("batch_size")
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else RESCORE_BATCH


def run_rescore(context: JobContext, params: Mapping[str, Any]) -> dict[str, int]:
    """The body of a full rescore: every lead of the job's live models in id ranges, one
    transaction per range that also saves the checkpoint, so a resumed run starts at
    the first range not committed; a range run twice writes the same scores."""
    container = context.container
    now = _as_of(params)
    batch = _batch_size(params)
    model_id = params.get("model_id")
    leads = table_for("lead")
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        query = select(ScoringModel).where(ScoringModel.status == Status.LIVE.value)
        if model_id is not None:
            query = query.where(ScoringModel.id == model_id)
        models = [CompiledModel.of(row, registry) for row in session.scalars(query)]
        low, high = session.execute(select(func.min(leads.c.id), func.max(leads.c.id))).one()
        count = int(session.scalar(select(func.count()).select_from(leads)) or 0)
    total = count * len(models)
    cursor = _RescoreCursor.of(context.resume_from)
    done = context.done if context.resume_from is not None else 0
    totals = {key: int(cursor.totals.get(key, 0)) for key in _RESULT_KEYS}
    context.progress(done, total)
    # Leads per range, counted once for all models.
    in_range: dict[int, int] = {}
    for model in sorted(models, key=lambda item: item.id):
        if model.id < cursor.model_id:
            continue
        start = cursor.start if model.id == cursor.model_id and cursor.start else low
        while start is not None and high is not None and start <= high:
            context.raise_if_cancelled()
            end = start + batch - 1
            with container.uow() as uow:
                part = apply_model(uow, model, now=now, scope=LeadScope(id_range=(start, end)))
                if start not in in_range:
                    in_range[start] = int(
                        uow.session.scalar(
                            select(func.count())
                            .select_from(leads)
                            .where(leads.c.id.between(start, end))
                        )
                        or 0
                    )
                done += in_range[start]
                for key in _RESULT_KEYS:
                    totals[key] += getattr(part, key)
                next_cursor = _RescoreCursor(model.id, end + 1, totals)
                context.checkpoint(next_cursor.to_json(), done=done, total=total, uow=uow)
                uow.commit()
            start = end + 1
    context.progress(total, total)
    return totals


# --- reading scores ------------------------------------------------------------


def unscorable_reason(lead: Mapping[str, Any], target: Target | None = None) -> str | None:
    """Why a model cannot score this lead (None when it can)."""
    contact = lead.get("parent_contact_id")
    account = lead.get("parent_account_id")
    if contact is None and account is None:
        return "The lead has no parent contact or parent account, so no model can score it."
    if target is Target.ACCOUNT and contact is not None:
        return (
            "The lead has a parent contact, so it is contact-based;"
            " this model scores account-based leads."
        )
    if target is Target.CONTACT and contact is None:
        return (
            "The lead has no parent contact, so it is account-based;"
            " this model scores contact-based leads."
        )
    return None


def lead_scores(session: Session, lead_id: int) -> dict[str, Any]:
    """Every live model's score for a lead, why one is missing, and the score history."""
    leads = table_for("lead")
    found = (
        session.execute(
            select(
                leads.c.id,
                leads.c.parent_contact_id,
                leads.c.parent_account_id,
                leads.c.sales_ready,
                leads.c.sales_ready_source,
                leads.c.sales_ready_at,
            ).where(leads.c.id == lead_id)
        )
        .mappings()
        .first()
    )
    if found is None:
        raise NotFound(f"No lead {lead_id}", field="lead_id")
    lead = dict(found)
    models = list(
        session.scalars(
            select(ScoringModel)
            .where(ScoringModel.status == Status.LIVE.value)
            .order_by(ScoringModel.id)
        )
    )
    scores = {
        row.model_id: row
        for row in session.scalars(select(LeadScore).where(LeadScore.lead_id == lead_id))
    }
    items = []
    for model in models:
        score = scores.get(model.id)
        items.append(
            {
                "model_id": model.id,
                "model_name": model.name,
                "entity_target": model.entity_target,
                "threshold": model.sales_ready_threshold,
                "score": score.score if score else None,
                "grade": score.grade if score else None,
                "model_version": score.model_version if score else None,
                "computed_at": score.computed_at.isoformat() if score else None,
                "explanation": list(score.explanation) if score else [],
                "unscorable_reason": None
                if score
                else unscorable_reason(lead, Target(model.entity_target))
                or "Not scored yet: the model's rescore is still running.",
            }
        )
    names = {model.id: model.name for model in list_models(session)}
    history = [
        {
            "model_id": row.model_id,
            "model_name": names.get(row.model_id, ""),
            "old_score": row.old_score,
            "new_score": row.new_score,
            "grade": row.grade,
            "changed_rules": list(row.changed_rules or []),
            "changed_at": row.changed_at.isoformat(),
        }
        for row in session.scalars(
            select(ScoreHistory)
            .where(ScoreHistory.lead_id == lead_id)
            .order_by(ScoreHistory.changed_at.desc(), ScoreHistory.id.desc())
            .limit(100)
        )
    ]
    from leadflow.scoring.predict import lead_prediction

    return {
        "lead_id": lead_id,
        "prediction": lead_prediction(session, lead_id),
        "unscorable_reason": unscorable_reason(lead),
        "sales_ready": bool(lead["sales_ready"]),
        "sales_ready_source": lead["sales_ready_source"],
        "scores": items,
        "history": history,
    }


def model_scores(session: Session, model_id: int, *, limit: int = 100) -> list[dict[str, Any]]:
    get_model(session, model_id)
    rows = session.scalars(
        select(LeadScore)
        .where(LeadScore.model_id == model_id)
        .order_by(LeadScore.score.desc(), LeadScore.lead_id)
        .limit(limit)
    )
    return [
        {
            "lead_id": row.lead_id,
            "score": row.score,
            "grade": row.grade,
            "model_version": row.model_version,
        }
        for row in rows
    ]


# --- Use cases: what faces call; each opens the unit of work and commits it ----------------
# `do_x` carries out the step `x` in a transaction of its own; a job it starts is queued
# after that commit. The steps stay for the seeds, benchmarks and tasks that run them.


do_create_model = in_own_transaction(create_model)
do_update_model = in_own_transaction(update_model)
do_delete_model = in_own_transaction(delete_model)
do_go_live = in_own_transaction(go_live)
do_stop_model = in_own_transaction(stop_model)


do_start_rescore = in_own_transaction(start_rescore)


def do_set_switches(switches: Mapping[str, bool], *, uow: UnitOfWork) -> None:
    """Turn scoring org switches on or off, all in one transaction."""
    with uow:
        for key, enabled in switches.items():
            set_switch(key, enabled, uow=uow)
        uow.commit()
