"""The designer page's pure parts: the settings form read and shown back, errors placed
on the settings field or the tile at fault, tiles and split results in words."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import FormData, UploadFile

from leadflow.errors import ValidationFailed
from leadflow.journeys.schemas import JourneyDefinition, JourneySettings
from leadflow.web.pages.journeys import (
    checked,
    describe_tile,
    error_target,
    settings_from_form,
    settings_view,
    tile_rows,
)

NAMES: dict[str, Any] = {
    "templates": [[4, "Welcome"], [5, "Reminder"]],
    "segments": [[7, "Contoso"]],
    "users": [[2, "Grace Hopper"]],
    "forms": [["3", "Contact us"]],
    "pages": [],
    "events": [["9", "Spring conference"]],
    "fields": {"contact": [{"name": "job_title", "label": "Job title"}], "lead": []},
    "actions": [],
}


def _form(**values: Any) -> FormData:
    items: list[tuple[str, str | UploadFile]] = []
    for key, value in values.items():
        for one in value if isinstance(value, list) else [value]:
            items.append((key, str(one)))
    return FormData(items)


def test_the_settings_form_reads_into_the_settings_the_service_takes() -> None:
    form = _form(
        target="account",
        audience_segment=["7", "8"],
        audience_mode="intersection",
        exclusion_segment="9",
        suppression_segment="10",
        start_event="form_submitted",
        start_form="3",
        start_segment="8",
        minimum_consent="marketing",
        reentry="after_interval",
        reentry_after_days="30",
        reentry_cap="3",
        goal="lead_sales_ready",
        window_on="1",
        window_day=["0", "2", "4"],
        window_start="8",
        window_end="18",
        time_zone="Europe/Paris",
        cap_messages="2",
        cap_days="7",
    )

    settings = checked(JourneySettings, settings_from_form(form), "settings")

    assert settings.model_dump(mode="json") == {
        "target": "account",
        "audience_segment_ids": [7, 8],
        "audience_mode": "intersection",
        "exclusion_segment_ids": [9],
        "suppression_segment_id": 10,
        "start_event": {"kind": "form_submitted", "id": 3},
        "minimum_consent": "marketing",
        "reentry": "after_interval",
        "reentry_after_days": 30,
        "reentry_cap": 3,
        "goal": "lead_sales_ready",
        "send_window": {"weekdays": [0, 2, 4], "start_hour": 8, "end_hour": 18},
        "time_zone": "Europe/Paris",
        "frequency_cap": {"messages": 2, "days": 7},
    }
    shown = settings_view(settings.model_dump(mode="json"), "Nurture")
    assert shown["audience"] == [7, 8] and shown["start_id"] == "3"
    assert shown["window_on"] is True and shown["window_days"] == [0, 2, 4]
    assert (shown["cap_messages"], shown["cap_days"]) == (2, 7)


def test_an_empty_settings_form_reads_as_the_defaults() -> None:
    settings = checked(JourneySettings, settings_from_form(_form()), "settings")

    assert settings == JourneySettings()
    shown = settings_view(settings.model_dump(mode="json"), "")
    assert shown["window_on"] is False and shown["cap_messages"] == ""
    # The interval fields are dropped when re-entry is "never", whatever they held.
    never = settings_from_form(_form(reentry="never", reentry_after_days="5"))
    assert never["reentry_after_days"] is None


def test_a_bad_number_is_refused_naming_the_setting() -> None:
    form = _form(cap_messages="lots", cap_days="7")

    with pytest.raises(ValidationFailed) as caught:
        checked(JourneySettings, settings_from_form(form), "settings")

    assert caught.value.field == "settings.frequency_cap.messages"
    assert error_target(caught.value.field, None) == ("cap", None)


def test_a_tile_missing_a_value_is_refused_naming_the_tile() -> None:
    raw = {
        "start": "email1",
        "tiles": [
            {"id": "email1", "kind": "send_email", "label": "", "next": "end1"},
            {"id": "end1", "kind": "end", "label": ""},
        ],
    }

    with pytest.raises(ValidationFailed) as caught:
        checked(JourneyDefinition, raw, "definition")

    assert caught.value.field == "definition.tiles[0].template_id"
    assert caught.value.message == "Template id is needed"
    assert error_target(caught.value.field, raw) == (None, "email1")


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("name", ("name", None)),
        ("settings.audience_segment_ids", ("audience", None)),
        ("settings.audience_segment_ids[1]", ("audience", None)),
        ("settings.send_window.end_hour", ("window", None)),
        ("settings.reentry_after_days", ("reentry", None)),
        ("definition.tiles[1].branches", (None, "split1")),
        ("definition.tiles[7]", (None, None)),
        ("definition.start", (None, None)),
        (None, (None, None)),
    ],
)
def test_errors_are_placed_on_the_setting_or_the_tile(
    field: str | None, expected: tuple[str | None, str | None]
) -> None:
    raw = {"start": "a", "tiles": [{"id": "a"}, {"id": "split1"}]}

    assert error_target(field, raw) == expected


def test_tiles_read_in_words_with_names_not_ids() -> None:
    condition = {
        "id": "if1",
        "kind": "condition",
        "any_of": True,
        "checks": [
            {"kind": "email_opened", "template_id": 4},
            {"kind": "form_submitted", "target_id": "3"},
            {"kind": "email_clicked", "template_id": None},
        ],
        "timeout_minutes": 4320,
    }
    wait = {
        "id": "w",
        "kind": "wait",
        "duration_minutes": 90,
        "window": {"weekdays": [4, 0], "start_hour": 9, "end_hour": 17},
    }
    task = {"id": "t", "kind": "create_task", "title": "Call", "owner": "user", "user_id": 2}

    assert describe_tile(condition, NAMES) == (
        "If opened 'Welcome' or submitted 'Contact us' or clicked any email within 3 days, else no"
    )
    assert describe_tile({"kind": "send_email", "template_id": 5}, NAMES) == "Send 'Reminder'"
    assert describe_tile(wait, NAMES) == "Wait 90 minutes, released Mon, Fri 9:00 to 17:00"
    assert describe_tile(task, NAMES) == "Task 'Call' for Grace Hopper"
    assert (
        describe_tile(
            {"kind": "update_field", "entity": "contact", "field": "job_title", "value": "CTO"},
            NAMES,
        )
        == "Set Contact: Job title to CTO"
    )


def test_tile_rows_follow_the_flow_with_counts_and_errors() -> None:
    definition: dict[str, Any] = {
        "start": "split1",
        "tiles": [
            {"id": "end1", "kind": "end"},
            {"id": "mail", "kind": "send_email", "template_id": 4, "next": "end1"},
            {
                "id": "split1",
                "kind": "split",
                "label": "Subject test",
                "branches": [
                    {"percent": 70, "next": "mail", "label": "Long"},
                    {"percent": 30, "next": None, "label": "Short"},
                ],
            },
        ],
    }
    counts: dict[str, dict[str, Any]] = {
        "split1": {"active": 0, "passed": 10, "branch_0": 6, "branch_1": 4},
        "mail": {"active": 2},
    }

    rows = tile_rows(definition, NAMES, counts, {"mail": "Pick an email"})

    assert [row["id"] for row in rows] == ["split1", "mail", "end1"]
    assert rows[0]["title"] == "Subject test"
    assert rows[0]["outcome"] == "Long: 6 · Short: 4"
    assert rows[1]["active"] == 2 and rows[1]["error"] == "Pick an email"
    assert rows[2]["summary"] == "Contacts finish here"
