"""Pure capture rules: field specs, submission cleaning, guards."""

from __future__ import annotations

import pytest

from leadflow.capture.domain import (
    FormField,
    InputType,
    clean_submission,
    form_field_from,
    mapped_values,
    submission_country,
)
from leadflow.capture.guards import (
    RateLimiter,
    form_token,
    form_token_valid,
    visitor_cookie,
    visitor_of,
)

FIELDS = [
    FormField("email", "Email", InputType.EMAIL, True, "email", "email", 320),
    FormField("name", "Name", InputType.TEXT, False, "first_name", None, 5),
    FormField("member", "Member no", InputType.TEXT, False, "custom.member_no", None),
    FormField("news", "News", InputType.CHECKBOX),
]


def test_clean_trims_and_checks_each_field() -> None:
    clean = clean_submission(FIELDS, {"email": "  a@example.com ", "name": "toolong", "news": "on"})
    assert clean.values == {"email": "a@example.com", "news": True}
    assert clean.errors == [{"field": "name", "message": "Name is longer than 5 characters"}]


def test_required_and_email_syntax() -> None:
    assert clean_submission(FIELDS, {}).errors[0] == {
        "field": "email",
        "message": "Email is required",
    }
    assert (
        clean_submission(FIELDS, {"email": "x@"}).errors[0]["message"]
        == "Email is not a valid email address"
    )


def test_non_text_values_are_refused() -> None:
    clean = clean_submission(FIELDS, {"email": "a@example.com", "name": {"$gt": ""}})
    assert clean.errors == [{"field": "name", "message": "Name must be text"}]


def test_values_map_to_their_fields_custom_ones_nested() -> None:
    values = {"email": "a@example.com", "name": "Ada", "member": "A-1"}
    assert mapped_values(FIELDS, values, "contact") == {
        "email": "a@example.com",
        "first_name": "Ada",
        "custom": {"member_no": "A-1"},
    }
    assert mapped_values(FIELDS, values, "lead") == {"email": "a@example.com"}


@pytest.mark.parametrize("name", ["Email", "1st", "website_url", ""])
def test_field_names_must_be_identifiers_and_not_the_honeypot(name: str) -> None:
    with pytest.raises(ValueError):
        form_field_from({"name": name})


def test_rate_limiter_slides_its_window() -> None:
    limiter = RateLimiter(2, window=60)
    assert limiter.hit("ip", 0.0) is None
    assert limiter.hit("ip", 1.0) is None
    assert limiter.hit("ip", 2.0) == 58
    assert limiter.hit("other", 2.0) is None
    assert limiter.hit("ip", 60.5) is None


def test_a_zero_limit_is_off() -> None:
    limiter = RateLimiter(0)
    assert all(limiter.hit("ip", float(second)) is None for second in range(100))


def test_form_tokens_are_bound_to_their_form_and_secret() -> None:
    token = form_token("secret", "form-secret", 7)
    assert form_token_valid("secret", "form-secret", 7, token)
    assert not form_token_valid("secret", "form-secret", 8, token)
    assert not form_token_valid("secret", "rotated", 7, token)
    assert not form_token_valid("secret", "form-secret", 7, None)


def test_visitor_cookies_are_signed() -> None:
    assert visitor_of("s", visitor_cookie("s", 42)) == 42
    assert visitor_of("other", visitor_cookie("s", 42)) is None
    assert visitor_of("s", "42") is None


@pytest.mark.parametrize(
    "spec",
    [
        FormField("land", "Country", contact_field="country"),
        FormField("land", "Country", lead_field="custom.country"),
        FormField("country", "Country"),
    ],
)
def test_the_submission_country_is_the_answer_mapped_to_a_country(spec: FormField) -> None:
    fields = [FormField("phone", "Phone", InputType.PHONE, contact_field="phone"), spec]

    assert submission_country(fields, {"phone": "020 7946 0542", spec.name: "GB"}) == "GB"


def test_a_form_without_a_country_answer_gives_none() -> None:
    fields = [
        FormField("phone", "Phone", InputType.PHONE, contact_field="phone"),
        FormField("city", "City", contact_field="city"),
        FormField("country", "Country"),
    ]

    assert submission_country(fields, {"phone": "020", "city": "London"}) is None
