"""Syncing: the backfill and pull job, webhook notifications, the periodic pull.

A sync reads one submitted-at window page by page (start/count); each page is
stored and committed with the cursor (on the connection and as the job's
checkpoint), so a run stopped by an expired token, throttling or LinkedIn's
errors resumes where it stopped. Webhooks fetch the notified response at once;
the periodic pull re-reads an overlapping window, so a missed notification
loses nothing, and the unique response id makes every repeat a no-op.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.jobs.domain import ACTIVE, JobStatus
from leadflow.jobs.errors import JobCancelled, JobSuperseded
from leadflow.jobs.models import Job
from leadflow.jobs.services import latest_job, start_job
from leadflow.lib.clock import utcnow
from leadflow.linkedin.client import LinkedInClient
from leadflow.linkedin.domain import (
    PAGE_SIZE,
    ConnectionStatus,
    FormSpec,
    SyncMode,
    due_for_refresh,
    form_id_of,
    from_epoch_ms,
    new_cursor,
    parse_form,
    sync_window,
)
from leadflow.linkedin.errors import LinkedInApiError, LinkedInUnavailable, Throttled, TokenExpired
from leadflow.linkedin.models import LinkedInConnection
from leadflow.linkedin.services._connections import get_connection
from leadflow.linkedin.services._forms import find_form, save_forms
from leadflow.linkedin.services._ingest import (
    Counts,
    campaign_names,
    ingest_responses,
    save_campaigns,
)
from leadflow.linkedin.services._tokens import oauth_app, refresher

if TYPE_CHECKING:
    from leadflow.dependencies import Dependencies
    from leadflow.jobs.runner import JobContext

SYNC_JOB = "linkedin.sync"
FETCH_TASK = "linkedin.fetch_response"
# How the client waits between retries; tests replace it to record the pauses.
SLEEP = time.sleep


@dataclass(frozen=True)
class _Conn:
    """What a sync needs of its connection, read once (no session held during calls)."""

    id: int
    owner_urn: str
    base_url: str
    access_token: str
    api_version: str
    access_token_expires_at: datetime | None
    refreshable: bool


def _snapshot(row: LinkedInConnection) -> _Conn:
    return _Conn(
        row.id,
        row.owner_urn,
        row.base_url,
        row.access_token,
        row.api_version,
        row.access_token_expires_at,
        bool(row.refresh_token),
    )


def client_for(container: Dependencies, conn: _Conn) -> LinkedInClient:
    """A client whose 401 is answered by refreshing the token (OAuth connections); a token
    known to be due is refreshed before the first call."""
    refresh = (
        refresher(container.uow, conn.id, oauth_app(container.settings))
        if conn.refreshable
        else None
    )
    token = conn.access_token
    if refresh is not None and due_for_refresh(conn.access_token_expires_at, utcnow()):
        token, refresh = refresh(), None
    return LinkedInClient(
        conn.base_url,
        token,
        conn.api_version,
        sleep=lambda seconds: SLEEP(seconds),
        refresh=refresh,
    )


def active_sync(session: Session, connection_id: int) -> Job | None:
    job = latest_job(session, SYNC_JOB, connection_id=connection_id)
    return job if job is not None and JobStatus(job.status) in ACTIVE else None


def start_sync(
    connection_id: int,
    *,
    backfill: bool = False,
    uow: UnitOfWork,
    requested_by: int | None = None,
) -> Job:
    """Queue a sync of the connection ("sync now"); one already queued or running is
    returned instead of starting a second."""
    get_connection(uow.session, connection_id)
    running = active_sync(uow.session, connection_id)
    if running is not None:
        return running
    mode = SyncMode.BACKFILL if backfill else SyncMode.PULL
    return start_job(
        SYNC_JOB,
        {"connection_id": connection_id, "mode": mode.value},
        uow=uow,
        requested_by=requested_by,
    )


do_start_sync = in_own_transaction(start_sync)


def start_due_pulls(*, uow: UnitOfWork) -> list[int]:
    """The periodic pull: a sync for each connection whose token is not known expired."""
    started: list[int] = []
    connections = uow.session.scalars(
        select(LinkedInConnection.id)
        .where(LinkedInConnection.status != ConnectionStatus.TOKEN_EXPIRED.value)
        .order_by(LinkedInConnection.id)
    )
    for connection_id in list(connections):
        started.append(start_sync(connection_id, uow=uow).id)
    return started


def _record_failure(container: Dependencies, connection_id: int, error: Exception) -> None:
    if isinstance(error, TokenExpired):
        status = ConnectionStatus.TOKEN_EXPIRED
    elif isinstance(error, Throttled):
        status = ConnectionStatus.THROTTLED
    else:
        status = ConnectionStatus.ERROR
    message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
    with container.uow() as uow:
        row = uow.session.get(LinkedInConnection, connection_id)
        if row is not None:
            row.status = status.value
            row.last_error = str(message)[:2000]
            row.last_error_at = utcnow()
            row.updated_at = utcnow()
        uow.commit()


def _discover_forms(client: LinkedInClient, conn: _Conn) -> list[FormSpec]:
    specs: list[FormSpec] = []
    start = 0
    while True:
        page = client.forms(conn.owner_urn, start=start, count=PAGE_SIZE)
        for element in page.elements:
            try:
                specs.append(parse_form(element))
            except ValueError:
                continue
        start += len(page.elements)
        if not page.elements or (page.total is not None and start >= page.total):
            return specs
        if page.total is None and len(page.elements) < PAGE_SIZE:
            return specs


def _unknown_forms(
    container: Dependencies, client: LinkedInClient, conn: _Conn, elements: list[dict[str, Any]]
) -> list[FormSpec]:
    """Forms the responses name that were not discovered (created since): fetched one by one."""
    wanted = {form_id_of(item.get("versionedLeadGenFormUrn")) for item in elements}
    with container.read_session() as session:
        missing = [
            form_id
            for form_id in sorted(item for item in wanted if item)
            if find_form(session, conn.id, form_id) is None
        ]
    specs: list[FormSpec] = []
    for form_id in missing:
        try:
            specs.append(parse_form(client.form(form_id)))
        except (TokenExpired, Throttled, LinkedInUnavailable):
            raise
        except (LinkedInApiError, ValueError):
            # Not readable (deleted, no rights): its responses fail and are tried again
            # by a later sync, once the form can be read.
            continue
    return specs


def _campaign_names(
    container: Dependencies, client: LinkedInClient, conn: _Conn, elements: list[dict[str, Any]]
) -> dict[str, str]:
    """Names of campaigns the responses name that are not known yet. A campaign LinkedIn
    will not show (an organisation's lead, missing rights) keeps a label made of its id."""
    if ":sponsoredAccount:" not in conn.owner_urn:
        return {}
    wanted = {
        str(urn)
        for item in elements
        if (
            urn := ((item.get("leadMetadata") or {}).get("sponsoredLeadMetadata") or {}).get(
                "campaign"
            )
        )
    }
    with container.read_session() as session:
        known = campaign_names(session, conn.id)
    names: dict[str, str] = {}
    for urn in sorted(wanted - set(known)):
        try:
            name = client.campaign(conn.owner_urn, urn).get("name")
        except (TokenExpired, Throttled, LinkedInUnavailable):
            raise
        except LinkedInApiError:
            continue
        if isinstance(name, str) and name.strip():
            names[urn] = name.strip()
    return names


def run_sync(context: JobContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """The body of a `linkedin.sync` job: discover forms, then read the window's pages."""
    container = context.container
    connection_id = int(params["connection_id"])
    mode = SyncMode(str(params.get("mode") or SyncMode.PULL.value))
    cursor, conn = _open_window(context, connection_id, mode)
    totals = Counts()
    try:
        with client_for(container, conn) as client:
            forms = _discover_forms(client, conn)
            with container.uow() as uow:
                save_forms(conn.id, forms, uow=uow)
                uow.commit()
            offset = _read_pages(context, client, conn, cursor, totals)
    except LinkedInApiError as exc:
        _record_failure(container, conn.id, exc)
        raise
    except JobCancelled:
        with container.uow() as uow:
            stored = uow.session.get(LinkedInConnection, conn.id)
            if stored is not None:
                stored.status = ConnectionStatus.OK.value
            uow.commit()
        raise
    except JobSuperseded:
        raise  # another worker resumed the job: the state is its to write
    except Exception as exc:
        _record_failure(container, conn.id, exc)
        raise
    _close_window(container, conn.id, from_epoch_ms(cursor["end_ms"]))
    return {"mode": mode.value, "forms": len(forms), "read": offset, **totals.as_dict()}


def _open_window(
    context: JobContext, connection_id: int, mode: SyncMode
) -> tuple[dict[str, Any], _Conn]:
    """The window to read (the job's checkpoint, a stopped pull's cursor, else a new
    one), stored on the connection, which is marked syncing."""
    now = utcnow()
    with context.container.uow() as uow:
        row = get_connection(uow.session, connection_id)
        cursor: dict[str, Any] | None = context.resume_from or None
        if cursor is None and mode is SyncMode.PULL and row.cursor:
            cursor = dict(row.cursor)  # a stopped run's window: resumed, not restarted
        if cursor is None:
            window = sync_window(
                mode, now, backfill_days=row.backfill_days, synced_through=row.synced_through
            )
            cursor = new_cursor(mode, window)
        row.cursor = cursor
        row.status = ConnectionStatus.SYNCING.value
        row.updated_at = now
        conn = _snapshot(row)
        context.checkpoint(cursor, done=int(cursor["offset"]), uow=uow)
        uow.commit()
    return cursor, conn


def _read_pages(
    context: JobContext,
    client: LinkedInClient,
    conn: _Conn,
    cursor: dict[str, Any],
    totals: Counts,
) -> int:
    """Read the window page by page from the cursor's offset, each page stored and
    committed with the cursor; adds to `totals` and returns the offset reached."""
    container = context.container
    offset = int(cursor["offset"])
    while True:
        context.raise_if_cancelled()
        page = client.responses(
            conn.owner_urn,
            start_ms=int(cursor["start_ms"]),
            end_ms=int(cursor["end_ms"]),
            start=offset,
            count=PAGE_SIZE,
        )
        if not page.elements:
            break
        new_forms = _unknown_forms(container, client, conn, page.elements)
        campaigns = _campaign_names(container, client, conn, page.elements)
        with container.uow() as uow:
            if new_forms:
                save_forms(conn.id, new_forms, uow=uow)
            if campaigns:
                save_campaigns(conn.id, campaigns, uow=uow)
            counts = ingest_responses(conn.id, page.elements, via="sync", uow=uow)
            offset += len(page.elements)
            cursor = {**cursor, "offset": offset}
            stored = uow.session.get(LinkedInConnection, conn.id)
            if stored is not None:
                stored.cursor = cursor
            context.checkpoint(cursor, done=offset, total=max(offset, page.total or 0), uow=uow)
            uow.commit()
        totals.merge(counts)
        if page.total is not None and offset >= page.total:
            break
        if page.total is None and len(page.elements) < PAGE_SIZE:
            break
    return offset


def _close_window(container: Dependencies, connection_id: int, end: datetime | None) -> None:
    """The window is read: the cursor cleared, the connection synced through its end."""
    with container.uow() as uow:
        stored = uow.session.get(LinkedInConnection, connection_id)
        if stored is not None:
            stored.cursor = None
            stored.status = ConnectionStatus.OK.value
            stored.last_sync_at = utcnow()
            if end is not None and (stored.synced_through is None or end > stored.synced_through):
                stored.synced_through = end
            stored.updated_at = utcnow()
        uow.commit()
