"""The links in every email over HTTP: the open pixel, click redirects, forged tokens, and
unsubscribing with one click (RFC 8058) or from the confirm page."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.emails.compose import Links
from leadflow.emails.models import EmailMessage
from leadflow.emails.services import MessageRequest, do_queue_messages
from leadflow.interactions.models import Interaction
from tests.integration.emails.helpers import make_contacts, make_template


def _message(container: Container) -> tuple[int, int, int]:
    template_id = make_template(container)
    [contact_id] = make_contacts(container, 1)
    do_queue_messages(
        [MessageRequest(template_id, contact_id, "k1", journey_id=5, journey_tile="t2")],
        uow=container.uow(),
    )
    with container.read_session() as session:
        message_id = session.scalars(select(EmailMessage.id)).one()
    return message_id, contact_id, template_id


def _links(container: Container) -> Links:
    return Links("http://testserver", container.settings.effective_secret_key)


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


def _interactions(container: Container) -> list[tuple[str, int, str | None, dict[str, object]]]:
    container.relay.drain()
    with container.read_session() as session:
        rows = session.execute(
            select(
                Interaction.kind, Interaction.contact_id, Interaction.target_id, Interaction.data
            ).order_by(Interaction.id)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_the_pixel_records_one_open_and_answers_a_gif(
    container: Container, client: TestClient
) -> None:
    message_id, contact_id, template_id = _message(container)
    url = _path(_links(container).open(message_id))

    first = client.get(url)
    second = client.get(url)

    assert (first.status_code, first.headers["content-type"]) == (200, "image/gif")
    assert first.content.startswith(b"GIF89a") and second.status_code == 200
    assert _interactions(container) == [
        (
            "email_opened",
            contact_id,
            str(template_id),
            {"message_id": message_id, "journey_id": 5, "journey_tile": "t2"},
        )
    ]


def test_a_forged_pixel_still_answers_a_gif_and_records_nothing(
    container: Container, client: TestClient
) -> None:
    message_id, _, _ = _message(container)
    forged = Links("http://testserver", "not-the-secret").open(message_id)

    response = client.get(_path(forged))

    assert (response.status_code, response.headers["content-type"]) == (200, "image/gif")
    assert _interactions(container) == []
    client.get(_path(_links(container).open(message_id)))  # the genuine one does record
    assert [row[0] for row in _interactions(container)] == ["email_opened"]


def test_a_click_redirects_to_the_signed_link_and_records_each_click(
    container: Container, client: TestClient
) -> None:
    message_id, contact_id, template_id = _message(container)
    url = _path(_links(container).click(message_id, 0, "https://example.com/guide?a=1&b=2"))

    first = client.get(url, follow_redirects=False)
    client.get(url, follow_redirects=False)

    assert (first.status_code, first.headers["location"]) == (
        302,
        "https://example.com/guide?a=1&b=2",
    )
    data = {"message_id": message_id, "journey_id": 5, "journey_tile": "t2"}
    click = {**data, "url": "https://example.com/guide?a=1&b=2", "link": 0}
    assert _interactions(container) == [
        ("email_opened", contact_id, str(template_id), data),
        ("email_clicked", contact_id, str(template_id), click),
        ("email_clicked", contact_id, str(template_id), click),
    ]


def test_a_tampered_click_is_a_plain_404_never_a_redirect(
    container: Container, client: TestClient
) -> None:
    message_id, _, _ = _message(container)
    good = _path(_links(container).click(message_id, 0, "https://example.com/"))
    evil = _path(_links(container).click(message_id, 0, "https://evil.test/")).split(".")[0]
    tampered = evil + "." + good.split(".")[1]

    response = client.get(tampered, follow_redirects=False)

    assert response.status_code == 404
    assert "location" not in response.headers
    assert "This link is broken" in response.text
    assert client.get(good, follow_redirects=False).status_code == 302
    assert [row[0] for row in _interactions(container)] == ["email_opened", "email_clicked"]


def test_one_click_unsubscribe_sets_do_not_email(container: Container, client: TestClient) -> None:
    message_id, contact_id, template_id = _message(container)
    url = _path(_links(container).unsubscribe(message_id))
    with container.read_session() as session:
        assert session.get(Contact, contact_id).do_not_email is False  # type: ignore[union-attr]

    # What a mail client sends for List-Unsubscribe-Post (RFC 8058): no session, no token.
    response = client.post(url, data={"List-Unsubscribe": "One-Click"})
    again = client.post(url, data={"List-Unsubscribe": "One-Click"})

    assert (response.status_code, again.status_code) == (200, 200)
    assert "You will not receive these emails" in response.text
    with container.read_session() as session:
        assert session.get(Contact, contact_id).do_not_email is True  # type: ignore[union-attr]
    assert _interactions(container) == [
        (
            "email_unsubscribed",
            contact_id,
            str(template_id),
            {"message_id": message_id, "journey_id": 5, "journey_tile": "t2"},
        )
    ]


def test_the_unsubscribe_link_shows_a_confirm_page_and_refuses_forgeries(
    container: Container, client: TestClient
) -> None:
    message_id, contact_id, _ = _message(container)
    url = _path(_links(container).unsubscribe(message_id))
    forged = _path(Links("http://testserver", "wrong").unsubscribe(message_id))

    page = client.get(url)
    refused = client.post(forged, data={"List-Unsubscribe": "One-Click"})

    assert page.status_code == 200
    assert f'action="{url}"' in page.text and ">Unsubscribe</button>" in page.text
    assert refused.status_code == 404
    with container.read_session() as session:
        assert session.get(Contact, contact_id).do_not_email is False  # type: ignore[union-attr]


def test_a_prefetched_unsubscribe_link_changes_nothing_and_one_click_needs_no_session(
    container: Container, client: TestClient
) -> None:
    """Mail scanners fetch every link: a GET only shows the confirmation. The one-click
    POST comes from the mail provider's servers: no session, no form token, a foreign
    origin, either form encoding; it must still unsubscribe."""
    from tests.web.pages.test_pages import log_in

    message_id, contact_id, _ = _message(container)
    url = _path(_links(container).unsubscribe(message_id))

    for _ in range(3):
        prefetched = client.get(url, headers={"User-Agent": "LinkScanner/1.0"})
        assert prefetched.status_code == 200
        assert "Stop receiving these emails?" in prefetched.text
        assert prefetched.headers["cache-control"].startswith("no-store")
    with container.read_session() as session:
        assert session.get(Contact, contact_id).do_not_email is False  # type: ignore[union-attr]
    assert _interactions(container) == []

    # A person who also has a session in this browser: still no form token needed.
    log_in(client, container, "marketer")
    answered = client.post(
        url,
        files={"List-Unsubscribe": (None, "One-Click")},  # multipart/form-data
        headers={"Origin": "https://mail.provider.example"},
    )

    assert answered.status_code == 200, answered.text
    assert "You will not receive these emails" in answered.text
    with container.read_session() as session:
        assert session.get(Contact, contact_id).do_not_email is True  # type: ignore[union-attr]
