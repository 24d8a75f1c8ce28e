"""Pages of the scoring capability: thin over its services.

The model designer works without script: each rule, condition and grade edit is
a small form that posts to the model and comes back to the designer, with any
error shown beside the part of the form at fault.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from leadflow.db.uow import UnitOfWork
from leadflow.errors import LeadflowError, ValidationFailed
from leadflow.interactions.domain import InteractionKind
from leadflow.jobs.services import job_public
from leadflow.registry.domain import Registry
from leadflow.scoring import insight, services
from leadflow.scoring.domain import SCORED_ENTITIES, FieldOp, Frequency
from leadflow.scoring.switches import switches_public
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import Failed, PageCall, page_call, see_other
from leadflow.web.pages.display import describe_interaction, kind_words
from leadflow.web.pages.lookups import TARGET_KINDS, interaction_targets, titles_by_id
from leadflow.web.pages.panels import PanelContext, detail_panel, render_fragment
from leadflow.web.pages.render import render

LIST_OPS = {FieldOp.IN.value, FieldOp.BETWEEN.value}
INTEGER_OPS = {FieldOp.WITHIN_LAST_DAYS.value, FieldOp.OLDER_THAN_DAYS.value}
OP_LABELS = {
    "eq": "equals",
    "ne": "does not equal",
    "contains": "contains",
    "startswith": "begins with",
    "endswith": "ends with",
    "in": "is one of",
    "gt": "greater than",
    "gte": "greater or equal",
    "lt": "less than",
    "lte": "less or equal",
    "between": "between",
    "empty": "is empty",
    "not_empty": "is not empty",
    "within_last_days": "in the last N days",
    "older_than_days": "more than N days ago",
}


def _text(form: FormData | Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def condition_from_form(form: FormData) -> dict[str, Any]:
    """One condition as the service takes it, from the designer's condition fields."""
    if _text(form, "cond_type") == "behaviour":
        data: dict[str, str] = {}
        for pair in _text(form, "data").split(","):
            if "=" in pair:
                key, wanted = pair.split("=", 1)
                data[key.strip()] = wanted.strip()
            elif pair.strip():
                raise ValidationFailed("Data filters are key=value pairs", field="data")
        return {
            "type": "behaviour",
            "kind": _text(form, "kind"),
            "frequency": _text(form, "frequency") or "at_least",
            "target_id": _text(form, "target_id") or None,
            "min_count": _text(form, "min_count") or None,
            "cap": _text(form, "cap") or None,
            "window_days": _text(form, "window_days") or None,
            "data": data,
        }
    entity, _dot, name = _text(form, "field").partition(".")
    op = _text(form, "op") or "eq"
    raw = _text(form, "value")
    value: Any = raw
    if op in LIST_OPS:
        value = [part.strip() for part in raw.split(",") if part.strip()]
    elif op in ("empty", "not_empty"):
        value = None
    return {"type": "field", "entity": entity, "field": name, "op": op, "value": value}


def _field_options(registry: Registry) -> list[tuple[str, str]]:
    options = []
    for entity in SCORED_ENTITIES:
        label = {"lead": "Lead", "contact": "Parent contact", "account": "Account"}[entity]
        for definition in registry.fields_of(entity):
            if definition.scorable:
                options.append((f"{entity}.{definition.name}", f"{label}: {definition.label}"))
    return options


def _latest_job(session: Session, model_id: int) -> dict[str, Any] | None:
    job = services.latest_rescore(session, model_id)
    return job_public(job) if job else None


def describe_condition(
    condition: Mapping[str, Any],
    targets: Mapping[str, Mapping[str, str]] | None = None,
    labels: Mapping[str, str] | None = None,
) -> str:
    """The text view of one condition, as the designer lists it: interactions in words,
    their page, form or event by name, fields by label."""
    if condition.get("type") == "behaviour":
        target = condition.get("target_id")
        parts = [
            describe_interaction(
                str(condition["kind"]), str(target) if target else None, targets or {}, TARGET_KINDS
            )
        ]
        for key, value in (condition.get("data") or {}).items():
            parts.append(f"with {key}={value}")
        frequency = condition.get("frequency")
        if frequency == "each":
            parts.append("each time")
            if condition.get("cap"):
                parts.append(f"(at most {condition['cap']})")
        elif frequency == "none":
            parts.append("never")
        else:
            parts.append("at least once")
        if condition.get("min_count", 1) > 1 and frequency != "none":
            parts.append(f"once {condition['min_count']} happened")
        if condition.get("window_days"):
            parts.append(f"in the last {condition['window_days']} days")
        return " ".join(parts)
    value = condition.get("value")
    shown = ", ".join(str(v) for v in value) if isinstance(value, list) else value
    op = OP_LABELS.get(str(condition.get("op")), str(condition.get("op")))
    tail = "" if shown is None else f" {shown}"
    key = f"{condition.get('entity')}.{condition.get('field')}"
    return f"{(labels or {}).get(key, key)} {op}{tail}"


