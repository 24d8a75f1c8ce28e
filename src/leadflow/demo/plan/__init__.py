"""The demo's content, planned as plain values: seeded, relative to `now`, no I/O.

References between records are list indexes (an account's position in
`DemoPlan.accounts`, a user's position in `DEMO_LOGINS`); the loader turns
them into ids as it creates the rows.

Private modules by part: `_content` (the accounts, campaigns and email sends the demo
is made of), `_planner` (people, leads, opportunities and the contacts' and accounts'
records) and `_interactions` (what every contact did); `plan_demo` runs them in order.
"""

from datetime import datetime

from leadflow.demo.plan._content import (
    ACCOUNTS,
    CONFERENCE,
    CONFERENCE_DAY,
    CONFERENCE_TOPIC,
    DEMO_SEED,
    DESCRIPTIONS,
    EMAIL_SENDS,
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
    WEBINAR_DAY,
    WEBSITE,
    WEBSITE_PAGES,
    WEBSITE_VISITS,
    WHITEPAPER,
    WORKFLOW_CONTACTS,
    DemoAccount,
    DemoPlan,
    LeadCampaign,
    Times,
)
from leadflow.demo.plan._interactions import _plan_interactions
from leadflow.demo.plan._planner import _Planner

__all__ = [
    "ACCOUNTS",
    "CONFERENCE",
    "CONFERENCE_DAY",
    "CONFERENCE_TOPIC",
    "DEMO_SEED",
    "DESCRIPTIONS",
    "EMAIL_SENDS",
    "IMPORT",
    "INDIVIDUALS",
    "LINKEDIN",
    "MANAGER",
    "MARKETING_ONLY_AT_ACCOUNTS",
    "PHONE",
    "PRODUCTS",
    "SALESPERSON",
    "TELEMARKETER",
    "WEBINAR",
    "WEBINAR_DAY",
    "WEBSITE",
    "WEBSITE_PAGES",
    "WEBSITE_VISITS",
    "WHITEPAPER",
    "WORKFLOW_CONTACTS",
    "DemoAccount",
    "DemoPlan",
    "LeadCampaign",
    "Times",
    "plan_demo",
]


def plan_demo(now: datetime) -> DemoPlan:
    """The demo's records for a database loaded at `now`; same `now`, same plan."""
    planner = _Planner(now)
    planner.people_plan()
    planner.leads_plan()
    planner.opportunities_plan()
    _plan_interactions(planner)
    return planner.finish()
