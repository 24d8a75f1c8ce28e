"""A strategy applied to one record's values: the raw value of each field, its
normalised form, the fields that have none, and the key the values claim."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from leadflow.matching.domain import (
    field_value,
    match_key,
    missing_reason,
    normalize_for_match,
    strategy_values,
)
from leadflow.registry.domain import FieldDef, FieldType

EMAIL = FieldDef("contact", "email", "Email", FieldType.EMAIL)
PHONE = FieldDef("contact", "phone", "Phone", FieldType.PHONE)
LAST_NAME = FieldDef("contact", "last_name", "Last name", FieldType.TEXT)
PAGE = FieldDef("lead", "marketing_page_id", "Page", FieldType.INTEGER)
SHOE_SIZE = FieldDef("contact", "shoe_size", "Shoe size", FieldType.INTEGER, custom=True)

DEFINITIONS = {d.name: d for d in (EMAIL, PHONE, LAST_NAME, PAGE, SHOE_SIZE)}


def test_a_built_in_field_reads_its_own_key() -> None:
    assert field_value({"email": "a@x.com", "phone": "1"}, EMAIL) == "a@x.com"


def test_a_built_in_field_does_not_read_the_custom_values() -> None:
    assert field_value({"custom": {"email": "a@x.com"}}, EMAIL) is None


def test_a_custom_field_reads_its_value_under_custom() -> None:
    values = {"shoe_size": 41, "custom": {"shoe_size": 42, "other": 1}}
    assert field_value(values, SHOE_SIZE) == 42


@pytest.mark.parametrize(
    "values",
    [
        {"shoe_size": 42},
        {"custom": None},
        {"custom": "shoe_size"},
        {"custom": ["shoe_size"]},
        {"custom": {"other": 1}},
    ],
)
def test_a_custom_field_has_no_value_without_a_custom_mapping_holding_it(
    values: dict[str, Any],
) -> None:
    assert field_value(values, SHOE_SIZE) is None


def test_strategy_values_are_normalised_in_the_strategy_order() -> None:
    values = {"last_name": "  LoveLace ", "email": " Ada@Example.COM"}
    result = strategy_values(["email", "last_name"], DEFINITIONS, values)
    assert list(result.normalised.items()) == [
        ("email", "ada@example.com"),
        ("last_name", "lovelace"),
    ]
    assert result.missing == ()
    assert result.applies is True


def test_a_custom_field_of_a_strategy_is_read_under_custom_and_coerced() -> None:
    result = strategy_values(["shoe_size"], DEFINITIONS, {"custom": {"shoe_size": "42"}})
    assert result.normalised == {"shoe_size": 42}
    assert result.missing == ()


def test_a_national_phone_is_read_in_the_region_given() -> None:
    values = {"phone": "030 1234567"}
    assert strategy_values(["phone"], DEFINITIONS, values, "DE").normalised == {
        "phone": "+49301234567"
    }
    # Without a region it cannot be read and compares as typed.
    assert strategy_values(["phone"], DEFINITIONS, values).normalised == {"phone": "030 1234567"}


def test_fields_without_a_value_are_missing_and_the_others_still_normalised() -> None:
    values = {"email": "   ", "last_name": "Lovelace"}
    result = strategy_values(["email", "marketing_page_id", "last_name"], DEFINITIONS, values)
    assert result.normalised == {"last_name": "lovelace"}
    assert result.missing == ("email", "marketing_page_id")
    assert result.applies is False


def test_a_field_the_registry_does_not_know_is_missing_and_the_rest_still_read() -> None:
    values = {"email": "ada@example.com", "nickname": "ada", "last_name": "Lovelace"}
    result = strategy_values(["email", "nickname", "last_name"], DEFINITIONS, values)
    assert result.normalised == {"email": "ada@example.com", "last_name": "lovelace"}
    assert result.missing == ("nickname",)
    assert result.applies is False


def test_no_fields_give_an_applicable_empty_strategy() -> None:
    result = strategy_values([], DEFINITIONS, {"email": "ada@example.com"})
    assert (result.normalised, result.missing, result.applies) == ({}, (), True)


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (FieldType.EMAIL, " Ada@Example.COM ", "ada@example.com"),
        (FieldType.PHONE, "+44 20 7946 0542", "+442079460542"),
        (FieldType.TEXT, "  Ada   LOVELACE ", "ada lovelace"),
        (FieldType.LONG_TEXT, "Line ONE\n  line two", "line one line two"),
        (FieldType.URL, " HTTPS://Example.com/Page ", "https://example.com/page"),
        (FieldType.CHOICE, " Gold ", "gold"),
        (FieldType.INTEGER, " 7 ", 7),
        (FieldType.DECIMAL, "1.50", Decimal("1.50")),
        (FieldType.BOOLEAN, "true", True),
        (FieldType.DATE, "2024-03-01", date(2024, 3, 1)),
    ],
)
def test_each_field_kind_is_compared_in_its_normal_form(
    kind: FieldType, raw: str, expected: Any
) -> None:
    definition = FieldDef("contact", "f", "F", kind, options=("gold",))
    assert normalize_for_match(definition, raw) == expected
    assert strategy_values(["f"], {"f": definition}, {"f": raw}).normalised == {"f": expected}


def test_the_missing_reason_names_the_strategy_and_each_missing_field() -> None:
    assert missing_reason("Email and page", ["email", "marketing_page_id"]) == (
        "cannot match on 'Email and page': no value for email, marketing_page_id"
    )
    assert missing_reason("Email", ("email",)) == "cannot match on 'Email': no value for email"


def test_the_key_is_the_sha256_of_the_field_value_pairs_as_json_in_the_strategy_order() -> None:
    # Stored keys and `bulk_match_key` depend on exactly this text.
    values = {"marketing_page_id": 1, "email": "ada@example.com"}
    payload = '[["email", "ada@example.com"], ["marketing_page_id", 1]]'
    assert match_key(["email", "marketing_page_id"], values) == (
        hashlib.sha256(payload.encode()).hexdigest()
    )
    assert match_key(["marketing_page_id", "email"], values) != match_key(
        ["email", "marketing_page_id"], values
    )
