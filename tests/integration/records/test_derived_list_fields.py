"""Lead lists by score, grade, stage and last activity: derived fields on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact
from leadflow.errors import ValidationFailed
from leadflow.interactions.services import record_interaction
from leadflow.leads.services import create_lead
from leadflow.records.listing import derived_values, parse_list_params, run_list
from leadflow.saved_views import services as views
from leadflow.scoring.models import LeadScore, ScoringModel
from tests.support.factories import user_with_token

COLUMNS = ["score", "grade", "stage", "last_activity_at", "owner_id"]


def _leads(container: Container) -> dict[str, int]:
    """Three leads: Ada scored 80 (A) and 30 (C) by two models, Bob 40 (B), Cy unscored."""
    with container.uow() as uow:
        ada_contact = create_contact({"email": "ada@example.test"}, uow=uow).id
        ada = create_lead({"topic": "Ada", "parent_contact_id": ada_contact}, uow=uow).id
        bob = create_lead({"topic": "Bob"}, uow=uow).id
        cy = create_lead({"topic": "Cy"}, uow=uow).id
        record_interaction(
            {
                "contact_id": ada_contact,
                "kind": "email_opened",
                "occurred_at": "2026-03-04T05:06:07Z",
            },
            uow=uow,
        )
        uow.commit()
    container.relay.drain()
    # Scores written straight after the events settled: what the engine would have left.
    with container.uow() as uow:
        first = ScoringModel(name="Fit", definition={}, status="stopped", version=1)
        second = ScoringModel(name="Engagement", definition={}, status="stopped", version=1)
        uow.session.add_all([first, second])
        uow.session.flush()
        for lead_id, model, score, grade in (
            (ada, first, 80, "A"),
            (ada, second, 30, "C"),
            (bob, first, 40, "B"),
        ):
            uow.session.add(
                LeadScore(
                    lead_id=lead_id, model_id=model.id, score=score, grade=grade, model_version=1
                )
            )
        uow.commit()
    return {"ada": ada, "bob": bob, "cy": cy}


def _list(container: Container, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        query = parse_list_params(registry, "lead", params, COLUMNS)
        page = run_list(session, query)
    return [{"id": item["id"], **derived_values(item, query)} for item in page.items]


def test_a_lead_list_carries_score_grade_stage_and_last_activity(container: Container) -> None:
    ids = _leads(container)

    rows = _list(container, [("sort", "-score")])

    assert rows == [
        {
            "id": ids["ada"],
            "score": 80,
            "grade": "A",
            "stage": "inquiry",
            "last_activity_at": datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC).isoformat(),
        },
        {"id": ids["bob"], "score": 40, "grade": "B", "stage": "inquiry", "last_activity_at": None},
        {
            "id": ids["cy"],
            "score": None,
            "grade": None,
            "stage": "inquiry",
            "last_activity_at": None,
        },
    ]


def test_leads_filter_on_a_score_threshold(container: Container) -> None:
    ids = _leads(container)

    assert [row["id"] for row in _list(container, [("score__gte", "50")])] == [ids["ada"]]
    assert [row["id"] for row in _list(container, [("score__lt", "50")])] == [ids["bob"]]
    assert [row["id"] for row in _list(container, [("grade", "B")])] == [ids["bob"]]


def test_pages_sorted_by_score_follow_each_other_without_gaps(container: Container) -> None:
    ids = _leads(container)
    seen: list[int] = []
    cursor: str | None = None
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        for _ in range(4):
            params = [("sort", "score"), ("limit", "1")] + ([("cursor", cursor)] if cursor else [])
            page = run_list(session, parse_list_params(registry, "lead", params))
            seen += [int(item["id"]) for item in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break

    assert seen == [ids["bob"], ids["ada"], ids["cy"]]


def test_a_view_with_a_score_column_and_filter_is_saved_and_lists(container: Container) -> None:
    ids = _leads(container)
    owner, _, _ = user_with_token(container, "marketer")
    with container.uow() as uow:
        view = views.create_view(
            {
                "name": "Hot leads",
                "entity": "lead",
                "filters": [["score__gte", "50"]],
                "columns": ["score", "grade", "stage"],
                "sort": "-score",
            },
            owner_id=owner,
            uow=uow,
        )
        uow.commit()
        view_id = view.id
    with container.read_session() as session:
        registry = container.registry_cache.get(session)
        saved = views.get_view(session, view_id, role=views.Role.MARKETER, user_id=owner)
        query = views.view_query(registry, saved, owner)
        [item] = run_list(session, query).items

    assert (item["id"], derived_values(item, query)) == (
        ids["ada"],
        {"score": 80, "grade": "A", "stage": "inquiry"},
    )


def test_a_derived_field_is_never_written(container: Container) -> None:
    ids = _leads(container)
    from leadflow.leads.services import update_lead

    with container.uow() as uow, pytest.raises(ValidationFailed) as refused:
        update_lead(ids["bob"], {"score": 99}, uow=uow)

    assert refused.value.field == "score"
