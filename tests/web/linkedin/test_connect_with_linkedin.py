"""Connect with LinkedIn over HTTP: the page sends the browser to the fake LinkedIn's
authorization page, which sends it back with a code; the callback checks the state
against the session before exchanging the code. A forged, missing or foreign state is
refused and nothing is exchanged; a denial is said."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.linkedin import services
from tests.support.fake_linkedin import CLIENT_ID, OWNER, FakeLinkedIn, response
from tests.support.linkedin import NOW_MS, REDIRECT, use_fake_app
from tests.web.pages.test_pages import csrf_of, log_in

SCOPES = "r_marketing_leadgen_automation r_ads r_organization_admin"


@pytest.fixture
def signed_in(client: TestClient, container: Container, fake: FakeLinkedIn) -> Iterator[TestClient]:
    use_fake_app(container, fake)
    log_in(client, container, "marketer")
    yield client


def _start(client: TestClient, path: str = "/settings/linkedin/authorize", **form: str) -> str:
    """Press "Connect with LinkedIn": where the browser is sent."""
    token = csrf_of(client.get("/settings/linkedin").text)
    data = {"li_name": "Acme ads", "li_owner_urn": OWNER, "li_backfill_days": "365", **form}
    answer = client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def _approve(location: str) -> str:
    """The member approves on the fake LinkedIn: the callback URL it sends them to."""
    answer = httpx.get(location, follow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text
    return str(answer.headers["location"])


def _connections(container: Container) -> list[dict[str, object]]:
    with container.read_session() as session:
        return [services.connection_public(row) for row in services.list_connections(session)]


def test_connecting_with_linkedin_creates_the_connection_and_backfills(
    signed_in: TestClient, container: Container, fake: FakeLinkedIn
) -> None:
    fake.responses.append(response("r1", 1, NOW_MS - 60_000, {11: "Ada", 13: "ada@example.com"}))
    settings_page = signed_in.get("/settings/linkedin").text
    assert "Connect with LinkedIn</button>" in settings_page

    location = _start(signed_in)

    sent_to = urlparse(location)
    query = {key: values[0] for key, values in parse_qs(sent_to.query).items()}
    assert (
        f"{sent_to.scheme}://{sent_to.netloc}{sent_to.path}" == f"{fake.url}/oauth/v2/authorization"
    )
    assert (query["response_type"], query["client_id"]) == ("code", CLIENT_ID)
    assert (query["redirect_uri"], query["scope"]) == (REDIRECT, SCOPES)
    assert "%20" in location  # scopes separated by an encoded space
    assert len(query["state"]) >= 32
    assert "leadflow_linkedin_oauth" in signed_in.cookies

    back = signed_in.get(_approve(location))

    assert back.status_code == 200, back.text
    page = back.text
    assert "Connected. The backfill of up to a year of leads has started." in page
    assert '<span class="badge linkedin-ok">ok</span>' in page
    assert ">Ada</a>" in page
    assert "renewed with the refresh token" in page
    assert fake.token not in page
    [made] = _connections(container)
    assert (made["name"], made["owner_urn"], made["base_url"]) == ("Acme ads", OWNER, fake.url)
    assert made["refresh_token_set"] is True and made["webhook_secret_set"] is True
    assert made["counts"] == {"created": 1, "updated": 0, "skipped": 0, "failed": 0, "deleted": 0}
    assert [grant["grant_type"] for grant in fake.grants] == ["authorization_code"]
    # One use: the cookie is gone, so the same answer cannot be replayed.
    assert "leadflow_linkedin_oauth" not in signed_in.cookies


def test_a_forged_or_missing_state_is_refused_and_no_code_is_exchanged(
    signed_in: TestClient, container: Container, fake: FakeLinkedIn
) -> None:
    callback = _approve(_start(signed_in))
    code = parse_qs(urlparse(callback).query)["code"][0]

    forged = signed_in.get(f"/settings/linkedin/callback?code={code}&state=forged")
    missing = signed_in.get(f"/settings/linkedin/callback?code={code}")

    assert forged.status_code == 400
    assert "carries a state this session did not send" in forged.text
    assert missing.status_code == 400
    assert "carries no state" in missing.text
    assert fake.grants == [] and _connections(container) == []

    # The genuine answer, from the session that asked, still connects.
    assert signed_in.get(callback).status_code == 200
    assert len(_connections(container)) == 1


def test_a_state_started_by_another_session_is_refused(
    signed_in: TestClient, app: object, container: Container, fake: FakeLinkedIn
) -> None:
    callback = _approve(_start(signed_in))
    with TestClient(app) as other:  # type: ignore[arg-type]
        log_in(other, container, "admin")

        answer = other.get(callback)

    assert answer.status_code == 400
    assert "No LinkedIn sign-in is pending in this session" in answer.text
    assert fake.grants == [] and _connections(container) == []


def test_a_denied_authorisation_is_said_and_nothing_is_made(
    signed_in: TestClient, container: Container, fake: FakeLinkedIn
) -> None:
    fake.deny = "user_cancelled_authorize"

    answer = signed_in.get(_approve(_start(signed_in)))

    assert answer.status_code == 400
    assert "LinkedIn did not authorise leadflow: The member said no" in answer.text
    assert fake.grants == [] and _connections(container) == []


def test_a_bad_owner_is_shown_before_going_to_linkedin(
    signed_in: TestClient, fake: FakeLinkedIn
) -> None:
    token = csrf_of(signed_in.get("/settings/linkedin").text)

    answer = signed_in.post(
        "/settings/linkedin/authorize",
        data={"csrf_token": token, "li_name": "Acme", "li_owner_urn": "acme"},
        follow_redirects=False,
    )

    assert answer.status_code == 422
    assert 'id="field-li_owner_urn"' in answer.text and "has-error" in answer.text
    assert fake.paths("/oauth") == []


def test_without_the_app_settings_the_page_explains_and_connecting_is_refused(
    client: TestClient, container: Container, fake: FakeLinkedIn
) -> None:
    log_in(client, container, "marketer")
    page = client.get("/settings/linkedin").text
    assert "LEADFLOW_LINKEDIN_CLIENT_ID" in page and "Connect with LinkedIn</button>" not in page

    answer = client.post(
        "/settings/linkedin/authorize",
        data={"csrf_token": csrf_of(page), "li_name": "Acme", "li_owner_urn": OWNER},
        follow_redirects=False,
    )

    assert answer.status_code == 422
    assert "LEADFLOW_LINKEDIN_CLIENT_SECRET" in answer.text


def test_an_expired_connection_is_reconnected_and_its_sync_resumes(
    signed_in: TestClient, container: Container, fake: FakeLinkedIn
) -> None:
    signed_in.get(_approve(_start(signed_in)))
    [made] = _connections(container)
    connection_id = int(str(made["id"]))
    fake.expire_token()
    fake.revoke_refresh_tokens()
    fake.responses.append(response("r9", 1, NOW_MS, {11: "Grace", 13: "grace@example.com"}))
    token = csrf_of(signed_in.get(f"/settings/linkedin/connections/{connection_id}").text)
    signed_in.post(
        f"/settings/linkedin/connections/{connection_id}/sync", data={"csrf_token": token}
    )
    expired = signed_in.get(f"/settings/linkedin/connections/{connection_id}").text
    assert '<span class="badge linkedin-token_expired">token expired</span>' in expired
    assert "Reconnect with LinkedIn</button>" in expired

    location = _start(signed_in, f"/settings/linkedin/connections/{connection_id}/authorize")
    back = signed_in.get(_approve(location))

    assert back.status_code == 200, back.text
    assert "Reconnected with LinkedIn. The sync resumes where it stopped." in back.text
    assert '<span class="badge linkedin-ok">ok</span>' in back.text
    assert ">Grace</a>" in back.text
    assert len(_connections(container)) == 1
