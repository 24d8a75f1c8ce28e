"""Connect with LinkedIn: off to LinkedIn with a state bound to the login session,
and back through the callback, which accepts LinkedIn's answer only when the state,
the session and the user agree."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import FormData

from leadflow.db.uow import UnitOfWork
from leadflow.errors import LeadflowError
from leadflow.linkedin import services
from leadflow.linkedin.domain import (
    OAuthApp,
    authorization_url,
)
from leadflow.linkedin.models import LinkedInConnection
from leadflow.users.services import Principal
from leadflow.web.auth import WebSession, container_of
from leadflow.web.calls import PageCall, see_other
from leadflow.web.pages.linkedin._pages import (
    OAUTH_COOKIE,
    OAUTH_INPUTS,
    OAUTH_MAX_AGE,
    PATH,
    _on_connection,
    _redirect_uri,
    _settings_page,
    administering,
    router,
)
from leadflow.web.pages.settings_forms import (
    NOTICE,
    FormState,
    checked,
    status_of,
    text_of,
)

# --- Connect with LinkedIn: the state bound to the login session -------------------------


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


def _oauth_values(raw: FormData) -> dict[str, Any]:
    days = text_of(raw, "li_backfill_days")
    return {
        "name": text_of(raw, "li_name"),
        "owner_urn": text_of(raw, "li_owner_urn"),
        "backfill_days": (int(days) if days.isdigit() else -1) if days else 365,
        "include_test_leads": checked(raw, "li_include_test_leads"),
    }


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
