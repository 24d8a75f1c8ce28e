"""A database error a value caused is a logged 409 or 422 problem, never a 500.

The checks at the edge keep such values from SQL; these routes skip them on
purpose (written only here) to show the net under them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.orm import Session

from leadflow.accounts.models import Account
from leadflow.contacts.models import Contact
from leadflow.lib.clock import utcnow
from leadflow.web.auth import container_of


def _duplicate_custom_field(session: Session) -> None:
    from leadflow.registry.models import CustomField

    for _ in range(2):
        session.execute(
            insert(CustomField).values(
                entity="contact", name="twice", label="Twice", type="text", options=[]
            )
        )


def _account_without_name(session: Session) -> None:
    now = utcnow()
    session.execute(insert(Account).values(name=None, custom={}, created_at=now, updated_at=now))


def _contact_beyond_bigint(session: Session) -> None:
    session.get(Contact, 2**63)


STATEMENTS: dict[str, Callable[[Session], None]] = {
    "duplicate": _duplicate_custom_field,
    "not-null": _account_without_name,
    "out-of-range": _contact_beyond_bigint,
}


@pytest.fixture
def unchecked(app: FastAPI) -> FastAPI:
    """The app with routes that run a statement as it is, no edge checks."""

    def run(request: Request, name: str) -> dict[str, Any]:
        with container_of(request).uow() as uow:
            STATEMENTS[name](uow.session)
            uow.commit()
        return {}

    app.add_api_route("/api/v1/unchecked/{name}", run, methods=["POST"])
    return app


@pytest.mark.parametrize(
    ("name", "status", "code", "field"),
    [
        ("duplicate", 409, "conflict", None),
        ("not-null", 422, "required", "name"),
        ("out-of-range", 422, "out_of_range", None),
    ],
)
def test_a_database_error_is_a_logged_problem(
    unchecked: FastAPI,
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
    name: str,
    status: int,
    code: str,
    field: str | None,
) -> None:
    with caplog.at_level(logging.WARNING, logger="leadflow.web.errors"):
        response = client.post(f"/api/v1/unchecked/{name}")
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem.get("field")) == (code, field)
    [record] = caplog.records
    assert f"/api/v1/unchecked/{name}" in record.getMessage()
