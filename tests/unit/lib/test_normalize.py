"""Phone normalisation: the one function contacts, leads and matching share, and its region."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadflow.lib.normalize import (
    InvalidRegion,
    Phone,
    checked_region,
    parse_phone,
    phone_region,
    region_of,
)


def test_a_national_number_is_read_in_the_region_given() -> None:
    assert parse_phone("020 7946 0542", "GB") == Phone("020 7946 0542", "+442079460542")


def test_an_international_number_is_the_same_whatever_the_region() -> None:
    expected = Phone("+44 20 7946 0542", "+442079460542")

    assert parse_phone("+44 20 7946 0542", "GB") == expected
    assert parse_phone("+44 20 7946 0542", "US") == expected
    assert parse_phone("+44 20 7946 0542") == expected


def test_an_e164_number_stays_as_it_is() -> None:
    phone = parse_phone("+442079460542", "DE")

    assert phone == Phone("+442079460542", "+442079460542")
    assert phone is not None and phone.value == "+442079460542"


def test_a_national_number_without_a_region_is_kept_as_typed() -> None:
    phone = parse_phone(" 020 7946 0542 ")

    assert phone == Phone("020 7946 0542", None)
    assert phone is not None and phone.value == "020 7946 0542"


def test_text_that_is_no_number_is_kept_as_typed() -> None:
    phone = parse_phone("ask reception", "GB")

    assert phone == Phone("ask reception", None)
    assert phone is not None and phone.value == "ask reception"


def test_an_impossible_number_is_not_normalised() -> None:
    assert parse_phone("+44 12", "GB") == Phone("+44 12", None)


def test_a_blank_phone_is_none() -> None:
    assert parse_phone("   ", "GB") is None
    assert parse_phone(None, "GB") is None


@pytest.mark.parametrize(
    ("country", "region"),
    [
        ("GB", "GB"),
        ("gb", "GB"),
        (" de ", "DE"),
        ("United Kingdom", "GB"),
        ("united   kingdom", "GB"),
        ("UK", "GB"),
        ("England", "GB"),
        ("Germany", "DE"),
        ("U.S.A.", "US"),
        ("Viet Nam", "VN"),
        ("XK", "XK"),
    ],
)
def test_a_country_field_names_a_region_by_code_or_english_name(country: str, region: str) -> None:
    assert region_of(country) == region


@pytest.mark.parametrize("country", [None, "", "Narnia", "EU", "ZZ", "GBR", "001"])
def test_a_country_that_names_no_region_gives_none(country: str | None) -> None:
    assert region_of(country) is None


def test_the_record_country_comes_before_the_submission_and_the_default() -> None:
    assert phone_region(["FR"], "DE", "GB") == "FR"


def test_the_submission_country_comes_before_the_default() -> None:
    assert phone_region([None], "Germany", "GB") == "DE"


def test_the_org_default_is_the_last_resort() -> None:
    assert phone_region([None, ""], None, "GB") == "GB"
    assert phone_region([], None, None) is None


def test_a_country_that_names_no_region_gives_way_to_the_next_source() -> None:
    assert phone_region(["Narnia", "United States"], None, "GB") == "US"
    assert phone_region(["Narnia"], "Atlantis", "GB") == "GB"


def test_sources_are_read_only_as_far_as_needed() -> None:
    read: list[str] = []

    def countries() -> Iterator[str | None]:
        read.append("own")
        yield "FR"
        read.append("account")
        yield "DE"

    def default() -> str | None:
        read.append("default")
        return "GB"

    assert phone_region(countries(), None, default) == "FR"
    assert read == ["own"]
    assert phone_region([None], None, default) == "GB"
    assert read == ["own", "default"]


def test_the_same_number_from_both_formats_is_equal_once_read_in_the_resolved_region() -> None:
    region = phone_region([None], None, "GB")

    national = parse_phone("020 7946 0542", region)
    international = parse_phone("+44 20 7946 0542", region)

    assert national is not None and international is not None
    assert national.value == international.value == "+442079460542"
    assert (national.raw, international.raw) == ("020 7946 0542", "+44 20 7946 0542")


@pytest.mark.parametrize(("code", "region"), [("GB", "GB"), (" us ", "US"), ("de", "DE")])
def test_a_region_setting_takes_known_codes(code: str, region: str) -> None:
    assert checked_region(code) == region


@pytest.mark.parametrize("code", ["ZZ", "XX", "UK", "GBR", "United Kingdom", "", "1"])
def test_a_region_setting_refuses_what_phonenumbers_does_not_know(code: str) -> None:
    with pytest.raises(InvalidRegion, match="not a region code phonenumbers knows"):
        checked_region(code)
