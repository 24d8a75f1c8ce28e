"""automatic stage moves live in the process definition: the builtin move rules go

Revision ID: 0009
Revises: 0008

Data: the three builtin automation rules that moved leads (sales-ready, telemarketing
ready, telemarketing accepted) are deleted with their runs, and the stored default
process gets a new version whose `transitions` carry those moves and the first-score
move. What the organisation had set on the rules is kept: a rule switched off becomes
a switched-off transition, and its edited from-stages stay. A database with no stored
default process gets it, transitions included, when the application seeds it.

Downgrade: definitions written with transitions are given back the `moves` the older
code reads; the rules come back when the older application seeds its builtin rules.
"""

from collections.abc import Sequence
from copy import deepcopy
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from leadflow.db.base import JsonData

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROCESS_KEY = "lead_to_opportunity"
INQUIRY = "inquiry"
MARKETING_QUALIFICATION = "automated_marketing_qualification"
TELEMARKETING_ACCEPTANCE = "telemarketing_acceptance"
TELEMARKETING_QUALIFICATION = "telemarketing_qualification"
SALES_ACCEPTANCE = "sales_acceptance"
FIRST_SCORE_SWITCH = "scoring.auto_marketing_qualification"

# The moves as shipped, by the rule key that carried each; the from-stages are the
# rules' `only_from` as shipped (a stored rule may have changed them).
RULE_MOVES: dict[str, tuple[str, str, list[str]]] = {
    "process.sales_ready_to_sales_acceptance": (
        "sales_ready",
        SALES_ACCEPTANCE,
        [INQUIRY, MARKETING_QUALIFICATION, TELEMARKETING_ACCEPTANCE, TELEMARKETING_QUALIFICATION],
    ),
    "process.telemarketing_ready_to_acceptance": (
        "telemarketing_ready",
        TELEMARKETING_ACCEPTANCE,
        [INQUIRY, MARKETING_QUALIFICATION],
    ),
    "process.telemarketing_accepted_to_qualification": (
        "telemarketing_accepted",
        TELEMARKETING_QUALIFICATION,
        [INQUIRY, MARKETING_QUALIFICATION, TELEMARKETING_ACCEPTANCE],
    ),
}

meta = sa.MetaData()
rules = sa.Table(
    "automation_rules",
    meta,
    sa.Column("id", sa.BigInteger),
    sa.Column("key", sa.String),
    sa.Column("enabled", sa.Boolean),
    sa.Column("actions", JsonData),
)
runs = sa.Table("automation_rule_runs", meta, sa.Column("rule_id", sa.BigInteger))
definitions = sa.Table(
    "process_definitions",
    meta,
    sa.Column("id", sa.BigInteger),
    sa.Column("key", sa.String),
    sa.Column("version", sa.Integer),
    sa.Column("name", sa.String),
    sa.Column("entity", sa.String),
    sa.Column("body", JsonData),
    sa.Column("is_default", sa.Boolean),
    sa.Column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    bind = op.get_bind()
    stored = {
        row.key: row for row in bind.execute(sa.select(rules).where(rules.c.key.in_(RULE_MOVES)))
    }
    latest = bind.execute(
        sa.select(definitions)
        .where(definitions.c.key == PROCESS_KEY)
        .order_by(definitions.c.version.desc())
        .limit(1)
    ).first()
    if latest is not None and "transitions" not in latest.body:
        body = deepcopy(latest.body)
        body["transitions"] = _transitions(body, stored)
        body.pop("moves", None)
        body["version"] = latest.version + 1
        bind.execute(
            definitions.insert().values(
                key=latest.key,
                version=latest.version + 1,
                name=latest.name,
                entity=latest.entity,
                body=body,
                is_default=latest.is_default,
                created_at=datetime.now(UTC),
            )
        )
    ids = [row.id for row in stored.values()]
    if ids:
        bind.execute(runs.delete().where(runs.c.rule_id.in_(ids)))
        bind.execute(rules.delete().where(rules.c.id.in_(ids)))


def _transitions(body: dict[str, Any], stored: dict[str, Any]) -> list[dict[str, Any]]:
    """The shipped transitions, as far as the stored stages allow, with the rules' settings."""
    stages = {stage["key"] for stage in body.get("stages", [])}
    transitions: list[dict[str, Any]] = []
    first_score = next(
        (move for move in body.get("moves", []) if move.get("when") == "lead.scored"), None
    )
    if first_score is not None and first_score.get("to") in stages:
        transitions.append(
            {
                "key": "first_score",
                "on": ["lead.scored"],
                "when": [],
                "from": [stage for stage in first_score.get("from", []) if stage in stages],
                "to": first_score["to"],
                "enabled": True,
                "switch": FIRST_SCORE_SWITCH,
            }
        )
    for rule_key, (flag, to, sources) in RULE_MOVES.items():
        if to not in stages:
            continue
        rule = stored.get(rule_key)
        enabled = True if rule is None else bool(rule.enabled)
        if rule is not None:
            sources = _only_from(rule.actions) or sources
        on = ["lead.created", "lead.updated"]
        if flag == "sales_ready":
            on.append("lead.sales_ready")
        transitions.append(
            {
                "key": flag,
                "on": on,
                "when": [{"field": flag, "op": "eq", "value": True}],
                "from": [stage for stage in sources if stage in stages],
                "to": to,
                "enabled": enabled,
            }
        )
    return transitions


def _only_from(actions: Any) -> list[str]:
    for action in actions or []:
        if isinstance(action, dict) and action.get("type") == "move_to_stage":
            allowed = action.get("only_from") or []
            if isinstance(allowed, str):
                allowed = [item.strip() for item in allowed.split(",")]
            return [item for item in allowed if item]
    return []


def downgrade() -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(definitions.c.id, definitions.c.body)).all():
        if "transitions" not in row.body:
            continue
        body = deepcopy(row.body)
        body["moves"] = [
            move for item in body.pop("transitions") if (move := _legacy_move(item)) is not None
        ]
        bind.execute(definitions.update().where(definitions.c.id == row.id).values(body=body))


def _legacy_move(transition: dict[str, Any]) -> dict[str, Any] | None:
    """The older `moves` entry a transition stands for (None: the older code has no such)."""
    if not transition.get("enabled", True):
        return None
    if "lead.scored" in transition.get("on", []):
        event = "lead.scored"
    else:
        flags = [c.get("field") for c in transition.get("when", []) if c.get("value") is True]
        if len(flags) != 1 or flags[0] not in (
            "sales_ready",
            "telemarketing_ready",
            "telemarketing_accepted",
        ):
            return None
        event = f"lead.{flags[0]}"
    return {"when": event, "to": transition["to"], "from": transition.get("from", [])}
