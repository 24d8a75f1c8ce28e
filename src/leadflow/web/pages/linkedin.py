"""Settings > LinkedIn: connections (with LinkedIn's sign-in or a pasted token), the
predefined field mappings, the lead-matching strategy; a connection's sync status page
with its lead notifications; a form's question mappings. Thin over
leadflow.linkedin.services.

"Connect with LinkedIn" binds its OAuth `state` to the login session: a short-lived
signed cookie holds the state, the session's CSRF token and what the callback will
create; the callback accepts LinkedIn's answer only when all three agree."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from leadflow.db.uow import UnitOfWork
from leadflow.errors import LeadflowError
from leadflow.jobs.domain import percent
from leadflow.leads.models import Lead
from leadflow.linkedin import services
from leadflow.linkedin.domain import (
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    PREDEFINED_LABELS,
    ConnectionStatus,
    OAuthApp,
    PredefinedField,
    authorization_url,
    from_epoch_ms,
)
from leadflow.linkedin.models import LinkedInConnection, LinkedInForm, LinkedInResponse
from leadflow.registry.domain import Registry
from leadflow.users.domain import Permission
from leadflow.users.services import Principal
from leadflow.web.auth import Authorize, WebSession, container_of
from leadflow.web.calls import Failed, PageCall, page_call, see_other
from leadflow.web.pages.display import record_href
from leadflow.web.pages.lookups import titles_by_id
from leadflow.web.pages.panels import PanelContext, detail_panel, render_fragment
from leadflow.web.pages.render import render, settings_navigation
from leadflow.web.pages.settings_forms import (
    NOTICE,
    FormState,
    checked,
    status_of,
    text_of,
    when,
)

PATH = "/settings/linkedin"
CONNECTION_INPUTS = (
    "name", "owner_urn", "access_token", "client_secret", "api_version", "base_url",
    "backfill_days", "include_test_leads",
)  # fmt: skip
OAUTH_INPUTS = ("li_name", "li_owner_urn", "li_backfill_days", "li_include_test_leads")
OAUTH_COOKIE = "leadflow_linkedin_oauth"
# LinkedIn's authorization codes live 30 minutes; a pending sign-in no longer than this.
OAUTH_MAX_AGE = 15 * 60
STRATEGY_INPUTS = ("strategy_name", "fields", "always_create_lead", "enable_contact_creation")
NOTICES = {
    "connected": "Connected. The backfill of up to a year of leads has started.",
    "reconnected": "Reconnected with LinkedIn. The sync resumes where it stopped.",
    "subscribed": "Subscribed: LinkedIn now posts each new lead here.",
    "unsubscribed": "Unsubscribed: new leads arrive with the pull every 15 minutes.",
    "mappings": "Field mappings saved.",
    "strategy": "Lead matching saved.",
    "sync": "Sync started.",
    "token": "Connection saved.",
    "form": "Question mappings saved.",
}
# What each state means to the person reading the status page.
STATUS_TEXT = {
    ConnectionStatus.NEW.value: "Not synced yet.",
    ConnectionStatus.SYNCING.value: "Syncing now.",
    ConnectionStatus.OK.value: (
        "Synced. New leads arrive by webhook and by the pull every 15 minutes."
    ),
    ConnectionStatus.TOKEN_EXPIRED.value: (
        "The access token expired or was revoked, and no refresh token could renew it. "
        "Reconnect with LinkedIn, or paste a new token below: the next sync resumes where "
        "this one stopped."
    ),
    ConnectionStatus.THROTTLED.value: (
        "LinkedIn throttled the sync after several pauses. It resumes where it stopped at "
        "the next pull, or press Sync now later."
    ),
    ConnectionStatus.ERROR.value: (
        "LinkedIn answered with errors. The sync resumes where it stopped at the next pull."
    ),
}


def _field_options(registry: Registry) -> list[tuple[str, str]]:
    return [(item.name, item.label) for item in services.mappable_fields(registry)]


@dataclass(frozen=True)
class StrategyRow:
    id: int
    name: str
    fields: str
    is_active: bool
    always_create_lead: bool
    enable_contact_creation: bool


def _settings_page(
    request: Request,
    principal: Principal,
    *,
    connection_form: FormState | None = None,
    strategy_form: FormState | None = None,
    oauth_form: FormState | None = None,
    mapping_error: LeadflowError | None = None,
    status: int = 200,
) -> Response:
    container = container_of(request)
    app = services.oauth_app(container.settings)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        labels = dict(_field_options(registry))
        mapped = services.predefined_mappings(session)
        strategies = [
            StrategyRow(
                row.id,
                row.name,
                ", ".join(labels.get(name, name) for name in fields.fields),
                row.is_active,
                row.always_create_lead,
                row.enable_contact_creation,
            )
            for row, fields in services.list_strategies(session)
        ]
        connections = services.list_connections(session)
        mapped_targets = sorted(set(mapped.values()) | services.mapped_fields(session))
    context = {
        "settings_sections": settings_navigation(principal),
        "connections": connections,
        "status_labels": {item.value: item.value.replace("_", " ") for item in ConnectionStatus},
        "predefined": [
            (kind.value, PREDEFINED_LABELS[kind], mapped.get(kind.value, ""))
            for kind in PredefinedField
        ],
        "field_options": _field_options(registry),
        "strategies": strategies,
        "matchable": [(name, labels.get(name, name)) for name in mapped_targets],
        "connection_form": connection_form
        or FormState(
            {
                "api_version": DEFAULT_API_VERSION,
                "base_url": DEFAULT_BASE_URL,
                "backfill_days": "365",
            }
        ),
        "strategy_form": strategy_form or FormState({"enable_contact_creation": "true"}),
        "oauth_ready": app.configured,
        "oauth_scopes": ", ".join(app.scopes),
        "oauth_form": oauth_form or FormState({"li_backfill_days": "365"}),
        "redirect_url": _redirect_uri(request),
        "mapping_error": mapping_error,
        "notice": NOTICES.get(request.query_params.get(NOTICE) or ""),
    }
    return render(request, "linkedin/settings.html", context, status=status)


@dataclass(frozen=True)
class ResponseRow:
    submitted: str
    form: str
    outcome: str
    lead: str | None
    lead_href: str | None
    test_lead: bool
    via: str
    error: str


def _response_rows(session: Session, connection_id: int) -> list[ResponseRow]:
    rows = list(
        session.scalars(
            select(LinkedInResponse)
            .where(LinkedInResponse.connection_id == connection_id)
            .order_by(LinkedInResponse.id.desc())
            .limit(25)
        )
    )
    forms = {
        form.id: form.name
        for form in session.scalars(
            select(LinkedInForm).where(LinkedInForm.connection_id == connection_id)
        )
    }
    leads = _lead_names(session, {row.lead_id for row in rows if row.lead_id})
    return [
        ResponseRow(
            submitted=when(row.submitted_at) or "",
            form=forms.get(row.form_id or 0, row.form_linkedin_id or ""),
            outcome=row.outcome,
            lead=leads.get(row.lead_id) if row.lead_id else None,
            lead_href=record_href("lead", row.lead_id) if row.lead_id else None,
            test_lead=row.test_lead,
            via=row.received_via,
            error=row.error or "",
        )
        for row in rows
    ]


def _lead_names(session: Session, lead_ids: set[int]) -> dict[int, str]:
    """Who each lead is: the person's name or email (its topic is the form's name here)."""
    if not lead_ids:
        return {}
    found = session.execute(
        select(Lead.id, Lead.first_name, Lead.last_name, Lead.email).where(Lead.id.in_(lead_ids))
    )
    names: dict[int, str] = {}
    for lead_id, first, last, email in found:
        person = " ".join(part for part in (first, last) if part)
        names[lead_id] = person or email or ""
    missing = {lead_id for lead_id in lead_ids if not names.get(lead_id)}
    names.update(titles_by_id(session, "lead", missing))
    return names


def _cursor_text(row: LinkedInConnection) -> str | None:
    cursor = row.cursor
    if not cursor:
        return None
    start = from_epoch_ms(cursor.get("start_ms"))
    end = from_epoch_ms(cursor.get("end_ms"))
    return (
        f"Resumes at response {int(cursor.get('offset') or 0) + 1} of the responses submitted "
        f"from {when(start)} to {when(end)} UTC ({cursor.get('mode', 'pull')})."
    )


def _connection_page(
    request: Request,
    principal: Principal,
    connection_id: int,
    *,
    form: FormState | None = None,
    subscription_form: FormState | None = None,
    status: int = 200,
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        row = services.get_connection(session, connection_id)
        job = services.active_sync(session, connection_id)
        forms = [
            (item, services.mappings_for(session, item.id))
            for item in services.list_forms(session, connection_id)
        ]
        form_rows = [
            {
                "id": item.id,
                "name": item.name,
                "state": (item.state or "").lower(),
                "questions": len(item.questions or []),
                "mapped": sum(
                    1 for question in services.form_questions(item) if mappings.target(question)
                ),
            }
            for item, mappings in forms
        ]
        responses = _response_rows(session, connection_id)
        last_notification = services.last_received(session, connection_id)
        context = {
            "settings_sections": settings_navigation(principal),
            "connection": row,
            "status_text": STATUS_TEXT.get(row.status, row.status),
            "status_label": row.status.replace("_", " "),
            "cursor_text": _cursor_text(row),
            "last_sync": when(row.last_sync_at),
            "synced_through": when(row.synced_through),
            "last_error_at": when(row.last_error_at),
            "last_notification": when(last_notification),
            "job": job,
            "job_percent": percent(job.done, job.total) if job else None,
            "forms": form_rows,
            "responses": responses,
            "webhook_url": str(request.base_url).rstrip("/")
            + f"/api/v1/linkedin/connections/{row.id}/webhook",
            "form": form or FormState({"api_version": row.api_version}),
            "subscription_form": subscription_form or FormState(),
            "oauth_ready": services.oauth_app(container.settings).configured,
            "access_expires": when(row.access_token_expires_at),
            "refresh_expires": when(row.refresh_token_expires_at),
            "notice": NOTICES.get(request.query_params.get(NOTICE) or ""),
        }
        return render(request, "linkedin/connection.html", context, status=status)


# --- Connect with LinkedIn: the state bound to the login session -------------------------


def _redirect_uri(request: Request) -> str:
    configured = container_of(request).settings.linkedin_redirect_url.strip()
    return configured or str(request.base_url).rstrip("/") + f"{PATH}/callback"


def _signer(request: Request) -> URLSafeTimedSerializer:
    secret = container_of(request).settings.effective_secret_key
    return URLSafeTimedSerializer(secret, salt="leadflow.linkedin.oauth")


def _to_linkedin(
    request: Request, principal: Principal, app: OAuthApp, pending: dict[str, Any]
) -> Response:
    """Off to LinkedIn's authorization page, with a fresh state the callback must see
    again from this same session."""
    web_session: WebSession | None = getattr(request.state, "web_session", None)
    if web_session is None:
        raise LeadflowError("Connecting with LinkedIn needs a login session", field="session")
    state = secrets.token_urlsafe(32)
    redirect_uri = _redirect_uri(request)
    cookie = _signer(request).dumps(
        {
            "state": state,
            "uid": principal.user_id,
            "csrf": web_session.csrf,
            "redirect_uri": redirect_uri,
            "pending": pending,
        }
    )
    response = RedirectResponse(authorization_url(app, redirect_uri, state), status_code=303)
    response.set_cookie(
        OAUTH_COOKIE,
        cookie,
        max_age=OAUTH_MAX_AGE,
        path=PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


def _pending_sign_in(request: Request, principal: Principal) -> dict[str, Any]:
    """The pending sign-in LinkedIn's answer belongs to; LeadflowError (400) when the
    state is missing, forged, stale, or was started by another session."""
    state = request.query_params.get("state") or ""
    if not state:
        raise LeadflowError(
            "LinkedIn's answer carries no state: it was not started here. Connect again.",
            field="state",
        )
    raw = request.cookies.get(OAUTH_COOKIE) or ""
    try:
        pending: Any = _signer(request).loads(raw, max_age=OAUTH_MAX_AGE) if raw else None
    except BadSignature:
        pending = None
    web_session: WebSession | None = getattr(request.state, "web_session", None)
    if (
        not isinstance(pending, dict)
        or web_session is None
        or pending.get("uid") != principal.user_id
        or not hmac.compare_digest(str(pending.get("csrf", "")), web_session.csrf)
    ):
        raise LeadflowError(
            "No LinkedIn sign-in is pending in this session (or it took longer than "
            f"{OAUTH_MAX_AGE // 60} minutes). Connect again.",
            field="state",
        )
    if not hmac.compare_digest(str(pending.get("state", "")), state):
        raise LeadflowError(
            "LinkedIn's answer carries a state this session did not send: it was refused. "
            "Connect again.",
            field="state",
        )
    return pending


def _question_kind(predefined: str | None, kind: str) -> str:
    if predefined:
        if predefined in PredefinedField.__members__:
            return PREDEFINED_LABELS[PredefinedField(predefined)]
        return predefined.replace("_", " ").capitalize()
    return "Multiple choice" if kind == "multiple_choice" else "Custom text"


def _form_page(
    request: Request,
    principal: Principal,
    form_id: int,
    *,
    error: LeadflowError | None = None,
) -> Response:
    container = container_of(request)
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        form = services.get_form(session, form_id)
        mappings = services.mappings_for(session, form.id)
        connection = services.get_connection(session, form.connection_id)
        options = _field_options(registry)
        labels = dict(options)
        questions = [
            {
                "id": question.question_id,
                "label": question.label,
                "kind": _question_kind(question.predefined_field, question.kind),
                "options": list(question.options.values()),
                "own": mappings.by_question.get(question.question_id, ""),
                "inherited": labels.get(
                    mappings.predefined.get(question.predefined_field or "", ""), ""
                ),
            }
            for question in services.form_questions(form)
        ]
        context = {
            "settings_sections": settings_navigation(principal),
            "form": form,
            "connection": connection,
            "questions": questions,
            "field_options": options,
            "error": error,
            "notice": NOTICES.get(request.query_params.get(NOTICE) or ""),
        }
    return render(request, "linkedin/form.html", context, status=status_of(error))


def _connection_values(raw: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: text_of(raw, name) or None
        for name in (
            "name",
            "owner_urn",
            "access_token",
            "client_secret",
            "api_version",
            "base_url",
        )
    }
    days = text_of(raw, "backfill_days")
    if days:
        values["backfill_days"] = int(days) if days.isdigit() else -1
    values["include_test_leads"] = checked(raw, "include_test_leads")
    return values


def _oauth_values(raw: FormData) -> dict[str, Any]:
    days = text_of(raw, "li_backfill_days")
    return {
        "name": text_of(raw, "li_name"),
        "owner_urn": text_of(raw, "li_owner_urn"),
        "backfill_days": (int(days) if days.isdigit() else -1) if days else 365,
        "include_test_leads": checked(raw, "li_include_test_leads"),
    }


router = APIRouter(include_in_schema=False)
can_admin = Depends(Authorize(Permission.LINKEDIN_ADMIN))
administering = page_call(Permission.LINKEDIN_ADMIN)


def routers() -> list[APIRouter]:
    return [router]


def _on_connection(call: PageCall, connection_id: int, form: str = "form") -> Failed:
    """A refusal shown on the connection's page, in the form it came from."""

    def failed(exc: LeadflowError) -> Response:
        state = {form: FormState(alert=exc.message)}
        return _connection_page(
            call.request, call.principal, connection_id, status=status_of(exc), **state
        )

    return failed


