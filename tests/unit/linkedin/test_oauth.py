"""OAuth's pure parts: the authorization URL, the token answer read, when a token is
due, and the client's one retry with a refreshed token after a 401."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from leadflow.linkedin.client import LinkedInClient
from leadflow.linkedin.domain import (
    OAuthApp,
    authorization_url,
    due_for_refresh,
    token_grant,
)
from leadflow.linkedin.errors import TokenExpired

APP = OAuthApp(
    client_id="cid",
    client_secret="secret",
    oauth_url="https://www.linkedin.com/oauth/v2",
    api_url="https://api.linkedin.com",
    scopes=("r_marketing_leadgen_automation", "r_ads", "r_organization_admin"),
)
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_the_authorization_url_asks_for_a_code_with_the_lead_sync_scopes() -> None:
    url = authorization_url(APP, "https://crm.example.com/settings/linkedin/callback", "st&te")

    parsed = urlparse(url)
    query = {key: values[0] for key, values in parse_qs(parsed.query).items()}
    assert f"{parsed.netloc}{parsed.path}" == "www.linkedin.com/oauth/v2/authorization"
    assert query == {
        "response_type": "code",
        "client_id": "cid",
        "redirect_uri": "https://crm.example.com/settings/linkedin/callback",
        "state": "st&te",
        "scope": "r_marketing_leadgen_automation r_ads r_organization_admin",
    }
    assert "scope=r_marketing_leadgen_automation%20r_ads%20" in url


def test_a_token_answer_gives_each_expiry_from_now() -> None:
    grant = token_grant(
        {
            "access_token": "at",
            "expires_in": 5_184_000,
            "refresh_token": "rt",
            "refresh_token_expires_in": 31_536_000,
            "scope": "r_ads,r_marketing_leadgen_automation",
        },
        NOW,
    )

    assert grant.access_token == "at" and grant.refresh_token == "rt"
    assert grant.expires_at == NOW + timedelta(days=60)
    assert grant.refresh_expires_at == NOW + timedelta(days=365)
    assert grant.scopes == "r_ads,r_marketing_leadgen_automation"


def test_an_answer_without_refresh_token_or_expiry_keeps_them_unknown() -> None:
    grant = token_grant({"access_token": "at"}, NOW)

    assert (grant.expires_at, grant.refresh_token, grant.refresh_expires_at) == (None, None, None)
    with pytest.raises(ValueError, match="no access token"):
        token_grant({"error": "invalid_grant"}, NOW)


def test_a_token_is_due_within_the_margin_and_never_when_its_expiry_is_unknown() -> None:
    assert due_for_refresh(NOW + timedelta(minutes=4), NOW)
    assert not due_for_refresh(NOW + timedelta(minutes=6), NOW)
    assert not due_for_refresh(None, NOW)


def _client(statuses: list[int], refreshed: list[str]) -> tuple[LinkedInClient, list[str]]:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        status = statuses.pop(0)
        return httpx.Response(status, json={"elements": [], "message": "expired"})

    def refresh() -> str:
        refreshed.append("new")
        return "new-token"

    client = LinkedInClient(
        "https://api.example",
        "old-token",
        "202509",
        transport=httpx.MockTransport(answer),
        refresh=refresh,
    )
    return client, seen


def test_a_401_is_retried_once_with_the_refreshed_token() -> None:
    refreshed: list[str] = []
    client, seen = _client([401, 200], refreshed)

    client.form("1")

    assert seen == ["Bearer old-token", "Bearer new-token"]
    assert refreshed == ["new"]


def test_a_401_with_the_refreshed_token_is_final() -> None:
    refreshed: list[str] = []
    client, seen = _client([401, 401], refreshed)

    with pytest.raises(TokenExpired):
        client.form("1")

    assert seen == ["Bearer old-token", "Bearer new-token"] and refreshed == ["new"]
