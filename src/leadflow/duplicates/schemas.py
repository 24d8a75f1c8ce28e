"""API shapes of the duplicates capability."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from leadflow.lib.bounds import RowId


class MergeIn(BaseModel):
    """Merge `other_id` into the record of the path; `take` names the fields whose value
    comes from the other record (the survivor keeps its own for the rest)."""

    other_id: RowId
    take: list[str] = Field(default_factory=list, max_length=200)


class CandidateOut(BaseModel):
    entity: str
    first_id: int
    second_id: int
    first_title: str
    second_title: str
    strategy: str
    count: int


class CandidateList(BaseModel):
    items: list[CandidateOut]
    checked_at: datetime | None = Field(description="When the last check finished")
    check_seconds: float | None = Field(description="How long the last check took")
    checking: bool = Field(description="A check is running")
    stale: bool = Field(description="Records changed since the last check began")


class CheckQueued(BaseModel):
    entity: str
    queued: bool
