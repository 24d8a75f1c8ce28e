"""The pure step engine: tiles, stimuli, windows, splits and definition checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow.errors import ValidationFailed
from leadflow.journeys import domain
from leadflow.journeys.domain import (
    ContactContext,
    Leave,
    Observed,
    Outcome,
    Position,
    PositionStatus,
    Record,
    SendEmail,
    TimeCame,
)
from leadflow.journeys.schemas import JourneyDefinition, JourneySettings, SendWindow

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # a Wednesday
CONTACT = ContactContext(contact_id=7)


def _definition(*tiles: dict[str, Any]) -> JourneyDefinition:
    return JourneyDefinition.model_validate({"start": tiles[0]["id"], "tiles": list(tiles)})


def _enter(definition: JourneyDefinition, settings: JourneySettings | None = None, **kw: Any):  # type: ignore[no-untyped-def]
    return domain.enter(definition, settings or JourneySettings(), kw.get("context", CONTACT), NOW)


NURTURE = _definition(
    {"id": "mail", "kind": "send_email", "template_id": 3, "next": "opened"},
    {
        "id": "opened",
        "kind": "condition",
        "checks": [{"kind": "email_opened", "template_id": 3}],
        "timeout_minutes": 60,
        "yes": "lead",
        "no": "reminder",
    },
    {"id": "lead", "kind": "create_lead", "next": None},
    {"id": "reminder", "kind": "send_email", "template_id": 4},
)


def test_entering_sends_the_email_and_parks_on_the_condition() -> None:
    result = _enter(NURTURE)
    assert result.position == Position(
        "opened",
        PositionStatus.WAITING,
        NOW + timedelta(minutes=60),
        {"since": NOW.isoformat(), "matched": []},
    )
    assert result.commands == (SendEmail("mail", 3), Record("mail", Outcome.SENT))


def test_an_open_of_that_email_takes_the_yes_branch() -> None:
    parked = _enter(NURTURE).position
    seen = Observed("email_opened", NOW + timedelta(minutes=5), template_id=3)
    result = domain.step(NURTURE, JourneySettings(), parked, seen, NOW, CONTACT)
    assert result.position.status is PositionStatus.DONE
    assert result.commands == (
        Record("opened", Outcome.YES),
        domain.CreateLead("lead", "contact", ""),
        Record("lead", Outcome.PASSED),
    )


def test_an_open_before_the_contact_arrived_or_of_another_email_is_ignored() -> None:
    parked = _enter(NURTURE).position
    for seen in (
        Observed("email_opened", NOW - timedelta(minutes=1), template_id=3),
        Observed("email_opened", NOW + timedelta(minutes=1), template_id=4),
        Observed("email_clicked", NOW + timedelta(minutes=1), template_id=3),
    ):
        result = domain.step(NURTURE, JourneySettings(), parked, seen, NOW, CONTACT)
        assert (result.position, result.commands) == (parked, ())


WAIT_THEN_ASK = _definition(
    {"id": "mail", "kind": "send_email", "template_id": 3, "next": "pause"},
    {"id": "pause", "kind": "wait", "duration_minutes": 30, "next": "opened"},
    {
        "id": "opened",
        "kind": "condition",
        "checks": [{"kind": "email_opened", "template_id": 3}],
        "timeout_minutes": 60,
        "yes": "lead",
        "no": "reminder",
    },
    {"id": "lead", "kind": "create_lead", "next": None},
    {"id": "reminder", "kind": "send_email", "template_id": 4},
)


def test_an_open_during_the_wait_before_the_condition_takes_the_yes_branch() -> None:
    waiting = _enter(WAIT_THEN_ASK).position
    later = NOW + timedelta(minutes=30)
    opened = Observed("email_opened", NOW + timedelta(minutes=2), template_id=3)
    with_open = ContactContext(contact_id=7, earlier=[opened])
    result = domain.step(WAIT_THEN_ASK, JourneySettings(), waiting, TimeCame(), later, with_open)
    assert result.position.status is PositionStatus.DONE
    assert Record("opened", Outcome.YES) in result.commands
    assert domain.CreateLead("lead", "contact", "") in result.commands


def test_without_an_earlier_open_the_contact_waits_on_the_condition() -> None:
    waiting = _enter(WAIT_THEN_ASK).position
    later = NOW + timedelta(minutes=30)
    other = Observed("email_opened", NOW + timedelta(minutes=2), template_id=99)
    context = ContactContext(contact_id=7, earlier=[other])
    result = domain.step(WAIT_THEN_ASK, JourneySettings(), waiting, TimeCame(), later, context)
    assert result.position.tile_id == "opened"
    assert result.position.status is PositionStatus.WAITING
    assert result.position.state["matched"] == []


PER_ACCOUNT = _definition(
    *(
        {**tile.model_dump(), "per_account": True}
        if tile.kind == "condition"
        else tile.model_dump()
        for tile in WAIT_THEN_ASK.tiles
    )
)


def _after_the_wait(definition: JourneyDefinition, context: ContactContext):  # type: ignore[no-untyped-def]
    waiting = _enter(definition).position
    return domain.step(
        definition, JourneySettings(), waiting, TimeCame(), NOW + timedelta(minutes=30), context
    )


def test_a_per_account_condition_looks_back_on_what_the_account_did() -> None:
    by_a_colleague = Observed("email_opened", NOW + timedelta(minutes=2), template_id=3)
    context = ContactContext(contact_id=7, earlier=[], account_earlier=[by_a_colleague])
    result = _after_the_wait(PER_ACCOUNT, context)
    assert result.position.status is PositionStatus.DONE
    assert Record("opened", Outcome.YES) in result.commands
    # The same look-back does not decide a condition decided per contact.
    alone = _after_the_wait(WAIT_THEN_ASK, context)
    assert (alone.position.tile_id, alone.position.status) == ("opened", PositionStatus.WAITING)


def test_a_per_account_condition_waits_when_the_account_did_nothing_it_checks() -> None:
    other_email = Observed("email_opened", NOW + timedelta(minutes=2), template_id=99)
    context = ContactContext(contact_id=7, account_earlier=[other_email])
    result = _after_the_wait(PER_ACCOUNT, context)
    assert (result.position.tile_id, result.position.status) == ("opened", PositionStatus.WAITING)
    assert result.position.state["matched"] == []


def test_a_per_account_condition_of_a_contact_without_account_looks_back_on_its_own() -> None:
    own = Observed("email_opened", NOW + timedelta(minutes=2), template_id=3)
    result = _after_the_wait(PER_ACCOUNT, ContactContext(contact_id=7, earlier=[own]))
    assert Record("opened", Outcome.YES) in result.commands


def test_since_entry_keeps_only_what_happened_from_the_entry_on() -> None:
    before = Observed("email_opened", NOW - timedelta(seconds=1), template_id=3)
    at = Observed("email_opened", NOW, template_id=3)
    after = Observed("page_visited", NOW + timedelta(days=2), target_id="7")
    assert domain.since_entry([before, at, after], NOW) == [at, after]


def test_the_timeout_takes_the_no_branch() -> None:
    parked = _enter(NURTURE).position
    early = domain.step(NURTURE, JourneySettings(), parked, TimeCame(), NOW, CONTACT)
    assert early.position == parked
    later = NOW + timedelta(minutes=60)
    result = domain.step(NURTURE, JourneySettings(), parked, TimeCame(), later, CONTACT)
    assert result.commands == (
        Record("opened", Outcome.NO),
        SendEmail("reminder", 4),
        Record("reminder", Outcome.SENT),
    )


def test_leaving_exits_where_the_contact_stands() -> None:
    parked = _enter(NURTURE).position
    result = domain.step(NURTURE, JourneySettings(), parked, Leave("goal"), NOW, CONTACT)
    assert result.position.status is PositionStatus.EXITED
    assert result.commands == (Record("opened", Outcome.EXITED), domain.Exit("goal"))
    # A finished position never moves again.
    again = domain.step(NURTURE, JourneySettings(), result.position, TimeCame(), NOW, CONTACT)
    assert (again.position, again.commands) == (result.position, ())


def test_the_frequency_cap_skips_the_email_and_goes_on() -> None:
    settings = JourneySettings.model_validate({"frequency_cap": {"messages": 2, "days": 7}})
    context = ContactContext(contact_id=7, sent_in_cap_window=2)
    result = domain.enter(NURTURE, settings, context, NOW)
    assert result.commands[0] == Record("mail", Outcome.CAPPED)
    assert result.position.tile_id == "opened"


def test_the_send_window_parks_the_email_until_it_opens_in_the_contacts_zone() -> None:
    window = {"weekdays": [0, 1, 2, 3, 4], "start_hour": 9, "end_hour": 17}
    settings = JourneySettings.model_validate({"send_window": window})
    # 10:00 UTC is 19:00 in Tokyo: tomorrow 09:00 Tokyo = 00:00 UTC.
    tokyo = ContactContext(contact_id=7, time_zone="Asia/Tokyo")
    result = domain.enter(NURTURE, settings, tokyo, NOW)
    assert (result.position.tile_id, result.position.due_at) == (
        "mail",
        datetime(2026, 12, 3, 0, 0, tzinfo=UTC),
    )
    assert result.commands == ()
    sent = domain.step(
        NURTURE,
        settings,
        result.position,
        TimeCame(),
        result.position.due_at,
        tokyo,  # type: ignore[arg-type]
    )
    assert sent.commands[0] == SendEmail("mail", 3)


@given(
    moment=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC)
    ),
    days=st.sets(st.integers(0, 6), min_size=1),
    start=st.integers(0, 22),
    length=st.integers(1, 12),
    zone=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]),
)
def test_the_window_opening_is_inside_the_window_and_never_before_the_moment(
    moment: datetime, days: set[int], start: int, length: int, zone: str
) -> None:
    window = SendWindow(weekdays=sorted(days), start_hour=start, end_hour=min(start + length, 24))
    opening = domain.window_opening(moment, window, zone)
    local = opening.astimezone(domain.zone(zone))
    assert opening >= moment
    assert opening - moment <= timedelta(days=8)
    assert local.weekday() in days
    assert window.start_hour <= local.hour < window.end_hour or opening == moment


def test_split_draws_give_each_branch_its_percentage() -> None:
    picks = [domain.pick_branch([20, 30, 50], draw) for draw in range(100)]
    assert [picks.count(index) for index in range(3)] == [20, 30, 50]


def test_a_split_keeps_a_branch_given_before() -> None:
    definition = _definition(
        {
            "id": "ab",
            "kind": "split",
            "branches": [{"percent": 50, "next": "a"}, {"percent": 50, "next": "b"}],
        },
        {"id": "a", "kind": "end"},
        {"id": "b", "kind": "end"},
    )
    fresh = domain.enter(
        definition, JourneySettings(), ContactContext(7, split_draws={"ab": 10}), NOW
    )
    assert fresh.commands[:2] == (domain.AssignBranch("ab", 0), Record("ab", Outcome.BRANCH, 0))
    kept = domain.enter(
        definition,
        JourneySettings(),
        ContactContext(7, split_branches={"ab": 1}, split_draws={"ab": 10}),
        NOW,
    )
    assert kept.commands[0] == Record("ab", Outcome.BRANCH, 1)


@st.composite
def chains(draw: st.DrawFn) -> JourneyDefinition:
    """Random acyclic definitions: each tile leads only to tiles after it."""
    count = draw(st.integers(1, 12))
    tiles: list[dict[str, Any]] = []
    for index in range(count):
        later = [f"t{j}" for j in range(index + 1, count)]
        target = st.sampled_from([*later, None]) if later else st.just(None)
        kind = draw(st.sampled_from(["send_email", "wait", "condition", "split", "update"]))
        tile: dict[str, Any] = {"id": f"t{index}"}
        if kind == "send_email":
            tile.update(kind="send_email", template_id=1, next=draw(target))
        elif kind == "wait":
            tile.update(kind="wait", duration_minutes=draw(st.integers(0, 90)), next=draw(target))
        elif kind == "condition":
            tile.update(
                kind="condition",
                checks=[{"kind": "email_opened"}],
                timeout_minutes=draw(st.integers(1, 90)),
                yes=draw(target),
                no=draw(target),
            )
        elif kind == "split":
            tile.update(
                kind="split",
                branches=[
                    {"percent": 30, "next": draw(target)},
                    {"percent": 70, "next": draw(target)},
                ],
            )
        else:
            tile.update(kind="update_field", entity="contact", field="job_title", next=draw(target))
        tiles.append(tile)
    return JourneyDefinition.model_validate({"start": "t0", "tiles": tiles})


@given(definition=chains(), draw=st.integers(0, 99), opens=st.booleans())
def test_any_acyclic_journey_finishes_and_runs_each_tile_at_most_once(
    definition: JourneyDefinition, draw: int, opens: bool
) -> None:
    domain.check_definition(definition)
    context = ContactContext(7, split_draws={tile.id: draw for tile in definition.tiles})
    position = Position(definition.start, PositionStatus.DUE, NOW)
    now = NOW
    recorded: list[str] = []
    for _ in range(2 * len(definition.tiles) + 1):
        stimulus: Any = TimeCame()
        here = definition.by_id().get(position.tile_id or "")
        if opens and position.status is PositionStatus.WAITING and here.kind == "condition":  # type: ignore[union-attr]
            stimulus = Observed("email_opened", now)
        result = domain.step(definition, JourneySettings(), position, stimulus, now, context)
        recorded += [c.tile_id for c in result.commands if isinstance(c, Record)]
        position = result.position
        if not position.active:
            break
        now = max(now, position.due_at or now)
    assert position.status is PositionStatus.DONE
    assert len(recorded) == len(set(recorded))


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        ({"start": "zz", "tiles": [{"id": "a", "kind": "end"}]}, "definition.start"),
        (
            {"start": "a", "tiles": [{"id": "a", "kind": "end"}, {"id": "a", "kind": "end"}]},
            "definition.tiles[1].id",
        ),
        (
            {"start": "a", "tiles": [{"id": "a", "kind": "wait", "next": None}]},
            "definition.tiles[0].duration_minutes",
        ),
        (
            {
                "start": "a",
                "tiles": [
                    {
                        "id": "a",
                        "kind": "condition",
                        "checks": [{"kind": "email_opened"}],
                        "timeout_minutes": 5,
                        "yes": "a",
                    }
                ],
            },
            "definition.tiles[0]",
        ),
    ],
)
def test_check_definition_names_the_path_at_fault(definition: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        domain.check_definition(JourneyDefinition.model_validate(definition))
    assert caught.value.field == field


def test_message_keys_name_the_step() -> None:
    assert domain.message_key(1, 2, 3, 4, "mail") == "j1:v2:c3:e4:mail"
