"""Users and tokens for tests."""

from __future__ import annotations

import uuid

from leadflow.bootstrap import Container
from leadflow.users.services import create_token, create_user

PASSWORD = "correct-horse-battery"


def user_with_token(
    container: Container, role: str, *, password: str = PASSWORD
) -> tuple[int, str, str]:
    """Creates a user of `role`; returns (user id, email, API token)."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.test"
    with container.uow() as uow:
        user = create_user(email=email, name=f"Test {role}", role=role, password=password, uow=uow)
        _, token = create_token(user.id, name="test", uow=uow)
        uow.commit()
        return user.id, email, token
