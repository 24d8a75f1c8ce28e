"""The stage transitions of the shipped process, as builtin automation rules.

Users see and switch them in /settings/automation. The first-score move stays
a handler of its own, because the org switch `scoring.auto_marketing_qualification`
is what turns it on and off.
"""

from __future__ import annotations

from leadflow.automation.builtin import builtin_rule
from leadflow.process import domain

OPEN = {"field": "lead.status", "op": "eq", "value": "open"}

builtin_rule(
    "process.sales_ready_to_sales_acceptance",
    "Sales-ready leads go to Sales acceptance",
    trigger="lead.sales_ready",
    conditions=[OPEN],
    actions=[
        {
            "type": "move_to_stage",
            "stage": domain.SALES_ACCEPTANCE,
            "only_from": ",".join(
                (
                    domain.INQUIRY,
                    domain.MARKETING_QUALIFICATION,
                    domain.TELEMARKETING_ACCEPTANCE,
                    domain.TELEMARKETING_QUALIFICATION,
                )
            ),
        }
    ],
    description="A lead marked sales-ready (by score or by hand) skips telemarketing and "
    "goes to the sales-acceptance queue.",
    group="Process",
    position=10,
)

builtin_rule(
    "process.telemarketing_ready_to_acceptance",
    "Telemarketing-ready leads go to Telemarketing acceptance",
    trigger="lead.updated",
    conditions=[
        OPEN,
        {"field": "event.changed", "op": "contains", "value": "telemarketing_ready"},
        {"field": "lead.telemarketing_ready", "op": "eq", "value": True},
    ],
    actions=[
        {
            "type": "move_to_stage",
            "stage": domain.TELEMARKETING_ACCEPTANCE,
            "only_from": f"{domain.INQUIRY},{domain.MARKETING_QUALIFICATION}",
        }
    ],
    description="Ticking telemarketing ready puts the lead in the telemarketing queue.",
    group="Process",
    position=11,
)

builtin_rule(
    "process.telemarketing_accepted_to_qualification",
    "Telemarketing-accepted leads go to Telemarketing qualification",
    trigger="lead.updated",
    conditions=[
        OPEN,
        {"field": "event.changed", "op": "contains", "value": "telemarketing_accepted"},
        {"field": "lead.telemarketing_accepted", "op": "eq", "value": True},
    ],
    actions=[
        {
            "type": "move_to_stage",
            "stage": domain.TELEMARKETING_QUALIFICATION,
            "only_from": ",".join(
                (domain.INQUIRY, domain.MARKETING_QUALIFICATION, domain.TELEMARKETING_ACCEPTANCE)
            ),
        }
    ],
    description="A telemarketer accepting the lead moves it on to qualification.",
    group="Process",
    position=12,
)