@router.post(f"{PATH}/authorize")
def authorize(call: PageCall = administering) -> Response:
    app = services.oauth_app(call.container.settings)

    def failed(exc: LeadflowError) -> Response:
        typed = {name: text_of(call.form, name) for name in OAUTH_INPUTS}
        rename = {name: f"li_{name}" for name in ("name", "owner_urn", "backfill_days")}
        state = FormState.failed(typed, exc, OAUTH_INPUTS, rename=rename)
        return _settings_page(call.request, call.principal, oauth_form=state, status=status_of(exc))

    return call.show(
        lambda session: services.pending_connection(app, _oauth_values(call.form), session),
        done=lambda pending: _to_linkedin(call.request, call.principal, app, pending),
        failed=failed,
    )


@router.post(f"{PATH}/connections/{{connection_id:int}}/authorize")
def reauthorize(connection_id: int, call: PageCall = administering) -> Response:
    app = services.oauth_app(call.container.settings)
    return call.show(
        lambda session: services.pending_connection(app, {}, session, connection_id=connection_id),
        done=lambda pending: _to_linkedin(call.request, call.principal, app, pending),
        failed=_on_connection(call, connection_id),
    )


@router.get(f"{PATH}/callback")
def callback(call: PageCall = administering) -> Response:
    """Where LinkedIn sends the user back: the state checked against this session,
    then the code exchanged and the connection made (or reconnected)."""
    return call.check(
        lambda: _pending_sign_in(call.request, call.principal),
        done=lambda pending: _connect_with_code(call, pending),
        failed=lambda exc: _settings_page(
            call.request, call.principal, oauth_form=FormState(alert=exc.message), status=400
        ),
    )


