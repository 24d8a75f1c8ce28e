"""Tokens from "Connect with LinkedIn": stored sealed with their expiry, refreshed when
LinkedIn answers 401 or before a due token is used, and a refused refresh token leaves
the clear "token expired, reconnect" state with the cursor kept."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, text

from leadflow.bootstrap import Container
from leadflow.lib.clock import utcnow
from leadflow.linkedin import services
from leadflow.linkedin.models import LinkedInConnection
from tests.integration.linkedin.test_failures import _lead_count, _sync
from tests.support.fake_linkedin import LEAD_SYNC_SCOPES, FakeLinkedIn, response
from tests.support.linkedin import NOW_MS, connect_with_oauth, connection


def _refreshes(fake: FakeLinkedIn) -> list[dict[str, str]]:
    return [grant for grant in fake.grants if grant["grant_type"] == "refresh_token"]


def _stored_token(container: Container, connection_id: int) -> str:
    with container.read_session() as session:
        return str(session.get(LinkedInConnection, connection_id).access_token)  # type: ignore[union-attr]


def test_the_code_becomes_sealed_tokens_with_their_expiry_and_the_backfill_uses_them(
    container: Container, fake: FakeLinkedIn
) -> None:
    fake.responses.append(response("r1", 1, NOW_MS - 60_000, {13: "ada@example.com"}))

    connection_id = connect_with_oauth(container, fake)

    state = connection(container, connection_id)
    assert state["status"] == "ok" and state["counts"]["created"] == 1
    assert state["refresh_token_set"] is True
    assert state["granted_scopes"] == sorted(LEAD_SYNC_SCOPES)
    expires = state["access_token_expires_at"]
    assert expires is not None
    lasts = (datetime.fromisoformat(expires) - utcnow()).total_seconds()
    assert abs(lasts - fake.access_ttl) < 120
    [exchange] = fake.grants
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["redirect_uri"] == "http://testserver/settings/linkedin/callback"
    assert _stored_token(container, connection_id) == fake.token
    calls = fake.paths("/rest/")
    assert calls and {call["headers"]["authorization"] for call in calls} == {
        f"Bearer {fake.token}"
    }
    with container.engine.connect() as raw:
        stored = raw.execute(
            text("SELECT access_token, refresh_token, client_secret FROM linkedin_connections")
        ).one()
    assert all(value.startswith("fernet:") for value in stored)
    assert fake.token not in stored[0]


def test_a_401_refreshes_the_token_and_the_sync_goes_on(
    container: Container, fake: FakeLinkedIn
) -> None:
    connection_id = connect_with_oauth(container, fake)
    before = _stored_token(container, connection_id)
    fake.responses.append(response("r2", 1, NOW_MS - 30_000, {13: "bob@example.com"}))
    fake.expire_token()

    job = _sync(container, connection_id)

    assert job.status == "succeeded", job.error
    assert len(_refreshes(fake)) == 1
    state = connection(container, connection_id)
    assert (state["status"], state["last_error"]) == ("ok", None)
    assert _lead_count(container) == 1
    after = _stored_token(container, connection_id)
    assert after == fake.token and after != before


def test_a_token_due_is_refreshed_before_the_first_call(
    container: Container, fake: FakeLinkedIn
) -> None:
    fake.access_ttl = 60  # inside the refresh margin: due at once
    connection_id = connect_with_oauth(container, fake)
    fake.access_ttl = 3600
    fake.requests.clear()
    fake.grants.clear()

    _sync(container, connection_id)

    assert len(_refreshes(fake)) == 1
    # Every call of the sync carried the new token: none was refused first.
    assert {call["headers"]["authorization"] for call in fake.paths("/rest/")} == {
        f"Bearer {fake.token}"
    }
    with container.read_session() as session:
        row = session.scalar(select(LinkedInConnection))
        assert row is not None and row.access_token_expires_at is not None
        assert row.access_token_expires_at > utcnow() + timedelta(minutes=50)


def test_a_revoked_refresh_token_leaves_the_reconnect_state_and_the_cursor(
    container: Container, fake: FakeLinkedIn
) -> None:
    connection_id = connect_with_oauth(container, fake)
    # Submitted since the backfill: the next pull's window holds them.
    fake.responses.extend(
        response(f"n{index:02}", 1, NOW_MS - index * 1000, {13: f"n{index}@example.com"})
        for index in range(60)
    )
    fake.expire_token()
    fake.revoke_refresh_tokens()

    job = _sync(container, connection_id)

    assert job.status == "failed"
    state = connection(container, connection_id)
    assert state["status"] == "token_expired"
    assert "invalid_grant" in state["last_error"]
    assert "reconnect with LinkedIn" in state["last_error"]
    assert state["cursor"] is not None and state["cursor"]["offset"] == 0
    assert _lead_count(container) == 0

    # Reconnecting (a new authorization) resumes the sync where it stopped.
    fake.refresh_tokens.clear()
    connect_with_oauth(container, fake, {"connection_id": connection_id})

    state = connection(container, connection_id)
    assert (state["status"], state["cursor"]) == ("ok", None)
    assert _lead_count(container) == 60


def test_a_pasted_token_has_no_known_expiry_but_keeps_the_refresh_token(
    container: Container, fake: FakeLinkedIn
) -> None:
    connection_id = connect_with_oauth(container, fake)

    with container.uow() as uow:
        services.do_update_connection(connection_id, {"access_token": "pasted"}, uow=uow)

    state = connection(container, connection_id)
    assert state["access_token_expires_at"] is None
    assert state["refresh_token_set"] is True
    # LinkedIn refuses the pasted token; the refresh token renews it.
    job = _sync(container, connection_id)
    assert job.status == "succeeded", job.error
    assert len(_refreshes(fake)) == 1
