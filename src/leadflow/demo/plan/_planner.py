"""The planner: people, their leads and opportunities, and the contacts' and accounts' records."""

from __future__ import annotations

import random
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
    email_part,
)
from leadflow.demo.plan._content import (
    ACCOUNTS,
    CONFERENCE,
    DEMO_SEED,
    DESCRIPTIONS,
    IMPORT,
    INDIVIDUALS,
    LINKEDIN,
    MANAGER,
    MARKETING_ONLY_AT_ACCOUNTS,
    PHONE,
    PRODUCTS,
    SALESPERSON,
    TELEMARKETER,
    WEBINAR,
    WHITEPAPER,
    WORKFLOW_CONTACTS,
    DemoPlan,
    LeadCampaign,
    _LeadMeta,
    _Person,
)
from leadflow.leads.domain import (
    LeadStatus,
    LeadStatusReason,
    Need,
    PurchaseProcess,
    PurchaseTimeframe,
)
from leadflow.opportunities.domain import OpportunityStatus


class _Planner:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.rng = random.Random(DEMO_SEED)
        self.plan = DemoPlan()
        self.people: list[_Person] = []
        self.emails: set[str] = set()
        self.lead_meta: list[_LeadMeta] = []

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
            self._lead_person(values, who, person, created)
            if person is not None:
                account = who.account
        if account is not None:
            values["parent_account_id"] = account
            values["company_name"] = ACCOUNTS[account].name
        elif orphan is not None and self.rng.random() < 0.5:
            values["company_name"] = (
                f"{orphan.last} {self.rng.choice(['Consulting', 'Design', 'Studio'])}"
            )
        reason = self._lead_status(campaign, values)
        updated = created
        if reason is not LeadStatusReason.NEW:
            updated = self._lead_worked(values, created)
        self.plan.leads.append(values)
        self.plan.lead_times.append((created, updated))
        self.lead_meta.append(_LeadMeta(person, account, campaign, created))

    def _lead_person(
        self, values: dict[str, Any], who: _Person, person: int | None, created: datetime
    ) -> None:
        """The person's name, address, title and phone on the lead; a contact's lead points
        at it, and the contact existed a few minutes before its first lead."""
        values.update(first_name=who.first, last_name=who.last, email=who.email)
        if who.title:
            values["job_title"] = who.title
        if who.phone_digits is not None:
            # Leads have no country: the form asks for the international form.
            plan = who.country.phones[who.phone_plan]
            values["phone"] = plan.international.format(*who.phone_digits)
        if person is not None:
            values["parent_contact_id"] = person
            if who.created is None or who.created > created:
                who.created = created - timedelta(minutes=self.rng.uniform(1, 5))

    def _lead_status(self, campaign: LeadCampaign, values: dict[str, Any]) -> LeadStatusReason:
        """Status, reason, the sales flags and owner by the campaign's shares; returns the
        reason."""
        rng = self.rng
        roll = rng.random()
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
        return reason

    def _lead_worked(self, values: dict[str, Any], created: datetime) -> datetime:
        """A lead someone worked on: often its purchase details and a description; returns
        when it was last updated."""
        rng = self.rng
        updated = min(self.now, created + timedelta(days=rng.uniform(1, 15)))
        if rng.random() < 0.7:
            values["purchase_timeframe"] = rng.choice(list(PurchaseTimeframe)).value
            values["purchase_process"] = rng.choice(list(PurchaseProcess)).value
            values["need"] = rng.choice(list(Need)).value
            values["budget_amount"] = str(rng.randrange(5, 250) * 1000)
        if rng.random() < 0.3:
            values["description"] = rng.choice(DESCRIPTIONS)
        return updated

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
