"""3-legged OAuth ("Connect with LinkedIn"): the authorization URL and token grants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

# A token due within this long is refreshed before a sync starts, not after a 401.
REFRESH_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class OAuthApp:
    """The LinkedIn app leadflow authorises as (from the settings)."""

    client_id: str
    client_secret: str
    oauth_url: str
    api_url: str
    scopes: tuple[str, ...]

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)


def authorization_url(app: OAuthApp, redirect_uri: str, state: str) -> str:
    """Where the user's browser goes to authorise leadflow (authorization code flow).
    Scopes are separated by an encoded space (%20), as LinkedIn's examples send them."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": " ".join(app.scopes),
        },
        quote_via=quote,
    )
    return f"{app.oauth_url.rstrip('/')}/authorization?{query}"


@dataclass(frozen=True)
class TokenGrant:
    """What LinkedIn's token endpoint granted: the access token, its refresh token (for
    partners LinkedIn gives one), when each expires, the permissions granted."""

    access_token: str
    expires_at: datetime | None
    refresh_token: str | None
    refresh_expires_at: datetime | None
    scopes: str | None


def token_grant(body: Mapping[str, Any], now: datetime) -> TokenGrant:
    """The token endpoint's JSON answer read; ValueError when it holds no access token."""
    token = body.get("access_token")
    if not isinstance(token, str) or not token.strip():
        raise ValueError("LinkedIn's answer holds no access token")

    def after(seconds: Any) -> datetime | None:
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            return None
        return now + timedelta(seconds=max(0, int(seconds)))

    refresh = body.get("refresh_token")
    scope = body.get("scope")
    return TokenGrant(
        access_token=token.strip(),
        expires_at=after(body.get("expires_in")),
        refresh_token=refresh.strip() if isinstance(refresh, str) and refresh.strip() else None,
        refresh_expires_at=after(body.get("refresh_token_expires_in")),
        scopes=str(scope)[:500] if scope else None,
    )


def due_for_refresh(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now + REFRESH_MARGIN
