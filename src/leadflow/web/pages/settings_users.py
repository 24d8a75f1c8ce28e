"""Settings: users, their role and capacity, and their API tokens.

A new token is shown once, in the response to the form that issued it; only
its hash is stored, so no later page can show it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.errors import LeadflowError, NotFound
from leadflow.users.domain import ROLE_PERMISSIONS, Permission, Role, role_allows
from leadflow.users.models import ApiToken, User
from leadflow.users.services import (
    Principal,
    do_create_token,
    do_create_user,
    do_revoke_token,
    do_update_user,
    get_user,
    list_tokens,
)
from leadflow.users.services import (
    list_users as users_by_name,
)
from leadflow.web.auth import Authorize, container_of
from leadflow.web.calls import PageCall, page_call, see_other
from leadflow.web.pages.display import humanize
from leadflow.web.pages.forms import TRUE
from leadflow.web.pages.render import render, settings_navigation
from leadflow.web.pages.settings_forms import (
    NOTICE,
    FormState,
    checked,
    role_options,
    status_of,
    when,
    whole_number,
)

PATH = "/settings/users"
NEW_USER_INPUTS = frozenset({"email", "name", "role", "password", "capacity"})
EDIT_INPUTS = frozenset({"name", "role", "is_active", "capacity", "password"})
# The token form sits on the same page as the user form: its inputs get their own names.
TOKEN_INPUTS = frozenset({"token_name", "token_role"})
TOKEN_FIELDS = {"name": "token_name", "role": "token_role"}
NEW_USER = FormState({"role": Role.SALESPERSON.value})
NOTICES = {
    "created": "User added. Issue an API token below if they need one.",
    "saved": "Changes saved.",
    "revoked": "Token revoked: it no longer works.",
}


@dataclass(frozen=True)
class UserRow:
    id: int
    name: str
    email: str
    role: str
    is_active: bool
    capacity: str | None
    created: str | None

    @property
    def href(self) -> str:
        return f"{PATH}/{self.id}"


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    prefix: str
    role: str
    created: str | None
    last_used: str | None
    revoked: str | None
    revoke_href: str | None


def _user_row(user: User) -> UserRow:
    return UserRow(
        id=user.id,
        name=user.name,
        email=user.email,
        role=humanize(user.role),
        is_active=user.is_active,
        capacity=None if user.capacity is None else str(user.capacity),
        created=when(user.created_at),
    )


def _token_row(token: ApiToken, *, can_revoke: bool) -> TokenRow:
    revoked = when(token.revoked_at)
    revocable = can_revoke and revoked is None
    return TokenRow(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        role=humanize(token.role),
        created=when(token.created_at),
        last_used=when(token.last_used_at),
        revoked=revoked,
        revoke_href=f"{PATH}/{token.user_id}/tokens/{token.id}/revoke" if revocable else None,
    )


def _all_users(session: Session) -> list[User]:
    return users_by_name(session)


def _tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list_tokens(session, user_id)


def _token_of(session: Session, user_id: int, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound(f"No token with id {token_id} for user {user_id}", field="id")
    return token


def token_roles(role: Role) -> list[Role]:
    """The roles a token of a `role` user may carry: none that can do more than the user."""
    allowed = ROLE_PERMISSIONS[role]
    return [candidate for candidate in Role if ROLE_PERMISSIONS[candidate] <= allowed]


def _edit_values(user: User) -> dict[str, str]:
    return {
        "name": user.name,
        "role": user.role,
        "is_active": TRUE if user.is_active else "",
        "capacity": "" if user.capacity is None else str(user.capacity),
    }


def _user_changes(user: User, values: Mapping[str, str], password: str) -> dict[str, Any]:
    """What the edit form changes; a blank password keeps the current one."""
    changes: dict[str, Any] = {}
    current = _edit_values(user)
    for key in ("name", "role"):
        if values[key] != current[key]:
            changes[key] = values[key]
    if values["is_active"] != current["is_active"]:
        changes["is_active"] = values["is_active"] == TRUE
    if values["capacity"] != current["capacity"]:
        changes["capacity"] = whole_number(values["capacity"], name="capacity", label="Capacity")
    if password:
        changes["password"] = password
    return changes


def _password(form: Mapping[str, Any]) -> str:
    # Not stripped: spaces are part of a password.
    raw = form.get("password")
    return raw if isinstance(raw, str) else ""


def _users_page(
    request: Request,
    principal: Principal,
    form: FormState = NEW_USER,
    error: LeadflowError | None = None,
) -> Response:
    with container_of(request).read_session() as session:
        users = [_user_row(user) for user in _all_users(session)]
    context = {
        "settings_sections": settings_navigation(principal),
        "can_admin": role_allows(principal.role, Permission.USERS_ADMIN),
        "users": users,
        "form": form,
        "roles": role_options(),
    }
    return render(request, "settings/users.html", context, status=status_of(error))


def _user_page(
    request: Request,
    principal: Principal,
    user_id: int,
    *,
    edit: FormState | None = None,
    token_form: FormState | None = None,
    new_token: tuple[TokenRow, str] | None = None,
    status: int = 200,
) -> Response:
    can_admin = role_allows(principal.role, Permission.USERS_ADMIN)
    with container_of(request).read_session() as session:
        user = get_user(session, user_id)
        tokens = [_token_row(token, can_revoke=can_admin) for token in _tokens_of(session, user_id)]
        values = _edit_values(user)
        row = _user_row(user)
    context = {
        "can_admin": can_admin,
        "user": row,
        "tokens": tokens,
        "edit": edit or FormState(values),
        "token_form": token_form or FormState(),
        "roles": role_options(),
        "token_roles": role_options(token_roles(Role(values["role"]))),
        "new_token": new_token,
        "notice": NOTICES.get(request.query_params.get(NOTICE, "")),
    }
    response = render(request, "settings/user.html", context, status=status)
    if new_token:
        # The token is in this page only: keep it out of every cache.
        response.headers["Cache-Control"] = "no-store"
    return response


router = APIRouter(include_in_schema=False)
can_read = Depends(Authorize(Permission.USERS_READ))
can_admin = Depends(Authorize(Permission.USERS_ADMIN))
administering = page_call(Permission.USERS_ADMIN)


@router.get(PATH)
def list_users(request: Request, principal: Principal = can_read) -> Response:
    return _users_page(request, principal)


@router.post(PATH)
def add_user(call: PageCall = administering) -> Response:
    values = {name: call.text(name) for name in ("email", "name", "role", "capacity")}

    def refused(error: LeadflowError) -> Response:
        failed = FormState.failed(values, error, NEW_USER_INPUTS)
        return _users_page(call.request, call.principal, failed, error)

    return call.run(
        lambda uow: do_create_user(
            email=values["email"],
            name=values["name"],
            role=values["role"],
            password=_password(call.form) or None,
            capacity=whole_number(values["capacity"], name="capacity", label="Capacity"),
            uow=uow,
        ),
        done=lambda user: see_other(f"{PATH}/{user.id}?{NOTICE}=created"),
        failed=refused,
    )


@router.get(f"{PATH}/{{user_id:int}}")
def show_user(request: Request, user_id: int, principal: Principal = can_read) -> Response:
    return _user_page(request, principal, user_id)


@router.post(f"{PATH}/{{user_id:int}}")
def change_user(user_id: int, call: PageCall = administering) -> Response:
    values = {name: call.text(name) for name in ("name", "role", "capacity")}
    values["is_active"] = TRUE if checked(call.form, "is_active") else ""

    def change(uow: UnitOfWork) -> None:
        changes = _user_changes(get_user(uow.session, user_id), values, _password(call.form))
        if changes:
            do_update_user(user_id, changes, uow=uow)

    def refused(error: LeadflowError) -> Response:
        edit = FormState.failed(values, error, EDIT_INPUTS)
        return _user_page(
            call.request, call.principal, user_id, edit=edit, status=error.http_status
        )

    return call.run(change, done=f"{PATH}/{user_id}?{NOTICE}=saved", failed=refused)


@router.post(f"{PATH}/{{user_id:int}}/tokens")
def issue_token(user_id: int, call: PageCall = administering) -> Response:
    values = {name: call.text(name) for name in TOKEN_INPUTS}

    def issue(uow: UnitOfWork) -> tuple[TokenRow, str]:
        get_user(uow.session, user_id)
        row, token = do_create_token(
            user_id, name=values["token_name"], role=values["token_role"] or None, uow=uow
        )
        return _token_row(row, can_revoke=False), token

    def refused(error: LeadflowError) -> Response:
        token_form = FormState.failed(values, error, TOKEN_INPUTS, rename=TOKEN_FIELDS)
        return _user_page(
            call.request, call.principal, user_id, token_form=token_form, status=error.http_status
        )

    return call.run(
        issue,
        done=lambda shown: _user_page(call.request, call.principal, user_id, new_token=shown),
        failed=refused,
    )


@router.get(f"{PATH}/{{user_id:int}}/tokens/{{token_id:int}}/revoke")
def confirm_revoke(
    request: Request, user_id: int, token_id: int, principal: Principal = can_admin
) -> Response:
    with container_of(request).read_session() as session:
        user = _user_row(get_user(session, user_id))
        token = _token_row(_token_of(session, user_id, token_id), can_revoke=True)
    context = {"user": user, "token": token}
    return render(request, "settings/revoke_token.html", context)


@router.post(f"{PATH}/{{user_id:int}}/tokens/{{token_id:int}}/revoke")
def revoke(user_id: int, token_id: int, call: PageCall = administering) -> Response:
    def revoke_once(uow: UnitOfWork) -> None:
        token = _token_of(uow.session, user_id, token_id)
        # Revoking twice would move the revocation date; the first one stands.
        if token.revoked_at is None:
            do_revoke_token(token_id, uow=uow)

    call.write(revoke_once)
    return see_other(f"{PATH}/{user_id}?{NOTICE}=revoked")
