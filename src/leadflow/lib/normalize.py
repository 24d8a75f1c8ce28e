"""Normalisation of emails, phones and text: the forms matching compares."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    pass


def normalize_email(raw: str) -> str:
    """Trimmed, syntax-checked, case-folded email; raises InvalidEmail."""
    value = raw.strip()
    try:
        # Syntax only (no DNS); ".test" addresses are accepted for staging set-ups.
        result = validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from exc
    return result.normalized.casefold()


def normalize_phone(raw: str, default_region: str | None = None) -> str | None:
    """E.164 form when the number parses and is possible, else None."""
    value = raw.strip()
    if not value:
        return None
    region = default_region.upper() if default_region and len(default_region) == 2 else None
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def normalize_text(raw: str) -> str:
    return " ".join(raw.split()).casefold()
