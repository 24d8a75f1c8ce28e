"""Pages of the capture capability: thin over its services.

Signed-in pages manage forms, events and matching strategies; the public pages
(/p/{slug} landing pages, /e/{id} event registration) are standalone HTML that
works without JavaScript and never echo input unescaped (Jinja autoescapes).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from leadflow.bootstrap import Container
from leadflow.capture import services
from leadflow.capture.domain import (
    HONEYPOT_FIELD,
    EventMatchOn,
    InputType,
    UpdateMode,
)
from leadflow.capture.errors import EventFull, RateLimited
from leadflow.capture.guards import (
    FORM_TOKEN_FIELD,
    VISITOR_COOKIE,
    VISITOR_MAX_AGE,
    event_token,
    event_token_valid,
    form_token,
    form_token_valid,
    submission_of,
    submitter_cookie,
    visitor_cookie,
    visitor_of,
)
from leadflow.capture.models import MarketingForm, MarketingPage
from leadflow.db.uow import UnitOfWork
from leadflow.errors import LeadflowError, PermissionDenied, ValidationFailed
from leadflow.matching import services as matching
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import Failed, PageCall, PublicCall, page_call, public_call, see_other
from leadflow.web.pages.render import TEMPLATES, render, settings_navigation
from leadflow.web.pages.settings_forms import FormState, checked, text_of, when
from leadflow.web.rate_limits import check_rate, client_ip

BLANK_FIELD_ROWS = 3
MODE_LABELS = {
    UpdateMode.CONTACTS_AND_LEADS.value: "Contacts and leads",
    UpdateMode.ONLY_CONTACTS.value: "Only contacts",
    UpdateMode.ONLY_LEADS.value: "Only leads",
    UpdateMode.NO_UPDATE.value: "No update (store the submission only)",
}
MATCH_ON_LABELS = {
    EventMatchOn.EMAIL.value: "Email",
    EventMatchOn.NAME.value: "First and last name",
    EventMatchOn.EMAIL_AND_NAME.value: "Email, first and last name",
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


def _secret(container: Container) -> str:
    return container.settings.effective_secret_key


def _public(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> Response:
    # Standalone pages: no signed-in shell, no navigation, no CSRF session token.
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status)


# --- public landing pages -----------------------------------------------------------------


def _landing(
    request: Request,
    form: MarketingForm,
    page: MarketingPage,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    alert: str | None = None,
    status: int = 200,
) -> Response:
    container = container_of(request)
    context = {
        "page": page,
        "form": form,
        "fields": services.form_fields(form),
        "values": values or {},
        "errors": errors or {},
        "alert": alert,
        "token": form_token(_secret(container), form.token_secret, form.id),
        "token_field": FORM_TOKEN_FIELD,
        "honeypot": HONEYPOT_FIELD,
    }
    return _public(request, "public/landing.html", context, status=status)


def _not_found(request: Request, message: str) -> Response:
    return _public(
        request, "public/message.html", {"title": "Not found", "message": message}, status=404
    )


def _remember(response: Response, value: str) -> None:
    response.set_cookie(
        VISITOR_COOKIE, value, max_age=VISITOR_MAX_AGE, httponly=True, samesite="lax"
    )


def _no_page(request: Request) -> Failed:
    return lambda _exc: _not_found(request, "There is no page at this address.")


def _no_event(request: Request) -> Failed:
    return lambda _exc: _not_found(request, "There is no such event.")


public_router = APIRouter(include_in_schema=False)
public = public_call()


@public_router.get("/p/{slug}")
def show_landing(slug: str, call: PublicCall = public) -> Response:
    return call.show(
        lambda session: services.get_form_by_slug(session, slug),
        done=lambda found: _visit_landing(call, *found),
        failed=_no_page(call.request),
    )


@public_router.post("/p/{slug}")
def submit_landing(slug: str, call: PublicCall = public) -> Response:
    return call.show(
        lambda session: services.get_form_by_slug(session, slug),
        done=lambda found: _submit_landing(call, *found),
        failed=_no_page(call.request),
    )


@public_router.get("/e/{event_id:int}")
def show_registration(event_id: int, call: PublicCall = public) -> Response:
    return call.show(
        lambda session: services.get_event(session, event_id),
        done=lambda event_row: _registration_page(call.request, event_row),
        failed=_no_event(call.request),
    )


@public_router.post("/e/{event_id:int}")
def register(event_id: int, call: PublicCall = public) -> Response:
    return call.show(
        lambda session: services.get_event(session, event_id),
        done=lambda event_row: _register(call, event_row),
        failed=_no_event(call.request),
    )


def _visit_landing(call: PublicCall, form: MarketingForm, page: MarketingPage) -> Response:
    request, container = call.request, call.container
    cookie = request.cookies.get(VISITOR_COOKIE)
    visitor = visitor_of(_secret(container), cookie)
    learned = False
    pending = submission_of(_secret(container), cookie) if visitor is None else None
    if pending is not None:
        # The cookie named a submission not processed when it was set: its contact now.
        visitor = call.read(lambda session: services.submission_contact(session, pending))
        learned = visitor is not None
    if visitor is not None:
        services.do_record_page_visit(page.id, visitor, uow=container.uow())
    response = _landing(request, form, page)
    if learned and visitor is not None:
        _remember(response, visitor_cookie(_secret(container), visitor))
    return response


def _submit_landing(call: PublicCall, form: MarketingForm, page: MarketingPage) -> Response:
    request, container = call.request, call.container
    values = {key: value for key, value in call.form.items() if isinstance(value, str)}
    token: str | None = values.pop(FORM_TOKEN_FIELD, None)
    if not form_token_valid(_secret(container), form.token_secret, form.id, token):
        alert = "This form has expired or was not sent from this page. Please try again."
        return _landing(request, form, page, values=values, alert=alert, status=403)
    visitor = visitor_of(_secret(container), request.cookies.get(VISITOR_COOKIE))

    def accept() -> services.SubmissionResult:
        check_rate(request, f"form:{form.id}")
        return services.do_accept_submission(
            form.id,
            values,
            uow=container.uow(),
            known_contact_id=visitor,
            source_ip=client_ip(request),
            form=form,
        )

    def accepted(receipt: services.SubmissionResult) -> Response:
        response = _public(
            request,
            "public/message.html",
            {"title": page.title, "message": "Thank you! We received your submission."},
        )
        if visitor is None and receipt.submission_id is not None:
            # Processed moments later: the cookie names the submission until then.
            _remember(response, submitter_cookie(_secret(container), receipt.submission_id))
        return response

    def refused(exc: LeadflowError) -> Response:
        if isinstance(exc, RateLimited):
            response = _landing(request, form, page, values=values, alert=exc.message, status=429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        if not isinstance(exc, ValidationFailed):
            raise exc
        errors = {
            item["field"]: item["message"]
            for item in exc.extra.get("errors", [])
            if item.get("field")
        }
        summary = None if errors else exc.message
        return _landing(
            request, form, page, values=values, errors=errors, alert=summary, status=422
        )

    return call.check(accept, done=accepted, failed=refused)


def _register(call: PublicCall, event_row: Any) -> Response:
    request = call.request
    values = {key: value for key, value in call.form.items() if isinstance(value, str)}
    token: str | None = values.pop(FORM_TOKEN_FIELD, None)
    if not event_token_valid(_secret(call.container), event_row.id, token):
        alert = "This form has expired or was not sent from this page. Please try again."
        return _registration_page(request, event_row, values=values, alert=alert, status=403)
    if values.get(HONEYPOT_FIELD):
        return _public(
            request, "public/message.html", {"title": event_row.name, "message": "Thank you!"}
        )

    def register(uow: UnitOfWork) -> str:
        check_rate(request, f"event:{event_row.id}")
        registration, _ = services.do_register_for_event(
            event_row.id, {**values, "join_waitlist": checked(values, "join_waitlist")}, uow=uow
        )
        return registration.status

    def registered(status: str) -> Response:
        message = (
            "You are on the waitlist; we will tell you when a place frees up."
            if status == "waitlisted"
            else "You are registered. See you there!"
        )
        return _public(
            request, "public/message.html", {"title": event_row.name, "message": message}
        )

    def refused(exc: LeadflowError) -> Response:
        errors = {exc.field: exc.message} if exc.field and exc.field != "join_waitlist" else {}
        response = _registration_page(
            request,
            event_row,
            values=values,
            errors=errors,
            alert=None if errors else exc.message,
            offer_waitlist=isinstance(exc, EventFull),
            status=exc.http_status,
        )
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    return call.run(register, done=registered, failed=refused)


def _registration_page(
    request: Request,
    event_row: Any,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    alert: str | None = None,
    offer_waitlist: bool = False,
    status: int = 200,
) -> Response:
    context = {
        "event": event_row,
        "token": event_token(_secret(container_of(request)), event_row.id),
        "token_field": FORM_TOKEN_FIELD,
        "values": values or {},
        "errors": errors or {},
        "alert": alert,
        "offer_waitlist": offer_waitlist,
        "honeypot": HONEYPOT_FIELD,
        "needs_email": event_row.match_on != EventMatchOn.NAME.value,
        "needs_names": event_row.match_on != EventMatchOn.EMAIL.value,
    }
    return _public(request, "public/register.html", context, status=status)


# --- signed-in: forms ---------------------------------------------------------------------


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


# --- signed-in: events --------------------------------------------------------------------

EVENT_INPUTS = ("name", "starts_at", "ends_at", "capacity", "venue", "match_on", "campaign")


events_router = APIRouter(include_in_schema=False)
reading_events = Authorize(Permission.EVENTS_READ)
can_write_events = Authorize(Permission.EVENTS_WRITE)
writing_events = page_call(Permission.EVENTS_WRITE)


def events_page(
    request: Request, principal: Principal, state: FormState, status: int = 200
) -> Response:
    with container_of(request).read_session() as session:
        events = services.list_events(session)
    context = {
        "events": events,
        "state": state,
        "match_on": list(MATCH_ON_LABELS.items()),
        "when": when,
        "can_write": role_allows(principal.role, Permission.EVENTS_WRITE),
    }
    return render(request, "capture/events.html", context, status=status)


@events_router.get("/events")
def list_events(request: Request, principal: Principal = Depends(reading_events)) -> Response:
    return events_page(request, principal, FormState({"match_on": "email"}))


@events_router.post("/events")
def create_event(call: PageCall = writing_events) -> Response:
    values = {name: text_of(call.form, name) for name in EVENT_INPUTS}
    data: dict[str, Any] = {**values, "create_leads": checked(call.form, "create_leads")}
    data["capacity"] = values["capacity"] or None
    return call.run(
        lambda uow: services.do_create_event(data, uow=uow),
        done=lambda event_row: see_other(f"/events/{event_row.id}"),
        failed=lambda exc: events_page(
            call.request,
            call.principal,
            FormState.failed(values, exc, EVENT_INPUTS),
            exc.http_status,
        ),
    )


@events_router.get("/events/{event_id:int}")
def show_event(
    request: Request, event_id: int, principal: Principal = Depends(reading_events)
) -> Response:
    with container_of(request).read_session() as session:
        event_row = services.get_event(session, event_id)
        registrations = services.list_registrations(session, event_id)
    context = {
        "event": event_row,
        "registrations": registrations,
        "match_on": MATCH_ON_LABELS,
        "when": when,
        "can_write": role_allows(principal.role, Permission.EVENTS_WRITE),
    }
    return render(request, "capture/event_detail.html", context)


@events_router.post("/events/{event_id:int}/registrations/{registration_id:int}/check-in")
def check_in(
    request: Request,
    event_id: int,
    registration_id: int,
    principal: Principal = Depends(can_write_events),
) -> Response:
    services.do_check_in(event_id, registration_id, uow=container_of(request).uow())
    return RedirectResponse(f"/events/{event_id}", status_code=303)


# --- signed-in: matching settings ---------------------------------------------------------

STRATEGY_INPUTS = ("name", "target", "fields", "description")


matching_router = APIRouter(include_in_schema=False)
can_admin = Authorize(Permission.MATCHING_ADMIN)
administering = page_call(Permission.MATCHING_ADMIN)


def matching_page(
    request: Request, principal: Principal, state: FormState, status: int = 200
) -> Response:
    container = container_of(request)
    registry = container.registry()
    with container.read_session() as session:
        strategies = matching.list_strategies(session)
    context = {
        "settings_sections": settings_navigation(principal),
        "strategies": strategies,
        "state": state,
        "matchable": {
            target: [(d.name, d.label) for d in registry.fields_of(target) if d.matchable]
            for target in ("contact", "lead")
        },
    }
    return render(request, "capture/matching.html", context, status=status)


@matching_router.get("/settings/matching")
def show(request: Request, principal: Principal = Depends(can_admin)) -> Response:
    return matching_page(request, principal, FormState({"target": "contact"}))


@matching_router.post("/settings/matching")
def create(call: PageCall = administering) -> Response:
    values = {name: text_of(call.form, name) for name in STRATEGY_INPUTS}
    fields = [str(value) for value in call.form.getlist("fields") if str(value)]
    data = {
        "name": values["name"],
        "target": values["target"],
        "fields": fields,
        "description": values["description"],
        "is_default": checked(call.form, "is_default"),
    }
    return call.run(
        lambda uow: matching.do_create_strategy(data, uow=uow),
        done="/settings/matching",
        failed=lambda exc: matching_page(
            call.request,
            call.principal,
            FormState.failed(values, exc, STRATEGY_INPUTS),
            exc.http_status,
        ),
    )


@matching_router.post("/settings/matching/{strategy_id:int}/default")
def make_default(
    request: Request, strategy_id: int, principal: Principal = Depends(can_admin)
) -> Response:
    matching.do_update_strategy(strategy_id, {"is_default": True}, uow=container_of(request).uow())
    return RedirectResponse("/settings/matching", status_code=303)


@matching_router.post("/settings/matching/{strategy_id:int}/delete")
def delete(strategy_id: int, call: PageCall = administering) -> Response:
    return call.run(
        lambda uow: matching.do_delete_strategy(strategy_id, uow=uow),
        done="/settings/matching",
        failed=lambda exc: matching_page(
            call.request, call.principal, FormState(alert=exc.message), exc.http_status
        ),
    )


def routers() -> list[APIRouter]:
    return [public_router, forms_router, events_router, matching_router]
