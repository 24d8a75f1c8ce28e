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
from leadflow.demo.synthetic._draws import (
    _NO_PURCHASE,
    _contact_email,
    _existing,
    _LeadPerson,
    _phone,
    _purchase,
    _sales_flags,
)
from leadflow.demo.synthetic._shapes import (
    _CAMPAIGN_CUM,
    _CONSENT_CUM,
    _CONSENTS,
    _CONTACT_SOURCE_CUM,
    _CONTACT_SOURCES,
    _COUNTRY_CUM,
    _KIND_CUM,
    _KIND_TABLE,
    _LEAD_TITLES,
    _ROLE_CUM,
    _ROLES,
    _STATUS_CUM,
    _STATUSES,
    CAMPAIGNS,
    SPAN,
    US_PER_DAY,
    Row,
    TimeText,
)


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

    def add_contact(self, first: int, last: int, account: int, email: str) -> None:
        self.contact_first.append(first)
        self.contact_last.append(last)
        self.contact_account.append(account)
        self.contact_email.append(email)
        self.contact_lead.append(-1)


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
            created, updated = self._created(rng, index, total)
            in_account = accounts and random_() < 0.75
            account_index = _existing(random_, (index + 1) / total, accounts) if in_account else -1
            if account_index >= 0:
                domain = pop.account_domains[account_index]
                country_index = pop.account_countries[account_index]
            else:
                domain = FREE_MAIL_DOMAINS[row_id % len(FREE_MAIL_DOMAINS)]
                country_index = free_countries[offset]
            email, normalized = _contact_email(first_index, last_index, row_id, domain)
            country = COUNTRIES[country_index]
            phone, phone_raw = (
                _phone(random_, country, international=False) if random_() < 0.8 else (None, None)
            )
            role = roles[offset]
            titles = JOB_TITLES[role]
            pop.add_contact(first_index, last_index, account_index, email)
            rows.append(
                (
                    row_id,
                    email,
                    normalized,
                    FIRST_NAMES[first_index],
                    LAST_NAMES[last_index],
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
        at = self.time.at
        campaigns = rng.choices(CAMPAIGNS, cum_weights=_CAMPAIGN_CUM, k=hi - lo)
        statuses = rng.choices(_STATUSES, cum_weights=_STATUS_CUM, k=hi - lo)
        owners = self.owners
        rows: list[Row] = []
        for offset, (campaign, (status, reason, _)) in enumerate(
            zip(campaigns, statuses, strict=True)
        ):
            index = lo + offset
            row_id = pop.first_lead_id + index
            created, updated = self._created(rng, index, total)
            person = self._lead_person(rng, index, row_id, (index + 1) / total)
            # Leads have no country of their own, so people give the + form.
            phone, phone_raw = (
                _phone(random_, COUNTRIES[int(random_() * len(COUNTRIES))], international=True)
                if person.first is not None and random_() < 0.5
                else (None, None)
            )
            flags = _sales_flags(random_, status, owners)
            detailed = random_() < 0.4
            rows.append(
                (
                    row_id,
                    campaign.topic,
                    person.first,
                    person.last,
                    person.email,
                    person.normalized,
                    person.company,
                    _LEAD_TITLES[int(random_() * len(_LEAD_TITLES))] if person.first else None,
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
                    person.contact_id,
                    person.account_id,
                    flags.owner,
                    flags.sales_ready,
                    flags.telemarketing_ready,
                    flags.telemarketing_accepted,
                    flags.sales_accepted,
                    *(_purchase(random_) if detailed else _NO_PURCHASE),
                    None,
                    "{}",
                    at(created),
                    at(updated),
                )
            )
        return rows

    def _lead_person(
        self, rng: random.Random, index: int, row_id: int, share: float
    ) -> _LeadPerson:
        """Most leads are a contact's (one that existed by then), some an account's only,
        the rest orphans: people nobody has matched to a contact yet."""
        random_ = rng.random
        pop = self.pop
        contacts = len(pop.contact_email)
        accounts = len(pop.account_names)
        link = random_()
        if contacts and link < 0.82:
            contact_index = _existing(random_, share, contacts)
            email = pop.contact_email[contact_index]
            account_index = pop.contact_account[contact_index]
            pop.contact_lead[contact_index] = index
            return _LeadPerson(
                pop.first_contact_id + contact_index,
                pop.first_account_id + account_index if account_index >= 0 else None,
                FIRST_NAMES[pop.contact_first[contact_index]],
                LAST_NAMES[pop.contact_last[contact_index]],
                email,
                email.lower(),
                pop.account_names[account_index] if account_index >= 0 else None,
            )
        if accounts and link < 0.93:
            account_index = _existing(random_, share, accounts)
            return _LeadPerson(
                account_id=pop.first_account_id + account_index,
                company=pop.account_names[account_index],
            )
        first = FIRST_NAMES[rng.choices(range(len(FIRST_NAMES)), FIRST_NAME_WEIGHTS)[0]]
        last = LAST_NAMES[rng.choices(range(len(LAST_NAMES)), LAST_NAME_WEIGHTS)[0]]
        domain = FREE_MAIL_DOMAINS[row_id % len(FREE_MAIL_DOMAINS)]
        normalized = f"{email_part(first)}.{email_part(last)}.l{row_id}@{domain}"
        company: str | None = None
        if random_() < 0.5:
            word = COMPANY_WORDS[int(random_() * len(COMPANY_WORDS))]
            company = f"{word} {COMPANY_TRADES[int(random_() * len(COMPANY_TRADES))]}"
        return _LeadPerson(None, None, first, last, normalized, normalized, company)

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
