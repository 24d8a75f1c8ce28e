"""Saved views on both databases: the shipped set, users' changes kept, audiences."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.errors import ErrorCode, LeadflowError, NotFound
from leadflow.saved_views import services as views
from leadflow.saved_views.models import SavedView
from leadflow.users.domain import Role
from tests.support.factories import user_with_token


def test_the_shipped_views_are_seeded_once_and_edits_survive_a_reseed(
    container: Container,
) -> None:
    with container.read_session() as session:
        names = sorted(session.scalars(select(SavedView.name).where(SavedView.owner_id.is_(None))))
    assert names == [
        "Marketing: all contacts",
        "My open leads",
        "Sales acceptance queue",
        "Sales: contacts",
        "Sales: sales-ready leads",
        "Telemarketing queue",
    ]
    with container.uow() as uow:
        view = uow.session.scalars(select(SavedView).where(SavedView.key == "my_open_leads")).one()
        view.name = "Mine"
        uow.commit()
    container.seed_defaults()
    with container.read_session() as session:
        kept = session.scalars(select(SavedView).where(SavedView.key == "my_open_leads")).one()
        count = len(session.scalars(select(SavedView)).all())
    assert kept.name == "Mine" and count == 6


def test_roles_land_on_their_team_views(container: Container) -> None:
    with container.read_session() as session:
        landing = views.landing_view(session, Role.SALESPERSON, "contact")
        assert landing is not None and landing.name == "Sales: contacts"
        assert views.landing_view(session, Role.MARKETER, "contact") is None
        telemarketing = views.visible_views(session, Role.TELEMARKETER, 1, "lead")
    assert [view.name for view in telemarketing] == ["Telemarketing queue", "My open leads"]


def _own_view(container: Container, owner_id: int) -> int:
    with container.uow() as uow:
        view = views.create_view(
            {
                "name": "Big budgets",
                "entity": "lead",
                "filters": [["budget_amount__gte", "1000"]],
                "columns": ["company_name", "budget_amount"],
                "sort": "-budget_amount",
            },
            owner_id=owner_id,
            uow=uow,
        )
        uow.commit()
        return view.id


def _stored(container: Container, view_id: int) -> tuple[object, ...]:
    with container.read_session() as session:
        view = session.get(SavedView, view_id)
        assert view is not None
        return (view.name, view.filters, view.columns, view.sort)


def test_a_user_changes_a_view_of_their_own(container: Container) -> None:
    owner, _, _ = user_with_token(container, "marketer")
    view_id = _own_view(container, owner)

    with container.uow() as uow:
        views.do_update_view(
            view_id,
            {
                "name": "  Bigger budgets ",
                "filters": [["budget_amount__gte", 5000], ["owner_id", "{me}"]],
                "columns": ["company_name"],
                "sort": "company_name",
            },
            owner_id=owner,
            uow=uow,
        )

    assert _stored(container, view_id) == (
        "Bigger budgets",
        [["budget_amount__gte", "5000"], ["owner_id", "{me}"]],
        ["company_name"],
        "company_name",
    )


def test_a_change_is_checked_like_a_new_view_and_a_refused_one_changes_nothing(
    container: Container,
) -> None:
    owner, _, _ = user_with_token(container, "marketer")
    view_id = _own_view(container, owner)
    before = _stored(container, view_id)
    refusals = {
        "filters.no_such": {"name": "X", "filters": [["no_such__eq", "1"]]},
        "columns[0]": {"name": "X", "columns": ["shoe_size"]},
        "name": {"name": "  "},
        "entity": {"name": "X", "entity": "contact"},
    }

    codes = {}
    for field, data in refusals.items():
        with pytest.raises(LeadflowError) as refused, container.uow() as uow:
            views.do_update_view(view_id, data, owner_id=owner, uow=uow)
        assert refused.value.field == field, (field, refused.value.message)
        codes[field] = refused.value.code

    assert _stored(container, view_id) == before
    assert codes["entity"] is ErrorCode.CANNOT_CHANGE


def test_nobody_changes_or_deletes_a_shipped_view_or_another_users(
    container: Container,
) -> None:
    owner, _, _ = user_with_token(container, "marketer")
    other, _, _ = user_with_token(container, "marketer")
    view_id = _own_view(container, owner)
    with container.read_session() as session:
        shipped = session.scalars(
            select(SavedView.id).where(SavedView.key == "my_open_leads")
        ).one()
    change = {"name": "Taken over", "entity": "lead"}

    for target, who in ((view_id, other), (shipped, owner)):
        with pytest.raises(NotFound), container.uow() as uow:
            views.do_update_view(target, change, owner_id=who, uow=uow)
        with pytest.raises(NotFound), container.uow() as uow:
            views.do_delete_view(target, owner_id=who, uow=uow)

    # The owner can do both, so the refusals above were about who asked.
    with container.uow() as uow:
        views.do_update_view(view_id, change, owner_id=owner, uow=uow)
    assert _stored(container, view_id)[0] == "Taken over"
    with container.uow() as uow:
        views.do_delete_view(view_id, owner_id=owner, uow=uow)
    with container.read_session() as session:
        assert session.get(SavedView, view_id) is None
        assert session.get(SavedView, shipped) is not None
