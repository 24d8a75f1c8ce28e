"""Pure matching rules: normalisation and keys."""

from __future__ import annotations

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
