"""The Lead Sync API over httpx: leadForms and leadFormResponses with start/count paging,
and LinkedIn's OAuth token endpoint (authorization codes and refresh tokens).

Every API call carries `Authorization: Bearer`, `LinkedIn-Version` and
`X-Restli-Protocol-Version: 2.0.0`. 429 and 5xx are retried with a growing pause
(LinkedIn's Retry-After when it sends one). A 401 is retried once, with a token the
`refresh` callback mints, when the connection has a refresh token; never otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from leadflow.linkedin.domain import RESTLI_PROTOCOL_VERSION, OAuthApp
from leadflow.linkedin.errors import (
    AuthorizationFailed,
    LinkedInApiError,
    LinkedInUnavailable,
    Throttled,
    TokenExpired,
)

MAX_RETRIES = 4
# No answer at all (DNS, refused connection) is rarely fixed by waiting long.
MAX_TRANSPORT_RETRIES = 2
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
TIMEOUT = 30.0


@dataclass(frozen=True)
class Page:
    elements: list[dict[str, Any]]
    start: int
    total: int | None


def _restli(value: str) -> str:
    """A URN inside a Rest.li 2.0 query value: its reserved characters escaped."""
    return quote(value, safe="")


class LinkedInClient:
    """One connection's calls. `sleep` is injectable so tests need not wait."""

    def __init__(
        self,
        base_url: str,
        access_token: str,
        api_version: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        max_retries: int = MAX_RETRIES,
        refresh: Callable[[], str] | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(TIMEOUT, connect=10.0),
            transport=transport,
            headers={
                "Authorization": f"Bearer {access_token}",
                "LinkedIn-Version": api_version,
                "X-Restli-Protocol-Version": RESTLI_PROTOCOL_VERSION,
            },
        )
        self._sleep = sleep
        self._max_retries = max_retries
        self._refresh = refresh

    def _renewed(self) -> bool:
        """After a 401: a new access token from the refresh callback, once per client
        (a second 401 with a fresh token is LinkedIn's final word). The callback raises
        TokenExpired when the refresh token is refused too."""
        if self._refresh is None:
            return False
        refresh, self._refresh = self._refresh, None
        self._http.headers["Authorization"] = f"Bearer {refresh()}"
        return True

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> LinkedInClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str, query: str = "") -> dict[str, Any]:
        url = f"{path}?{query}" if query else path
        attempt = 0
        while True:
            try:
                response = self._http.get(url)
            except httpx.HTTPError as exc:
                error: LinkedInApiError = LinkedInUnavailable(
                    f"LinkedIn did not answer: {type(exc).__name__}", status=0
                )
                wait = None
                if attempt >= min(self._max_retries, MAX_TRANSPORT_RETRIES):
                    raise error from exc
            else:
                if response.status_code < 400:
                    body = response.json()
                    return body if isinstance(body, dict) else {"elements": body}
                status = response.status_code
                message = _message(response)
                if status == 401:
                    if self._renewed():
                        continue
                    raise TokenExpired(f"LinkedIn refused the access token: {message}", status=401)
                if status == 429:
                    error = Throttled(f"LinkedIn is throttling the calls: {message}", status=429)
                elif status >= 500:
                    error = LinkedInUnavailable(
                        f"LinkedIn answered {status}: {message}", status=status
                    )
                else:
                    raise LinkedInApiError(f"LinkedIn answered {status}: {message}", status=status)
                wait = _retry_after(response)
            if attempt >= self._max_retries:
                raise error
            self._sleep(wait if wait is not None else min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))
            attempt += 1

    def subscribe(self, owner_urn: str, webhook_url: str, *, lead_type: str = "SPONSORED") -> str:
        """Create a lead notification subscription (POST /rest/leadNotifications): LinkedIn
        then posts each new response of the owner's forms to `webhook_url`. Returns the
        subscription's id. Not retried: a repeated create would subscribe twice."""
        kind = "organization" if ":organization:" in owner_urn else "sponsoredAccount"
        body = {"webhook": webhook_url, "owner": {kind: owner_urn}, "leadType": lead_type}
        response = self._once("POST", "/rest/leadNotifications", body)
        found = str(
            response.headers.get("x-restli-id") or response.headers.get("x-linkedin-id") or ""
        )
        if not found:
            try:
                answer: Any = response.json()
            except ValueError:
                answer = None
            found = str(answer.get("id") or "") if isinstance(answer, dict) else ""
        return found

    def unsubscribe(self, subscription_id: str) -> None:
        """Delete a lead notification subscription (DELETE /rest/leadNotifications/{id});
        one LinkedIn no longer has (404) is gone already."""
        path = f"/rest/leadNotifications/{quote(subscription_id, safe='')}"
        self._once("DELETE", path, None, missing_ok=True)

    def _once(
        self, method: str, path: str, body: Any, *, missing_ok: bool = False
    ) -> httpx.Response:
        """A write, not retried on errors (a repeated create would subscribe twice); a
        401 is tried again once with a refreshed token, which LinkedIn never applied."""
        while True:
            try:
                response = self._http.request(method, path, json=body)
            except httpx.HTTPError as exc:
                raise LinkedInUnavailable(
                    f"LinkedIn did not answer: {type(exc).__name__}", status=0
                ) from exc
            status = response.status_code
            if status == 401:
                if self._renewed():
                    continue
                raise TokenExpired(
                    f"LinkedIn refused the access token: {_message(response)}", status=401
                )
            if status == 404 and missing_ok:
                return response
            if status >= 400:
                raise LinkedInApiError(
                    f"LinkedIn answered {status}: {_message(response)}", status=status
                )
            return response

    def forms(self, owner_urn: str, *, start: int = 0, count: int = 50) -> Page:
        owner = _owner_param(owner_urn)
        body = self._get("/rest/leadForms", f"q=owner&owner={owner}&start={start}&count={count}")
        return _page(body, start)

    def form(self, form_id: str) -> dict[str, Any]:
        return self._get(f"/rest/leadForms/{quote(form_id, safe='')}")

    def responses(
        self,
        owner_urn: str,
        *,
        start_ms: int,
        end_ms: int,
        start: int = 0,
        count: int = 50,
        lead_type: str = "SPONSORED",
    ) -> Page:
        owner = _owner_param(owner_urn)
        query = (
            f"q=owner&owner={owner}&leadType=(leadType:{lead_type})"
            f"&limitedToTestLeads=false"
            f"&submittedAtTimeRange=(start:{start_ms},end:{end_ms})"
            f"&start={start}&count={count}"
        )
        return _page(self._get("/rest/leadFormResponses", query), start)

    def campaign(self, owner_urn: str, campaign_urn: str) -> dict[str, Any]:
        """An ad account's campaign (its name); only ad accounts have campaigns."""
        account = owner_urn.rsplit(":", 1)[-1]
        campaign = campaign_urn.rsplit(":", 1)[-1]
        return self._get(f"/rest/adAccounts/{quote(account)}/adCampaigns/{quote(campaign)}")

    def response(self, response_id: str) -> dict[str, Any]:
        return self._get(f"/rest/leadFormResponses/{quote(response_id, safe='')}")


