"""Users, passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound, Unauthenticated, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.lib.normalize import InvalidEmail, normalize_email
from leadflow.users.domain import ROLE_PERMISSIONS, Role
from leadflow.users.events import UserCreated
from leadflow.users.models import ApiToken, User

_hasher = PasswordHasher()
TOKEN_PREFIX = "lf_"
MIN_PASSWORD = 8


@dataclass(frozen=True)
class Principal:
    """Who is calling, and as which role."""

    user_id: int
    name: str
    email: str
    role: Role
    via: str  # "token" or "session"


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed(
            f"Unknown role '{value}' (use one of {', '.join(Role)})",
            field="role",
            code=ErrorCode.ROLE_UNKNOWN,
        ) from None


def create_user(
    *,
    email: str,
    name: str,
    role: str,
    password: str | None = None,
    capacity: int | None = None,
    uow: UnitOfWork,
) -> User:
    """Add a user; the password is stored as an Argon2 hash only."""
    try:
        normalized = normalize_email(email)
    except InvalidEmail as exc:
        raise ValidationFailed(str(exc), code=ErrorCode.INVALID_EMAIL, field="email") from None
    if not name.strip():
        raise ValidationFailed("Name is required", code=ErrorCode.REQUIRED, field="name")
    checked_role = _role(role)
    if password is not None and len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            f"The password needs at least {MIN_PASSWORD} characters",
            field="password",
            code=ErrorCode.PASSWORD_TOO_SHORT,
        )
    existing = uow.session.scalar(select(User).where(User.email == normalized))
    if existing is not None:
        raise Conflict(
            f"A user with email {normalized} exists",
            code=ErrorCode.DUPLICATE,
            field="email",
            existing_id=existing.id,
        )
    user = User(
        email=normalized,
        name=name.strip(),
        role=checked_role.value,
        password_hash=_hasher.hash(password) if password else None,
        capacity=capacity,
    )
    uow.session.add(user)
    uow.session.flush()
    uow.publish(UserCreated(user.id, user.role))
    return user


def update_user(user_id: int, changes: dict[str, Any], *, uow: UnitOfWork) -> User:
    """Change a user; the last active admin can be neither demoted nor deactivated."""
    user = get_user(uow.session, user_id)
    was_active_admin = user.is_active and user.role == Role.ADMIN
    for key, value in changes.items():
        if key == "role":
            user.role = _role(str(value)).value
        elif key == "name":
            if not str(value).strip():
                raise ValidationFailed("Name is required", code=ErrorCode.REQUIRED, field="name")
            user.name = str(value).strip()
        elif key == "is_active":
            user.is_active = bool(value)
        elif key == "capacity":
            if value is not None and int(value) < 0:
                raise ValidationFailed(
                    "Capacity cannot be negative", field="capacity", code=ErrorCode.OUT_OF_RANGE
                )
            user.capacity = None if value is None else int(value)
        elif key == "password":
            if len(str(value)) < MIN_PASSWORD:
                raise ValidationFailed(
                    f"The password needs at least {MIN_PASSWORD} characters",
                    field="password",
                    code=ErrorCode.PASSWORD_TOO_SHORT,
                )
            user.password_hash = _hasher.hash(str(value))
        else:
            raise ValidationFailed(
                f"Unknown field '{key}' on user", code=ErrorCode.UNKNOWN_FIELD, field=key
            )
    still_active_admin = user.is_active and user.role == Role.ADMIN
    if was_active_admin and not still_active_admin and not _other_active_admins(uow.session, user):
        raise Conflict(
            "This is the last active admin; make another user admin first",
            field="role" if "role" in changes else "is_active",
            code=ErrorCode.LAST_ADMIN,
        )
    user.updated_at = utcnow()
    uow.session.flush()
    return user


def _other_active_admins(session: Session, user: User) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.is_active, User.id != user.id)
    )
    return int(count or 0)


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name, User.id)))


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """A user's tokens, newest first (only their hashes are stored)."""
    query = select(ApiToken).where(ApiToken.user_id == user_id)
    return list(session.scalars(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}", field="id")
    return user


def authenticate(session: Session, email: str, password: str) -> Principal:
    """Check an email and password; the error does not say which of the two was wrong."""
    try:
        normalized = normalize_email(email)
    except InvalidEmail:
        normalized = email.strip().casefold()
    user = session.scalar(select(User).where(User.email == normalized))
    failure = Unauthenticated("Wrong email or password")
    if user is None or not user.is_active or not user.password_hash:
        raise failure
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise failure from None
    return Principal(user.id, user.name, user.email, Role(user.role), "session")


def principal_for_user(session: Session, user_id: int) -> Principal | None:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return Principal(user.id, user.name, user.email, Role(user.role), "session")


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    user_id: int, *, name: str, role: str | None = None, uow: UnitOfWork
) -> tuple[ApiToken, str]:
    """Issue an API token; returns the row and the token, which is shown only now.

    A token may carry a narrower role than its user (an integration that only
    records interactions), never one that can do something the user cannot.
    """
    user = get_user(uow.session, user_id)
    token_role = _role(role) if role else Role(user.role)
    if not ROLE_PERMISSIONS[token_role] <= ROLE_PERMISSIONS[Role(user.role)]:
        raise ValidationFailed(
            f"A token of this {user.role} cannot carry the {token_role} role: "
            "it would allow more than the user may",
            field="role",
            code=ErrorCode.TOKEN_ROLE_EXCEEDS_USER,
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name.strip() or "token",
        token_hash=_hash_token(token),
        prefix=token[:10],
        role=token_role.value,
    )
    uow.session.add(row)
    uow.session.flush()
    return row, token


