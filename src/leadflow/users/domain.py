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


_READ_RECORDS = {
    Permission.CONTACTS_READ,
    Permission.ACCOUNTS_READ,
    Permission.LEADS_READ,
    Permission.OPPORTUNITIES_READ,
    Permission.INTERACTIONS_READ,
    Permission.FIELDS_READ,
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
    ),
    # Telemarketers work leads on the phone and update what they learn; they
    # neither create accounts nor touch opportunities.
    Role.TELEMARKETER: frozenset(
        _READ_RECORDS - {Permission.OPPORTUNITIES_READ}
        | {Permission.LEADS_WRITE, Permission.CONTACTS_WRITE}
    ),
    Role.SALESPERSON: frozenset(
        _READ_RECORDS
        | {
            Permission.LEADS_WRITE,
            Permission.CONTACTS_WRITE,
            Permission.ACCOUNTS_WRITE,
            Permission.OPPORTUNITIES_WRITE,
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
        }
    ),
}


def role_allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
