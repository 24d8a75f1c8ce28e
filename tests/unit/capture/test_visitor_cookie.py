"""The visitor cookie of a submitter: it names a submission not processed yet."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer

from leadflow.capture.guards import (
    submission_of,
    submitter_cookie,
    visitor_cookie,
    visitor_of,
)


def _signed(value: object, secret: str = "server", salt: str = "leadflow.visitor") -> str:
    return URLSafeTimedSerializer(secret, salt=salt).dumps(value)


def test_a_submitter_cookie_names_its_submission() -> None:
    assert submission_of("server", submitter_cookie("server", 7)) == 7


def test_a_submitter_cookie_signs_the_submission_under_the_visitor_salt() -> None:
    cookie = submitter_cookie("server", 7)
    assert URLSafeTimedSerializer("server", salt="leadflow.visitor").loads(cookie) == {
        "submission": 7
    }


def test_a_cookie_signed_here_under_the_visitor_salt_names_its_submission() -> None:
    assert submission_of("server", _signed({"submission": 12})) == 12


def test_a_cookie_signed_with_another_secret_names_no_submission() -> None:
    assert submission_of("other", submitter_cookie("server", 7)) is None
    assert submission_of("server", _signed({"submission": 7}, secret="other")) is None


def test_a_cookie_signed_under_another_salt_names_no_submission() -> None:
    assert submission_of("server", _signed({"submission": 7}, salt="leadflow.form")) is None


def test_a_tampered_or_garbled_cookie_names_no_submission() -> None:
    cookie = submitter_cookie("server", 7)
    assert submission_of("server", cookie[:-2] + "xx") is None
    assert submission_of("server", "not-a-cookie") is None


@pytest.mark.parametrize("cookie", [None, ""])
def test_no_cookie_names_no_submission(cookie: str | None) -> None:
    assert submission_of("server", cookie) is None


def test_a_contact_cookie_names_no_submission_and_a_submitter_cookie_no_contact() -> None:
    assert submission_of("server", visitor_cookie("server", 42)) is None
    assert visitor_of("server", submitter_cookie("server", 7)) is None


@pytest.mark.parametrize(
    "payload",
    [{"submission": "7"}, {"submission": None}, {"submission": 7.0}, {"contact": 7}, {}, [7]],
)
def test_a_signed_payload_without_a_whole_submission_id_names_no_submission(
    payload: object,
) -> None:
    assert submission_of("server", _signed(payload)) is None
