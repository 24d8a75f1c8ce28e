"""Normalisation of emails, phones and text: the forms matching compares.

Phones: `parse_phone` is the one normaliser every write path and every matching
strategy uses, so a lead and a contact given the same number store the same value.
A number typed in national format ("020 7946 0542") needs a region to read it in;
`phone_region` picks it: the record's own country, else the submission's, else the
org-wide default. A number with its country code ("+44 20 7946 0542") needs none.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from leadflow.lib.countries import ALIASES, REGION_NAMES


class InvalidEmail(ValueError):
    pass


class InvalidRegion(ValueError):
    """Not an ISO 3166 region code that phonenumbers knows."""


def normalize_email(raw: str) -> str:
    """Trimmed, syntax-checked, case-folded email; raises InvalidEmail."""
    return _normalized_email(raw.strip())


# One submission normalises its address several times (its contact, its lead, their
# matching); the check is pure and costs about 0.1 ms a call.
@functools.lru_cache(maxsize=32768)
def _normalized_email(value: str) -> str:
    fast = _plain_email(value)
    if fast is not None:
        return fast
    try:
        # Syntax only (no DNS); ".test" addresses are accepted for staging set-ups.
        result = validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from exc
    return result.normalized.casefold()


# The everyday address (ASCII letters, digits and ._%+- before the @, a dotted host
# name with a letters-only top-level domain) is checked here: email_validator
# takes about 0.4 ms an address, which an import of a million rows cannot pay.
# Anything else (quoted, Unicode, IDNA, IP literals, special-use domains) takes
# the full check. tests/unit/lib/test_email_fast_path.py pins that both agree.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*", re.ASCII)
_PLAIN_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}", re.ASCII
)
_SPECIAL_USE = frozenset({"arpa", "invalid", "local", "localhost", "onion"})


def _plain_email(value: str) -> str | None:
    """The normalised form of an everyday address, or None to take the full check.

    Neither part may hold an "@", so the address splits at its only one; the host
    name is checked once per distinct host (`_plain_domain`): its pattern
    backtracks over every label, most of a check's time, and an import's rows
    share a few hosts."""
    if len(value) > 254 or "--" in value:
        return None
    local, at, domain = value.partition("@")
    if not at or len(local) > 64 or _PLAIN_LOCAL.fullmatch(local) is None:
        return None
    if not _plain_domain(domain):
        return None
    return value.casefold()


@functools.lru_cache(maxsize=4096)
def _plain_domain(domain: str) -> bool:
    if len(domain) > 253 or _PLAIN_DOMAIN.fullmatch(domain) is None:
        return False
    return domain.rsplit(".", 1)[-1].casefold() not in _SPECIAL_USE


def _name_key(text: str) -> str:
    return " ".join(text.replace(".", ". ").split()).casefold()


_REGION_BY_NAME: dict[str, str] = {
    **{_name_key(name): code for code, name in REGION_NAMES.items()},
    **{_name_key(name): code for name, code in ALIASES.items()},
}


def region_of(country: str | None) -> str | None:
    """The region a country field names, or None: a code ("gb") or an English name.

    Country fields are free text; a value that names no region phonenumbers knows
    ("Narnia", "EU") gives None rather than an error, and the next source is tried.
    """
    if not country:
        return None
    text = country.strip()
    if len(text) == 2 and text.upper() in phonenumbers.SUPPORTED_REGIONS:
        return text.upper()
    return _REGION_BY_NAME.get(_name_key(text))


def checked_region(code: str) -> str:
    """An ISO 3166 alpha-2 code phonenumbers knows, upper-cased; raises InvalidRegion."""
    value = code.strip().upper()
    if len(value) != 2 or value not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidRegion(
            f"{code.strip()!r} is not a region code phonenumbers knows: "
            "give an ISO 3166 alpha-2 code such as GB, US or DE"
        )
    return value


def needs_region(raw: str) -> bool:
    """False for a number written with its country code, which reads the same anywhere."""
    return not raw.strip().startswith("+")


def phone_region(
    record_countries: Iterable[str | None] = (),
    submission_country: str | None = None,
    default_region: str | Callable[[], str | None] | None = None,
) -> str | None:
    """The region to read a national-format number in: the first source that names one.

    Record countries come first (the record's own, then those of the records it belongs
    to), then the submission's country, then the org default. Sources are consumed
    lazily (an iterator, a callable default) so a caller loads only what is needed.
    """
    for country in record_countries:
        region = region_of(country)
        if region is not None:
            return region
    region = region_of(submission_country)
    if region is not None:
        return region
    default = default_region() if callable(default_region) else default_region
    return region_of(default)


def normalize_phone(raw: str, default_region: str | None = None) -> str | None:
    """E.164 form when the number parses and is possible, else None."""
    value = raw.strip()
    if not value:
        return None
    region = region_of(default_region)
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


@dataclass(frozen=True)
class Phone:
    """A phone as typed and as stored and compared."""

    raw: str
    e164: str | None

    @property
    def value(self) -> str:
        """E.164 when the number parses; otherwise the typed text, kept rather than refused."""
        return self.e164 or self.raw


def parse_phone(raw: str | None, region: str | None = None) -> Phone | None:
    """The phone of a typed value read in `region` (None when blank)."""
    text = (raw or "").strip()
    if not text:
        return None
    return Phone(raw=text, e164=normalize_phone(text, region))


def normalize_text(raw: str) -> str:
    return " ".join(raw.split()).casefold()
