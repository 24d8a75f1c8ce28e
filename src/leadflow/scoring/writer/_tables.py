"""The tables the writer reads and writes, its scratch tables, and what it needs of a model."""

from __future__ import annotations

from typing import Protocol, cast

from sqlalchemy import Column, Insert, Integer, MetaData, String, Table, Text

from leadflow.db.base import Id, JsonData
from leadflow.outbox import OutboxMessage
from leadflow.scoring.domain import ModelDefinition
from leadflow.scoring.models import LeadScore, ScoreHistory


class ScoredModel(Protocol):
    """What the writer needs of a compiled model (`engine.CompiledModel`)."""

    @property
    def id(self) -> int: ...
    @property
    def version(self) -> int: ...
    @property
    def threshold(self) -> int | None: ...
    @property
    def definition(self) -> ModelDefinition: ...
    def outcome_insert(self) -> Insert: ...


SCORES = cast(Table, LeadScore.__table__)
HISTORY = cast(Table, ScoreHistory.__table__)
OUTBOX = cast(Table, OutboxMessage.__table__)

_scratch = MetaData()

# One row per lead whose counts or version differ from its stored row (or that has
# none): what the writes copy, and what was stored. `changes` (the history's changed
# rules) is set where the stored row is this version's; a first score's come with
# its explanation from OUTCOMES, and where the stored row came from another version
# Python fills them in.
COMPUTED = Table(
    "scoring_computed",
    _scratch,
    Column("lead_id", Id, primary_key=True, autoincrement=False),
    Column("rule_times", Text, nullable=False),
    Column("score", Integer, nullable=False),
    Column("grade", String(100)),
    Column("changes", JsonData),
    Column("row_id", Id),
    Column("old_score", Integer),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
# The explanation, and a first score's changed rules, per distinct combination of
# counts: many leads share one (7,045 for 16,406 contact-based leads at 0.02 scale),
# and the JSON is the costly part of a row (PostgreSQL parses it into JSONB).
OUTCOMES = Table(
    "scoring_outcomes",
    _scratch,
    Column("rule_times", Text, primary_key=True),
    Column("explanation", JsonData, nullable=False),
    Column("first_changes", JsonData, nullable=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
SCRATCH = (COMPUTED, OUTCOMES)
SCORE_COLUMNS = (
    "lead_id",
    "model_id",
    "score",
    "grade",
    "model_version",
    "explanation",
    "rule_times",
    "computed_at",
)
HISTORY_COLUMNS = (
    "lead_id",
    "model_id",
    "old_score",
    "new_score",
    "grade",
    "changed_rules",
    "changed_at",
)
_EVENT_COLUMNS = ("event_type", "payload", "subject", "depth", "created_at", "attempts")
