"""The hand-over's API edge: the bodies of tasks, assignment, qualification and deadlines."""

from __future__ import annotations

from pydantic import BaseModel, Field

from leadflow.lib.bounds import RowId


class TaskBody(BaseModel):
    lead_id: RowId
    queue: str | None = Field(default=None, max_length=64)
    owner_id: RowId | None = None
    title: str | None = Field(default=None, max_length=300)
    hours: float | None = Field(default=None, gt=0, le=8760)


class AssignBody(BaseModel):
    user_id: RowId | None = None
    round_robin: bool = False


class QualifyBody(BaseModel):
    create_opportunity: bool = True
    use_or_create_contact: bool = True
    use_or_create_account: bool = True


class DisqualifyBody(BaseModel):
    status_reason: str = Field(min_length=1, max_length=32)


class RecycleBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class DeadlineBody(BaseModel):
    queue: str = Field(min_length=1, max_length=64)
    hours: float