# "Last used" is for spotting stale tokens; writing it on every request would
# put a write on every read, so it is refreshed at most this often.
LAST_USED_PRECISION = timedelta(minutes=5)


# Every API request reads its token and user: one statement and plain rows, not two
# ORM loads (325 -> 195 us per request on SQLite).
_TOKEN_CALLER = select(
    ApiToken.id,
    ApiToken.role,
    ApiToken.revoked_at,
    ApiToken.last_used_at,
    User.id.label("user_id"),
    User.name,
    User.email,
    User.is_active,
).join(User, User.id == ApiToken.user_id)


def resolve_token(session: Session, token: str) -> tuple[Principal, int | None]:
    """The caller behind a token, and the token's id when its last-used time is due."""
    row = session.execute(
        _TOKEN_CALLER.where(ApiToken.token_hash == _hash_token(token))
    ).one_or_none()
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("Unknown or revoked API token")
    if not row.is_active:
        raise Unauthenticated("The token's user is inactive")
    principal = Principal(row.user_id, row.name, row.email, Role(row.role), "token")
    due = row.last_used_at is None or utcnow() - row.last_used_at >= LAST_USED_PRECISION
    return principal, row.id if due else None


def mark_token_used(token_id: int, *, uow: UnitOfWork) -> None:
    uow.session.execute(
        update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow())
    )


def revoke_token(token_id: int, *, uow: UnitOfWork) -> None:
    row = uow.session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"No token with id {token_id}", field="id")
    if row.revoked_at is None:
        row.revoked_at = utcnow()


# Use cases: what faces call. Each opens the unit of work (or joins the one its
# face holds open to render), runs the step above and commits.


do_create_user = in_own_transaction(create_user)
do_update_user = in_own_transaction(update_user)


def do_create_token(
    user_id: int, *, name: str, role: str | None = None, uow: UnitOfWork
) -> tuple[ApiToken, str]:
    """Issue an API token (see `create_token`), committed."""
    with uow:
        row, token = create_token(user_id, name=name, role=role, uow=uow)
        uow.commit()
        return row, token


do_mark_token_used = in_own_transaction(mark_token_used)
do_revoke_token = in_own_transaction(revoke_token)
