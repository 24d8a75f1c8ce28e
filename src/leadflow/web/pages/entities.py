"""The four record kinds with pages, described once; `records.py` turns each into routes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from leadflow.accounts.services import (
    do_create_account,
    do_delete_account,
    do_update_account,
    get_account,
)
from leadflow.contacts.services import (
    do_delete_contact,
    do_update_contact,
    get_contact,
)
from leadflow.duplicates.services import do_create_contact_checked, do_create_lead_checked
from leadflow.leads.services import do_delete_lead, do_update_lead, get_lead
from leadflow.opportunities.services import (
    do_create_opportunity,
    do_delete_opportunity,
    do_update_opportunity,
    get_opportunity,
)
from leadflow.registry.builtin import builtin_registry
from leadflow.users.domain import Permission as P
from leadflow.web.pages.listing import ListSpec
from leadflow.web.pages.related import SectionBuilder, contact_timeline_section


@dataclass(frozen=True)
class RecordPage:
    """One record kind's pages: its list, the services behind its forms, extra sections."""

    listing: ListSpec
    read: P
    write: P
    get: Callable[[Session, int], Any]
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., None]
    # Contacts and accounts that leads point to can be deleted by unlinking them.
    delete_unlinks_leads: bool = False
    extra_sections: tuple[SectionBuilder, ...] = ()

    @property
    def entity(self) -> str:
        return self.listing.entity

    @property
    def path(self) -> str:
        return self.listing.path

    @property
    def nav_label(self) -> str:
        return builtin_registry().entity(self.entity).plural.capitalize()


CONTACT_PAGES = RecordPage(
    ListSpec(
        "contact",
        "/contacts",
        columns=("email", "job_title", "role", "account_id", "city", "created_at"),
        quick_filters=("role", "marketing_only", "consent"),
        title_sort="last_name",
    ),
    P.CONTACTS_READ, P.CONTACTS_WRITE, get_contact, do_create_contact_checked, do_update_contact,
    do_delete_contact, delete_unlinks_leads=True, extra_sections=(contact_timeline_section,),
)  # fmt: skip

ACCOUNT_PAGES = RecordPage(
    ListSpec(
        "account",
        "/accounts",
        columns=("domain", "industry", "employee_count", "country", "city", "created_at"),
        quick_filters=("industry", "country"),
        title_sort="name",
    ),
    P.ACCOUNTS_READ, P.ACCOUNTS_WRITE, get_account, do_create_account, do_update_account,
    do_delete_account, delete_unlinks_leads=True,
)  # fmt: skip

LEAD_PAGES = RecordPage(
    ListSpec(
        "lead",
        "/leads",
        columns=("company_name", "stage", "score", "grade", "owner_id", "last_activity_at"),
        quick_filters=("status", "source", "sales_ready"),
        title_sort="topic",
    ),
    P.LEADS_READ, P.LEADS_WRITE, get_lead, do_create_lead_checked, do_update_lead, do_delete_lead,
)  # fmt: skip

OPPORTUNITY_PAGES = RecordPage(
    ListSpec(
        "opportunity",
        "/opportunities",
        columns=("account_id", "contact_id", "estimated_value", "status", "created_at"),
        quick_filters=("status",),
        title_sort="name",
    ),
    P.OPPORTUNITIES_READ, P.OPPORTUNITIES_WRITE, get_opportunity, do_create_opportunity,
    do_update_opportunity, do_delete_opportunity,
)  # fmt: skip

RECORD_PAGES: tuple[RecordPage, ...] = (CONTACT_PAGES, ACCOUNT_PAGES, LEAD_PAGES, OPPORTUNITY_PAGES)
