"""The public endpoints' guards: the sliding-window rate limit and the signed tokens."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from itsdangerous import URLSafeTimedSerializer, timed

from leadflow.capture.guards import (
    FORM_TOKEN_MAX_AGE,
    VISITOR_MAX_AGE,
    RateLimiter,
    event_token,
    event_token_valid,
    form_token,
    form_token_valid,
    submission_of,
    submitter_cookie,
    visitor_cookie,
    visitor_of,
)


def test_the_limit_allows_exactly_limit_hits_per_window_and_says_how_long_to_wait() -> None:
    limiter = RateLimiter(3, window=60.0)
    assert [limiter.hit("a", 100.0 + n) for n in range(3)] == [None, None, None]
    # The oldest hit (t=100) leaves the window at t=160: at t=110 that is 50 s away.
    assert limiter.hit("a", 110.0) == 50
    # Another key has its own log.
    assert limiter.hit("b", 110.0) is None


def test_a_hit_leaves_the_window_exactly_window_seconds_later() -> None:
    limiter = RateLimiter(1, window=10.0)
    assert limiter.hit("a", 0.0) is None
    assert limiter.hit("a", 9.5) == 1
    # At t=10 the hit of t=0 is out of the window (<= now - window).
    assert limiter.hit("a", 10.0) is None
    assert limiter.hit("a", 10.2) == 10


def test_the_wait_is_rounded_up_and_never_below_one_second() -> None:
    limiter = RateLimiter(1, window=10.0)
    assert limiter.hit("a", 0.0) is None
    assert limiter.hit("a", 0.5) == 10  # 9.5 s, rounded up
    assert limiter.hit("a", 9.99) == 1  # 0.01 s, still one second


def test_refused_hits_are_not_counted() -> None:
    limiter = RateLimiter(2, window=10.0)
    assert limiter.hit("a", 0.0) is None
    assert limiter.hit("a", 5.0) is None
    assert limiter.hit("a", 6.0) == 4
    assert limiter.hit("a", 7.0) == 3
    # t=0 left; the refused hits at 6 and 7 did not take its place.
    assert limiter.hit("a", 10.0) is None
    assert limiter.hit("a", 11.0) == 4


def test_limit_zero_switches_the_limiter_off() -> None:
    limiter = RateLimiter(0)
    assert all(limiter.hit("a", float(n)) is None for n in range(100))


def test_too_many_keys_start_the_count_afresh_instead_of_growing() -> None:
    limiter = RateLimiter(1, window=60.0, max_keys=2)
    assert limiter.hit("a", 0.0) is None
    assert limiter.hit("b", 0.0) is None
    assert limiter.hit("a", 1.0) == 59
    assert limiter.hit("c", 1.0) is None  # a third key: the table is cleared first
    assert limiter.hit("a", 2.0) is None
    assert limiter.hit("a", 3.0) == 59


def test_a_form_token_is_valid_only_for_its_form_secret_and_server_secret() -> None:
    token = form_token("server", "form-secret", 7)
    assert form_token_valid("server", "form-secret", 7, token) is True
    assert form_token_valid("server", "form-secret", 8, token) is False
    assert form_token_valid("server", "other-secret", 7, token) is False
    assert form_token_valid("other", "form-secret", 7, token) is False
    assert form_token_valid("server", "form-secret", 7, token[:-2] + "xx") is False
    assert form_token_valid("server", "form-secret", 7, None) is False
    assert form_token_valid("server", "form-secret", 7, "") is False


def test_form_and_event_tokens_are_not_interchangeable() -> None:
    assert event_token_valid("server", 7, event_token("server", 7)) is True
    assert event_token_valid("server", 8, event_token("server", 7)) is False
    assert event_token_valid("other", 7, event_token("server", 7)) is False
    assert event_token_valid("server", 7, form_token("server", "", 7)) is False
    assert form_token_valid("server", "", 7, event_token("server", 7)) is False
    assert event_token_valid("server", 7, None) is False
    assert event_token_valid("server", 7, "") is False


@pytest.mark.parametrize(
    ("make", "check"),
    [
        (
            lambda: form_token("server", "form", 7),
            lambda t: form_token_valid("server", "form", 7, t),
        ),
        (lambda: event_token("server", 7), lambda t: event_token_valid("server", 7, t)),
    ],
)
def test_tokens_are_valid_for_a_day_and_no_longer(
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[], str],
    check: Callable[[str], bool],
) -> None:
    now = time.time()
    monkeypatch.setattr(timed.time, "time", lambda: now - FORM_TOKEN_MAX_AGE + 5)
    almost_a_day_old = make()
    monkeypatch.setattr(timed.time, "time", lambda: now - FORM_TOKEN_MAX_AGE - 5)
    over_a_day_old = make()
    monkeypatch.setattr(timed.time, "time", lambda: now)
    assert check(almost_a_day_old) is True
    assert check(over_a_day_old) is False


def test_a_visitor_cookie_names_its_contact_only_when_signed_here() -> None:
    cookie = visitor_cookie("server", 42)
    assert visitor_of("server", cookie) == 42
    assert visitor_of("other", cookie) is None
    assert visitor_of("server", cookie[:-2] + "xx") is None
    assert visitor_of("server", None) is None
    assert visitor_of("server", "") is None
    # A signed value that is not a contact id is not one.
    forged = URLSafeTimedSerializer("server", salt="leadflow.visitor").dumps("42")
    assert visitor_of("server", forged) is None


def test_the_window_is_a_minute_unless_told() -> None:
    limiter = RateLimiter(1)
    assert limiter.hit("a", 0.0) is None
    assert limiter.hit("a", 59.9) == 1
    assert limiter.hit("a", 60.0) is None


@pytest.mark.parametrize(
    ("make", "read"),
    [(visitor_cookie, visitor_of), (submitter_cookie, submission_of)],
    ids=["contact", "submission"],
)
def test_a_visitor_cookie_is_honoured_for_a_year_and_no_longer(
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[str, int], str],
    read: Callable[[str, str | None], int | None],
) -> None:
    now = time.time()
    monkeypatch.setattr(timed.time, "time", lambda: now - VISITOR_MAX_AGE + 5)
    almost_a_year_old = make("server", 42)
    monkeypatch.setattr(timed.time, "time", lambda: now - VISITOR_MAX_AGE - 5)
    over_a_year_old = make("server", 42)
    monkeypatch.setattr(timed.time, "time", lambda: now)
    assert read("server", almost_a_year_old) == 42
    assert read("server", over_a_year_old) is None
