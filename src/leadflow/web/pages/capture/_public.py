"""The public pages: /p/{slug} landing pages and /e/{id} event registration,
standalone HTML that works without JavaScript and never echoes input unescaped
(Jinja autoescapes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from leadflow.bootstrap import Container
from leadflow.capture import services
from leadflow.capture.domain import (
    HONEYPOT_FIELD,
    EventMatchOn,
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
from leadflow.errors import LeadflowError, ValidationFailed
from leadflow.web.auth import container_of
from leadflow.web.calls import PublicCall, public_call
from leadflow.web.pages.render import TEMPLATES
from leadflow.web.pages.settings_forms import checked
from leadflow.web.rate_limits import check_rate, client_ip


def _secret(container: Container) -> str:
    return container.settings.effective_secret_key


def _public(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> Response:
    # Standalone pages: no signed-in shell, no navigation, no CSRF session token.
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status)


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


LandingAnswer = Callable[[PublicCall, MarketingForm, MarketingPage], Response]
EventAnswer = Callable[[PublicCall, Any], Response]


def _on_landing(call: PublicCall, slug: str, answer: LandingAnswer) -> Response:
    """The landing page at `slug` answered, or "not found"."""
    return call.show(
        lambda session: services.get_form_by_slug(session, slug),
        done=lambda found: answer(call, *found),
        failed=lambda _exc: _not_found(call.request, "There is no page at this address."),
    )


def _on_event(call: PublicCall, event_id: int, answer: EventAnswer) -> Response:
    """The event's registration answered, or "not found"."""
    return call.show(
        lambda session: services.get_event(session, event_id),
        done=lambda event_row: answer(call, event_row),
        failed=lambda _exc: _not_found(call.request, "There is no such event."),
    )


public_router = APIRouter(include_in_schema=False)
public = public_call()


@public_router.get("/p/{slug}")
def show_landing(slug: str, call: PublicCall = public) -> Response:
    return _on_landing(call, slug, _visit_landing)


@public_router.post("/p/{slug}")
def submit_landing(slug: str, call: PublicCall = public) -> Response:
    return _on_landing(call, slug, _submit_landing)


@public_router.get("/e/{event_id:int}")
def show_registration(event_id: int, call: PublicCall = public) -> Response:
    return _on_event(call, event_id, lambda shown, row: _registration_page(shown.request, row))


@public_router.post("/e/{event_id:int}")
def register(event_id: int, call: PublicCall = public) -> Response:
    return _on_event(call, event_id, _register)


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
        known = visitor
        call.write(lambda uow: services.do_record_page_visit(page.id, known, uow=uow))
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
        return call.write(
            lambda uow: services.do_accept_submission(
                form.id,
                values,
                uow=uow,
                known_contact_id=visitor,
                source_ip=client_ip(request),
                form=form,
            )
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