def _error_context(error: LeadflowError | None) -> dict[str, Any]:
    if error is None:
        return {}
    where = error.field or ""
    # "rules[2].conditions[0].value" -> "value": the input of the form that was sent.
    leaf = where.rsplit(".", 1)[-1] if "." in where else where
    return {"error": error, "error_field": leaf, "error_path": where}


def _designer(
    request: Request,
    principal: Principal,
    model_id: int,
    *,
    error: LeadflowError | None = None,
    form: str | None = None,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        model = services.model_public(services.get_model(session, model_id))
        model_insight = insight.insights(session, registry, model_id) if model["version"] else None
        job = _latest_job(session, model_id)
        top = services.model_scores(session, model_id, limit=20)
        lead_titles = titles_by_id(session, "lead", [row["lead_id"] for row in top])
        targets = interaction_targets(session)
    field_options = _field_options(registry)
    labels = dict(field_options)
    for rule in model["rules"]:
        rule["described"] = [describe_condition(c, targets, labels) for c in rule["conditions"]]
    context = {
        "model": model,
        "editable": model["status"] != "live",
        "can_admin": role_allows(principal.role, Permission.SCORING_ADMIN),
        "field_options": field_options,
        "ops": list(OP_LABELS.items()),
        "kinds": [(kind.value, kind_words(kind.value)) for kind in InteractionKind],
        # Targets to pick by name, grouped by the kinds whose target they are.
        "target_groups": [
            (
                "Marketing pages",
                "page_visited",
                sorted(targets["page"].items(), key=lambda item: item[1].casefold()),
            ),
            (
                "Forms",
                "form_submitted",
                sorted(targets["form"].items(), key=lambda item: item[1].casefold()),
            ),
            (
                "Events",
                "event_registered event_attended",
                sorted(targets["event"].items(), key=lambda item: item[1].casefold()),
            ),
        ],
        "frequencies": [f.value for f in Frequency],
        "insight": model_insight,
        "job": job,
        "top": top,
        "lead_titles": lead_titles,
        "form": form,
        "grades_text": "\n".join(
            f"{g['name']}, {'' if g['min'] is None else g['min']}, "
            f"{'' if g['max'] is None else g['max']}"
            for g in model["grades"]
        ),
        **_error_context(error),
        **(extra or {}),
    }
    return render(request, "scoring/model.html", context, status=status)


def _grades_from_text(text: str) -> list[dict[str, Any]]:
    grades = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(",")]
        if len(parts) != 3:
            raise ValidationFailed(
                f"Line {number}: write a grade as 'name, min, max' (leave min or max empty "
                "for an open end)",
                field="grades",
            )
        grades.append({"name": parts[0], "min": parts[1] or None, "max": parts[2] or None})
    return grades


router = APIRouter(include_in_schema=False)
can_read = Authorize(Permission.SCORING_READ)
administering = page_call(Permission.SCORING_ADMIN)


