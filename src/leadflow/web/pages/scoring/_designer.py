"""The scoring model designer's page: conditions read from its forms and described in
words, the designer rendered with the model, its insight and its top scores."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from leadflow.errors import ErrorCode, LeadflowError, ValidationFailed
from leadflow.interactions.domain import InteractionKind
from leadflow.interactions.services import observed_data_keys
from leadflow.jobs.services import job_public
from leadflow.registry.domain import Registry
from leadflow.scoring import insight, services
from leadflow.scoring.domain import SCORED_ENTITIES, FieldOp, Frequency
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import container_of
from leadflow.web.pages.display import describe_interaction, kind_words
from leadflow.web.pages.lookups import TARGET_KINDS, interaction_targets, titles_by_id
from leadflow.web.pages.render import render

LIST_OPS = {FieldOp.IN.value, FieldOp.BETWEEN.value}
# Key/value rows a behaviour condition offers for its data filters.
DATA_FILTER_ROWS = 2
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
        data = data_filters_from_form(form)
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


def data_filters_from_form(form: FormData) -> dict[str, str]:
    """The data filter rows (`data_key`, `data_value`) as {key: value}; blank rows are
    left out, a value without its key or a key twice is refused."""
    keys = [str(key).strip() for key in form.getlist("data_key")]
    values = [str(value).strip() for value in form.getlist("data_value")]
    data: dict[str, str] = {}
    for index, key in enumerate(keys):
        value = values[index] if index < len(values) else ""
        if not key and not value:
            continue
        if not key:
            raise ValidationFailed(
                f"The data filter '{value}' needs a key",
                field="data",
                code=ErrorCode.SCORING_MODEL_INVALID,
            )
        if key in data:
            raise ValidationFailed(
                f"The data key '{key}' is filtered twice",
                field="data",
                code=ErrorCode.SCORING_MODEL_INVALID,
            )
        data[key] = value
    return data


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


def error_context(error: LeadflowError | None) -> dict[str, Any]:
    if error is None:
        return {}
    where = error.field or ""
    # "rules[2].conditions[0].value" -> "value": the input of the form that was sent.
    leaf = where.rsplit(".", 1)[-1] if "." in where else where
    return {"error": error, "error_field": leaf, "error_path": where}


def designer(
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
        data_keys = observed_data_keys(session)
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
        "target_groups": _target_groups(targets),
        "data_keys": data_keys,
        "data_rows": DATA_FILTER_ROWS,
        "frequencies": [f.value for f in Frequency],
        "insight": model_insight,
        "job": job,
        "top": top,
        "lead_titles": lead_titles,
        "form": form,
        "grades_text": _grades_text(model["grades"]),
        **error_context(error),
        **(extra or {}),
    }
    return render(request, "scoring/model.html", context, status=status)


def _target_groups(targets: Mapping[str, Mapping[Any, str]]) -> list[tuple[str, str, Any]]:
    """Targets to pick by name, grouped by the kinds whose target they are."""

    def by_name(kind: str) -> list[tuple[Any, str]]:
        return sorted(targets[kind].items(), key=lambda item: item[1].casefold())

    return [
        ("Marketing pages", "page_visited", by_name("page")),
        ("Forms", "form_submitted", by_name("form")),
        ("Events", "event_registered event_attended", by_name("event")),
    ]


def _grades_text(grades: list[dict[str, Any]]) -> str:
    """The grades as the designer's text box shows them: one "name, min, max" a line."""
    return "\n".join(
        f"{g['name']}, {'' if g['min'] is None else g['min']}, "
        f"{'' if g['max'] is None else g['max']}"
        for g in grades
    )


def grades_from_text(text: str) -> list[dict[str, Any]]:
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
                code=ErrorCode.SCORING_MODEL_INVALID,
            )
        grades.append({"name": parts[0], "min": parts[1] or None, "max": parts[2] or None})
    return grades
