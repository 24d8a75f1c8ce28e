"""Pure matching rules: normalisation and keys."""

from __future__ import annotations

from decimal import Decimal

from leadflow.matching.domain import match_key, normalize_for_match
from leadflow.registry.domain import FieldDef, FieldType

EMAIL = FieldDef("contact", "email", "Email", FieldType.EMAIL)
PHONE = FieldDef("contact", "phone", "Phone", FieldType.PHONE)
TEXT = FieldDef("contact", "last_name", "Last name", FieldType.TEXT)
PAGE = FieldDef("lead", "marketing_page_id", "Page", FieldType.INTEGER)


def test_email_is_trimmed_and_case_folded() -> None:
    assert normalize_for_match(EMAIL, "  Ada@Example.COM ") == "ada@example.com"


def test_phone_becomes_e164() -> None:
    assert normalize_for_match(PHONE, "030 1234567", "DE") == "+49301234567"


def test_text_is_trimmed_and_case_insensitive() -> None:
    assert normalize_for_match(TEXT, "  LoveLace ") == "lovelace"


def test_blank_values_cannot_match() -> None:
    assert normalize_for_match(EMAIL, "   ") is None
    assert normalize_for_match(PAGE, None) is None


def test_keys_depend_on_fields_and_values() -> None:
    one = match_key(["email", "marketing_page_id"], {"email": "a@x.com", "marketing_page_id": 1})
    same = match_key(["email", "marketing_page_id"], {"email": "a@x.com", "marketing_page_id": 1})
    other = match_key(["email", "marketing_page_id"], {"email": "a@x.com", "marketing_page_id": 2})
    assert one == same != other and len(one) == 64


def test_an_email_is_compared_in_its_normal_unicode_form() -> None:
    # "é" typed as "e" plus a combining accent matches the one-character "é".
    assert normalize_for_match(EMAIL, "Re\u0301ne@Example.com") == "r\u00e9ne@example.com"


def test_an_invalid_email_still_compares_trimmed_and_case_folded() -> None:
    assert normalize_for_match(EMAIL, "  Not An Email ") == "not an email"


def test_a_phone_that_does_not_parse_compares_as_typed() -> None:
    assert normalize_for_match(PHONE, "call me", "DE") == "call me"


def test_other_types_compare_as_their_coerced_value() -> None:
    assert normalize_for_match(PAGE, "42") == 42


def test_keys_hold_values_json_cannot_write_as_their_text() -> None:
    amount = match_key(["budget"], {"budget": Decimal("1.50")})
    assert amount == match_key(["budget"], {"budget": "1.50"})
    assert amount != match_key(["budget"], {"budget": Decimal("1.5")})