def _connect_with_code(call: PageCall, pending: dict[str, Any]) -> Response:
    request = call.request
    target = pending.get("pending") or {}

    def connect(uow: UnitOfWork) -> LinkedInConnection:
        denied = request.query_params.get("error")
        if denied:
            reason = request.query_params.get("error_description") or denied
            raise LeadflowError(f"LinkedIn did not authorise leadflow: {reason}", field="code")
        return services.do_connect_with_code(
            services.oauth_app(call.container.settings),
            request.query_params.get("code") or "",
            str(pending.get("redirect_uri") or _redirect_uri(request)),
            target,
            uow=uow,
            requested_by=call.user_id,
        )

    def connected(row: LinkedInConnection) -> Response:
        notice = "reconnected" if target.get("connection_id") else "connected"
        return _forget_sign_in(see_other(f"{PATH}/connections/{row.id}?{NOTICE}={notice}"))

    def failed(exc: LeadflowError) -> Response:
        if target.get("connection_id"):
            return _forget_sign_in(_on_connection(call, int(target["connection_id"]))(exc))
        typed = {
            "li_name": str(target.get("name") or ""),
            "li_owner_urn": str(target.get("owner_urn") or ""),
            "li_backfill_days": str(target.get("backfill_days") or ""),
        }
        return _forget_sign_in(
            _settings_page(
                request,
                call.principal,
                oauth_form=FormState(typed, alert=exc.message),
                status=status_of(exc),
            )
        )

    return call.run(connect, done=connected, failed=failed)


