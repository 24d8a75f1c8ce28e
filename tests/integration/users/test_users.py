from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from leadflow.bootstrap import Container
from leadflow.errors import Conflict, Unauthenticated, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.users.domain import Role
from leadflow.users.models import ApiToken
from leadflow.users.services import (
    Principal,
    create_token,
    create_user,
    resolve_token,
    revoke_token,
    update_user,
)
from leadflow.web.app import create_app


def _user(container: Container, role: str, email: str) -> int:
    with container.uow() as uow:
        user = create_user(email=email, name=email.split("@")[0], role=role, uow=uow)
        uow.commit()
        return user.id


def test_a_token_cannot_allow_more_than_its_user(container: Container) -> None:
    marketer = _user(container, "marketer", "m@example.com")
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        create_token(marketer, name="too much", role="sales_manager", uow=uow)
    assert caught.value.field == "role"
    with container.uow() as uow:
        row, _ = create_token(marketer, name="fine", role="marketer", uow=uow)
        uow.commit()
    assert row.role == "marketer"


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(container: Container) -> None:
    first = _user(container, "admin", "a1@example.com")
    with container.uow() as uow, pytest.raises(Conflict) as caught:
        update_user(first, {"role": "marketer"}, uow=uow)
    assert caught.value.field == "role"
    with container.uow() as uow, pytest.raises(Conflict):
        update_user(first, {"is_active": False}, uow=uow)
    second = _user(container, "admin", "a2@example.com")
    with container.uow() as uow:
        update_user(first, {"is_active": False}, uow=uow)
        uow.commit()
    with container.uow() as uow, pytest.raises(Conflict):
        update_user(second, {"role": "salesperson"}, uow=uow)


def test_capacity_cannot_be_negative(container: Container) -> None:
    seller = _user(container, "salesperson", "s@example.com")
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        update_user(seller, {"capacity": -1}, uow=uow)
    assert caught.value.field == "capacity"


def test_revoking_twice_keeps_the_first_time(container: Container) -> None:
    user_id = _user(container, "marketer", "r@example.com")
    with container.uow() as uow:
        row, _ = create_token(user_id, name="t", uow=uow)
        uow.commit()
    with container.uow() as uow:
        revoke_token(row.id, uow=uow)
        uow.commit()
    with container.uow() as uow:
        first = uow.session.get_one(ApiToken, row.id).revoked_at
        revoke_token(row.id, uow=uow)
        uow.commit()
    with container.read_session() as session:
        assert session.get_one(ApiToken, row.id).revoked_at == first


def test_token_use_is_recorded_at_most_every_few_minutes(container: Container) -> None:
    user_id = _user(container, "marketer", "u@example.com")
    with container.uow() as uow:
        row, token = create_token(user_id, name="t", uow=uow)
        uow.commit()
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(container)) as client:
        client.get("/api/v1/me", headers=headers)
        with container.read_session() as session:
            first = session.get_one(ApiToken, row.id).last_used_at
        assert first is not None
        client.get("/api/v1/me", headers=headers)
        with container.read_session() as session:
            assert session.get_one(ApiToken, row.id).last_used_at == first
        with container.session_factory() as session, session.begin():
            session.execute(
                update(ApiToken)
                .where(ApiToken.id == row.id)
                .values(last_used_at=utcnow() - timedelta(hours=1))
            )
        client.get("/api/v1/me", headers=headers)
        with container.read_session() as session:
            refreshed = session.get_one(ApiToken, row.id).last_used_at
    assert refreshed is not None and refreshed > first


def test_a_token_names_its_user_with_the_tokens_role_until_the_user_is_deactivated(
    container: Container,
) -> None:
    manager = _user(container, "sales_manager", "grace@example.com")
    with container.uow() as uow:
        _, token = create_token(manager, name="dialer", role="telemarketer", uow=uow)
        uow.commit()
    with container.read_session() as session:
        principal, _ = resolve_token(session, token)
    assert principal == Principal(manager, "grace", "grace@example.com", Role.TELEMARKETER, "token")

    with container.uow() as uow:
        update_user(manager, {"is_active": False}, uow=uow)
        uow.commit()
    with container.read_session() as session, pytest.raises(Unauthenticated) as refused:
        resolve_token(session, token)
    assert "inactive" in str(refused.value)
    with container.read_session() as session, pytest.raises(Unauthenticated):
        resolve_token(session, token + "x")
