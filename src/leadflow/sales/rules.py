"""The C8 qualify workflow as a builtin automation rule."""

from __future__ import annotations

from leadflow.automation.builtin import builtin_rule

builtin_rule(
    "sales.qualified_clears_marketing_only",
    "Qualified leads' contacts are no longer marketing-only",
    trigger="lead.qualified",
    actions=[{"type": "clear_marketing_only"}],
    description="When a lead is qualified, its contact's marketing-only flag is cleared so "
    "sales sees it in the sales views.",
    group="Process",
    position=20,
)
