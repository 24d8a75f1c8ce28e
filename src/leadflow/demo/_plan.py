"""The demo's content, planned as plain values: seeded, relative to `now`, no I/O.

References between records are list indexes (an account's position in
`DemoPlan.accounts`, a user's position in `DEMO_LOGINS`); the loader turns
them into ids as it creates the rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from leadflow.contacts.domain import Consent, ContactRole
from leadflow.demo._pools import (
    COUNTRIES,
    COUNTRY_BY_CODE,
    FIRST_NAME_WEIGHTS,
    FIRST_NAMES,
    FREE_MAIL_DOMAINS,
    JOB_TITLES,
    LAST_NAME_WEIGHTS,
    LAST_NAMES,
    Country,
    email_part,
)
from leadflow.interactions.domain import InteractionKind
from leadflow.leads.domain import (
    LeadSource,
    LeadStatus,
    LeadStatusReason,
    Need,
    PurchaseProcess,
    PurchaseTimeframe,
)
from leadflow.opportunities.domain import OpportunityStatus

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


class _Planner:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.rng = random.Random(DEMO_SEED)
        self.plan = DemoPlan()
        self.people: list[_Person] = []
        self.emails: set[str] = set()
        # Per lead: (person index or None, account index or None, campaign, created)
        self.lead_meta: list[tuple[int | None, int | None, LeadCampaign, datetime]] = []

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def between(self, first_day: float, last_day: float) -> datetime:
        return self.ago(self.rng.uniform(min(first_day, last_day), max(first_day, last_day)))

    # People ---------------------------------------------------------------

    def person(
        self, account: int | None, role: str | None, *, marketing_only: bool, source: str
    ) -> _Person:
        rng = self.rng
        first = rng.choices(FIRST_NAMES, cum_weights=FIRST_NAME_WEIGHTS)[0]
        last = rng.choices(LAST_NAMES, cum_weights=LAST_NAME_WEIGHTS)[0]
        if account is not None:
            domain = ACCOUNTS[account].domain
            country = COUNTRY_BY_CODE[ACCOUNTS[account].country]
            city = ACCOUNTS[account].city
        else:
            domain = rng.choice(FREE_MAIL_DOMAINS)
            country = rng.choices(COUNTRIES, [c.weight for c in COUNTRIES])[0]
            city = rng.choice(country.cities)
        local = f"{email_part(first)}.{email_part(last)}"
        email = f"{local}@{domain}"
        number = 2
        while email in self.emails:
            email = f"{local}{number}@{domain}"
            number += 1
        self.emails.add(email)
        if rng.random() < 0.25:
            # People type capitals; the services keep what was typed and fold the copy.
            email = email.replace(local, local.title(), 1)
        plan_index = rng.randrange(len(country.phones))
        plan = country.phones[plan_index]
        digits = (
            f"{rng.randrange(10**plan.digits):0{plan.digits}d}" if rng.random() < 0.85 else None
        )
        consent = rng.choices(
            [Consent.NONE, Consent.TRANSACTIONAL, Consent.MARKETING, Consent.PROFILING],
            [15, 15, 45, 25],
        )[0]
        titles = JOB_TITLES[role]
        return _Person(
            first=first,
            last=last,
            email=email,
            role=role,
            title=rng.choice(titles) if rng.random() < 0.9 else None,
            country=country,
            phone_digits=digits,
            phone_plan=plan_index,
            account=account,
            marketing_only=marketing_only,
            consent=consent.value,
            do_not_email=rng.random() < 0.04,
            city=city,
            source=source,
        )

    def people_plan(self) -> None:
        rng = self.rng
        sources = ["import", "landing_page", "event", "linkedin", "manual"]
        for account_index, account in enumerate(ACCOUNTS):
            for position in range(account.contacts):
                if position == 0:
                    role: str | None = ContactRole.DECISION_MAKER.value
                elif position == 1:
                    role = ContactRole.INFLUENCER.value
                else:
                    role = rng.choices(
                        [*(r.value for r in ContactRole), None], [10, 20, 50, 10, 10]
                    )[0]
                self.people.append(
                    self.person(
                        account_index, role, marketing_only=False, source=rng.choice(sources)
                    )
                )
        for person in rng.sample(self.people, MARKETING_ONLY_AT_ACCOUNTS):
            person.marketing_only = True
            person.source = "lead workflow"
        for person in self.people:
            if not person.marketing_only:
                # Known accounts' people were in the database before this quarter.
                person.created = self.between(600, 95)
        for _ in range(INDIVIDUALS):
            role = rng.choice([ContactRole.OTHER.value, ContactRole.EMPLOYEE.value, None])
            self.people.append(
                self.person(None, role, marketing_only=False, source=rng.choice(sources))
            )
        for _ in range(WORKFLOW_CONTACTS):
            self.people.append(self.person(None, None, marketing_only=True, source="lead workflow"))

    # Leads ------------------------------------------------------------------

    def lead(
        self,
        campaign: LeadCampaign,
        *,
        person: int | None = None,
        account: int | None = None,
        orphan: _Person | None = None,
        at: datetime | None = None,
    ) -> None:
        rng = self.rng
        created = at or self.between(campaign.first_day, campaign.last_day)
        values: dict[str, Any] = {
            "topic": campaign.topic,
            "source": campaign.source.value,
        }
        for name in ("campaign", "event_id", "marketing_page_id", "marketing_form_id"):
            if getattr(campaign, name) is not None:
                values[name] = getattr(campaign, name)
        who = self.people[person] if person is not None else orphan
        if who is not None:
            values.update(first_name=who.first, last_name=who.last, email=who.email)
            if who.title:
                values["job_title"] = who.title
            if who.phone_digits is not None:
                # Leads have no country: the form asks for the international form.
                plan = who.country.phones[who.phone_plan]
                values["phone"] = plan.international.format(*who.phone_digits)
            if person is not None:
                values["parent_contact_id"] = person
                account = who.account
                if who.created is None or who.created > created:
                    who.created = created - timedelta(minutes=rng.uniform(1, 5))
        if account is not None:
            values["parent_account_id"] = account
            values["company_name"] = ACCOUNTS[account].name
        elif orphan is not None and rng.random() < 0.5:
            values["company_name"] = (
                f"{orphan.last} {rng.choice(['Consulting', 'Design', 'Studio'])}"
            )
        roll = rng.random()
        updated = created
        if roll < campaign.qualified:
            status, reason = LeadStatus.QUALIFIED, LeadStatusReason.QUALIFIED
            values.update(sales_ready=True, sales_accepted=True, owner_id=SALESPERSON)
        elif roll < campaign.qualified + campaign.disqualified:
            status = LeadStatus.DISQUALIFIED
            reason = rng.choice(
                [
                    LeadStatusReason.LOST,
                    LeadStatusReason.CANNOT_CONTACT,
                    LeadStatusReason.NO_LONGER_INTERESTED,
                    LeadStatusReason.CANCELED,
                ]
            )
        elif roll < campaign.qualified + campaign.disqualified + campaign.contacted:
            status, reason = LeadStatus.OPEN, LeadStatusReason.CONTACTED
            flags = rng.random()
            if flags < 0.25:
                values.update(sales_ready=True, owner_id=MANAGER)
            elif flags < 0.6:
                accepted = rng.random() < 0.5
                values.update(telemarketing_ready=True, telemarketing_accepted=accepted)
                values["owner_id"] = TELEMARKETER
        else:
            status, reason = LeadStatus.OPEN, LeadStatusReason.NEW
        values.update(status=status.value, status_reason=reason.value)
        if reason is not LeadStatusReason.NEW:
            updated = min(self.now, created + timedelta(days=rng.uniform(1, 15)))
            if rng.random() < 0.7:
                values["purchase_timeframe"] = rng.choice(list(PurchaseTimeframe)).value
                values["purchase_process"] = rng.choice(list(PurchaseProcess)).value
                values["need"] = rng.choice(list(Need)).value
                values["budget_amount"] = str(rng.randrange(5, 250) * 1000)
            if rng.random() < 0.3:
                values["description"] = rng.choice(DESCRIPTIONS)
        self.plan.leads.append(values)
        self.plan.lead_times.append((created, updated))
        self.lead_meta.append((person, account, campaign, created))

    def leads_plan(self) -> None:
        rng = self.rng
        workflow = [
            index for index, person in enumerate(self.people) if person.source == "lead workflow"
        ]
        excluded = set(workflow)
        regular = [index for index in range(len(self.people)) if index not in excluded]
        at_accounts = [index for index in regular if self.people[index].account is not None]
        reachable = [
            index
            for index in regular
            if self.people[index].consent in (Consent.MARKETING, Consent.PROFILING)
        ]
        for index in rng.sample(reachable, min(70, len(reachable))):
            self.lead(CONFERENCE, person=index)
        for index in rng.sample(reachable, min(45, len(reachable))):
            self.lead(WEBINAR, person=index)
        for index in rng.sample(regular, 50):
            self.lead(WHITEPAPER, person=index)
        for index in rng.sample(regular, 30):
            self.lead(LINKEDIN, person=index)
        # One import, one afternoon: matched people, companies only, and strangers.
        imported = self.ago(IMPORT.first_day)
        for step, index in enumerate(workflow + rng.sample(at_accounts, 10)):
            self.lead(IMPORT, person=index, at=imported + timedelta(seconds=step))
        for step, account in enumerate(rng.sample(range(len(ACCOUNTS)), 9)):
            self.lead(IMPORT, account=account, at=imported + timedelta(seconds=30 + step))
        for step in range(6):
            stranger = self.person(None, None, marketing_only=False, source="import")
            self.lead(IMPORT, orphan=stranger, at=imported + timedelta(seconds=40 + step))
        for index in rng.sample(regular, 6):
            self.lead(PHONE, person=index)
        for account in rng.sample(range(len(ACCOUNTS)), 5):
            self.lead(PHONE, account=account)
        for _ in range(4):
            self.lead(PHONE, orphan=self.person(None, None, marketing_only=False, source="manual"))

    # Opportunities ----------------------------------------------------------

    def opportunities_plan(self) -> None:
        rng = self.rng
        qualified = [
            index
            for index, values in enumerate(self.plan.leads)
            if values["status"] == LeadStatus.QUALIFIED and "parent_account_id" in values
        ]
        statuses = [OpportunityStatus.OPEN] * 5 + [OpportunityStatus.WON] * 2
        statuses.append(OpportunityStatus.LOST)
        for lead_index, status in zip(qualified, statuses, strict=False):
            lead = self.plan.leads[lead_index]
            account = lead["parent_account_id"]
            values: dict[str, Any] = {
                "name": f"{ACCOUNTS[account].name}: {rng.choice(PRODUCTS)}",
                "account_id": account,
                "originating_lead_id": lead_index,
                "estimated_value": str(rng.randrange(10, 400) * 500),
                "status": status.value,
            }
            if "parent_contact_id" in lead:
                values["contact_id"] = lead["parent_contact_id"]
            _, lead_updated = self.plan.lead_times[lead_index]
            created = min(self.now - timedelta(hours=1), lead_updated + timedelta(days=2))
            updated = created if status is OpportunityStatus.OPEN else self.now - timedelta(days=1)
            self.plan.opportunities.append(values)
            self.plan.opportunity_times.append((created, max(created, updated)))

    # Interactions -----------------------------------------------------------

    def interaction(
        self,
        person: int,
        kind: InteractionKind,
        target: str,
        at: datetime,
        *,
        lead: int | None = None,
        url: str | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "contact_id": person,
            "kind": kind.value,
            "target_id": target,
            "occurred_at": min(at, self.now - timedelta(minutes=1)),
        }
        if lead is not None:
            values["lead_id"] = lead
        if url is not None:
            values["data"] = {"url": WEBSITE + url}
        self.plan.interactions.append(values)

    def interactions_plan(self) -> None:
        rng = self.rng
        for lead_index, (person, _, campaign, created) in enumerate(self.lead_meta):
            if person is None:
                continue
            if campaign is WHITEPAPER:
                visit = created - timedelta(minutes=rng.uniform(0.2, 0.9))
                self.interaction(
                    person, InteractionKind.PAGE_VISITED, "1", visit, lead=lead_index,
                    url="/whitepaper",
                )  # fmt: skip
                self.interaction(
                    person, InteractionKind.FORM_SUBMITTED, "1", created, lead=lead_index
                )
            elif campaign is LINKEDIN:
                self.interaction(
                    person, InteractionKind.FORM_SUBMITTED, "linkedin-form-1", created,
                    lead=lead_index,
                )  # fmt: skip
            elif campaign in (CONFERENCE, WEBINAR):
                event = str(campaign.event_id)
                self.interaction(
                    person, InteractionKind.EVENT_REGISTERED, event, created, lead=lead_index
                )
                day, turnout = (
                    (CONFERENCE_DAY, 0.7) if campaign is CONFERENCE else (WEBINAR_DAY, 0.55)
                )
                if rng.random() < turnout:
                    start = self.ago(day) + timedelta(hours=rng.uniform(0, 2))
                    self.interaction(
                        person, InteractionKind.EVENT_ATTENDED, event, start, lead=lead_index
                    )
        conference_leads = {
            person: lead_index
            for lead_index, (person, _, campaign, _) in enumerate(self.lead_meta)
            if campaign is CONFERENCE and person is not None
        }
        for target, days, page, registrants_only in EMAIL_SENDS:
            sent_at = self.ago(days)
            for index, reader in enumerate(self.people):
                if reader.do_not_email or reader.consent not in ("marketing", "profiling"):
                    continue
                if reader.created is not None and reader.created > sent_at:
                    continue
                lead = conference_leads.get(index)
                if registrants_only and lead is None:
                    continue
                self.email(index, reader, target, sent_at, page, lead)
        for _ in range(WEBSITE_VISITS):
            index = rng.randrange(len(self.people))
            created = self.people[index].created or self.ago(90)
            at = self.between(90, 0.01)
            if at < created:
                continue
            page = rng.choice(WEBSITE_PAGES)
            self.interaction(index, InteractionKind.WEBSITE_VISITED, page, at, url=page)
        self.plan.interactions.sort(key=lambda values: values["occurred_at"])

    def email(
        self,
        index: int,
        person: _Person,
        target: str,
        sent_at: datetime,
        page: str,
        lead: int | None,
    ) -> None:
        rng = self.rng
        at = sent_at + timedelta(minutes=rng.uniform(0, 30))
        self.interaction(index, InteractionKind.EMAIL_SENT, target, at, lead=lead)
        if rng.random() > 0.97:
            return
        at += timedelta(minutes=rng.uniform(0.1, 4))
        self.interaction(index, InteractionKind.EMAIL_DELIVERED, target, at, lead=lead)
        opens = 0.45 if person.consent == "profiling" else 0.33
        if rng.random() > opens:
            return
        at += timedelta(hours=rng.expovariate(1 / 10))
        if at >= self.now:
            return
        self.interaction(index, InteractionKind.EMAIL_OPENED, target, at, lead=lead)
        if rng.random() > 0.22:
            return
        at += timedelta(seconds=rng.uniform(5, 300))
        self.interaction(index, InteractionKind.EMAIL_CLICKED, target, at, lead=lead, url=page)
        if rng.random() < 0.85:
            at += timedelta(seconds=rng.uniform(1, 20))
            self.interaction(index, InteractionKind.PAGE_VISITED, page, at, lead=lead, url=page)

    # Records ---------------------------------------------------------------

    def finish(self) -> DemoPlan:
        rng = self.rng
        plan = self.plan
        for person in self.people:
            if person.created is None:
                # Never responded to a campaign: imported or typed in long ago.
                person.created = self.between(600, 95)
        account_created: dict[int, datetime] = {}
        for person in self.people:
            assert person.created is not None
            if person.account is not None:
                first = account_created.get(person.account, person.created)
                account_created[person.account] = min(first, person.created)
            values: dict[str, Any] = {
                "email": person.email,
                "first_name": person.first,
                "last_name": person.last,
                "country": person.country.code,
                "city": person.city,
                "consent": person.consent,
                "marketing_only": person.marketing_only,
                "do_not_email": person.do_not_email,
                "source": person.source,
            }
            if person.role is not None:
                values["role"] = person.role
            if person.title is not None:
                values["job_title"] = person.title
            if person.phone_digits is not None:
                plan_ = person.country.phones[person.phone_plan]
                values["phone"] = plan_.national.format(*person.phone_digits)
            if person.account is not None:
                values["account_id"] = person.account
            plan.contacts.append(values)
            touched = person.created + timedelta(days=rng.uniform(0, 60))
            plan.contact_times.append((person.created, min(touched, self.now)))
        for index, account in enumerate(ACCOUNTS):
            first_contact = account_created.get(index, self.ago(400))
            created = first_contact - timedelta(days=rng.uniform(1, 90))
            plan.accounts.append(
                {
                    "name": account.name,
                    "website": f"https://www.{account.domain}",
                    "industry": account.industry,
                    "employee_count": account.employees,
                    "annual_revenue": str(round(account.revenue_millions * 1_000_000)),
                    "country": account.country,
                    "city": account.city,
                }
            )
            plan.account_times.append((created, created))
        return plan


def plan_demo(now: datetime) -> DemoPlan:
    """The demo's records for a database loaded at `now`; same `now`, same plan."""
    planner = _Planner(now)
    planner.people_plan()
    planner.leads_plan()
    planner.opportunities_plan()
    planner.interactions_plan()
    return planner.finish()
