"""Undoing an import of interactions takes back what they credited: the undo publishes
one removal per contact in its own transaction; scoring rescores, segments recheck."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.imports.services import undo_import
from leadflow.interactions.models import Interaction
from leadflow.lib.clock import utcnow
from leadflow.outbox import OutboxMessage
from tests.integration.imports.helpers import count, csv_bytes, run, upload
from tests.integration.scoring.helpers import (
    live_model,
    make_contact,
    make_lead,
    record,
    score_of,
)
from tests.integration.segments.helpers import group, live_segment, members_of

OPENS = {
    "name": "Opens",
    "points": 5,
    "conditions": [{"type": "behaviour", "kind": "email_opened", "frequency": "each"}],
}


def _removals(container: Container) -> list[dict[str, object]]:
    with container.read_session() as session:
        return list(
            session.scalars(
                select(OutboxMessage.payload)
                .where(OutboxMessage.event_type == "interactions.removed")
                .order_by(OutboxMessage.id)
            )
        )


def test_a_score_goes_up_on_import_and_back_down_after_undo(container: Container) -> None:
    ann = make_contact(container, email="ann@example.com")
    bob = make_contact(container, email="bob@example.com")
    ann_lead = make_lead(container, parent_contact_id=ann)
    bob_lead = make_lead(container, parent_contact_id=bob)
    model = live_model(container, rules=[OPENS])
    # Bob opened an email before the import: the undo must leave his point alone.
    record(container, bob, "email_opened", datetime(2026, 11, 1, tzinfo=UTC))
    container.relay.drain()
    assert (score_of(container, ann_lead, model), score_of(container, bob_lead, model)) == (0, 5)
    data = csv_bytes(
        "contact_id,kind,occurred_at",
        f"{ann},email_opened,2026-11-30T10:00:00Z",
        f"{ann},email_opened,2026-12-01T10:00:00Z",
        f"{bob},email_opened,2026-12-01T11:00:00Z",
    )
    import_id = upload(container, "interaction", data)

    run(container, import_id)
    assert (score_of(container, ann_lead, model), score_of(container, bob_lead, model)) == (10, 10)

    with container.uow() as uow:
        report = undo_import(import_id, uow=uow)
        uow.commit()
    assert report["deleted"] == 3
    assert _removals(container) == [
        {"contact_id": ann, "kinds": ["email_opened"], "count": 2},
        {"contact_id": bob, "kinds": ["email_opened"], "count": 1},
    ]
    container.relay.drain()

    assert count(container, Interaction) == 1
    assert (score_of(container, ann_lead, model), score_of(container, bob_lead, model)) == (0, 5)


def test_an_undo_rolled_back_publishes_no_removal(container: Container) -> None:
    ann = make_contact(container, email="ann@example.com")
    make_lead(container, parent_contact_id=ann)
    live_model(container, rules=[OPENS])
    data = csv_bytes("contact_id,kind,occurred_at", f"{ann},email_opened,2026-11-30T10:00:00Z")
    import_id = upload(container, "interaction", data)
    run(container, import_id)

    with container.uow() as uow:
        undo_import(import_id, uow=uow)
        # No commit: the deletes and their events go together.

    assert count(container, Interaction) == 1
    assert _removals(container) == []


def test_a_contact_the_import_put_in_a_behaviour_segment_leaves_it_on_undo(
    container: Container,
) -> None:
    ann = make_contact(container, email="ann@example.com")
    segment_id = live_segment(
        container,
        group({"type": "behaviour", "kind": "email_opened", "count": "at_least", "min": 1}),
    )
    data = csv_bytes("contact_id,kind,occurred_at", f"{ann},email_opened,{utcnow().isoformat()}")
    import_id = upload(container, "interaction", data)
    run(container, import_id)
    assert members_of(container, segment_id) == {ann}

    with container.uow() as uow:
        undo_import(import_id, uow=uow)
        uow.commit()
    container.relay.drain()

    assert members_of(container, segment_id) == set()
