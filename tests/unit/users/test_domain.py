"""The roles' permissions, pinned as data a person reviewed (the web policy table
rests on them): a permission added to or dropped from a role fails here."""

from __future__ import annotations

import pytest

from leadflow.users.domain import ROLE_PERMISSIONS, Permission, Role, role_allows

READ_RECORDS = {
    "contacts:read", "accounts:read", "leads:read", "opportunities:read", "interactions:read",
    "fields:read", "scoring:read", "process:read", "process:write", "tasks:read", "tasks:write",
    "views:read", "views:write", "dashboards:read", "segments:read",
}  # fmt: skip

EXPECTED = {
    Role.ADMIN: {permission.value for permission in Permission},
    Role.MARKETER: READ_RECORDS | {
        "contacts:write", "accounts:write", "leads:write", "interactions:write",
        "forms:read", "forms:write", "events:read", "events:write", "matching:admin",
        "scoring:admin", "automation:read", "automation:admin", "segments:write",
        "imports:run", "linkedin:admin", "contacts:read_marketing_only",
        "journeys:read", "journeys:write",
        "emails:read", "emails:write",
    },
    Role.TELEMARKETER: (READ_RECORDS - {"opportunities:read"}) | {
        "leads:write", "contacts:write", "events:read", "interactions:write",
        "contacts:read_marketing_only",
    },
    Role.SALESPERSON: READ_RECORDS | {
        "leads:write", "contacts:write", "accounts:write", "opportunities:write",
        "leads:qualify", "interactions:write", "events:read",
    },
    Role.SALES_MANAGER: READ_RECORDS | {
        "leads:write", "contacts:write", "accounts:write", "opportunities:write", "users:read",
        "leads:qualify", "leads:assign", "interactions:write", "automation:read", "events:read",
        "contacts:read_marketing_only",
    },
}  # fmt: skip

ADMIN_ONLY = {"users:admin", "fields:admin", "process:admin", "system:admin"}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_holds_exactly_its_reviewed_permissions(role: Role) -> None:
    assert {permission.value for permission in ROLE_PERMISSIONS[role]} == EXPECTED[role]


@pytest.mark.parametrize("role", list(Role))
def test_role_allows_answers_for_every_permission(role: Role) -> None:
    allowed = {permission.value for permission in Permission if role_allows(role, permission)}
    assert allowed == EXPECTED[role]


def test_only_the_admin_administers_users_fields_processes_and_the_system() -> None:
    holders = {
        permission: {role for role in Role if role_allows(role, Permission(permission))}
        for permission in ADMIN_ONLY
    }
    assert holders == {permission: {Role.ADMIN} for permission in ADMIN_ONLY}
    assert role_allows(Role.SALES_MANAGER, Permission.USERS_READ)


def test_every_role_is_a_subset_of_the_admin() -> None:
    for role in Role:
        assert ROLE_PERMISSIONS[role] <= ROLE_PERMISSIONS[Role.ADMIN]
    assert ROLE_PERMISSIONS[Role.ADMIN] == frozenset(Permission)
