"""Signed-in pages of forms: the list, the editor, a form with its submissions."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from leadflow.capture import services
from leadflow.capture.domain import (
    InputType,
    UpdateMode,
)
from leadflow.errors import LeadflowError, PermissionDenied, ValidationFailed
from leadflow.matching import services as matching
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call, see_other
from leadflow.web.pages.render import render
from leadflow.web.pages.settings_forms import FormState, checked, text_of, when

BLANK_FIELD_ROWS = 3
MODE_LABELS = {
    UpdateMode.CONTACTS_AND_LEADS.value: "Contacts and leads",
    UpdateMode.ONLY_CONTACTS.value: "Only contacts",
    UpdateMode.ONLY_LEADS.value: "Only leads",
    UpdateMode.NO_UPDATE.value: "No update (store the submission only)",
}
FORM_INPUTS = (
    "name",
    "slug",
    "title",
    "intro",
    "campaign",
    "update_mode",
    "contact_strategy_id",
    "lead_strategy_id",
    "consent_field",
)


@dataclass(frozen=True)
class FieldRow:
    index: int
    name: str = ""
    label: str = ""
    type: str = "text"
    required: bool = False
    contact_field: str = ""
    lead_field: str = ""


def _field_rows(fields: list[dict[str, Any]]) -> list[FieldRow]:
    rows = [
        FieldRow(
            index,
            item.get("name", ""),
            item.get("label", ""),
            item.get("type", "text"),
            bool(item.get("required")),
            item.get("contact_field") or "",
            item.get("lead_field") or "",
        )
        for index, item in enumerate(fields)
    ]
    start = len(rows)
    rows.extend(FieldRow(start + offset) for offset in range(BLANK_FIELD_ROWS))
    return rows


def _fields_from(form: Mapping[str, Any]) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = []
    index = 0
    while f"field_{index}_name" in form:
        name = text_of(form, f"field_{index}_name")
        if name:
            fields.append(
                {
                    "name": name,
                    "label": text_of(form, f"field_{index}_label") or None,
                    "type": text_of(form, f"field_{index}_type") or "text",
                    "required": checked(form, f"field_{index}_required"),
                    "contact_field": text_of(form, f"field_{index}_contact_field") or None,
                    "lead_field": text_of(form, f"field_{index}_lead_field") or None,
                }
            )
        index += 1
    return fields


def _form_values(form: Mapping[str, Any]) -> dict[str, str]:
    return {name: text_of(form, name) for name in FORM_INPUTS}


def _form_changes(form: Mapping[str, Any]) -> dict[str, Any]:
    values = _form_values(form)
    changes: dict[str, Any] = {
        "name": values["name"],
        "slug": values["slug"],
        "title": values["title"] or values["name"],
        "intro": values["intro"] or None,
        "campaign": values["campaign"] or None,
        "update_mode": values["update_mode"] or UpdateMode.CONTACTS_AND_LEADS.value,
        "consent_field": values["consent_field"] or None,
        "generate_leads_without_matching": checked(form, "generate_leads_without_matching"),
        "store_all_submissions": checked(form, "store_all_submissions"),
        "fields": _fields_from(form),
    }
    for name in ("contact_strategy_id", "lead_strategy_id"):
        if values[name].isdigit():
            changes[name] = int(values[name])
    return changes


def _editor_context(
    request: Request, fields: list[dict[str, Any]], state: FormState, checks: Mapping[str, bool]
) -> dict[str, Any]:
    container = container_of(request)
    registry = container.registry()
    with container.read_session() as session:
        strategies = matching.list_strategies(session)
    return {
        "state": state,
        "checks": checks,
        "field_rows": _field_rows(fields),
        "input_types": [item.value for item in InputType],
        "contact_fields": [
            (("custom." if d.custom else "") + d.name, d.label)
            for d in registry.fields_of("contact")
            if d.writable and d.reference is None
        ],
        "lead_fields": [
            (("custom." if d.custom else "") + d.name, d.label)
            for d in registry.fields_of("lead")
            if d.writable and d.reference is None
        ],
        "modes": list(MODE_LABELS.items()),
        "contact_strategies": [(str(s.id), s.name) for s in strategies if s.target == "contact"],
        "lead_strategies": [(str(s.id), s.name) for s in strategies if s.target == "lead"],
    }


forms_router = APIRouter(include_in_schema=False)
reading_forms = Authorize(Permission.FORMS_READ)
can_write_forms = Authorize(Permission.FORMS_WRITE)
writing_forms = page_call(Permission.FORMS_WRITE)


@forms_router.get("/forms")
def list_forms(request: Request, principal: Principal = Depends(reading_forms)) -> Response:
    with container_of(request).read_session() as session:
        rows = [
            (form, services.get_page(session, form.page_id))
            for form in services.list_forms(session)
        ]
    context = {
        "rows": rows,
        "modes": MODE_LABELS,
        "can_write": role_allows(principal.role, Permission.FORMS_WRITE),
    }
    return render(request, "capture/forms.html", context)


@forms_router.get("/forms/new")
def new_form(request: Request, principal: Principal = Depends(can_write_forms)) -> Response:
    from leadflow.capture.domain import DEFAULT_FIELDS

    state = FormState({"update_mode": UpdateMode.CONTACTS_AND_LEADS.value})
    checks = {"store_all_submissions": True, "generate_leads_without_matching": False}
    context = _editor_context(request, [f.to_json() for f in DEFAULT_FIELDS], state, checks)
    context.update({"title": "New form", "action": "/forms/new", "form_id": None})
    return render(request, "capture/form_edit.html", context)


@forms_router.post("/forms/new")
def create_form(call: PageCall = writing_forms) -> Response:
    changes = _form_changes(call.form)
    return call.run(
        lambda uow: services.do_create_form(changes, uow=uow),
        done=lambda form: see_other(f"/forms/{form.id}"),
        failed=lambda exc: _editor_failed(
            call.request, call.form, changes, exc, "New form", "/forms/new", None
        ),
    )


@forms_router.get("/forms/{form_id:int}")
def show_form(
    request: Request, form_id: int, principal: Principal = Depends(reading_forms)
) -> Response:
    with container_of(request).read_session() as session:
        form = services.get_form(session, form_id)
        page = services.get_page(session, form.page_id)
        submissions = services.list_submissions(session, form_id, limit=50)
        strategies = {s.id: s.name for s in matching.list_strategies(session)}
    context = {
        "form": form,
        "page": page,
        "submissions": submissions,
        "strategies": strategies,
        "modes": MODE_LABELS,
        "when": when,
        "can_write": role_allows(principal.role, Permission.FORMS_WRITE),
    }
    return render(request, "capture/form_detail.html", context)


@forms_router.get("/forms/{form_id:int}/edit")
def edit_form(
    request: Request, form_id: int, principal: Principal = Depends(can_write_forms)
) -> Response:
    with container_of(request).read_session() as session:
        form = services.get_form(session, form_id)
        page = services.get_page(session, form.page_id)
    state = FormState(
        {
            "name": form.name,
            "slug": page.slug,
            "title": page.title,
            "intro": page.intro or "",
            "campaign": form.campaign or "",
            "update_mode": form.update_mode,
            "contact_strategy_id": str(form.contact_strategy_id or ""),
            "lead_strategy_id": str(form.lead_strategy_id or ""),
            "consent_field": form.consent_field or "",
        }
    )
    checks = {
        "store_all_submissions": form.store_all_submissions,
        "generate_leads_without_matching": form.generate_leads_without_matching,
    }
    context = _editor_context(request, list(form.fields), state, checks)
    context.update(
        {"title": f"Edit {form.name}", "action": f"/forms/{form_id}/edit", "form_id": form_id}
    )
    return render(request, "capture/form_edit.html", context)


@forms_router.post("/forms/{form_id:int}/edit")
def save_form(form_id: int, call: PageCall = writing_forms) -> Response:
    changes = _form_changes(call.form)
    return call.run(
        lambda uow: services.do_update_form(form_id, changes, uow=uow),
        done=f"/forms/{form_id}",
        failed=lambda exc: _editor_failed(
            call.request,
            call.form,
            changes,
            exc,
            "Edit form",
            f"/forms/{form_id}/edit",
            form_id,
        ),
    )


@forms_router.post("/forms/{form_id:int}/submissions/{submission_id:int}/resubmit")
def resubmit(
    request: Request,
    form_id: int,
    submission_id: int,
    principal: Principal = Depends(can_write_forms),
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        stored = services.get_submission(session, submission_id)
        if stored.form_id != form_id:
            raise PermissionDenied("That submission belongs to another form")
    # A failure keeps its new errors on the submission; the page shows them.
    with suppress(ValidationFailed):
        services.do_resubmit(submission_id, new_uow=container.uow)
    return RedirectResponse(f"/forms/{form_id}#submissions", status_code=303)


def _editor_failed(
    request: Request,
    raw: Mapping[str, Any],
    changes: Mapping[str, Any],
    error: LeadflowError,
    title: str,
    action: str,
    form_id: int | None,
) -> Response:
    state = FormState.failed(_form_values(raw), error, FORM_INPUTS)
    checks = {
        "store_all_submissions": checked(raw, "store_all_submissions"),
        "generate_leads_without_matching": checked(raw, "generate_leads_without_matching"),
    }
    context = _editor_context(request, list(changes.get("fields") or []), state, checks)
    context.update({"title": title, "action": action, "form_id": form_id})
    if error.field and error.field.startswith("fields"):
        context["state"] = FormState(state.values, state.errors, alert=f"Fields: {error.message}")
    return render(request, "capture/form_edit.html", context, status=error.http_status)
