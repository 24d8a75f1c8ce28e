"""What the LinkedIn tests share: the fake server running, a connection to it, a clock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from leadflow.bootstrap import Container
from leadflow.linkedin import services
from leadflow.linkedin.domain import authorization_url
from leadflow.linkedin.services import _sync
from tests.support.fake_linkedin import (
    CLIENT_ID,
    CLIENT_SECRET,
    OWNER,
    FakeLinkedIn,
    choice_question,
    fake_linkedin,
    lead_form,
    text_question,
)

NOW_MS = int(time.time() * 1000)
DAY_MS = 86_400_000

# A German form: question texts never decide a mapping, predefined types and ids do.
DEMO_FORM = lead_form(
    1,
    "Whitepaper Q3",
    [
        text_question(11, "Vorname", "FIRST_NAME"),
        text_question(12, "Nachname", "LAST_NAME"),
        text_question(13, "E-Mail-Adresse", "EMAIL"),
        text_question(14, "Unternehmen", "COMPANY_NAME"),
        text_question(15, "Position", "JOB_TITLE"),
        choice_question(16, "Teamgröße", {1: "1-10", 2: "11-50", 3: "51+"}),
        text_question(17, "Ihre Frage", None),
    ],
    hidden={"utm_source": "linkedin", "utm_campaign": "q3"},
    consents={501: "Ich möchte Marketing-E-Mails erhalten"},
)


@pytest.fixture
def fake() -> Iterator[FakeLinkedIn]:
    with fake_linkedin() as server:
        server.forms.append(DEMO_FORM)
        yield server


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The client's backoff pauses, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(_sync, "SLEEP", recorded.append)
    return recorded


def connect(container: Container, fake: FakeLinkedIn, **overrides: Any) -> int:
    """Connect the fake's ad account; its backfill runs at once (immediate queue)."""
    data = {
        "name": "Acme ads",
        "owner_urn": OWNER,
        "access_token": fake.token,
        "base_url": fake.url,
        "client_secret": CLIENT_SECRET,
        **overrides,
    }
    with container.uow() as uow:
        row = services.do_create_connection(data, uow=uow)
        return row.id


def connection(container: Container, connection_id: int) -> dict[str, Any]:
    with container.read_session() as session:
        return services.connection_public(services.get_connection(session, connection_id))


def use_fake_app(container: Container, fake: FakeLinkedIn) -> None:
    """Point the settings' LinkedIn app (OAuth) and API at the fake."""
    settings = container.settings
    settings.linkedin_client_id = CLIENT_ID
    settings.linkedin_client_secret = CLIENT_SECRET
    settings.linkedin_oauth_url = f"{fake.url}/oauth/v2"
    settings.linkedin_api_url = fake.url


REDIRECT = "http://testserver/settings/linkedin/callback"


def connect_with_oauth(
    container: Container, fake: FakeLinkedIn, pending: dict[str, Any] | None = None
) -> int:
    """The flow without a browser: the fake's authorization page gives a code, the use
    case exchanges it and creates (or, with a connection_id, reconnects) a connection."""
    use_fake_app(container, fake)
    app = services.oauth_app(container.settings)
    approved = httpx.get(authorization_url(app, REDIRECT, "s"), follow_redirects=False)
    code = parse_qs(urlparse(approved.headers["location"]).query)["code"][0]
    target = pending or {"name": "Acme ads", "owner_urn": OWNER, "backfill_days": 365}
    with container.uow() as uow:
        row = services.do_connect_with_code(app, code, REDIRECT, target, uow=uow)
        return row.id
