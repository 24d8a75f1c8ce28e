"""Subscribing a connection to LinkedIn's lead notifications: the fake records the
subscription for the connection's webhook route; an expired token is a clear problem."""

from __future__ import annotations

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from tests.support.fake_linkedin import OWNER, FakeLinkedIn
from tests.support.linkedin import connect


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
