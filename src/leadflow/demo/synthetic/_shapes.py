"""What synthetic rows are made of: the tables' columns, timestamps as text, the lead
campaigns and the weighted mixes (statuses, interaction kinds, roles, consents) drawn from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from leadflow.contacts.domain import Consent, ContactRole
from leadflow.demo._pools import COUNTRIES, FIRST_NAMES, JOB_TITLES, LAST_NAMES
from leadflow.interactions.domain import InteractionKind
from leadflow.leads.domain import (
    LeadSource,
    LeadStatus,
    LeadStatusReason,
    Need,
    PurchaseProcess,
    PurchaseTimeframe,
)

Row = tuple[Any, ...]

SPAN = timedelta(days=730)
US_PER_DAY = 86_400_000_000

ACCOUNT_COLUMNS = (
    "id", "name", "website", "domain", "industry", "employee_count", "annual_revenue",
    "country", "city", "custom", "created_at", "updated_at",
)  # fmt: skip
CONTACT_COLUMNS = (
    "id", "email", "email_normalized", "first_name", "last_name", "job_title", "role",
    "phone", "phone_raw", "country", "city", "account_id", "marketing_only", "consent",
    "do_not_email", "source", "custom", "created_at", "updated_at",
)  # fmt: skip
LEAD_COLUMNS = (
    "id", "topic", "first_name", "last_name", "email", "email_normalized", "company_name",
    "job_title", "phone", "phone_raw", "status", "status_reason", "source", "campaign",
    "marketing_page_id", "marketing_form_id", "event_id", "journey_id", "parent_contact_id",
    "parent_account_id", "owner_id", "sales_ready", "telemarketing_ready",
    "telemarketing_accepted", "sales_accepted", "purchase_timeframe", "purchase_process",
    "budget_amount", "need", "description", "custom", "created_at", "updated_at",
)  # fmt: skip
INTERACTION_COLUMNS = (
    "id", "contact_id", "lead_id", "kind", "target_id", "occurred_at", "data", "created_at",
)  # fmt: skip


class TimeText:
    """Offsets in microseconds after `start`, as each database takes a UTCDateTime.

    SQLite compares the stored text, so it must be exactly what SQLAlchemy
    writes ('YYYY-MM-DD HH:MM:SS.ffffff', naive UTC); PostgreSQL parses the
    same text with an explicit '+00'.
    """

    def __init__(self, start: datetime, *, suffix: str) -> None:
        naive = start.replace(tzinfo=None)
        midnight = naive.replace(hour=0, minute=0, second=0, microsecond=0)
        self.base = (naive - midnight) // timedelta(microseconds=1)
        days = SPAN.days + 3
        self.days = [(midnight + timedelta(days=day)).date().isoformat() for day in range(days)]
        self.hms = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)]
        self.suffix = suffix

    def at(self, offset: int) -> str:
        day, rest = divmod(self.base + offset, US_PER_DAY)
        second, micro = divmod(rest, 1_000_000)
        return f"{self.days[day]} {self.hms[second]}.{micro:06d}{self.suffix}"


@dataclass(frozen=True)
class Campaign:
    topic: str
    campaign: str | None
    source: LeadSource
    weight: int
    marketing_page_id: int | None = None
    marketing_form_id: int | None = None
    event_id: int | None = None
    journey_id: int | None = None


CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign("Contoso Ltd Conference", "Contoso Ltd Conference", LeadSource.EVENT, 14, event_id=1),
    Campaign("Spring webinar: scoring leads sales will call", "Spring webinar",
             LeadSource.EVENT, 10, event_id=2),
    Campaign("Whitepaper: the state of B2B lead management", "Whitepaper landing page",
             LeadSource.LANDING_PAGE, 16, marketing_page_id=1, marketing_form_id=1),
    Campaign("Pricing request", "Website", LeadSource.LANDING_PAGE, 10,
             marketing_page_id=2, marketing_form_id=2),
    Campaign("Product demo request", "Website", LeadSource.LANDING_PAGE, 8,
             marketing_page_id=3, marketing_form_id=3),
    Campaign("LinkedIn Lead Gen: product tour", "LinkedIn Lead Gen Forms",
             LeadSource.LINKEDIN, 12),
    Campaign("Trade show list", "Partner list import", LeadSource.IMPORT, 10),
    Campaign("Purchased list: logistics decision makers", "List import", LeadSource.IMPORT, 5),
    Campaign("Onboarding follow-up", "Onboarding journey", LeadSource.JOURNEY, 6, journey_id=1),
    Campaign("Inbound call", None, LeadSource.MANUAL, 5),
    Campaign("Referral", None, LeadSource.MANUAL, 4),
)  # fmt: skip

_STATUSES: tuple[tuple[LeadStatus, LeadStatusReason, int], ...] = (
    (LeadStatus.OPEN, LeadStatusReason.NEW, 40),
    (LeadStatus.OPEN, LeadStatusReason.CONTACTED, 25),
    (LeadStatus.QUALIFIED, LeadStatusReason.QUALIFIED, 10),
    (LeadStatus.DISQUALIFIED, LeadStatusReason.LOST, 8),
    (LeadStatus.DISQUALIFIED, LeadStatusReason.CANNOT_CONTACT, 7),
    (LeadStatus.DISQUALIFIED, LeadStatusReason.NO_LONGER_INTERESTED, 7),
    (LeadStatus.DISQUALIFIED, LeadStatusReason.CANCELED, 3),
)

# (kind, share of all interactions, chance it names one of the contact's leads)
_KINDS: tuple[tuple[InteractionKind, float, float], ...] = (
    (InteractionKind.EMAIL_SENT, 0.30, 0.1),
    (InteractionKind.EMAIL_DELIVERED, 0.29, 0.1),
    (InteractionKind.EMAIL_OPENED, 0.13, 0.2),
    (InteractionKind.EMAIL_CLICKED, 0.04, 0.3),
    (InteractionKind.PAGE_VISITED, 0.09, 0.4),
    (InteractionKind.WEBSITE_VISITED, 0.10, 0.2),
    (InteractionKind.FORM_SUBMITTED, 0.02, 0.9),
    (InteractionKind.EVENT_REGISTERED, 0.02, 0.9),
    (InteractionKind.EVENT_ATTENDED, 0.01, 0.9),
)

_PAGES = ("/whitepaper", "/pricing", "/demo", "/blog/lead-scoring", "/events/contoso-conference")
_WEB = ("/", "/product", "/pricing", "/customers", "/blog", "/about", "/careers")


def _targets(kind: InteractionKind) -> tuple[tuple[str, str], ...]:
    """(target_id, data JSON) pairs one kind of interaction points at."""
    if kind.value.startswith("email_"):
        return tuple((f"email-{n}", "{}") for n in range(1, 121))
    if kind in (InteractionKind.PAGE_VISITED, InteractionKind.FORM_SUBMITTED):
        return tuple(
            (f"page-{n}", f'{{"url": "https://www.leadflow.example{path}"}}')
            for n, path in enumerate(_PAGES, start=1)
        )
    if kind is InteractionKind.WEBSITE_VISITED:
        return tuple((path, f'{{"url": "https://www.leadflow.example{path}"}}') for path in _WEB)
    return tuple((f"event-{n}", "{}") for n in (1, 2, 3, 4))


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = 0.0
    result = []
    for weight in weights:
        total += weight
        result.append(total)
    return result


_COUNTRY_CUM = _cumulative([country.weight for country in COUNTRIES])
_CAMPAIGN_CUM = _cumulative([campaign.weight for campaign in CAMPAIGNS])
_STATUS_CUM = _cumulative([weight for _, _, weight in _STATUSES])
_KIND_CUM = _cumulative([share for _, share, _ in _KINDS])
_ROLES: tuple[str | None, ...] = (*(role.value for role in ContactRole), None)
_ROLE_CUM = _cumulative([15, 25, 45, 10, 5])
_CONSENTS = tuple(consent.value for consent in Consent)
_CONSENT_CUM = _cumulative([20, 15, 45, 20])
_CONTACT_SOURCES = ("landing_page", "import", "event", "linkedin", "manual")
_CONTACT_SOURCE_CUM = _cumulative([30, 25, 20, 15, 10])
_TIMEFRAMES = tuple(item.value for item in PurchaseTimeframe)
_PROCESSES = tuple(item.value for item in PurchaseProcess)
_NEEDS = tuple(item.value for item in Need)
_LEAD_TITLES = tuple(title for titles in JOB_TITLES.values() for title in titles)
_FIRST_MAIL = tuple("".join(char for char in name if char.isalnum()) for name in FIRST_NAMES)
_LAST_MAIL = tuple("".join(char for char in name if char.isalnum()) for name in LAST_NAMES)


_KIND_TABLE: tuple[tuple[str, float, tuple[tuple[str, str], ...]], ...] = tuple(
    (kind.value, lead_chance, _targets(kind)) for kind, _, lead_chance in _KINDS
)
