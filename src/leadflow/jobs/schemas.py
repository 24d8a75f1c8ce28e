"""The API edge of jobs: what `GET /api/v1/jobs/{id}` and the list return."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class JobOut(BaseModel):
    id: int
    kind: str
    label: str
    status: str
    done: int
    total: int
    percent: int | None
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    requested_by: int | None
    cancel_requested: bool
    attempts: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    heartbeat_at: str | None


class JobList(BaseModel):
    items: list[JobOut]
