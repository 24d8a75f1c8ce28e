"""Small builders the scoring tests share."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from leadflow.accounts.services import create_account, update_account
from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact, update_contact
from leadflow.interactions.services import record_interactions
from leadflow.leads.services import create_lead
from leadflow.lib.clock import utcnow
from leadflow.scoring.services import create_model, go_live, lead_scores

# A behaviour rule: 10 points for each email click.
CLICKS = {
    "name": "Clicks",
    "points": 10,
    "conditions": [{"type": "behaviour", "kind": "email_clicked", "frequency": "each"}],
}


def click(container: Container, contact_id: int) -> None:
    """An email click a minute ago, committed; its events are left for the relay."""
    with container.uow() as uow:
        record_interactions(
            [
                {
                    "contact_id": contact_id,
                    "kind": "email_clicked",
                    "occurred_at": (utcnow() - timedelta(minutes=1)).isoformat(),
                }
            ],
            uow=uow,
        )
        uow.commit()


def make_account(container: Container, **values: Any) -> int:
    with container.uow() as uow:
        row = create_account({"name": "Acme", **values}, uow=uow)
        uow.commit()
    container.relay.drain()
    return row.id


def make_contact(container: Container, **values: Any) -> int:
    with container.uow() as uow:
        row = create_contact({"last_name": "Doe", **values}, uow=uow)
        uow.commit()
    container.relay.drain()
    return row.id


def make_lead(container: Container, **values: Any) -> int:
    with container.uow() as uow:
        row = create_lead({"topic": "Interested", **values}, uow=uow)
        uow.commit()
    container.relay.drain()
    return row.id


def record(container: Container, contact_id: int, kind: str, when: datetime, **extra: Any) -> None:
    with container.uow() as uow:
        record_interactions(
            [{"contact_id": contact_id, "kind": kind, "occurred_at": when.isoformat(), **extra}],
            uow=uow,
        )
        uow.commit()
    container.relay.drain()


def live_model(container: Container, **data: Any) -> int:
    """Create a model, take it live and run its full rescore; returns its id."""
    with container.uow() as uow:
        model = create_model({"name": "Model", **data}, uow=uow)
        uow.commit()
        model_id = model.id
    with container.uow() as uow:
        go_live(model_id, uow=uow)
        uow.commit()  # the test queue runs the rescore job right after the commit
    container.relay.drain()
    return model_id


def score_of(container: Container, lead_id: int, model_id: int) -> int | None:
    with container.read_session() as session:
        found = lead_scores(session, lead_id)
    for item in found["scores"]:
        if item["model_id"] == model_id:
            return item["score"]  # type: ignore[no-any-return]
    return None


def change_contact(container: Container, contact_id: int, **changes: Any) -> None:
    with container.uow() as uow:
        update_contact(contact_id, changes, uow=uow)
        uow.commit()
    container.relay.drain()


def change_account(container: Container, account_id: int, **changes: Any) -> None:
    with container.uow() as uow:
        update_account(account_id, changes, uow=uow)
        uow.commit()
    container.relay.drain()


def a_new_models_rescore_waits(
    container: Container, hold: Callable[[], None], release: Callable[[], None]
) -> None:
    """Take a new model live in another thread while another process rescores (`hold`):
    its full rescore's range is shown waiting, then `release` lets it score a lead."""
    lead = make_lead(container, parent_contact_id=make_contact(container))
    hold()
    models: list[int] = []
    rescoring = threading.Thread(
        target=lambda: models.append(live_model(container, rules=[CLICKS]))
    )
    rescoring.start()
    try:
        rescoring.join(timeout=0.5)
        # The model is live, but its rescore's range waits for the other rescore.
        assert rescoring.is_alive()
    finally:
        release()
    rescoring.join(timeout=10)
    assert not rescoring.is_alive()
    assert score_of(container, lead, models[0]) == 0
