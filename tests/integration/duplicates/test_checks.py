"""Duplicate checks on both databases: run in the background when records change, read
from what the last one found, merged pairs gone at once, a slow one spaced out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact
from leadflow.duplicates import services as duplicates
from leadflow.duplicates.models import DuplicateCandidate, DuplicateCheck
from leadflow.duplicates.tasks import run_check
from leadflow.errors import ValidationFailed
from leadflow.leads.services import create_lead
from leadflow.lib.clock import utcnow
from leadflow.matching.services import (
    create_strategy,
    do_create_strategy,
    do_update_strategy,
    strategy_by_seed_key,
)

# Duplicates are checked after every change, so a test sees its own at once.
pytestmark = pytest.mark.settings(duplicate_check_pause_seconds=0)


def _contacts(container: Container, *emails: str) -> list[int]:
    with container.uow() as uow:
        ids = [create_contact({"email": email}, uow=uow).id for email in emails]
        uow.commit()
    return ids


def _pairs(container: Container) -> list[tuple[int, int, str]]:
    with container.read_session() as session:
        found = duplicates.candidate_pairs(session, container.registry(), "contact")
    return [(pair.first_id, pair.second_id, pair.strategy) for pair in found.pairs]


def test_a_change_queues_a_check_and_the_list_reads_what_it_found(container: Container) -> None:
    first, second = _contacts(container, "twin@example.test", "TWIN@example.test")

    # Committed, not yet handled: the list is the last check's, which has not run.
    assert _pairs(container) == []
    container.relay.drain()

    assert _pairs(container) == [(first, second, "Email")]
    with container.read_session() as session:
        state = duplicates.check_state(session, "contact")
    assert state.finished_at is not None and not state.stale()


def test_a_merged_pair_leaves_the_list_before_the_next_check(container: Container) -> None:
    first, second = _contacts(container, "twin@example.test", "twin@example.test")
    container.relay.drain()
    assert _pairs(container) == [(first, second, "Email")]

    with container.uow() as uow:
        duplicates.do_merge("contact", first, second, take=[], uow=uow)
    # The stored pair is still there; the list leaves out what is merged.
    with container.read_session() as session:
        stored = session.scalar(select(func.count()).select_from(DuplicateCandidate))
    assert stored == 1
    assert _pairs(container) == []


def test_a_slow_check_waits_its_gap_and_check_now_does_not(
    container: Container, make_container: Callable[..., Container]
) -> None:
    # The tests' containers check at once; a deployment's waits between checks.
    deployed = make_container(duplicate_check_pause_seconds=10)
    (first,) = _contacts(container, "twin@example.test")
    container.relay.drain()
    with container.uow() as uow:
        row = uow.session.get(DuplicateCheck, "contact")
        assert row is not None
        # As if the last check took long and just ended, and a record changed since.
        row.seconds = 5.0
        row.finished_at = utcnow()
        row.started_at = row.finished_at - timedelta(seconds=row.seconds)
        row.requested_at = utcnow()
        uow.commit()
    (twin,) = _contacts(container, "twin@example.test")

    assert run_check(deployed, "contact") is None  # queued for later, not run now
    assert _pairs(container) == []

    with container.uow() as uow:
        duplicates.do_check_now(["contact"], uow=uow)
    assert _pairs(container) == [(first, twin, "Email")]


def test_a_new_strategy_checks_again_and_finds_what_it_matches(container: Container) -> None:
    with container.uow() as uow:
        first = create_contact({"email": "a@example.test", "phone": "+44 20 7946 0000"}, uow=uow)
        second = create_contact({"email": "b@example.test", "phone": "+44 20 7946 0000"}, uow=uow)
        uow.commit()
    container.relay.drain()
    assert _pairs(container) == []  # no shipped strategy compares phones

    with container.uow() as uow:
        do_create_strategy({"name": "Phone", "target": "contact", "fields": ["phone"]}, uow=uow)
    container.relay.drain()

    assert _pairs(container) == [(first.id, second.id, "Phone")]


@pytest.mark.settings(duplicate_check_pause_seconds=-1)
def test_with_a_negative_pause_only_check_now_checks(container: Container) -> None:
    first, second = _contacts(container, "twin@example.test", "twin@example.test")
    container.relay.drain()

    # The same change that queues a check above queues none here.
    assert _pairs(container) == []
    with container.read_session() as session:
        assert duplicates.check_state(session, "contact").requested_at is None

    with container.uow() as uow:
        duplicates.do_check_now(["contact"], uow=uow)
    assert _pairs(container) == [(first, second, "Email")]


def _lead_pairs(container: Container) -> list[tuple[int, int, str]]:
    with container.read_session() as session:
        found = duplicates.candidate_pairs(session, container.registry(), "lead")
    return [(pair.first_id, pair.second_id, pair.strategy) for pair in found.pairs]


def test_a_strategy_that_does_not_list_duplicates_is_left_out_of_the_check(
    container: Container,
) -> None:
    # One person's two inquiries: the same email, different topics and pages.
    with container.uow() as uow:
        first = create_lead({"email": "ada@example.test", "topic": "Whitepaper"}, uow=uow)
        second = create_lead({"email": "ada@example.test", "topic": "Inbound call"}, uow=uow)
        linkedin = strategy_by_seed_key(uow.session, "linkedin_lead_email")
        assert linkedin is not None and linkedin.fields == ["email"]
        # Shipped so: email alone finds a LinkedIn lead's earlier lead to update.
        assert not linkedin.lists_duplicates
        uow.commit()
    container.relay.drain()
    assert _lead_pairs(container) == []

    with container.uow() as uow:
        do_update_strategy(linkedin.id, {"lists_duplicates": True}, uow=uow)
    container.relay.drain()  # the change checks leads again
    assert _lead_pairs(container) == [(first.id, second.id, linkedin.name)]

    with container.uow() as uow:
        do_update_strategy(linkedin.id, {"lists_duplicates": False}, uow=uow)
    container.relay.drain()
    assert _lead_pairs(container) == []


def test_lists_duplicates_must_be_true_or_false(container: Container) -> None:
    with container.uow() as uow, pytest.raises(ValidationFailed) as raised:
        create_strategy(
            {"name": "Phone", "target": "contact", "fields": ["phone"], "lists_duplicates": "no"},
            uow=uow,
        )
    assert raised.value.field == "lists_duplicates"
