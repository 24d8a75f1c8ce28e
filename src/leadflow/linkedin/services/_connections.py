"""Connections: read, changed, disconnected, shown; lead notification subscriptions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import ErrorCode, NotFound, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.linkedin.client import LinkedInClient
from leadflow.linkedin.domain import MAX_BACKFILL_DAYS, VERSION_PATTERN, ConnectionStatus, OAuthApp
from leadflow.linkedin.models import LinkedInConnection
from leadflow.linkedin.services._tokens import refresh_in


def list_connections(session: Session) -> list[LinkedInConnection]:
    return list(session.scalars(select(LinkedInConnection).order_by(LinkedInConnection.name)))


def get_connection(session: Session, connection_id: int) -> LinkedInConnection:
    row = session.get(LinkedInConnection, connection_id)
    if row is None:
        raise NotFound(f"No LinkedIn connection with id {connection_id}", field="connection_id")
    return row


def required_text(data: Mapping[str, Any], name: str, label: str, *, limit: int) -> str:
    value = str(data.get(name) or "").strip()
    if not value:
        raise ValidationFailed(f"{label} is required", code=ErrorCode.REQUIRED, field=name)
    if len(value) > limit:
        raise ValidationFailed(
            f"{label} is longer than {limit} characters", field=name, code=ErrorCode.TEXT_TOO_LONG
        )
    return value


def checked_backfill_days(days: Any) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_BACKFILL_DAYS:
        raise ValidationFailed(
            f"Backfill days is a whole number from 1 to {MAX_BACKFILL_DAYS}",
            field="backfill_days",
            code=ErrorCode.OUT_OF_RANGE,
        )
    return days


def checked_settings(data: Mapping[str, Any], values: dict[str, Any]) -> None:
    if data.get("api_version") is not None:
        version = str(data["api_version"]).strip()
        if not VERSION_PATTERN.match(version):
            raise ValidationFailed(
                "The API version is a month as YYYYMM, e.g. 202509",
                field="api_version",
                code=ErrorCode.LINKEDIN_VERSION_INVALID,
            )
        values["api_version"] = version
    if data.get("base_url") is not None:
        base = str(data["base_url"]).strip().rstrip("/")
        parsed = urlparse(base)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValidationFailed(
                "The API address must be an http(s) URL",
                field="base_url",
                code=ErrorCode.URL_INVALID,
            )
        values["base_url"] = base[:300]
    if "client_secret" in data:
        values["client_secret"] = str(data["client_secret"] or "").strip() or None
    if data.get("access_token") is not None:
        values["access_token"] = required_text(data, "access_token", "The access token", limit=4000)
    if data.get("include_test_leads") is not None:
        values["include_test_leads"] = bool(data["include_test_leads"])
    if data.get("backfill_days") is not None:
        values["backfill_days"] = checked_backfill_days(data["backfill_days"])
    if data.get("name") is not None:
        values["name"] = required_text(data, "name", "A name", limit=200)


def update_connection(
    connection_id: int, changes: Mapping[str, Any], *, uow: UnitOfWork
) -> LinkedInConnection:
    """Change the token, API version, secret or settings. A new token clears an
    expired-token state; the next sync resumes from the kept cursor."""
    row = get_connection(uow.session, connection_id)
    if "owner_urn" in changes and changes["owner_urn"] != row.owner_urn:
        raise ValidationFailed(
            "A connection's owner cannot change", field="owner_urn", code=ErrorCode.CANNOT_CHANGE
        )
    values: dict[str, Any] = {}
    checked_settings(changes, values)
    for name, value in values.items():
        setattr(row, name, value)
    if "access_token" in values:
        # A pasted token's lifetime is unknown; the refresh token, if any, stays for later.
        row.access_token_expires_at = None
        if row.status == ConnectionStatus.TOKEN_EXPIRED.value:
            row.status = ConnectionStatus.NEW.value
    row.updated_at = utcnow()
    uow.session.flush()
    return row


def delete_connection(connection_id: int, *, uow: UnitOfWork) -> None:
    """Disconnect: its forms, mappings and stored responses go; leads stay."""
    row = get_connection(uow.session, connection_id)
    uow.session.delete(row)
    uow.session.flush()


do_update_connection = in_own_transaction(update_connection)
do_delete_connection = in_own_transaction(delete_connection)


def connection_public(row: LinkedInConnection) -> dict[str, Any]:
    """The connection as the API shows it: never its token or secret."""
    return {
        "id": row.id,
        "name": row.name,
        "owner_urn": row.owner_urn,
        "api_version": row.api_version,
        "base_url": row.base_url,
        "token_set": bool(row.access_token),
        "access_token_expires_at": iso(row.access_token_expires_at),
        "refresh_token_set": bool(row.refresh_token),
        "refresh_token_expires_at": iso(row.refresh_token_expires_at),
        "granted_scopes": row.granted_scopes.split() if row.granted_scopes else [],
        "webhook_secret_set": bool(row.client_secret),
        "include_test_leads": row.include_test_leads,
        "backfill_days": row.backfill_days,
        "status": row.status,
        "last_error": row.last_error,
        "last_error_at": iso(row.last_error_at),
        "last_sync_at": iso(row.last_sync_at),
        "synced_through": iso(row.synced_through),
        "cursor": row.cursor,
        "counts": {
            "created": row.created_count,
            "updated": row.updated_count,
            "skipped": row.skipped_count,
            "failed": row.failed_count,
            "deleted": row.deleted_count,
        },
        "webhook_path": f"/api/v1/linkedin/connections/{row.id}/webhook",
        "subscription_id": row.subscription_id,
        "subscription_webhook": row.subscription_webhook,
    }


def _client(row: LinkedInConnection, uow: UnitOfWork, app: OAuthApp | None) -> LinkedInClient:
    """A client for a use case holding the row: a 401 refreshes the token in its unit."""
    refresh = (lambda: refresh_in(uow, row, app)) if app and row.refresh_token else None
    return LinkedInClient(row.base_url, row.access_token, row.api_version, refresh=refresh)


def subscribe_notifications(
    connection_id: int, webhook_url: str, *, uow: UnitOfWork, app: OAuthApp | None = None
) -> LinkedInConnection:
    """Have LinkedIn post each new lead of the connection's owner to `webhook_url` (the
    connection's webhook route): a lead notification subscription, its id kept. The
    periodic pull still runs: a notification LinkedIn never sends loses nothing.
    Subscribed already, the old subscription is deleted at LinkedIn first."""
    url = (webhook_url or "").strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 1000:
        raise ValidationFailed(
            "The webhook URL is the address LinkedIn can reach this connection's webhook at",
            field="webhook_url",
            code=ErrorCode.URL_INVALID,
        )
    row = get_connection(uow.session, connection_id)
    with _client(row, uow, app) as client:
        if row.subscription_id:
            client.unsubscribe(row.subscription_id)
        subscription = client.subscribe(row.owner_urn, url)
    row.subscription_id = subscription or None
    row.subscription_webhook = url
    row.updated_at = utcnow()
    uow.session.flush()
    return row


def unsubscribe_notifications(
    connection_id: int, *, uow: UnitOfWork, app: OAuthApp | None = None
) -> LinkedInConnection:
    """Stop LinkedIn's lead notifications for the connection (the pull goes on). A
    subscription LinkedIn no longer knows counts as gone."""
    row = get_connection(uow.session, connection_id)
    if row.subscription_id:
        with _client(row, uow, app) as client:
            client.unsubscribe(row.subscription_id)
    row.subscription_id = None
    row.subscription_webhook = None
    row.updated_at = utcnow()
    uow.session.flush()
    return row


do_subscribe_notifications = in_own_transaction(subscribe_notifications)
do_unsubscribe_notifications = in_own_transaction(unsubscribe_notifications)


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
