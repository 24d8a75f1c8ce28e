"""Every API router, in the order the app mounts them (and /docs lists them)."""

from __future__ import annotations

from fastapi import APIRouter

from leadflow.accounts.services import (
    ACCOUNTS,
    do_create_account,
    do_delete_account,
    do_update_account,
)
from leadflow.contacts.services import (
    CONTACTS,
    do_delete_contact,
    do_update_contact,
)
from leadflow.duplicates.services import do_create_contact_checked, do_create_lead_checked
from leadflow.leads.services import LEADS, do_delete_lead, do_update_lead
from leadflow.opportunities.services import (
    OPPORTUNITIES,
    do_create_opportunity,
    do_delete_opportunity,
    do_update_opportunity,
)
from leadflow.users.domain import Permission as P
from leadflow.web.api.records import RecordRoutes, record_router

RECORDS = [
    RecordRoutes(CONTACTS, "contacts", P.CONTACTS_READ, P.CONTACTS_WRITE,
                 do_create_contact_checked, do_update_contact, do_delete_contact,
                 delete_takes_unlink=True, checks_duplicates=True),
    RecordRoutes(ACCOUNTS, "accounts", P.ACCOUNTS_READ, P.ACCOUNTS_WRITE, do_create_account,
                 do_update_account, do_delete_account, delete_takes_unlink=True),
    RecordRoutes(LEADS, "leads", P.LEADS_READ, P.LEADS_WRITE, do_create_lead_checked,
                 do_update_lead, do_delete_lead,
                 update_conflict="The lead is qualified and read-only", checks_duplicates=True),
    RecordRoutes(OPPORTUNITIES, "opportunities", P.OPPORTUNITIES_READ, P.OPPORTUNITIES_WRITE,
                 do_create_opportunity, do_update_opportunity, do_delete_opportunity),
]  # fmt: skip


def api_routers() -> list[APIRouter]:
    from leadflow.web.api import (
        activities,
        automation,
        capture,
        contacts,
        dashboard,
        duplicates,
        emails,
        fields,
        health,
        imports,
        interactions,
        jobs,
        journeys,
        linkedin,
        matching,
        outbox,
        process,
        sales,
        saved_views,
        scoring,
        segments,
        users,
    )

    return [
        health.router,
        *(record_router(routes) for routes in RECORDS),
        contacts.router,
        interactions.router,
        users.router,
        fields.router,
        matching.router,
        *capture.routers(),
        *linkedin.routers(),
        *scoring.routers(),
        process.router,
        sales.router,
        dashboard.router,
        saved_views.router,
        *automation.routers(),
        *jobs.routers(),
        *segments.routers(),
        segments.contact_segments_router(),
        *imports.routers(),
        *duplicates.routers(),
        activities.router,
        *journeys.routers(),
        *emails.routers(),
        outbox.router,
    ]
