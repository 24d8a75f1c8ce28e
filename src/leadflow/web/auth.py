"""Who is calling: API tokens (Bearer), login sessions (signed cookie) and CSRF."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, URLSafeTimedSerializer

from leadflow.bootstrap import Container
from leadflow.errors import ErrorCode, PermissionDenied, Unauthenticated
from leadflow.users.domain import Permission, role_allows
from leadflow.users.services import (
    Principal,
    do_mark_token_used,
    principal_for_user,
    resolve_token,
)

SESSION_COOKIE = "leadflow_session"
SESSION_MAX_AGE = 14 * 24 * 3600
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# How a caller signs in, as the OpenAPI document's security schemes. They only
# declare; `authenticate_request` reads and checks the credentials itself.
BEARER_TOKEN = HTTPBearer(
    scheme_name="token",
    description="An API token issued to a user: `Authorization: Bearer <token>`",
    auto_error=False,
)
SESSION = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="session",
    description="A login session (the pages); its writes also send the `X-CSRF-Token` header",
    auto_error=False,
)


@dataclass(frozen=True)
class WebSession:
    user_id: int
    csrf: str


def _serializer(container: Container) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(container.settings.effective_secret_key, salt="leadflow.session")


def issue_session(container: Container, user_id: int) -> tuple[str, WebSession]:
    session = WebSession(user_id, secrets.token_urlsafe(24))
    token = _serializer(container).dumps({"uid": user_id, "csrf": session.csrf})
    return token, session


def read_session(container: Container, request: Request) -> WebSession | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data: Any = _serializer(container).loads(raw, max_age=SESSION_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or "uid" not in data or "csrf" not in data:
        return None
    return WebSession(int(data["uid"]), str(data["csrf"]))


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def authenticate_request(request: Request) -> Principal:
    """The caller, from a Bearer token or a session cookie; caches it on the request."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    container = container_of(request)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Use 'Authorization: Bearer <token>'")
        with container.read_session() as session:
            principal, refresh_token_id = resolve_token(session, token.strip())
        if refresh_token_id is not None:
            do_mark_token_used(refresh_token_id, uow=container.uow())
    else:
        web_session = read_session(container, request)
        if web_session is None:
            raise Unauthenticated("Log in or send an API token")
        with container.read_session() as session:
            found = principal_for_user(session, web_session.user_id)
        if found is None:
            raise Unauthenticated("Your session has ended; log in again")
        principal = found
        request.state.web_session = web_session
    request.state.principal = principal
    return principal


def check_csrf(request: Request, submitted: str | None) -> None:
    """Cookie-authenticated writes must echo the session's CSRF token."""
    web_session: WebSession | None = getattr(request.state, "web_session", None)
    if web_session is None:
        return
    if not submitted or not hmac.compare_digest(submitted, web_session.csrf):
        raise PermissionDenied(
            "The form is stale or was not sent by leadflow; reload and try again",
            code=ErrorCode.CSRF_FAILED,
        )


class Authorize:
    """Route dependency: the caller must hold `permission` (None: any signed-in role)."""

    def __init__(self, permission: Permission | None) -> None:
        self.permission = permission

    async def __call__(
        self,
        request: Request,
        _token: HTTPAuthorizationCredentials | None = Depends(BEARER_TOKEN),
        _session: str | None = Depends(SESSION),
    ) -> Principal:
        principal = await run_in_threadpool(authenticate_request, request)
        if self.permission is not None and not role_allows(principal.role, self.permission):
            raise PermissionDenied(f"The {principal.role} role may not do this ({self.permission})")
        if request.method not in SAFE_METHODS:
            submitted = request.headers.get(CSRF_HEADER)
            if submitted is None and not request.url.path.startswith("/api/"):
                form = await request.form()
                value = form.get(CSRF_FIELD)
                submitted = value if isinstance(value, str) else None
            check_csrf(request, submitted)
        return principal
