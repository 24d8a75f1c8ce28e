"""API routes of users: who the caller is, the users, their API tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from leadflow.users.domain import Permission as P
from leadflow.users.models import User
from leadflow.users.services import (
    do_create_token,
    do_create_user,
    do_update_user,
    get_user,
    list_users,
)
from leadflow.web.api.schemas import (
    IssuedToken,
    MeOut,
    TokenIn,
    UserIn,
    UserList,
    UserOut,
    UserPatch,
)
from leadflow.web.calls import ApiCall, api_call
from leadflow.web.openapi import problems

router = APIRouter(prefix="/api/v1", tags=["users"])
signed_in = api_call(None)
reading = api_call(P.USERS_READ)
administering = api_call(P.USERS_ADMIN)


def _user_public(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "is_active": user.is_active,
        "capacity": user.capacity,
        "created_at": user.created_at.isoformat(),
    }


@router.get("/me", response_model=MeOut, summary="Who the caller is")
def me(call: ApiCall = signed_in) -> dict[str, Any]:
    principal = call.principal
    return {
        "id": principal.user_id,
        "name": principal.name,
        "email": principal.email,
        "role": principal.role.value,
        "via": principal.via,
    }


@router.get("/users", response_model=UserList, summary="List users")
def users_index(call: ApiCall = reading) -> dict[str, Any]:
    return call.read(lambda session: {"items": [_user_public(u) for u in list_users(session)]})


@router.post(
    "/users",
    status_code=201,
    response_model=UserOut,
    summary="Add a user",
    responses=problems(409, notes={409: "A user has this email (`duplicate`)"}),
)
def add_user(body: UserIn, call: ApiCall = administering) -> dict[str, Any]:
    return call.run(
        lambda uow: do_create_user(**body.model_dump(), uow=uow),
        lambda user, _: _user_public(user),
    )


@router.get("/users/{user_id}", response_model=UserOut, summary="Read a user")
def read_user(user_id: int, call: ApiCall = reading) -> dict[str, Any]:
    return call.read(lambda session: _user_public(get_user(session, user_id)))


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    summary="Change a user",
    responses=problems(409, notes={409: "The last active admin must stay an active admin"}),
)
def change_user(user_id: int, body: UserPatch, call: ApiCall = administering) -> dict[str, Any]:
    return call.run(
        lambda uow: do_update_user(user_id, body.model_dump(exclude_unset=True), uow=uow),
        lambda user, _: _user_public(user),
    )


@router.post(
    "/users/{user_id}/tokens",
    status_code=201,
    response_model=IssuedToken,
    summary="Issue an API token (shown once)",
)
def issue_token(user_id: int, body: TokenIn, call: ApiCall = administering) -> dict[str, Any]:
    row, token = call.write(
        lambda uow: do_create_token(user_id, name=body.name, role=body.role, uow=uow)
    )
    return {"id": row.id, "name": row.name, "role": row.role, "token": token}
