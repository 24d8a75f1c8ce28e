"""The rule builder's rows folded into the catalogue's shape, and read back in words."""

from __future__ import annotations

from starlette.datastructures import FormData

import leadflow.sales.actions  # noqa: F401  (the sales actions join the catalogue, as in the app)
from leadflow.web.pages import rule_builder as rb


def test_condition_rows_fold_into_conditions_and_empty_rows_drop_out() -> None:
    form = FormData(
        [
            ("cond_field", "lead.campaign"),
            ("cond_op", "contains"),
            ("cond_value", " webinar "),
            ("cond_field", "lead.owner_id"),
            ("cond_op", "is_empty"),
            ("cond_value", "ignored"),
            ("cond_field", ""),
            ("cond_op", "eq"),
            ("cond_value", ""),
        ]
    )

    assert rb.conditions_from_form(form) == [
        {"field": "lead.campaign", "op": "contains", "value": "webinar"},
        {"field": "lead.owner_id", "op": "is_empty"},
    ]


def test_action_rows_keep_only_the_picked_actions_parameters() -> None:
    form = FormData(
        [
            ("a0.type", "set_field"),
            ("a0.set_field.field", "contact.job_title"),
            ("a0.set_field.value", "CTO"),
            ("a0.notify.title", "left over from another action"),
            ("a1.type", "move_to_stage"),
            ("a1.move_to_stage.stage", "sales_acceptance"),
            ("a1.move_to_stage.only_from", "inquiry"),
            ("a1.move_to_stage.only_from", "telemarketing_qualification"),
            ("a2.type", ""),
        ]
    )

    assert rb.actions_from_form(form) == [
        {"type": "set_field", "entity": "contact", "field": "job_title", "value": "CTO"},
        {
            "type": "move_to_stage",
            "stage": "sales_acceptance",
            "only_from": "inquiry,telemarketing_qualification",
        },
    ]


def test_a_rule_reads_back_with_labels_and_picked_names() -> None:
    specs = [
        {
            "name": "lead.status",
            "label": "Lead: Status",
            "kind": "choice",
            "ops": [],
            "options": [["open", "Open"]],
        }
    ]
    catalogue = [
        {
            "type": "notify",
            "label": "Notify a user or a role",
            "params": [
                {"name": "role", "label": "Role", "options": [("sales_manager", "Sales manager")]}
            ],
        }
    ]

    when = rb.describe_conditions(
        [{"field": "lead.status", "op": "eq", "value": "open"}], "all", specs
    )
    then = rb.describe_actions([{"type": "notify", "role": "sales_manager"}], catalogue)

    assert (when, then) == ("Lead: Status is Open", "Notify a user or a role (Role: Sales manager)")
    assert rb.trigger_label("lead.stage_changed") == "Lead: stage changed"