# --- the OAuth token endpoint -----------------------------------------------------------


def request_tokens(
    app: OAuthApp, grant: Mapping[str, str], *, transport: httpx.BaseTransport | None = None
) -> dict[str, Any]:
    """POST a grant (authorization_code or refresh_token) to LinkedIn's accessToken
    endpoint with the app's credentials, form-encoded; its JSON answer. A refused grant
    (LinkedIn's `invalid_grant`, a wrong client) raises AuthorizationFailed naming it."""
    url = f"{app.oauth_url.rstrip('/')}/accessToken"
    form = {**grant, "client_id": app.client_id, "client_secret": app.client_secret}
    try:
        with httpx.Client(
            timeout=httpx.Timeout(TIMEOUT, connect=10.0), transport=transport
        ) as http:
            response = http.post(url, data=form, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise LinkedInUnavailable(
            f"LinkedIn's token endpoint did not answer: {type(exc).__name__}", status=0
        ) from exc
    try:
        answer: Any = response.json()
    except ValueError:
        answer = None
    if response.status_code >= 500:
        raise LinkedInUnavailable(
            f"LinkedIn's token endpoint answered {response.status_code}",
            status=response.status_code,
        )
    if response.status_code >= 400 or not isinstance(answer, dict):
        reason = ""
        if isinstance(answer, dict):
            code = str(answer.get("error") or "")
            text = str(answer.get("error_description") or answer.get("message") or "")
            reason = ": ".join(part for part in (code, text[:200]) if part)
        raise AuthorizationFailed(
            f"LinkedIn's token endpoint refused it ({reason or response.status_code})",
            status=response.status_code,
            reason=reason or str(response.status_code),
        )
    return answer


def _owner_param(owner_urn: str) -> str:
    kind = "organization" if ":organization:" in owner_urn else "sponsoredAccount"
    return f"({kind}:{_restli(owner_urn)})"


def _page(body: Mapping[str, Any], start: int) -> Page:
    elements = [item for item in body.get("elements") or [] if isinstance(item, dict)]
    paging = body.get("paging") or {}
    total = paging.get("total")
    return Page(elements, start, int(total) if isinstance(total, int) else None)


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])[:200]
    return response.reason_phrase


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    try:
        return max(0.0, min(BACKOFF_CAP, float(raw))) if raw is not None else None
    except ValueError:
        return None