def _forget_sign_in(response: Response) -> Response:
    # One use: LinkedIn's answer cannot be replayed into this session.
    response.delete_cookie(OAUTH_COOKIE, path=PATH)
    return response


@router.post(f"{PATH}/connections/{{connection_id:int}}/subscription")
def subscribe(connection_id: int, call: PageCall = administering) -> Response:
    webhook = str(call.request.base_url).rstrip("/") + (
        f"/api/v1/linkedin/connections/{connection_id}/webhook"
    )
    return call.run(
        lambda uow: services.do_subscribe_notifications(
            connection_id, webhook, uow=uow, app=services.oauth_app(call.container.settings)
        ),
        done=f"{PATH}/connections/{connection_id}?{NOTICE}=subscribed#notifications",
        failed=_on_connection(call, connection_id, "subscription_form"),
    )


@router.post(f"{PATH}/connections/{{connection_id:int}}/subscription/delete")
def unsubscribe(connection_id: int, call: PageCall = administering) -> Response:
    return call.run(
        lambda uow: services.do_unsubscribe_notifications(
            connection_id, uow=uow, app=services.oauth_app(call.container.settings)
        ),
        done=f"{PATH}/connections/{connection_id}?{NOTICE}=unsubscribed#notifications",
        failed=_on_connection(call, connection_id, "subscription_form"),
    )


