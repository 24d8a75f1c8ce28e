"""Saved views on both databases: the shipped set, users' changes kept, audiences."""

from __future__ import annotations

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.saved_views import services as views
from leadflow.saved_views.models import SavedView
from leadflow.users.domain import Role


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
