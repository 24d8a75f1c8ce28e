"""Synthetic rows as plain tuples, chunk by chunk: pure and deterministic, no I/O.

Each table has its own `random.Random` seeded from the run's seed and the table
name, and the rows of a run depend only on (seed, counts, first ids, now,
owners). Rows come out in creation order: ids and `created_at` grow together,
as they do in a live system; so a lead's contact and a contact's account were
created before it, and interactions happen after the contact (and lead) exist.

Interactions are generated grouped by contact (in contact id order) so the
(contact_id, kind, occurred_at) index is filled almost sequentially; that is
what keeps ten million inserts fast.

Values are what the services would store: `email_normalized` is the trimmed,
case-folded address, phones are E.164 next to the raw form that was typed,
status and status reason fit each other, enum columns hold enum values.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from leadflow.contacts.domain import Consent, ContactRole
from leadflow.demo._pools import (
    COMPANY_TRADES,
    COMPANY_WORDS,
    COUNTRIES,
    FIRST_NAME_WEIGHTS,
    FIRST_NAMES,
    FREE_MAIL_DOMAINS,
    INDUSTRIES,
    JOB_TITLES,
    LAST_NAME_WEIGHTS,
    LAST_NAMES,
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


@dataclass
class Population:
    """What later tables need to know about the rows written before them, per index."""

    first_account_id: int = 1
    account_names: list[str] = field(default_factory=list)
    account_domains: list[str] = field(default_factory=list)
    account_countries: array[int] = field(default_factory=lambda: array("B"))
    first_contact_id: int = 1
    contact_first: array[int] = field(default_factory=lambda: array("H"))
    contact_last: array[int] = field(default_factory=lambda: array("H"))
    contact_account: array[int] = field(default_factory=lambda: array("l"))  # -1: none
    contact_email: list[str] = field(default_factory=list)
    first_lead_id: int = 1
    first_interaction_id: int = 1
    contact_lead: array[int] = field(default_factory=lambda: array("l"))  # lead index, -1: none


class Synth:
    """Makes the rows of one run; call the table methods in order with growing ranges."""

    def __init__(
        self,
        *,
        seed: int,
        now: datetime,
        suffix: str,
        counts: dict[str, int],
        population: Population,
        owners: Sequence[int] = (),
    ) -> None:
        self.seed = seed
        self.start = now - SPAN
        self.span = SPAN // timedelta(microseconds=1)
        self.time = TimeText(self.start, suffix=suffix)
        self.counts = counts
        self.pop = population
        self.owners = tuple(owners)
        self._rngs: dict[str, random.Random] = {}

    def rng(self, table: str) -> random.Random:
        if table not in self._rngs:
            self._rngs[table] = random.Random(f"leadflow:{self.seed}:{table}")
        return self._rngs[table]

    def _created(self, rng: random.Random, index: int, total: int) -> tuple[int, int]:
        """(created, updated) offsets: spread evenly over the span, in index order."""
        slot = self.span / total
        created = int((index + rng.random()) * slot)
        if rng.random() < 0.5:
            return created, created
        return created, created + int((self.span - created) * rng.random() ** 3)

    def accounts(self, lo: int, hi: int) -> list[Row]:
        rng = self.rng("accounts")
        total = self.counts["accounts"]
        at = self.time.at
        pop = self.pop
        rows: list[Row] = []
        for index in range(lo, hi):
            row_id = pop.first_account_id + index
            country_index = rng.choices(range(len(COUNTRIES)), cum_weights=_COUNTRY_CUM)[0]
            country = COUNTRIES[country_index]
            word = COMPANY_WORDS[int(rng.random() * len(COMPANY_WORDS))]
            trade = COMPANY_TRADES[int(rng.random() * len(COMPANY_TRADES))]
            suffix = country.company_suffixes[int(rng.random() * len(country.company_suffixes))]
            name = f"{word} {trade} {suffix}"
            domain = f"{email_part(word)}-{email_part(trade)}-{row_id}.example"
            employees = int(10 ** (0.7 + rng.random() * 4))
            revenue = employees * int(60 + rng.random() * 300) * 1000
            created, updated = self._created(rng, index, total)
            pop.account_names.append(name)
            pop.account_domains.append(domain)
            pop.account_countries.append(country_index)
            rows.append(
                (
                    row_id,
                    name,
                    f"https://www.{domain}",
                    domain,
                    INDUSTRIES[int(rng.random() * len(INDUSTRIES))],
                    employees,
                    revenue,
                    country.code,
                    country.cities[int(rng.random() * len(country.cities))],
                    "{}",
                    at(created),
                    at(updated),
                )
            )
        return rows

    def contacts(self, lo: int, hi: int) -> list[Row]:
        rng = self.rng("contacts")
        random_ = rng.random
        total = self.counts["contacts"]
        accounts = len(self.pop.account_names)
        at = self.time.at
        pop = self.pop
        n = hi - lo
        firsts = rng.choices(range(len(FIRST_NAMES)), cum_weights=FIRST_NAME_WEIGHTS, k=n)
        lasts = rng.choices(range(len(LAST_NAMES)), cum_weights=LAST_NAME_WEIGHTS, k=n)
        roles = rng.choices(_ROLES, cum_weights=_ROLE_CUM, k=n)
        consents = rng.choices(_CONSENTS, cum_weights=_CONSENT_CUM, k=n)
        sources = rng.choices(_CONTACT_SOURCES, cum_weights=_CONTACT_SOURCE_CUM, k=n)
        free_countries = rng.choices(range(len(COUNTRIES)), cum_weights=_COUNTRY_CUM, k=n)
        rows: list[Row] = []
        for offset in range(n):
            index = lo + offset
            row_id = pop.first_contact_id + index
            first_index, last_index = firsts[offset], lasts[offset]
            first, last = FIRST_NAMES[first_index], LAST_NAMES[last_index]
            created, updated = self._created(rng, index, total)
            account_index = -1
            if accounts and random_() < 0.75:
                # Only accounts that existed when the contact was created.
                known = max(1, min(accounts, int((index + 1) / total * accounts)))
                account_index = int(random_() * known)
            if account_index >= 0:
                domain = pop.account_domains[account_index]
                country_index = pop.account_countries[account_index]
            else:
                domain = FREE_MAIL_DOMAINS[row_id % len(FREE_MAIL_DOMAINS)]
                country_index = free_countries[offset]
            # A third of people type their address with capitals; matching folds them.
            email = f"{_FIRST_MAIL[first_index]}.{_LAST_MAIL[last_index]}{row_id}@{domain}"
            normalized = email.lower()
            if row_id % 3:
                email = normalized
            country = COUNTRIES[country_index]
            phone: str | None = None
            phone_raw: str | None = None
            if random_() < 0.8:
                plan = country.phones[int(random_() * len(country.phones))]
                digits = f"{int(random_() * 10**plan.digits):0{plan.digits}d}"
                phone_raw = plan.national.format(*digits)
                phone = plan.e164.format(*digits)
            role = roles[offset]
            titles = JOB_TITLES[role]
            pop.contact_first.append(first_index)
            pop.contact_last.append(last_index)
            pop.contact_account.append(account_index)
            pop.contact_email.append(email)
            pop.contact_lead.append(-1)
            rows.append(
                (
                    row_id,
                    email,
                    normalized,
                    first,
                    last,
                    titles[int(random_() * len(titles))] if random_() < 0.9 else None,
                    role,
                    phone,
                    phone_raw,
                    country.code,
                    country.cities[int(random_() * len(country.cities))],
                    pop.first_account_id + account_index if account_index >= 0 else None,
                    random_() < 0.08,
                    consents[offset],
                    random_() < 0.03,
                    sources[offset],
                    "{}",
                    at(created),
                    at(updated),
                )
            )
        return rows

    def leads(self, lo: int, hi: int) -> list[Row]:
        rng = self.rng("leads")
        random_ = rng.random
        total = self.counts["leads"]
        pop = self.pop
        contacts = len(pop.contact_email)
        accounts = len(pop.account_names)
        at = self.time.at
        n = hi - lo
        campaigns = rng.choices(CAMPAIGNS, cum_weights=_CAMPAIGN_CUM, k=n)
        statuses = rng.choices(_STATUSES, cum_weights=_STATUS_CUM, k=n)
        owners = self.owners
        rows: list[Row] = []
        for offset in range(n):
            index = lo + offset
            row_id = pop.first_lead_id + index
            created, updated = self._created(rng, index, total)
            share = (index + 1) / total
            link = random_()
            contact_index = account_index = -1
            first: str | None = None
            last: str | None = None
            email: str | None = None
            normalized: str | None = None
            company: str | None = None
            if contacts and link < 0.82:
                contact_index = int(random_() * max(1, min(contacts, int(share * contacts))))
                first = FIRST_NAMES[pop.contact_first[contact_index]]
                last = LAST_NAMES[pop.contact_last[contact_index]]
                email = pop.contact_email[contact_index]
                normalized = email.lower()
                account_index = pop.contact_account[contact_index]
                pop.contact_lead[contact_index] = index
            elif accounts and link < 0.93:
                account_index = int(random_() * max(1, min(accounts, int(share * accounts))))
            else:
                # An orphan: a person nobody has matched to a contact yet.
                first = FIRST_NAMES[rng.choices(range(len(FIRST_NAMES)), FIRST_NAME_WEIGHTS)[0]]
                last = LAST_NAMES[rng.choices(range(len(LAST_NAMES)), LAST_NAME_WEIGHTS)[0]]
                domain = FREE_MAIL_DOMAINS[row_id % len(FREE_MAIL_DOMAINS)]
                normalized = f"{email_part(first)}.{email_part(last)}.l{row_id}@{domain}"
                email = normalized
                if random_() < 0.5:
                    word = COMPANY_WORDS[int(random_() * len(COMPANY_WORDS))]
                    company = f"{word} {COMPANY_TRADES[int(random_() * len(COMPANY_TRADES))]}"
            if account_index >= 0:
                company = pop.account_names[account_index]
            phone: str | None = None
            phone_raw: str | None = None
            if first is not None and random_() < 0.5:
                # Leads have no country of their own, so people give the + form.
                country = COUNTRIES[int(random_() * len(COUNTRIES))]
                plan = country.phones[int(random_() * len(country.phones))]
                digits = f"{int(random_() * 10**plan.digits):0{plan.digits}d}"
                phone_raw = plan.international.format(*digits)
                phone = plan.e164.format(*digits)
            campaign = campaigns[offset]
            status, reason, _ = statuses[offset]
            sales_ready = telemarketing_ready = telemarketing_accepted = sales_accepted = False
            if status is LeadStatus.QUALIFIED:
                sales_ready = sales_accepted = True
            elif status is LeadStatus.OPEN:
                flags = random_()
                if flags < 0.08:
                    sales_ready = True
                    sales_accepted = random_() < 0.5
                elif flags < 0.23:
                    telemarketing_ready = True
                    telemarketing_accepted = random_() < 0.5
            owner = None
            if owners and (sales_accepted or telemarketing_accepted):
                owner = owners[int(random_() * len(owners))]
            detailed = random_() < 0.4
            rows.append(
                (
                    row_id,
                    campaign.topic,
                    first,
                    last,
                    email,
                    normalized,
                    company,
                    _LEAD_TITLES[int(random_() * len(_LEAD_TITLES))] if first else None,
                    phone,
                    phone_raw,
                    status.value,
                    reason.value,
                    campaign.source.value,
                    campaign.campaign,
                    campaign.marketing_page_id,
                    campaign.marketing_form_id,
                    campaign.event_id,
                    campaign.journey_id,
                    pop.first_contact_id + contact_index if contact_index >= 0 else None,
                    pop.first_account_id + account_index if account_index >= 0 else None,
                    owner,
                    sales_ready,
                    telemarketing_ready,
                    telemarketing_accepted,
                    sales_accepted,
                    _TIMEFRAMES[int(random_() * len(_TIMEFRAMES))] if detailed else None,
                    _PROCESSES[int(random_() * len(_PROCESSES))] if detailed else None,
                    int(5 + random_() * 495) * 1000 if detailed else None,
                    _NEEDS[int(random_() * len(_NEEDS))] if detailed else None,
                    None,
                    "{}",
                    at(created),
                    at(updated),
                )
            )
        return rows

    def interactions(self, chunk: int, chunks: int, lo: int, hi: int) -> list[Row]:
        """Chunk `chunk` of `chunks` covers a slice of the contacts, in contact order."""
        rng = self.rng("interactions")
        random_ = rng.random
        pop = self.pop
        contacts = len(pop.contact_email)
        leads = self.counts["leads"]
        first_contact_id = pop.first_contact_id
        first_lead_id = pop.first_lead_id
        contact_lead = pop.contact_lead
        span = self.span
        contact_slot = span / contacts
        lead_slot = span / leads if leads else 0.0
        time = self.time
        days, hms, base, suffix = time.days, time.hms, time.base, time.suffix
        c_lo = chunk * contacts // chunks
        c_hi = min(contacts, max(c_lo + 1, (chunk + 1) * contacts // chunks))
        n = hi - lo
        owners = sorted(rng.choices(range(c_lo, c_hi), k=n))
        kinds = rng.choices(_KIND_TABLE, cum_weights=_KIND_CUM, k=n)
        first_id = pop.first_interaction_id + lo
        rows: list[Row] = []
        append = rows.append
        for offset in range(n):
            contact_index = owners[offset]
            kind, lead_chance, targets = kinds[offset]
            # Not before the contact existed (its slot's end), nor before the lead.
            floor = (contact_index + 1) * contact_slot
            lead_index = contact_lead[contact_index]
            lead_id = None
            if lead_index >= 0 and random_() < lead_chance:
                lead_id = first_lead_id + lead_index
                floor = max(floor, (lead_index + 1) * lead_slot)
            floor = min(floor, span - 1)
            occurred = int(floor + (span - floor) * random_())
            day, rest = divmod(base + occurred, US_PER_DAY)
            second, micro = divmod(rest, 1_000_000)
            stamp = f"{days[day]} {hms[second]}.{micro:06d}{suffix}"
            target, data = targets[int(random_() * len(targets))]
            append(
                (
                    first_id + offset,
                    first_contact_id + contact_index,
                    lead_id,
                    kind,
                    target,
                    stamp,
                    data,
                    stamp,
                )
            )
        return rows


_KIND_TABLE: tuple[tuple[str, float, tuple[tuple[str, str], ...]], ...] = tuple(
    (kind.value, lead_chance, _targets(kind)) for kind, _, lead_chance in _KINDS
)
