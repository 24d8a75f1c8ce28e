"""Pure rules for leads: states, reasons, sources and which reason fits which state."""

from __future__ import annotations

from enum import StrEnum


class LeadStatus(StrEnum):
    OPEN = "open"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"


class LeadStatusReason(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    LOST = "lost"
    CANNOT_CONTACT = "cannot_contact"
    NO_LONGER_INTERESTED = "no_longer_interested"
    CANCELED = "canceled"


class LeadSource(StrEnum):
    MANUAL = "manual"
    IMPORT = "import"
    LANDING_PAGE = "landing_page"
    EVENT = "event"
    LINKEDIN = "linkedin"
    JOURNEY = "journey"


class PurchaseTimeframe(StrEnum):
    IMMEDIATE = "immediate"
    THIS_QUARTER = "this_quarter"
    NEXT_QUARTER = "next_quarter"
    THIS_YEAR = "this_year"
    UNKNOWN = "unknown"


class PurchaseProcess(StrEnum):
    INDIVIDUAL = "individual"
    COMMITTEE = "committee"
    UNKNOWN = "unknown"


class Need(StrEnum):
    MUST_HAVE = "must_have"
    SHOULD_HAVE = "should_have"
    GOOD_TO_HAVE = "good_to_have"
    NO_NEED = "no_need"


REASONS_BY_STATUS: dict[LeadStatus, frozenset[LeadStatusReason]] = {
    LeadStatus.OPEN: frozenset({LeadStatusReason.NEW, LeadStatusReason.CONTACTED}),
    LeadStatus.QUALIFIED: frozenset({LeadStatusReason.QUALIFIED}),
    LeadStatus.DISQUALIFIED: frozenset(
        {
            LeadStatusReason.LOST,
            LeadStatusReason.CANNOT_CONTACT,
            LeadStatusReason.NO_LONGER_INTERESTED,
            LeadStatusReason.CANCELED,
        }
    ),
}

DEFAULT_REASON: dict[LeadStatus, LeadStatusReason] = {
    LeadStatus.OPEN: LeadStatusReason.NEW,
    LeadStatus.QUALIFIED: LeadStatusReason.QUALIFIED,
    LeadStatus.DISQUALIFIED: LeadStatusReason.LOST,
}


def reason_fits(status: LeadStatus, reason: LeadStatusReason) -> bool:
    return reason in REASONS_BY_STATUS[status]
