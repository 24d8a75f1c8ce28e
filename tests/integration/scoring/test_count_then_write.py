"""On SQLite a batch's leads are counted in a read transaction and their new scores
written in a short one after (`scoring/wiring.py`): other writers go on meanwhile, and
what changed in between never leaves a stale score. PostgreSQL rescores in one
transaction (its writers do not queue on one lock), so these run on SQLite."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from leadflow.bootstrap import Container
from leadflow.db.engine import sqlite_file
from leadflow.db.file_turn import FileTurn
from leadflow.leads.services import delete_lead
from leadflow.outbox import OutboxMessage
from leadflow.scoring import engine as scoring_engine
from leadflow.scoring import wiring as scoring_wiring
from leadflow.scoring.models import LeadScore, ScoringModel
from leadflow.scoring.services import go_live, lead_scores, stop_model, update_model
from tests.integration.scoring.helpers import (
    CLICKS,
    a_new_models_rescore_waits,
    click,
    live_model,
    make_contact,
    make_lead,
    score_of,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _between(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> list[set[int]]:
    """Run `action` once, after a batch's leads are counted and before they are written;
    returns the lead ids of every count."""
    counted: list[set[int]] = []
    count = scoring_wiring.count_differing

    def spy(session: Any, registry: Any, models: Any, lead_ids: Any, **kwargs: Any) -> Any:
        found = count(session, registry, models, lead_ids, **kwargs)
        counted.append(set(lead_ids))
        if len(counted) == 1:
            action()
        return found

    monkeypatch.setattr(scoring_wiring, "count_differing", spy)
    return counted


def _stored(container: Container, lead_id: int, model_id: int) -> tuple[int, int] | None:
    with container.read_session() as session:
        row = (
            session.query(LeadScore)
            .filter(LeadScore.lead_id == lead_id, LeadScore.model_id == model_id)
            .one_or_none()
        )
        return None if row is None else (row.score, row.model_version)


@dataclass(frozen=True)
class Scored:
    contact: int
    lead: int
    model: int

    def __iter__(self) -> Iterator[int]:
        return iter((self.contact, self.lead, self.model))


@pytest.fixture
def scored(container: Container) -> Scored:
    """A contact's lead, scored by a live model that gives 10 points a click."""
    contact = make_contact(container)
    lead = make_lead(container, parent_contact_id=contact)
    return Scored(contact, lead, live_model(container, rules=[CLICKS]))


def _spy_rescores(monkeypatch: pytest.MonkeyPatch) -> list[set[int]]:
    """The lead ids of every rescore in one write transaction."""
    rescored: list[set[int]] = []
    rescore = scoring_wiring.rescore_leads

    def spy(uow: Any, models: Any, lead_ids: Any, **kwargs: Any) -> Any:
        rescored.append(set(lead_ids))
        return rescore(uow, models, lead_ids, **kwargs)

    monkeypatch.setattr(scoring_wiring, "rescore_leads", spy)
    return rescored


def _turn_of_another_process(container: Container) -> FileTurn:
    """The scoring turn, taken through a descriptor of its own, as another process would."""
    database = sqlite_file(container.engine)
    assert database is not None
    turn = FileTurn(database, "scoring")
    assert turn.acquire(1)
    return turn


def test_other_writers_commit_while_a_batch_is_counted(
    container: Container, monkeypatch: pytest.MonkeyPatch, scored: Scored
) -> None:
    contact, lead, model = scored
    committed = threading.Event()

    def another_writer() -> None:
        make_contact(container, last_name="Meanwhile")
        committed.set()

    def write_from_another_thread() -> None:
        writer = threading.Thread(target=another_writer, daemon=True)
        writer.start()
        writer.join(timeout=5)

    counted = _between(monkeypatch, write_from_another_thread)
    click(container, contact)
    container.relay.drain()

    assert counted == [{lead}]
    # Had the count held the write lock, the other thread would still be waiting for it.
    assert committed.is_set()
    assert score_of(container, lead, model) == 10


