"""Connect with LinkedIn: LinkedIn's 3-legged OAuth (authorization code flow).

The page sends the user to LinkedIn's authorization URL with a `state` bound to
their session; LinkedIn sends them back with a code, exchanged here for an access
token and (for Marketing API partners) a refresh token, both sealed at rest with
their expiry. A sync refreshes the access token when it is due or when LinkedIn
answers 401, and only when the refresh token is refused too does the connection
stand in the "token expired, reconnect" state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from leadflow.config import Settings
from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.linkedin.client import request_tokens
from leadflow.linkedin.domain import (
    MAX_BACKFILL_DAYS,
    OWNER_PATTERN,
    ConnectionStatus,
    OAuthApp,
    TokenGrant,
    token_grant,
)
from leadflow.linkedin.errors import AuthorizationFailed, TokenExpired
from leadflow.linkedin.models import LinkedInConnection
from leadflow.linkedin.services._setup import create_connection, get_connection

if TYPE_CHECKING:
    from datetime import datetime

RECONNECT = "reconnect with LinkedIn"


def oauth_app(settings: Settings) -> OAuthApp:
    return OAuthApp(
        client_id=settings.linkedin_client_id.strip(),
        client_secret=settings.linkedin_client_secret.strip(),
        oauth_url=settings.linkedin_oauth_url.strip().rstrip("/"),
        api_url=settings.linkedin_api_url.strip().rstrip("/"),
        scopes=tuple(settings.linkedin_scopes.split()),
    )


def _require(app: OAuthApp) -> None:
    if not app.configured:
        raise ValidationFailed(
            "Connecting with LinkedIn needs the LinkedIn app's client id and secret "
            "(LEADFLOW_LINKEDIN_CLIENT_ID and LEADFLOW_LINKEDIN_CLIENT_SECRET); until "
            "then, paste an access token",
            field="linkedin_client_id",
        )


def pending_connection(
    app: OAuthApp, data: Mapping[str, Any], session: Any, *, connection_id: int | None = None
) -> dict[str, Any]:
    """What the callback will create (or which connection it reconnects), checked before
    the user is sent to LinkedIn, so a typo is not found only after authorising."""
    _require(app)
    if connection_id is not None:
        get_connection(session, connection_id)
        return {"connection_id": connection_id}
    name = str(data.get("name") or "").strip()
    owner = str(data.get("owner_urn") or "").strip()
    if not name:
        raise ValidationFailed("A name is required", code=ErrorCode.REQUIRED, field="name")
    if len(name) > 200:
        raise ValidationFailed("A name is longer than 200 characters", field="name")
    if not OWNER_PATTERN.match(owner):
        raise ValidationFailed(
            "The owner is urn:li:sponsoredAccount:<id> or urn:li:organization:<id>",
            field="owner_urn",
        )
    existing = session.scalar(
        select(LinkedInConnection.id).where(LinkedInConnection.owner_urn == owner)
    )
    if existing is not None:
        raise Conflict(
            f"{owner} is connected already: reconnect it from its page",
            code=ErrorCode.DUPLICATE,
            field="owner_urn",
            existing_id=existing,
        )
    days = data.get("backfill_days", MAX_BACKFILL_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_BACKFILL_DAYS:
        raise ValidationFailed(
            f"Backfill days is a whole number from 1 to {MAX_BACKFILL_DAYS}",
            field="backfill_days",
        )
    return {
        "name": name,
        "owner_urn": owner,
        "backfill_days": days,
        "include_test_leads": bool(data.get("include_test_leads")),
    }


def _store(row: LinkedInConnection, grant: TokenGrant) -> None:
    row.access_token = grant.access_token
    row.access_token_expires_at = grant.expires_at
    if grant.refresh_token:
        # A refresh grant may leave the refresh token out: the one held stays valid.
        row.refresh_token = grant.refresh_token
        row.refresh_token_expires_at = grant.refresh_expires_at
    if grant.scopes:
        row.granted_scopes = grant.scopes
    if row.status == ConnectionStatus.TOKEN_EXPIRED.value:
        row.status = ConnectionStatus.NEW.value
    row.updated_at = utcnow()


def connect_with_code(
    app: OAuthApp,
    code: str,
    redirect_uri: str,
    pending: Mapping[str, Any],
    *,
    uow: UnitOfWork,
    requested_by: int | None = None,
) -> LinkedInConnection:
    """The callback: the code exchanged for tokens, then the pending connection created
    (its backfill starts) or the connection reconnected (its sync resumes)."""
    from leadflow.linkedin.services._sync import start_sync

    _require(app)
    if not code or len(code) > 2000:
        raise ValidationFailed("LinkedIn sent no authorization code", field="code")
    # LinkedIn is asked before the database: no transaction waits on its answer.
    answer = request_tokens(
        app,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
    )
    try:
        grant = token_grant(answer, utcnow())
    except ValueError as exc:
        raise AuthorizationFailed(str(exc), status=200) from None
    connection_id = pending.get("connection_id")
    if connection_id is not None:
        row = get_connection(uow.session, int(connection_id))
        row.client_secret = row.client_secret or app.client_secret
        _store(row, grant)
        uow.session.flush()
        start_sync(row.id, uow=uow, requested_by=requested_by)
        return row
    data = {
        **pending,
        "access_token": grant.access_token,
        "base_url": app.api_url,
        # The app's secret also signs its webhooks.
        "client_secret": app.client_secret,
    }
    row = create_connection(data, uow=uow, requested_by=requested_by)
    _store(row, grant)
    uow.session.flush()
    return row


do_connect_with_code = in_own_transaction(connect_with_code)


def refreshed_grant(
    app: OAuthApp, refresh_token: str | None, refresh_expires_at: datetime | None
) -> TokenGrant:
    """A new access token from the refresh token; TokenExpired (the "reconnect" state)
    when there is none, it expired, or LinkedIn refuses it."""
    now = utcnow()
    if not refresh_token:
        raise TokenExpired(
            f"LinkedIn refused the access token and there is no refresh token: {RECONNECT} "
            "or paste a new token",
            status=401,
        )
    if not app.configured:
        raise TokenExpired(
            "LinkedIn refused the access token and the LinkedIn app's client id and secret "
            f"are not set, so it cannot be refreshed: set them and {RECONNECT}",
            status=401,
        )
    if refresh_expires_at is not None and refresh_expires_at <= now:
        raise TokenExpired(
            f"The refresh token expired on {refresh_expires_at:%Y-%m-%d}: {RECONNECT}",
            status=401,
        )
    try:
        answer = request_tokens(
            app, {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )
        return token_grant(answer, now)
    except AuthorizationFailed as exc:
        raise TokenExpired(
            f"LinkedIn refused the access token and the refresh token ({exc.message}): {RECONNECT}",
            status=401,
        ) from None
    except ValueError as exc:
        raise TokenExpired(f"{exc}: {RECONNECT}", status=401) from None


def refresh_in(uow: UnitOfWork, row: LinkedInConnection, app: OAuthApp) -> str:
    """Refresh inside the caller's transaction (a use case already holding the row)."""
    grant = refreshed_grant(app, row.refresh_token, row.refresh_token_expires_at)
    _store(row, grant)
    uow.session.flush()
    return grant.access_token


def refresher(
    new_uow: Callable[[], UnitOfWork], connection_id: int, app: OAuthApp
) -> Callable[[], str]:
    """For a sync: read the refresh token, ask LinkedIn with no transaction open, then
    store the new tokens in a transaction of their own (a later failure keeps them)."""

    def refresh() -> str:
        with new_uow() as uow:
            row = get_connection(uow.session, connection_id)
            held, until = row.refresh_token, row.refresh_token_expires_at
        grant = refreshed_grant(app, held, until)
        with new_uow() as uow:
            row = get_connection(uow.session, connection_id)
            _store(row, grant)
            uow.commit()
        return grant.access_token

    return refresh
