"""What the demo is made of: its accounts, lead campaigns and email sends; the plan it fills
and the planned people and leads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadflow.demo._pools import Country
from leadflow.leads.domain import LeadSource

DEMO_SEED = 7

# Positions in DEMO_LOGINS of the users who work leads.
TELEMARKETER, SALESPERSON, MANAGER = 2, 3, 4

CONFERENCE_TOPIC = "Contoso Ltd Conference"
WEBSITE = "https://www.leadflow.example"

Times = tuple[datetime, datetime]


@dataclass(frozen=True)
class DemoAccount:
    name: str
    domain: str
    industry: str
    employees: int
    revenue_millions: float
    country: str
    city: str
    contacts: int


ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("Fabrikam, Inc.", "fabrikam.example", "Manufacturing",
                4200, 910, "US", "Seattle", 12),
    DemoAccount("Adventure Works Cycles", "adventure-works.example", "Retail",
                860, 145, "US", "Denver", 8),
    DemoAccount("Northwind Traders", "northwindtraders.example", "Food and beverage",
                320, 58, "GB", "London", 7),
    DemoAccount("Tailspin Toys", "tailspintoys.example", "Retail",
                140, 21, "CA", "Toronto", 5),
    DemoAccount("Wide World Importers", "wideworldimporters.example", "Logistics",
                1250, 390, "NL", "Rotterdam", 6),
    DemoAccount("Woodgrove Bank", "woodgrovebank.example", "Financial services",
                9800, 4200, "GB", "Edinburgh", 10),
    DemoAccount("Litware, Inc.", "litware.example", "Software",
                450, 72, "US", "Austin", 7),
    DemoAccount("Proseware Oy", "proseware.example", "Software",
                75, 9.5, "FI", "Helsinki", 5),
    DemoAccount("Alpine Ski House", "alpineskihouse.example", "Hospitality",
                60, 7.8, "FR", "Lyon", 4),
    DemoAccount("Coho Winery", "cohowinery.example", "Food and beverage",
                35, 4.1, "ES", "Vigo", 3),
    DemoAccount("Fourth Coffee", "fourthcoffee.example", "Food and beverage",
                210, 26, "US", "Seattle", 6),
    DemoAccount("Lucerne Publishing", "lucernepublishing.example", "Media",
                180, 31, "DE", "Hamburg", 5),
    DemoAccount("Margie's Travel", "margiestravel.example", "Hospitality",
                95, 12, "GR", "Athens", 5),
    DemoAccount("Trey Research", "treyresearch.example", "Professional services",
                260, 44, "US", "Boston", 7),
    DemoAccount("VanArsdel GmbH", "vanarsdel.example", "Manufacturing",
                1600, 520, "DE", "Munich", 9),
    DemoAccount("Wingtip Toys", "wingtiptoys.example", "Retail",
                120, 15, "AU", "Melbourne", 5),
    DemoAccount("Blue Yonder Airlines", "blueyonderairlines.example", "Travel",
                2900, 1350, "SE", "Stockholm", 6),
    DemoAccount("City Power & Light", "citypowerandlight.example", "Energy",
                5400, 2700, "US", "Chicago", 9),
    DemoAccount("Humongous Insurance", "humongousinsurance.example", "Financial services",
                7200, 3100, "US", "New York", 10),
    DemoAccount("Southridge Video", "southridgevideo.example", "Media",
                55, 6.2, "SE", "Malmö", 4),
    DemoAccount("Consolidated Messenger", "consolidatedmessenger.example", "Logistics",
                2300, 410, "VN", "Ho Chi Minh City", 8),
    DemoAccount("A. Datum Corporation", "adatum.example", "Professional services",
                640, 98, "IN", "Bengaluru", 6),
    DemoAccount("Relecloud", "relecloud.example", "Telecommunications",
                3100, 870, "JP", "Tokyo", 8),
    DemoAccount("Lamna Healthcare", "lamnahealthcare.example", "Healthcare",
                1900, 300, "FI", "Tampere", 6),
    DemoAccount("Graphic Design Institute", "graphicdesigninstitute.example", "Education",
                240, 18, "ES", "Santiago de Compostela", 4),
)  # fmt: skip

INDIVIDUALS = 20  # contacts without an account (free-mail addresses)
WORKFLOW_CONTACTS = 15  # marketing-only contacts the orphan-lead workflow created
MARKETING_ONLY_AT_ACCOUNTS = 5


@dataclass(frozen=True)
class LeadCampaign:
    topic: str
    campaign: str | None
    source: LeadSource
    # Leads arrive between `first_day` and `last_day` days ago.
    first_day: float
    last_day: float
    # Chances of qualified, disqualified and contacted; the rest stay new.
    qualified: float
    disqualified: float
    contacted: float
    event_id: int | None = None
    marketing_page_id: int | None = None
    marketing_form_id: int | None = None


CONFERENCE = LeadCampaign(
    CONFERENCE_TOPIC, "Contoso Ltd Conference", LeadSource.EVENT, 65, 21, 0.12, 0.10, 0.30,
    event_id=1,
)  # fmt: skip
WEBINAR = LeadCampaign(
    "Spring webinar: scoring leads sales will call", "Spring webinar", LeadSource.EVENT,
    80, 49, 0.10, 0.15, 0.35, event_id=2,
)  # fmt: skip
WHITEPAPER = LeadCampaign(
    "Whitepaper: the state of B2B lead management", "Whitepaper landing page",
    LeadSource.LANDING_PAGE, 42, 0.5, 0.04, 0.06, 0.20, marketing_page_id=1, marketing_form_id=1,
)  # fmt: skip
LINKEDIN = LeadCampaign(
    "LinkedIn Lead Gen: product tour", "LinkedIn Lead Gen Forms", LeadSource.LINKEDIN,
    60, 2, 0.06, 0.10, 0.25,
)  # fmt: skip
IMPORT = LeadCampaign(
    "Nordic Trade Fair visitors", "Trade show list import", LeadSource.IMPORT,
    30, 30, 0.02, 0.20, 0.25,
)  # fmt: skip
PHONE = LeadCampaign("Inbound call", None, LeadSource.MANUAL, 90, 1, 0.20, 0.10, 0.40)

CONFERENCE_DAY = 20  # days ago
WEBINAR_DAY = 48

# (target, days ago, page a click lands on, only the conference's registrants)
EMAIL_SENDS: tuple[tuple[str, float, str, bool], ...] = (
    ("email-newsletter-1", 84, "/blog/lead-scoring", False),
    ("email-webinar-invite", 76, "/webinars/spring", False),
    ("email-conference-invite", 66, "/events/contoso-conference", False),
    ("email-newsletter-2", 56, "/blog/marketing-only-contacts", False),
    ("email-whitepaper-launch", 41, "/whitepaper", False),
    ("email-conference-last-call", 30, "/events/contoso-conference", False),
    ("email-newsletter-3", 25, "/blog/segments", False),
    ("email-conference-thanks", 18, "/events/contoso-conference/slides", True),
    ("email-product-update", 8, "/product", False),
)
WEBSITE_VISITS = 160
WEBSITE_PAGES = ("/", "/product", "/pricing", "/customers", "/blog", "/about")

PRODUCTS = ("Leadflow Enterprise", "Scoring add-on", "Journeys add-on", "Leadflow Team")

DESCRIPTIONS = (
    "Asked for a demo at the booth.",
    "Evaluating a replacement for their spreadsheets.",
    "Budget approved for next quarter.",
    "Wants to talk about the scoring models.",
    "Came through a partner referral.",
)


@dataclass
class DemoPlan:
    """Service inputs in creation order, plus when each record appeared."""

    accounts: list[dict[str, Any]] = field(default_factory=list)
    account_times: list[Times] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    contact_times: list[Times] = field(default_factory=list)
    leads: list[dict[str, Any]] = field(default_factory=list)
    lead_times: list[Times] = field(default_factory=list)
    opportunities: list[dict[str, Any]] = field(default_factory=list)
    opportunity_times: list[Times] = field(default_factory=list)
    interactions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Person:
    first: str
    last: str
    email: str
    role: str | None
    title: str | None
    country: Country
    phone_digits: str | None
    phone_plan: int
    account: int | None
    marketing_only: bool
    consent: str
    do_not_email: bool
    city: str
    source: str
    created: datetime | None = None  # set once the first lead is known, or at random


@dataclass(frozen=True)
class _LeadMeta:
    """What the interactions need of a planned lead."""

    person: int | None  # index in the planner's people
    account: int | None  # index in ACCOUNTS
    campaign: LeadCampaign
    created: datetime