def test_an_interaction_committed_between_count_and_write_is_scored_by_its_own_event(
    container: Container, monkeypatch: pytest.MonkeyPatch, scored: Scored
) -> None:
    contact, lead, model = scored
    counted = _between(monkeypatch, lambda: click(container, contact))
    click(container, contact)
    container.relay.drain()

    # The first batch wrote 10 from what it counted; the second click's own event
    # counted again after it.
    assert counted == [{lead}, {lead}]
    assert score_of(container, lead, model) == 20
    with container.read_session() as session:
        history = lead_scores(session, lead)["history"]
    # The rows carried from the count to the write keep the history's changed rules.
    assert [(item["old_score"], item["new_score"], item["changed_rules"]) for item in history][
        :2
    ] == [
        (10, 20, [{"rule": 0, "name": "Clicks", "old": 10, "new": 20}]),
        (0, 10, [{"rule": 0, "name": "Clicks", "old": 0, "new": 10}]),
    ]


def test_a_model_that_changed_between_count_and_write_is_counted_again_in_the_write(
    container: Container, monkeypatch: pytest.MonkeyPatch, scored: Scored
) -> None:
    contact, lead, model = scored

    def new_version() -> None:
        with container.uow() as uow:
            stop_model(model, uow=uow)
            update_model(model, {"rules": [{**CLICKS, "points": 100}]}, uow=uow)
            go_live(model, uow=uow)
            uow.commit()  # the test queue runs the new version's rescore after the commit

    _between(monkeypatch, new_version)
    rescored = _spy_rescores(monkeypatch)
    click(container, contact)
    container.relay.drain()

    with container.read_session() as session:
        version = session.get(ScoringModel, model).version  # type: ignore[union-attr]
    assert rescored == [{lead}]
    # Not the 10 the old version counted, written over the new version's score.
    assert _stored(container, lead, model) == (100, version)


def test_a_lead_deleted_between_count_and_write_gets_no_score_and_the_batch_goes_through(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    contact = make_contact(container)
    kept = make_lead(container, parent_contact_id=contact, topic="Kept")
    gone = make_lead(container, parent_contact_id=contact, topic="Gone")
    model = live_model(container, rules=[CLICKS])

    def delete_one() -> None:
        with container.uow() as uow:
            delete_lead(gone, uow=uow)
            uow.commit()

    counted = _between(monkeypatch, delete_one)
    click(container, contact)
    container.relay.drain()

    assert counted[0] == {kept, gone}
    assert _stored(container, gone, model) is None
    assert score_of(container, kept, model) == 10
    with container.read_session() as session:
        failed = session.query(OutboxMessage).filter(OutboxMessage.last_error.is_not(None)).all()
    assert failed == []


def test_a_batch_waits_its_turn_while_another_process_rescores(
    container: Container, monkeypatch: pytest.MonkeyPatch, scored: Scored
) -> None:
    contact, lead, model = scored
    other_process = _turn_of_another_process(container)
    counted_at: list[float] = []
    count = scoring_wiring.count_differing

    def spy(*args: Any, **kwargs: Any) -> Any:
        counted_at.append(time.monotonic())
        return count(*args, **kwargs)

    monkeypatch.setattr(scoring_wiring, "count_differing", spy)
    released_at: list[float] = []

    def release_later() -> None:
        time.sleep(0.3)
        released_at.append(time.monotonic())
        other_process.release()

    releaser = threading.Thread(target=release_later)
    releaser.start()
    click(container, contact)
    container.relay.drain()
    releaser.join()

    assert len(counted_at) == 1 and counted_at[0] >= released_at[0]
    assert score_of(container, lead, model) == 10


def test_a_turn_not_had_in_time_rescores_in_one_write_transaction(
    container: Container, monkeypatch: pytest.MonkeyPatch, scored: Scored
) -> None:
    contact, lead, model = scored
    other_process = _turn_of_another_process(container)
    monkeypatch.setattr(scoring_engine, "SCORING_TURN_SECONDS", 0.05)
    rescored = _spy_rescores(monkeypatch)
    try:
        click(container, contact)
        container.relay.drain()
    finally:
        other_process.release()

    assert rescored == [{lead}]
    assert score_of(container, lead, model) == 10


def test_a_full_rescore_range_waits_while_another_process_rescores(
    container: Container,
) -> None:
    turns: list[FileTurn] = []
    a_new_models_rescore_waits(
        container,
        hold=lambda: turns.append(_turn_of_another_process(container)),
        release=lambda: turns[0].release(),
    )
