"""Making a connection: with a pasted access token (`create_connection`), or with
LinkedIn's 3-legged OAuth (authorization code flow), which ends in the same.

The page sends the user to LinkedIn's authorization URL with a `state` bound to
their session; LinkedIn sends them back with a code, exchanged here for an access
token and (for Marketing API partners) a refresh token, both sealed at rest with
their expiry. Refreshing them is `_tokens`' part.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.linkedin.client import request_tokens
from leadflow.linkedin.domain import (
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    MAX_BACKFILL_DAYS,
    OWNER_PATTERN,
    ConnectionStatus,
    OAuthApp,
    token_grant,
)
from leadflow.linkedin.errors import AuthorizationFailed
from leadflow.linkedin.models import LinkedInConnection
from leadflow.linkedin.services._connections import (
    checked_backfill_days,
    checked_settings,
    get_connection,
    required_text,
)
from leadflow.linkedin.services._sync import start_sync
from leadflow.linkedin.services._tokens import store_grant


def _check_owner(owner: str) -> None:
    if not OWNER_PATTERN.match(owner):
        raise ValidationFailed(
            "The owner is urn:li:sponsoredAccount:<id> or urn:li:organization:<id>",
            field="owner_urn",
            code=ErrorCode.LINKEDIN_OWNER_INVALID,
        )


def _check_not_connected(session: Session, owner: str, *, hint: str = "") -> None:
    """One connection per owner: a second one would read (and count) its leads twice."""
    existing = session.scalar(
        select(LinkedInConnection.id).where(LinkedInConnection.owner_urn == owner)
    )
    if existing is not None:
        raise Conflict(
            f"{owner} is connected already{hint}",
            code=ErrorCode.DUPLICATE,
            field="owner_urn",
            existing_id=existing,
        )


def create_connection(
    data: Mapping[str, Any], *, uow: UnitOfWork, requested_by: int | None = None
) -> LinkedInConnection:
    """Connect an ad account or organisation and start its backfill (up to 365 days)."""
    name = required_text(data, "name", "A name", limit=200)
    owner = required_text(data, "owner_urn", "The owner", limit=200)
    _check_owner(owner)
    required_text(data, "access_token", "The access token", limit=4000)
    session = uow.session
    _check_not_connected(session, owner)
    values: dict[str, Any] = {
        "api_version": DEFAULT_API_VERSION,
        "base_url": DEFAULT_BASE_URL,
        "backfill_days": MAX_BACKFILL_DAYS,
        "include_test_leads": False,
        "client_secret": None,
    }
    checked_settings(data, values)
    now = utcnow()
    row = LinkedInConnection(
        **{**values, "name": name, "owner_urn": owner},
        status=ConnectionStatus.NEW.value,
        created_count=0,
        updated_count=0,
        skipped_count=0,
        failed_count=0,
        deleted_count=0,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    start_sync(row.id, backfill=True, uow=uow, requested_by=requested_by)
    return row


do_create_connection = in_own_transaction(create_connection)


def _require(app: OAuthApp) -> None:
    if not app.configured:
        raise ValidationFailed(
            "Connecting with LinkedIn needs the LinkedIn app's client id and secret "
            "(LEADFLOW_LINKEDIN_CLIENT_ID and LEADFLOW_LINKEDIN_CLIENT_SECRET); until "
            "then, paste an access token",
            field="linkedin_client_id",
            code=ErrorCode.LINKEDIN_APP_NOT_CONFIGURED,
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
    name = required_text(data, "name", "A name", limit=200)
    owner = str(data.get("owner_urn") or "").strip()
    _check_owner(owner)
    _check_not_connected(session, owner, hint=": reconnect it from its page")
    days = checked_backfill_days(data.get("backfill_days", MAX_BACKFILL_DAYS))
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
        raise ValidationFailed(
            "LinkedIn sent no authorization code", field="code", code=ErrorCode.REQUIRED
        )
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
