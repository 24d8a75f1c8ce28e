"""Custom integer, decimal and boolean fields (stored in the JSON column) compared in
SQL on both databases: in list filters, in sorting and in scoring conditions."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.registry.services import add_custom_field
from tests.integration.scoring.helpers import live_model, make_contact, make_lead, score_of

PEOPLE = [
    ("Ada", {"seats": 120, "budget": 2500.5, "partner": True}),
    ("Grace", {"seats": 8, "budget": 99.99, "partner": False}),
    ("Alan", {"seats": 45, "budget": 1000.0, "partner": True}),
    ("Edsger", {}),
]


def _fields_and_people(container: Container) -> dict[str, int]:
    with container.uow() as uow:
        for name, kind in (("seats", "integer"), ("budget", "decimal"), ("partner", "boolean")):
            add_custom_field(
                {"entity": "contact", "name": name, "type": kind, "scorable": True}, uow=uow
            )
        uow.commit()
    container.registry_cache.invalidate()
    return {name: make_contact(container, last_name=name, **values) for name, values in PEOPLE}


def _names(client: TestClient, admin: dict[str, str], **params: Any) -> list[str]:
    response = client.get("/api/v1/contacts", params=params, headers=admin)
    assert response.status_code == 200, response.text
    return [item["last_name"] for item in response.json()["items"]]


def test_custom_numbers_and_flags_filter_and_sort_as_numbers_and_flags(
    container: Container, client: TestClient, admin: dict[str, str]
) -> None:
    _fields_and_people(container)
    # As numbers: 8 < 45 < 120 (as text, "120" < "45" < "8").
    assert _names(client, admin, sort="seats", seats__gte="0") == ["Grace", "Alan", "Ada"]
    assert _names(client, admin, seats__gt="10", sort="seats") == ["Alan", "Ada"]
    assert _names(client, admin, budget__gte="1000", sort="budget") == ["Alan", "Ada"]
    assert _names(client, admin, budget__lt="100.5") == ["Grace"]
    assert sorted(_names(client, admin, partner="true")) == ["Ada", "Alan"]
    assert _names(client, admin, partner="false") == ["Grace"]


def _rule(points: int, field: str, op: str, value: Any) -> dict[str, Any]:
    condition = {"entity": "contact", "field": field, "op": op, "value": value}
    return {"points": points, "conditions": [condition]}


def test_scoring_conditions_on_custom_numbers_and_flags(container: Container) -> None:
    contacts = _fields_and_people(container)
    leads = {name: make_lead(container, parent_contact_id=cid) for name, cid in contacts.items()}
    model = live_model(
        container,
        rules=[
            _rule(1, "seats", "gte", 45),
            _rule(10, "budget", "between", [100, 2000]),
            _rule(100, "partner", "eq", True),
        ],
    )
    scores = {name: score_of(container, lead, model) for name, lead in leads.items()}
    assert scores == {"Ada": 101, "Grace": 0, "Alan": 111, "Edsger": 0}
