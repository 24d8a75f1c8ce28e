"""Subscribing a connection to LinkedIn's lead notifications: the fake records the
subscription for the connection's webhook route; an expired token is a clear problem."""

from __future__ import annotations

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from tests.support.fake_linkedin import OWNER, FakeLinkedIn
from tests.support.linkedin import connect, connect_with_oauth
from tests.web.pages.test_pages import csrf_of, log_in


def test_a_connection_subscribes_its_webhook_to_lead_notifications(
    client: TestClient, admin: dict[str, str], container: Container, fake: FakeLinkedIn
) -> None:
    connection_id = connect(container, fake)
    assert fake.subscriptions == []

    answer = client.post(
        f"/api/v1/linkedin/connections/{connection_id}/subscription", json={}, headers=admin
    )

    assert answer.status_code == 200, answer.text
    webhook = f"http://testserver/api/v1/linkedin/connections/{connection_id}/webhook"
    assert fake.subscriptions == [
        {
            "id": "7000",
            "webhook": webhook,
            "owner": {"sponsoredAccount": OWNER},
            "leadType": "SPONSORED",
        }
    ]
    [call] = [item for item in fake.requests if item["method"] == "POST"]
    assert call["headers"]["x-restli-protocol-version"] == "2.0.0"
    assert (answer.json()["subscription_id"], answer.json()["subscription_webhook"]) == (
        "7000",
        webhook,
    )
    shown = client.get(f"/api/v1/linkedin/connections/{connection_id}", headers=admin).json()
    assert shown["subscription_id"] == "7000"


def test_an_expired_token_or_a_bad_url_is_a_problem_and_nothing_is_kept(
    client: TestClient, admin: dict[str, str], container: Container, fake: FakeLinkedIn
) -> None:
    connection_id = connect(container, fake)
    path = f"/api/v1/linkedin/connections/{connection_id}/subscription"

    bad = client.post(path, json={"webhook_url": "not a url"}, headers=admin)
    fake.expire_token()
    expired = client.post(path, json={}, headers=admin)

    assert (bad.status_code, bad.json()["field"]) == (422, "webhook_url")
    assert expired.status_code == 502
    assert "access token" in expired.json()["detail"]
    assert fake.subscriptions == []
    shown = client.get(f"/api/v1/linkedin/connections/{connection_id}", headers=admin).json()
    assert shown["subscription_id"] is None


def test_the_connection_page_subscribes_and_unsubscribes_and_shows_the_state(
    client: TestClient, container: Container, fake: FakeLinkedIn
) -> None:
    log_in(client, container, "marketer")
    connection_id = connect(container, fake)
    path = f"/settings/linkedin/connections/{connection_id}"
    page = client.get(path).text
    assert '<span class="badge">Not subscribed</span>' in page

    subscribed = client.post(f"{path}/subscription", data={"csrf_token": csrf_of(page)})

    webhook = f"http://testserver/api/v1/linkedin/connections/{connection_id}/webhook"
    assert subscribed.status_code == 200, subscribed.text
    assert "Subscribed: LinkedIn now posts each new lead here." in subscribed.text
    assert '<span class="badge yes">Subscribed</span>' in subscribed.text
    assert f'<code class="wrap">{webhook}</code> (subscription 7000)' in subscribed.text
    assert [item["webhook"] for item in fake.subscriptions] == [webhook]

    unsubscribed = client.post(
        f"{path}/subscription/delete", data={"csrf_token": csrf_of(subscribed.text)}
    )

    assert unsubscribed.status_code == 200
    assert "Unsubscribed: new leads arrive with the pull every 15 minutes." in unsubscribed.text
    assert '<span class="badge">Not subscribed</span>' in unsubscribed.text
    assert fake.subscriptions == []
    assert [call["method"] for call in fake.requests if call["method"] != "GET"] == [
        "POST",
        "DELETE",
    ]


def test_subscribing_with_an_expired_token_says_so_on_the_page(
    client: TestClient, container: Container, fake: FakeLinkedIn
) -> None:
    log_in(client, container, "marketer")
    connection_id = connect(container, fake)
    path = f"/settings/linkedin/connections/{connection_id}"
    token = csrf_of(client.get(path).text)
    fake.expire_token()

    answer = client.post(f"{path}/subscription", data={"csrf_token": token})

    assert answer.status_code == 502
    assert "LinkedIn refused the access token" in answer.text
    assert '<span class="badge">Not subscribed</span>' in answer.text
    assert fake.subscriptions == []


def test_an_oauth_connection_refreshes_its_token_to_subscribe(
    client: TestClient, admin: dict[str, str], container: Container, fake: FakeLinkedIn
) -> None:
    connection_id = connect_with_oauth(container, fake)
    fake.expire_token()

    answer = client.post(
        f"/api/v1/linkedin/connections/{connection_id}/subscription", json={}, headers=admin
    )

    assert answer.status_code == 200, answer.text
    assert [grant["grant_type"] for grant in fake.grants][-1] == "refresh_token"
    assert len(fake.subscriptions) == 1
    gone = client.delete(
        f"/api/v1/linkedin/connections/{connection_id}/subscription", headers=admin
    )
    assert (gone.status_code, gone.json()["subscription_id"]) == (200, None)
    assert fake.subscriptions == []
