"""Pure rules for contacts: roles, consent levels, normalised forms."""

from __future__ import annotations

from enum import StrEnum


class ContactRole(StrEnum):
    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    EMPLOYEE = "employee"
    OTHER = "other"


class Consent(StrEnum):
    NONE = "none"
    TRANSACTIONAL = "transactional"
    MARKETING = "marketing"
    PROFILING = "profiling"
