"""Connect with LinkedIn: LinkedIn's 3-legged OAuth (authorization code flow).

The page sends the user to LinkedIn's authorization URL with a `state` bound to
their session; LinkedIn sends them back with a code, exchanged here for an access
token and (for Marketing API partners) a refresh token, both sealed at rest with
their expiry. Refreshing them is `_tokens`' part.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.linkedin.client import request_tokens
from leadflow.linkedin.domain import (
    MAX_BACKFILL_DAYS,
    OWNER_PATTERN,
    OAuthApp,
    token_grant,
)
from leadflow.linkedin.errors import AuthorizationFailed
from leadflow.linkedin.models import LinkedInConnection
from leadflow.linkedin.services._setup import create_connection, get_connection
from leadflow.linkedin.services._sync import start_sync
from leadflow.linkedin.services._tokens import store_grant


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
        store_grant(row, grant)
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
    store_grant(row, grant)
    uow.session.flush()
    return row


do_connect_with_code = in_own_transaction(connect_with_code)