@router.get(PATH)
def settings(request: Request, principal: Principal = can_admin) -> Response:
    return _settings_page(request, principal)


@router.post(f"{PATH}/connections")
def connect(call: PageCall = administering) -> Response:
    def failed(exc: LeadflowError) -> Response:
        typed = {name: text_of(call.form, name) for name in CONNECTION_INPUTS}
        typed["access_token"] = typed["client_secret"] = ""
        state = FormState.failed(typed, exc, CONNECTION_INPUTS)
        return _settings_page(
            call.request, call.principal, connection_form=state, status=status_of(exc)
        )

    return call.run(
        lambda uow: services.do_create_connection(
            _connection_values(call.form), uow=uow, requested_by=call.user_id
        ),
        done=lambda row: see_other(f"{PATH}/connections/{row.id}?{NOTICE}=connected"),
        failed=failed,
    )


@router.post(f"{PATH}/mappings")
def map_predefined(call: PageCall = administering) -> Response:
    changes = {kind.value: text_of(call.form, kind.value) or None for kind in PredefinedField}
    return call.run(
        lambda uow: services.do_set_predefined_mappings(changes, uow=uow),
        done=f"{PATH}?{NOTICE}=mappings#mappings",
        failed=lambda exc: _settings_page(
            call.request, call.principal, mapping_error=exc, status=status_of(exc)
        ),
    )


