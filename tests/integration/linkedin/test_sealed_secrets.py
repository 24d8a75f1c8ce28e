"""The connection's token and webhook secret are stored encrypted, read back in clear
by the sync (which still talks to LinkedIn), and useless under another key."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select, text

from leadflow.bootstrap import Container
from leadflow.lib import sealed
from leadflow.linkedin.models import LinkedInConnection
from tests.support.fake_linkedin import FakeLinkedIn
from tests.support.linkedin import connect, connection


def _stored(container: Container) -> tuple[str, str]:
    with container.engine.connect() as raw:
        row = raw.execute(text("SELECT access_token, client_secret FROM linkedin_connections"))
        token, secret = row.one()
    return str(token), str(secret)


def test_the_token_and_secret_are_sealed_at_rest_and_the_sync_still_works(
    container: Container, fake: FakeLinkedIn
) -> None:
    connection_id = connect(container, fake, client_secret="webhook-secret-123")

    token, secret = _stored(container)
    assert token.startswith("fernet:") and fake.token not in token
    assert secret.startswith("fernet:") and "webhook-secret-123" not in secret
    with container.read_session() as session:
        row = session.scalars(select(LinkedInConnection)).one()
        assert (row.access_token, row.client_secret) == (fake.token, "webhook-secret-123")
    assert connection(container, connection_id)["token_set"] is True


def test_a_token_written_before_sealing_reads_as_it_was(container: Container) -> None:
    assert sealed.open_sealed("plain-old-token") == "plain-old-token"


def test_another_key_cannot_read_the_stored_token(
    container: Container, fake: FakeLinkedIn, make_container: Callable[..., Container]
) -> None:
    connect(container, fake)
    token, _ = _stored(container)
    try:
        make_container(token_key=sealed.key_from("", "someone else's secret").decode())
        with pytest.raises(sealed.SealedSecretUnreadable):
            sealed.open_sealed(token)
    finally:
        make_container()  # the test's own key again, for what follows