def _index(
    request: Request,
    principal: Principal,
    error: LeadflowError | None = None,
    status: int = 200,
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        models = [services.model_public(m) for m in services.list_models(session)]
        switches = switches_public(session)
    return render(
        request,
        "scoring/index.html",
        {
            "models": models,
            "switches": switches,
            "can_admin": role_allows(principal.role, Permission.SCORING_ADMIN),
            **_error_context(error),
        },
        status=status,
    )


@router.get("/scoring")
def index(request: Request, principal: Principal = Depends(can_read)) -> Response:
    return _index(request, principal)


@router.post("/scoring/new")
def create(call: PageCall = administering) -> Response:
    data = {
        "name": call.text("name"),
        "entity_target": call.text("entity_target") or "contact",
        "description": call.text("description") or None,
    }
    return call.run(
        lambda uow: services.do_create_model(data, uow=uow),
        done=lambda row: see_other(f"/scoring/models/{row.id}"),
        failed=lambda exc: _index(call.request, call.principal, exc, status=exc.http_status),
    )


@router.post("/scoring/switches")
def switches(call: PageCall = administering) -> Response:
    keys = call.read(lambda session: [item["key"] for item in switches_public(session)])
    services.do_set_switches(
        {key: call.form.get(key) == "on" for key in keys}, uow=call.container.uow()
    )
    return see_other("/scoring")


@router.get("/scoring/models/{model_id:int}")
def show(request: Request, model_id: int, principal: Principal = Depends(can_read)) -> Response:
    return _designer(request, principal, model_id)


def _refused(call: PageCall, model_id: int, form: str, status: int | None = None) -> Failed:
    def failed(exc: LeadflowError) -> Response:
        return _designer(
            call.request,
            call.principal,
            model_id,
            error=exc,
            form=form,
            status=status or exc.http_status,
        )

    return failed


def _edit(
    call: PageCall,
    model_id: int,
    form_name: str,
    change: Callable[[dict[str, Any]], dict[str, Any]],
) -> Response:
    def edit(uow: UnitOfWork) -> object:
        current = services.model_public(services.get_model(uow.session, model_id))
        return services.do_update_model(model_id, change(current), uow=uow)

    return call.run(
        edit,
        done=f"/scoring/models/{model_id}#{form_name}",
        failed=_refused(call, model_id, form_name),
    )


@router.post("/scoring/models/{model_id:int}/summary")
def save_summary(model_id: int, call: PageCall = administering) -> Response:
    return _edit(
        call,
        model_id,
        "summary",
        lambda _current: {
            "name": call.text("name"),
            "description": call.text("description") or None,
            "entity_target": call.text("entity_target") or "contact",
            "sales_ready_threshold": call.text("sales_ready_threshold") or None,
        },
    )


@router.post("/scoring/models/{model_id:int}/rules")
def add_rule(model_id: int, call: PageCall = administering) -> Response:
    def change(current: dict[str, Any]) -> dict[str, Any]:
        rule = {
            "name": call.text("rule_name") or None,
            "points": call.text("points") or None,
            "conditions": [condition_from_form(call.form)],
        }
        return {"rules": [*current["rules"], rule]}

    return _edit(call, model_id, "add-rule", change)


@router.post("/scoring/models/{model_id:int}/rules/{index:int}/conditions")
def add_condition(model_id: int, index: int, call: PageCall = administering) -> Response:
    def change(current: dict[str, Any]) -> dict[str, Any]:
        rules = current["rules"]
        if not 0 <= index < len(rules):
            raise ValidationFailed("That rule no longer exists", field="rule")
        rules[index]["conditions"].append(condition_from_form(call.form))
        return {"rules": rules}

    return _edit(call, model_id, f"rule-{index}", change)


@router.post("/scoring/models/{model_id:int}/rules/{index:int}/delete")
def remove_rule(model_id: int, index: int, call: PageCall = administering) -> Response:
    def change(current: dict[str, Any]) -> dict[str, Any]:
        rules = current["rules"]
        if 0 <= index < len(rules):
            rules.pop(index)
        return {"rules": rules}

    return _edit(call, model_id, "rules", change)


@router.post("/scoring/models/{model_id:int}/rules/{index:int}/conditions/{position:int}/delete")
def remove_condition(
    model_id: int, index: int, position: int, call: PageCall = administering
) -> Response:
    def change(current: dict[str, Any]) -> dict[str, Any]:
        rules = current["rules"]
        if 0 <= index < len(rules) and 0 <= position < len(rules[index]["conditions"]):
            rules[index]["conditions"].pop(position)
            if not rules[index]["conditions"]:
                rules.pop(index)
        return {"rules": rules}

    return _edit(call, model_id, f"rule-{index}", change)


@router.post("/scoring/models/{model_id:int}/grades")
def save_grades(model_id: int, call: PageCall = administering) -> Response:
    return _edit(
        call,
        model_id,
        "grades",
        lambda _current: {"grades": _grades_from_text(call.text("grades"))},
    )


@router.post("/scoring/models/{model_id:int}/check")
def check(model_id: int, call: PageCall = administering) -> Response:
    problems = call.read(
        lambda session: services.check_model(
            session, call.container.registry_cache.get(session), model_id
        )
    )
    return _designer(call.request, call.principal, model_id, extra={"checked": problems})


@router.post("/scoring/models/{model_id:int}/what-if")
def what_if(model_id: int, call: PageCall = administering) -> Response:
    return call.show(
        lambda session: insight.what_if(
            session, call.container.registry_cache.get(session), model_id
        ),
        done=lambda result: _designer(
            call.request, call.principal, model_id, extra={"what_if": result}
        ),
        failed=_refused(call, model_id, "actions", status=422),
    )


@router.post("/scoring/models/{model_id:int}/go-live")
def go_live(model_id: int, call: PageCall = administering) -> Response:
    return call.run(
        lambda uow: services.do_go_live(model_id, uow=uow, requested_by=call.user_id),
        done=f"/scoring/models/{model_id}",
        failed=_refused(call, model_id, "actions"),
    )


@router.post("/scoring/models/{model_id:int}/stop")
def stop(model_id: int, call: PageCall = administering) -> Response:
    return call.run(
        lambda uow: services.do_stop_model(model_id, uow=uow),
        done=f"/scoring/models/{model_id}",
        failed=_refused(call, model_id, "actions"),
    )


@router.post("/scoring/models/{model_id:int}/rescore")
def rescore(model_id: int, call: PageCall = administering) -> Response:
    return call.run(
        lambda uow: services.do_start_rescore(model_id, uow=uow, requested_by=call.user_id),
        done=lambda job: see_other(f"/jobs/{job.id}"),
        failed=_refused(call, model_id, "actions"),
    )


def routers() -> list[APIRouter]:
    return [router]


@detail_panel("lead", slot="main", order=20)
def lead_scores_panel(context: PanelContext) -> Markup | None:
    """Every live model's score, grade and explanation on the lead page, and the history."""
    if not role_allows(context.principal.role, Permission.SCORING_READ):
        return None
    scores = services.lead_scores(context.session, context.record_id)
    return render_fragment("scoring/lead_panel.html", scores=scores)