def _on_strategies(call: PageCall, state: Callable[[LeadflowError], FormState]) -> Failed:
    def failed(exc: LeadflowError) -> Response:
        return _settings_page(
            call.request, call.principal, strategy_form=state(exc), status=status_of(exc)
        )

    return failed


@router.post(f"{PATH}/strategies")
def add_strategy(call: PageCall = administering) -> Response:
    raw = call.form
    fields = [item for item in raw.getlist("fields") if isinstance(item, str)]
    data = {
        "name": text_of(raw, "strategy_name"),
        "fields": fields,
        "always_create_lead": checked(raw, "always_create_lead"),
        "enable_contact_creation": checked(raw, "enable_contact_creation"),
        "activate": checked(raw, "activate"),
    }
    typed = {name: text_of(raw, name) for name in STRATEGY_INPUTS}
    return call.run(
        lambda uow: services.do_create_strategy(data, uow=uow),
        done=f"{PATH}?{NOTICE}=strategy#matching",
        failed=_on_strategies(
            call,
            lambda exc: FormState.failed(
                typed, exc, STRATEGY_INPUTS, rename={"name": "strategy_name"}
            ),
        ),
    )


@router.post(f"{PATH}/strategies/{{strategy_id:int}}/activate")
def activate(strategy_id: int, call: PageCall = administering) -> Response:
    return call.run(
        lambda uow: services.do_activate_strategy(strategy_id, uow=uow),
        done=f"{PATH}?{NOTICE}=strategy#matching",
        failed=_on_strategies(call, lambda exc: FormState(alert=exc.message)),
    )


