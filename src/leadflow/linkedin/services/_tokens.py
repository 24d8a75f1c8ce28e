"""LinkedIn tokens kept fresh: the app from the settings, a grant stored on its
connection, and the refresh grant. A sync refreshes the access token when it is due
or when LinkedIn answers 401; only when the refresh token is refused too does the
connection stand in the "token expired, reconnect" state.

Imported by the setup and sync steps, it imports neither (no module circle).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from leadflow.config import Settings
from leadflow.db.uow import UnitOfWork
from leadflow.errors import NotFound
from leadflow.lib.clock import utcnow
from leadflow.linkedin.client import request_tokens
from leadflow.linkedin.domain import ConnectionStatus, OAuthApp, TokenGrant, token_grant
from leadflow.linkedin.errors import AuthorizationFailed, TokenExpired
from leadflow.linkedin.models import LinkedInConnection

RECONNECT = "reconnect with LinkedIn"


def oauth_app(settings: Settings) -> OAuthApp:
    return OAuthApp(
        client_id=settings.linkedin_client_id.strip(),
        client_secret=settings.linkedin_client_secret.strip(),
        oauth_url=settings.linkedin_oauth_url.strip().rstrip("/"),
        api_url=settings.linkedin_api_url.strip().rstrip("/"),
        scopes=tuple(settings.linkedin_scopes.split()),
    )


def store_grant(row: LinkedInConnection, grant: TokenGrant) -> None:
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
            f"LinkedIn refused the access token, then the refresh token ({exc.reason}): "
            f"{RECONNECT}",
            status=401,
        ) from None
    except ValueError as exc:
        raise TokenExpired(f"{exc}: {RECONNECT}", status=401) from None


def refresh_in(uow: UnitOfWork, row: LinkedInConnection, app: OAuthApp) -> str:
    """Refresh inside the caller's transaction (a use case already holding the row)."""
    grant = refreshed_grant(app, row.refresh_token, row.refresh_token_expires_at)
    store_grant(row, grant)
    uow.session.flush()
    return grant.access_token


def refresher(
    new_uow: Callable[[], UnitOfWork], connection_id: int, app: OAuthApp
) -> Callable[[], str]:
    """For a sync: read the refresh token, ask LinkedIn with no transaction open, then
    store the new tokens in a transaction of their own (a later failure keeps them)."""

    def refresh() -> str:
        with new_uow() as uow:
            row = _connection(uow, connection_id)
            held, until = row.refresh_token, row.refresh_token_expires_at
        grant = refreshed_grant(app, held, until)
        with new_uow() as uow:
            store_grant(_connection(uow, connection_id), grant)
            uow.commit()
        return grant.access_token

    return refresh


def _connection(uow: UnitOfWork, connection_id: int) -> LinkedInConnection:
    row = uow.session.get(LinkedInConnection, connection_id)
    if row is None:
        raise NotFound(f"No LinkedIn connection with id {connection_id}", field="connection_id")
    return row
