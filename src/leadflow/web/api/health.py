"""API route of the service's health: is it up, does the database answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from leadflow.web.api.schemas import HealthOut
from leadflow.web.calls import OpenCall, open_call

router = APIRouter(tags=["health"])


@router.get(
    "/health", response_model=HealthOut, summary="Liveness and database reachability (open)"
)
def health(call: OpenCall = open_call()) -> dict[str, Any]:
    call.read(lambda session: session.execute(select(1)))
    return {"status": "ok", "database": call.container.engine.dialect.name}
