"""A test of an unsaved draft, from the editor's page and from the API: what the editor
holds now goes to the chosen address, merged for the chosen contact, through a real SMTP
server the test starts (both databases)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.emails.models import EmailMessage, EmailTemplate
from tests.integration.emails.conftest import Inbox, inbox, mail_container
from tests.integration.emails.helpers import make_contacts, make_template
from tests.web.pages.test_pages import csrf_of, log_in

__all__ = ["inbox", "mail_container"]  # the SMTP server and the container sending to it


@pytest.fixture
def container(mail_container: Container) -> Container:
    """The web fixtures (app, client, admin) on the container that sends to the test server."""
    return mail_container


def _html_of(box: Inbox) -> str:
    [caught] = box.messages
    body = caught.headers.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def _nothing_saved_or_recorded(container: Container) -> None:
    with container.read_session() as session:
        assert session.query(EmailMessage).count() == 0
        assert session.query(EmailTemplate).count() == 0


DRAFT: dict[str, Any] = {
    "subject": "Draft for {{ contact.first_name }}",
    "html_body": "<h1>Unsaved hello {{ contact.first_name }}</h1>",
    "from_name": "Contoso Marketing",
    "from_address": "news@contoso.example",
}


def test_the_api_sends_a_test_of_a_draft_never_saved(
    container: Container, client: TestClient, admin: dict[str, str], inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    [grace] = make_contacts(container, 1, first_name="Grace")

    sent = client.post(
        "/api/v1/emails/test-send",
        json={**DRAFT, "to": " me@example.test ", "contact_id": grace},
        headers=admin,
    )

    assert sent.status_code == 200, sent.text
    assert sent.json() == {"sent": True, "to": "me@example.test"}
    [caught] = box.messages
    assert caught.recipients == ("me@example.test",)
    assert caught.headers["Subject"] == "[Test] Draft for Grace"
    assert caught.headers["From"] == "Contoso Marketing <news@contoso.example>"
    assert "<h1>Unsaved hello Grace</h1>" in _html_of(box)
    _nothing_saved_or_recorded(container)


def test_the_api_test_of_an_edited_template_sends_the_edits_over_the_saved_parts(
    container: Container, client: TestClient, admin: dict[str, str], inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    template_id = make_template(container)

    sent = client.post(
        "/api/v1/emails/test-send",
        json={"template_id": template_id, "to": "me@example.test", "subject": "Edited subject"},
        headers=admin,
    )

    assert sent.status_code == 200, sent.text
    assert box.messages[0].headers["Subject"] == "[Test] Edited subject"
    assert box.messages[0].headers["From"] == "Contoso Marketing <news@contoso.example>"
    assert "Hello there," in _html_of(box)  # the saved body, merged for nobody


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": None}, "subject"),
        ({"html_body": " "}, "html_body"),
        ({"from_address": None}, "from_address"),
        ({"from_address": "not an address"}, "from_address"),
        ({"to": "nobody"}, "to"),
        ({"contact_id": 987654}, "contact_id"),
        ({"template_id": 987654}, "template_id"),
    ],
)
def test_the_api_refuses_a_draft_test_it_cannot_send_naming_the_field(
    client: TestClient,
    admin: dict[str, str],
    inbox: tuple[Inbox, int],
    change: dict[str, Any],
    field: str,
) -> None:
    box, _ = inbox
    body = {**DRAFT, "to": "me@example.test", **change}
    refused = client.post(
        "/api/v1/emails/test-send",
        json={key: value for key, value in body.items() if value is not None},
        headers=admin,
    )

    assert refused.status_code in (404, 422), refused.text
    assert refused.json().get("field") == field
    assert box.messages == []


def test_the_editor_sends_a_test_of_what_it_holds_before_it_is_saved(
    container: Container, client: TestClient, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    make_contacts(container, 1, first_name="Ada", email="ada@example.test")
    [grace] = make_contacts(container, 1, first_name="Grace", email="grace@example.test")
    log_in(client, container, "marketer")
    page = client.get("/emails/new").text
    assert 'formaction="/emails/test-send"' in page

    sent = client.post(
        "/emails/test-send",
        data={
            "csrf_token": csrf_of(page),
            "name": "",  # not needed for a test
            **DRAFT,
            "test_to": "me@example.test",
            "test_contact_id": str(grace),
        },
    )

    assert sent.status_code == 200, sent.text
    assert "Test sent to me@example.test." in sent.text
    # The draft comes back as it was, still a new (unsaved) email.
    assert "<h1>New email</h1>" in sent.text
    assert 'value="Draft for {{ contact.first_name }}"' in sent.text
    [caught] = box.messages
    assert caught.recipients == ("me@example.test",)
    assert caught.headers["Subject"] == "[Test] Draft for Grace"
    assert "<h1>Unsaved hello Grace</h1>" in _html_of(box)
    _nothing_saved_or_recorded(container)

    refused = client.post(
        "/emails/test-send",
        data={"csrf_token": csrf_of(page), **DRAFT, "from_address": "", "test_to": "me@x.test"},
    )
    assert refused.status_code == 422
    assert re.search(r"<strong>from address</strong>: A test needs the sender", refused.text)
    assert len(box.messages) == 1
