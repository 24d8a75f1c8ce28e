"""The public pages /p/{slug} and /e/{id} as hostile ground, over real HTTP.

Every refusal stands beside the same request done right, which goes through:
413 over 64 KiB, 429 per address and per form, the honeypot, forged and missing
form tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from leadflow.bootstrap import Container
from leadflow.capture.models import EventRegistration, FormSubmission
from leadflow.capture.services import create_event, create_form
from leadflow.contacts.models import Contact
from leadflow.web.app import create_app
from tests.support.servers import serving

KIB = 1024


@dataclass(frozen=True)
class Site:
    http: httpx.Client
    form_slugs: tuple[str, str]
    event_id: int


def _token(html: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found is not None, "no form token on the page"
    return found.group(1)


def _count(container: Container, column: object) -> int:
    with container.read_session() as session:
        return int(session.scalar(select(func.count(column))) or 0)  # type: ignore[arg-type]


@pytest.fixture
def site_with(
    container: Container, make_container: Callable[..., Container]
) -> Iterator[Callable[..., Site]]:
    """A served app with two landing pages and an event; limits as given."""
    with container.uow() as uow:
        for slug in ("spring", "autumn"):
            create_form({"name": slug.title(), "slug": slug, "title": slug.title()}, uow=uow)
        event_id = create_event(
            {
                "name": "Summit",
                "starts_at": "2026-12-01T09:00:00",
                "ends_at": "2026-12-01T10:00:00",
            },
            uow=uow,
        ).id
        uow.commit()
    opened: list[tuple[object, httpx.Client]] = []

    def start(**limits: int) -> Site:
        served = make_container(**limits)
        server = serving(create_app(served))
        url = server.__enter__()
        http = httpx.Client(base_url=url, timeout=30)
        opened.append((server, http))
        return Site(http, ("spring", "autumn"), event_id)

    yield start
    for server, http in opened:
        http.close()
        server.__exit__(None, None, None)  # type: ignore[attr-defined]


def _landing(site: Site, slug: str, email: str, **extra: str) -> httpx.Response:
    token = _token(site.http.get(f"/p/{slug}").text)
    return site.http.post(f"/p/{slug}", data={"email": email, "form_token": token, **extra})


def _register(site: Site, email: str, **extra: str) -> httpx.Response:
    token = _token(site.http.get(f"/e/{site.event_id}").text)
    return site.http.post(
        f"/e/{site.event_id}", data={"email": email, "form_token": token, **extra}
    )


THANKS = "Thank you! We received your submission."
REGISTERED = "You are registered. See you there!"


def test_a_body_over_64_kib_is_413_on_both_pages(
    site_with: Callable[..., Site], container: Container
) -> None:
    site = site_with()
    under = _landing(site, "spring", "ada@example.com", notes="x" * (60 * KIB))
    assert (under.status_code, THANKS in under.text) == (200, True)
    under_event = _register(site, "ada@example.com", notes="x" * (60 * KIB))
    assert (under_event.status_code, REGISTERED in under_event.text) == (200, True)
    submissions = _count(container, FormSubmission.id)

    for path in ("/p/spring", f"/e/{site.event_id}"):
        token = _token(site.http.get(path).text)
        over = {"email": "eve@example.com", "form_token": token, "notes": "x" * (65 * KIB)}
        declared = site.http.post(path, data=over)
        assert (declared.status_code, declared.json()["code"]) == (413, "body_too_large"), path
        body = httpx.QueryParams(over).__str__().encode()
        chunked = site.http.post(
            path,
            content=iter([body[i : i + 8 * KIB] for i in range(0, len(body), 8 * KIB)]),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert (chunked.status_code, chunked.json()["code"]) == (413, "body_too_large"), path
    assert _count(container, FormSubmission.id) == submissions
    assert _count(container, EventRegistration.id) == 1


def test_too_many_posts_from_one_address_are_429_across_pages(
    site_with: Callable[..., Site], container: Container
) -> None:
    site = site_with(capture_ip_limit_per_minute=3, capture_form_limit_per_minute=100)
    allowed = [
        _landing(site, "spring", "a@example.com"),
        _landing(site, "autumn", "b@example.com"),
        _register(site, "c@example.com"),
    ]
    assert [response.status_code for response in allowed] == [200, 200, 200]
    for refused in (_landing(site, "autumn", "d@example.com"), _register(site, "e@example.com")):
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert "Too many submissions from your address" in refused.text
    # Landing-page submissions are accepted, then matched by the relay.
    container.relay.drain()
    with container.read_session() as session:
        emails = sorted(session.scalars(select(Contact.email)))
    assert emails == ["a@example.com", "b@example.com", "c@example.com"]


def test_too_many_posts_to_one_form_are_429_while_another_form_takes_them(
    site_with: Callable[..., Site],
) -> None:
    site = site_with(capture_ip_limit_per_minute=100, capture_form_limit_per_minute=2)
    assert _landing(site, "spring", "a@example.com").status_code == 200
    assert _landing(site, "spring", "b@example.com").status_code == 200
    refused = _landing(site, "spring", "c@example.com")
    assert refused.status_code == 429
    assert "Too many submissions to this form" in refused.text
    assert int(refused.headers["retry-after"]) >= 1
    assert _landing(site, "autumn", "c@example.com").status_code == 200
    assert _register(site, "d@example.com").status_code == 200
    assert _register(site, "e@example.com").status_code == 200
    assert _register(site, "f@example.com").status_code == 429


def test_a_filled_honeypot_is_thanked_and_nothing_is_stored(
    site_with: Callable[..., Site], container: Container
) -> None:
    site = site_with()
    bot = _landing(site, "spring", "bot@example.com", website_url="http://spam.example")
    bot_event = _register(site, "bot@example.com", website_url="http://spam.example")
    assert (bot.status_code, THANKS in bot.text) == (200, True)
    assert (bot_event.status_code, "Thank you!" in bot_event.text) == (200, True)
    assert _count(container, Contact.id) == 0
    assert _count(container, EventRegistration.id) == 0
    # The same posts without the trap filled are stored.
    assert THANKS in _landing(site, "spring", "ada@example.com").text
    assert REGISTERED in _register(site, "ada@example.com").text
    assert (_count(container, Contact.id), _count(container, EventRegistration.id)) == (1, 1)


def test_missing_and_forged_form_tokens_are_403_and_nothing_is_stored(
    site_with: Callable[..., Site], container: Container
) -> None:
    site = site_with()
    spring = _token(site.http.get("/p/spring").text)
    autumn = _token(site.http.get("/p/autumn").text)
    event = _token(site.http.get(f"/e/{site.event_id}").text)
    forged = [
        ("/p/spring", None),
        ("/p/spring", ""),
        ("/p/spring", autumn),  # another form's token
        ("/p/spring", event),
        ("/p/spring", spring[:-2] + ("AA" if not spring.endswith("AA") else "BB")),
        (f"/e/{site.event_id}", None),
        (f"/e/{site.event_id}", spring),  # a landing page's token
        (f"/e/{site.event_id}", event[:-2] + ("AA" if not event.endswith("AA") else "BB")),
    ]
    for path, token in forged:
        data = {"email": "eve@example.com"} | ({"form_token": token} if token is not None else {})
        refused = site.http.post(path, data=data)
        assert refused.status_code == 403, (path, token)
        assert "This form has expired or was not sent from this page" in refused.text
    assert (_count(container, Contact.id), _count(container, EventRegistration.id)) == (0, 0)
    assert _count(container, FormSubmission.id) == 0
    # The genuine tokens go through.
    ok_page = site.http.post("/p/spring", data={"email": "ada@example.com", "form_token": spring})
    assert THANKS in ok_page.text
    ok = site.http.post(
        f"/e/{site.event_id}", data={"email": "ada@example.com", "form_token": event}
    )
    assert REGISTERED in ok.text
    assert (_count(container, Contact.id), _count(container, EventRegistration.id)) == (1, 1)
