"""Roles and what each may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MARKETER = "marketer"
    TELEMARKETER = "telemarketer"
    SALESPERSON = "salesperson"
    SALES_MANAGER = "sales_manager"


class Permission(StrEnum):
    CONTACTS_READ = "contacts:read"
    CONTACTS_WRITE = "contacts:write"
    # Marketing-only contacts (C8): everyone but salespeople, who reach one only through a
    # lead of theirs that links to it.
    CONTACTS_READ_MARKETING_ONLY = "contacts:read_marketing_only"
    ACCOUNTS_READ = "accounts:read"
    ACCOUNTS_WRITE = "accounts:write"
    LEADS_READ = "leads:read"
    LEADS_WRITE = "leads:write"
    OPPORTUNITIES_READ = "opportunities:read"
    OPPORTUNITIES_WRITE = "opportunities:write"
    INTERACTIONS_READ = "interactions:read"
    INTERACTIONS_WRITE = "interactions:write"
    FIELDS_READ = "fields:read"
    FIELDS_ADMIN = "fields:admin"
    USERS_READ = "users:read"
    USERS_ADMIN = "users:admin"
    # Capture: forms, landing pages, submissions, events, matching strategies.
    FORMS_READ = "forms:read"
    FORMS_WRITE = "forms:write"
    EVENTS_READ = "events:read"
    EVENTS_WRITE = "events:write"
    MATCHING_ADMIN = "matching:admin"
    # Scoring models, grades, switches.
    SCORING_READ = "scoring:read"
    SCORING_ADMIN = "scoring:admin"
    # The business process: moving a lead's stage, and editing definitions.
    PROCESS_READ = "process:read"
    PROCESS_WRITE = "process:write"
    PROCESS_ADMIN = "process:admin"
    # Sales hand-over: tasks, assignment, qualify/disqualify/recycle.
    TASKS_READ = "tasks:read"
    TASKS_WRITE = "tasks:write"
    LEADS_ASSIGN = "leads:assign"
    LEADS_QUALIFY = "leads:qualify"
    # Saved views and dashboards.
    VIEWS_READ = "views:read"
    VIEWS_WRITE = "views:write"
    DASHBOARDS_READ = "dashboards:read"
    # Automation rules (workflows) and org-wide switches.
    AUTOMATION_READ = "automation:read"
    AUTOMATION_ADMIN = "automation:admin"
    # Segments: reading audiences and their members; building and editing them.
    SEGMENTS_READ = "segments:read"
    SEGMENTS_WRITE = "segments:write"
    # LinkedIn Lead Gen Forms: connections, mappings, the lead-matching strategy, syncs.
    LINKEDIN_ADMIN = "linkedin:admin"
    # The event outbox: parked events and their retry.
    SYSTEM_ADMIN = "system:admin"
    # File imports of contacts, accounts and leads (and undoing them).
    IMPORTS_RUN = "imports:run"
    # Journeys: reading them, their counts and contacts' journey history; building,
    # going live, stopping.
    JOURNEYS_READ = "journeys:read"
    JOURNEYS_WRITE = "journeys:write"
    # Emails: templates, messages, stats, the mail catcher; editing, previews and test sends.
    EMAILS_READ = "emails:read"
    EMAILS_WRITE = "emails:write"


_READ_RECORDS = {
    Permission.CONTACTS_READ,
    Permission.CONTACTS_READ_MARKETING_ONLY,
    Permission.ACCOUNTS_READ,
    Permission.LEADS_READ,
    Permission.OPPORTUNITIES_READ,
    Permission.INTERACTIONS_READ,
    Permission.FIELDS_READ,
    Permission.SCORING_READ,
    Permission.PROCESS_READ,
    Permission.PROCESS_WRITE,
    Permission.TASKS_READ,
    Permission.TASKS_WRITE,
    Permission.VIEWS_READ,
    Permission.VIEWS_WRITE,
    Permission.DASHBOARDS_READ,
    Permission.SEGMENTS_READ,
}

_MARKETING_ASSETS = {
    Permission.FORMS_READ,
    Permission.FORMS_WRITE,
    Permission.EVENTS_READ,
    Permission.EVENTS_WRITE,
    Permission.MATCHING_ADMIN,
    Permission.SCORING_ADMIN,
    Permission.AUTOMATION_READ,
    Permission.AUTOMATION_ADMIN,
    Permission.SEGMENTS_WRITE,
    Permission.IMPORTS_RUN,
    Permission.LINKEDIN_ADMIN,
    Permission.JOURNEYS_READ,
    Permission.JOURNEYS_WRITE,
    Permission.EMAILS_READ,
    Permission.EMAILS_WRITE,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MARKETER: frozenset(
        _READ_RECORDS
        | {
            Permission.CONTACTS_WRITE,
            Permission.ACCOUNTS_WRITE,
            Permission.LEADS_WRITE,
            Permission.INTERACTIONS_WRITE,
        }
        | _MARKETING_ASSETS
    ),
    # Telemarketers work leads on the phone and update what they learn; they
    # neither create accounts nor touch opportunities.
    Role.TELEMARKETER: frozenset(
        _READ_RECORDS - {Permission.OPPORTUNITIES_READ}
        | {
            Permission.LEADS_WRITE,
            Permission.CONTACTS_WRITE,
            Permission.EVENTS_READ,
            Permission.INTERACTIONS_WRITE,
        }
    ),
    Role.SALESPERSON: frozenset(
        _READ_RECORDS - {Permission.CONTACTS_READ_MARKETING_ONLY}
        | {
            Permission.LEADS_WRITE,
            Permission.CONTACTS_WRITE,
            Permission.ACCOUNTS_WRITE,
            Permission.OPPORTUNITIES_WRITE,
            Permission.LEADS_QUALIFY,
            Permission.INTERACTIONS_WRITE,
            Permission.EVENTS_READ,
        }
    ),
    Role.SALES_MANAGER: frozenset(
        _READ_RECORDS
        | {
            Permission.LEADS_WRITE,
            Permission.CONTACTS_WRITE,
            Permission.ACCOUNTS_WRITE,
            Permission.OPPORTUNITIES_WRITE,
            Permission.USERS_READ,
            Permission.LEADS_QUALIFY,
            Permission.LEADS_ASSIGN,
            Permission.INTERACTIONS_WRITE,
            Permission.AUTOMATION_READ,
            Permission.EVENTS_READ,
        }
    ),
}


def role_allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