@router.post(f"{PATH}/strategies/{{strategy_id:int}}/switches")
def switches(strategy_id: int, call: PageCall = administering) -> Response:
    changes = {
        "always_create_lead": checked(call.form, "always_create_lead"),
        "enable_contact_creation": checked(call.form, "enable_contact_creation"),
    }
    services.do_update_strategy(strategy_id, changes, uow=call.container.uow())
    return see_other(f"{PATH}?{NOTICE}=strategy#matching")


@router.get(f"{PATH}/connections/{{connection_id:int}}")
def connection_status(
    request: Request, connection_id: int, principal: Principal = can_admin
) -> Response:
    return _connection_page(request, principal, connection_id)


@router.post(f"{PATH}/connections/{{connection_id:int}}/sync")
def sync_now(connection_id: int, call: PageCall = administering) -> Response:
    services.do_start_sync(
        connection_id,
        backfill=checked(call.form, "backfill"),
        uow=call.container.uow(),
        requested_by=call.user_id,
    )
    return see_other(f"{PATH}/connections/{connection_id}?{NOTICE}=sync")


@router.post(f"{PATH}/connections/{{connection_id:int}}/edit")
def edit_connection(connection_id: int, call: PageCall = administering) -> Response:
    secrets_and_version = ("access_token", "client_secret", "api_version")
    changes: dict[str, Any] = {
        name: text_of(call.form, name) for name in secrets_and_version if text_of(call.form, name)
    }

    def failed(exc: LeadflowError) -> Response:
        # The secrets are never sent back into the page.
        typed = {"api_version": text_of(call.form, "api_version")}
        state = FormState.failed(typed, exc, secrets_and_version)
        return _connection_page(
            call.request, call.principal, connection_id, form=state, status=status_of(exc)
        )

    return call.run(
        lambda uow: services.do_update_connection(connection_id, changes, uow=uow),
        done=f"{PATH}/connections/{connection_id}?{NOTICE}=token",
        failed=failed,
    )


@router.get(f"{PATH}/forms/{{form_id:int}}")
def form_page(request: Request, form_id: int, principal: Principal = can_admin) -> Response:
    return _form_page(request, principal, form_id)


@router.post(f"{PATH}/forms/{{form_id:int}}")
def map_form(form_id: int, call: PageCall = administering) -> Response:
    changes = {
        key.removeprefix("q-"): text_of(call.form, key) or None
        for key in call.form
        if key.startswith("q-")
    }
    return call.run(
        lambda uow: services.do_set_form_mappings(form_id, changes, uow=uow),
        done=f"{PATH}/forms/{form_id}?{NOTICE}=form",
        failed=lambda exc: _form_page(call.request, call.principal, form_id, error=exc),
    )


@detail_panel("lead", slot="main", order=30)
def lead_linkedin_answers(context: PanelContext) -> Markup | None:
    """A lead that came from LinkedIn Lead Gen Forms: each response's form, when, the
    answers by question (choices as labels), the consents and the hidden fields."""
    rows = list(
        context.session.execute(
            select(LinkedInResponse, LinkedInForm.name)
            .outerjoin(LinkedInForm, LinkedInForm.id == LinkedInResponse.form_id)
            .where(LinkedInResponse.lead_id == context.record_id)
            .order_by(LinkedInResponse.submitted_at.desc(), LinkedInResponse.id.desc())
            .limit(10)
        )
    )
    if not rows:
        return None
    responses = [
        {
            "form": form_name or response.form_linkedin_id or "A LinkedIn form",
            "submitted_at": response.submitted_at,
            "test_lead": response.test_lead,
            "deleted": response.deleted_at is not None,
            "answers": list(response.answers or []),
            "consents": list(response.consents or []),
            "hidden": dict((response.attribution or {}).get("hidden_fields") or {}),
        }
        for response, form_name in rows
    ]
    return render_fragment("linkedin/lead_panel.html", responses=responses)
