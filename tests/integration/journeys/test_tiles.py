"""Every tile in the database: waits, if/then, splits, create lead, update field, task,
webhook, action (both databases)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.leads.models import Lead
from leadflow.leads.services import create_lead
from leadflow.lib.clock import utcnow
from leadflow.sales.models import Task, WebhookDelivery
from tests.integration.journeys.helpers import (
    advance,
    history,
    make_account,
    make_contacts,
    make_journey,
    make_owner,
    make_segment,
    make_template,
    positions,
    record,
)


def _journey(
    container: Container, tiles: list[dict[str, Any]], contacts: list[int], **kw: Any
) -> int:
    segment = make_segment(container, contacts)
    return make_journey(container, tiles, audience_segment_ids=[segment], **kw)


def test_a_wait_holds_the_contact_for_its_duration(container: Container) -> None:
    [contact] = make_contacts(container, 1)
    template = make_template(container)
    journey = _journey(
        container,
        [
            {"id": "pause", "kind": "wait", "duration_minutes": 60, "next": "mail"},
            {"id": "mail", "kind": "send_email", "template_id": template},
        ],
        [contact],
    )
    advance(container)
    [waiting] = positions(container, journey)
    assert (waiting.status, waiting.tile_id) == ("waiting", "pause")
    assert advance(container, minutes=59) == 0
    assert advance(container, minutes=61) == 1
    assert history(container, contact) == [("pause", "passed", None), ("mail", "sent", None)]


def _condition(template: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"id": "mail", "kind": "send_email", "template_id": template, "next": "opened"},
        {
            "id": "opened",
            "kind": "condition",
            "checks": [{"kind": "email_opened", "template_id": template}],
            "timeout_minutes": 60 * 24,
            "yes": "happy",
            "no": "sad",
            **extra,
        },
        {"id": "happy", "kind": "end", "label": "Opened"},
        {"id": "sad", "kind": "end", "label": "Did not open"},
    ]


def test_an_open_takes_the_yes_branch_and_a_timeout_the_no_branch(container: Container) -> None:
    opener, silent = make_contacts(container, 2)
    template = make_template(container)
    other = make_template(container, name="Other")
    journey = _journey(container, _condition(template), [opener, silent])
    advance(container)
    # Another email's open does not count; this one's does, at once.
    record(container, opener, "email_opened", target_id=str(other))
    assert [p.tile_id for p in positions(container, journey)] == ["opened", "opened"]
    record(container, opener, "email_opened", target_id=str(template))
    assert history(container, opener)[-2:] == [("opened", "yes", None), ("happy", "passed", None)]
    assert advance(container, minutes=60 * 23) == 0
    assert advance(container, minutes=60 * 24 + 1) == 1
    assert history(container, silent)[-2:] == [("opened", "no", None), ("sad", "passed", None)]


def test_all_of_waits_for_every_check(container: Container) -> None:
    [contact] = make_contacts(container, 1)
    template = make_template(container)
    tiles = _condition(template)
    tiles[1]["any_of"] = False
    tiles[1]["checks"].append({"kind": "page_visited", "target_id": "7"})
    journey = _journey(container, tiles, [contact])
    advance(container)
    record(container, contact, "email_opened", target_id=str(template))
    [waiting] = positions(container, journey)
    assert (waiting.tile_id, waiting.state["matched"]) == ("opened", [0])
    record(container, contact, "page_visited", target_id="7")
    assert history(container, contact)[-2:] == [("opened", "yes", None), ("happy", "passed", None)]


def test_a_per_account_condition_sends_the_whole_account_down_one_path(
    container: Container,
) -> None:
    account = make_account(container)
    first, second = make_contacts(container, 2, account_id=account)
    [elsewhere] = make_contacts(container, 1)
    template = make_template(container)
    journey = _journey(
        container,
        _condition(template, per_account=True),
        [first, second, elsewhere],
        target="account",
    )
    advance(container)
    record(container, first, "email_opened", target_id=str(template))
    found = {p.contact_id: (p.status, p.tile_id) for p in positions(container, journey)}
    assert found == {
        first: ("done", None),
        second: ("done", None),
        elsewhere: ("waiting", "opened"),
    }
    assert history(container, second)[-2] == ("opened", "yes", None)


def _wait_then_ask_the_account(template: int) -> list[dict[str, Any]]:
    """Email -> wait an hour -> if the account opened it (decided per account)."""
    tiles = _condition(template, per_account=True)
    tiles[0]["next"] = "pause"
    return [
        tiles[0],
        {"id": "pause", "kind": "wait", "duration_minutes": 60, "next": "opened"},
        *tiles[1:],
    ]


def test_a_per_account_condition_looks_back_on_a_colleagues_interaction(
    container: Container,
) -> None:
    account = make_account(container)
    in_journey, colleague = make_contacts(container, 2, account_id=account)
    other_account = make_account(container, "Globex")
    [stranger, stranger_peer] = make_contacts(container, 2, account_id=other_account)
    template = make_template(container)
    journey = _journey(
        container,
        _wait_then_ask_the_account(template),
        [in_journey, stranger],
        target="account",
    )
    advance(container)
    # During the wait, before the if/then began: a colleague outside the audience opens
    # the email; nobody at the other account does anything the condition checks.
    record(container, colleague, "email_opened", target_id=str(template))
    record(
        container,
        stranger_peer,
        "email_opened",
        target_id=str(make_template(container, name="Other")),
    )
    assert [p.tile_id for p in positions(container, journey)] == ["pause", "pause"]
    advance(container, minutes=61)
    found = {p.contact_id: (p.status, p.tile_id) for p in positions(container, journey)}
    assert found == {in_journey: ("done", None), stranger: ("waiting", "opened")}
    assert history(container, in_journey)[-2:] == [
        ("opened", "yes", None),
        ("happy", "passed", None),
    ]
    # A new interaction of the other account is still heard while it waits (at the
    # test's clock, past the moment the if/then began).
    record(
        container,
        stranger_peer,
        "email_opened",
        target_id=str(template),
        occurred_at=(utcnow() + timedelta(minutes=62)).isoformat(),
    )
    assert history(container, stranger)[-2:] == [("opened", "yes", None), ("happy", "passed", None)]


def test_a_per_account_condition_ignores_what_the_account_did_before_the_entry(
    container: Container,
) -> None:
    account = make_account(container)
    in_journey, colleague = make_contacts(container, 2, account_id=account)
    template = make_template(container)
    record(
        container,
        colleague,
        "email_opened",
        target_id=str(template),
        occurred_at=(utcnow() - timedelta(hours=1)).isoformat(),
    )
    journey = _journey(
        container, _wait_then_ask_the_account(template), [in_journey], target="account"
    )
    advance(container)
    advance(container, minutes=61)
    [waiting] = positions(container, journey)
    assert (waiting.status, waiting.tile_id) == ("waiting", "opened")
    advance(container, minutes=61 + 60 * 24 + 1)
    assert history(container, in_journey)[-2:] == [("opened", "no", None), ("sad", "passed", None)]


def test_a_split_keeps_each_contacts_branch_when_it_enters_again(container: Container) -> None:
    contacts = make_contacts(container, 12)
    journey = _journey(
        container,
        [
            {
                "id": "ab",
                "kind": "split",
                "branches": [
                    {"percent": 50, "next": "a", "label": "A"},
                    {"percent": 50, "next": "b", "label": "B"},
                ],
            },
            {"id": "a", "kind": "end"},
            {"id": "b", "kind": "end"},
        ],
        contacts,
        reentry="after_interval",
        reentry_after_days=0,
    )
    advance(container)
    first = {c: history(container, c)[-1][0] for c in contacts}
    assert set(first.values()) == {"a", "b"}  # 12 contacts: both branches taken
    from tests.integration.journeys.helpers import go_live

    with container.uow() as uow:
        from leadflow.journeys.services import stop_journey

        stop_journey(journey, uow=uow)
        uow.commit()
    go_live(container, journey)  # resumed: the members enter again (entry 2)
    advance(container)
    assert {p.entry_number for p in positions(container, journey)} == {1, 2}
    again = {c: history(container, c)[-1][0] for c in contacts}
    assert again == first


def test_create_lead_makes_a_new_lead_linked_to_the_contact(container: Container) -> None:
    owner = make_owner(container)
    [contact] = make_contacts(container, 1)
    with container.uow() as uow:
        existing = create_lead({"last_name": "Doe0", "parent_contact_id": contact}, uow=uow)
        uow.commit()
        existing_id = existing.id
    journey = _journey(
        container, [{"id": "lead", "kind": "create_lead"}], [contact], owner_id=owner
    )
    advance(container)
    with container.read_session() as session:
        leads = list(session.scalars(select(Lead).order_by(Lead.id)))
    first, created = leads  # a new lead: never matched to the existing one
    assert first.id == existing_id
    assert (created.parent_contact_id, created.last_name, created.owner_id) == (
        contact,
        "Doe0",
        owner,
    )
    assert (created.source, created.journey_id) == ("journey", journey)
    assert history(container, contact) == [("lead", "passed", f"lead {created.id}")]


def test_create_lead_gives_the_lead_to_the_owner_the_tile_names(container: Container) -> None:
    journey_owner = make_owner(container)
    tile_owner = make_owner(container, "tile.owner@example.test")
    [contact] = make_contacts(container, 1)
    _journey(
        container,
        [{"id": "lead", "kind": "create_lead", "owner_id": tile_owner}],
        [contact],
        owner_id=journey_owner,
    )
    advance(container)
    with container.read_session() as session:
        [lead] = session.scalars(select(Lead))
    assert lead.owner_id == tile_owner


def test_an_account_journey_creates_one_lead_per_account(container: Container) -> None:
    owner = make_owner(container)
    account = make_account(container, "Contoso")
    contacts = make_contacts(container, 3, account_id=account)
    _journey(
        container,
        [
            {
                "id": "lead",
                "kind": "create_lead",
                "create_for": "account",
                "last_name_placeholder": "Contoso buying team",
            }
        ],
        contacts,
        owner_id=owner,
        target="account",
    )
    advance(container)
    with container.read_session() as session:
        [lead] = list(session.scalars(select(Lead)))
    assert (lead.parent_account_id, lead.parent_contact_id, lead.last_name, lead.owner_id) == (
        account,
        None,
        "Contoso buying team",
        owner,
    )
    details = sorted(history(container, c)[0][2] or "" for c in contacts)
    skipped = "skipped: the account has its lead"
    assert details == [f"lead {lead.id}", skipped, skipped]


def test_update_field_sets_a_registry_field(container: Container) -> None:
    [contact] = make_contacts(container, 1)
    _journey(
        container,
        [
            {
                "id": "title",
                "kind": "update_field",
                "entity": "contact",
                "field": "job_title",
                "value": "Nurtured",
            }
        ],
        [contact],
    )
    advance(container)
    with container.read_session() as session:
        assert session.get(Contact, contact).job_title == "Nurtured"  # type: ignore[union-attr]


def test_create_task_needs_a_lead_and_goes_to_the_journey_owner(container: Container) -> None:
    owner = make_owner(container)
    with_lead, without = make_contacts(container, 2)
    with container.uow() as uow:
        lead = create_lead({"last_name": "Doe0", "parent_contact_id": with_lead}, uow=uow)
        uow.commit()
        lead_id = lead.id
    _journey(
        container,
        [{"id": "call", "kind": "create_task", "title": "Call them", "due_in_days": 2}],
        [with_lead, without],
        owner_id=owner,
    )
    advance(container)
    with container.read_session() as session:
        [task] = list(session.scalars(select(Task)))
    assert (task.lead_id, task.owner_id, task.title) == (lead_id, owner, "Call them")
    assert history(container, with_lead) == [("call", "passed", f"task {task.id}")]
    assert history(container, without) == [("call", "passed", "skipped: the contact has no lead")]


def test_webhook_and_action_tiles_run_the_automation_actions(container: Container) -> None:
    [contact] = make_contacts(container, 1, marketing_only=True)
    _journey(
        container,
        [
            {"id": "hook", "kind": "webhook", "url": "http://127.0.0.1:9/hook", "next": "act"},
            {"id": "act", "kind": "action", "action": "clear_marketing_only"},
        ],
        [contact],
    )
    advance(container)
    with container.read_session() as session:
        [delivery] = list(session.scalars(select(WebhookDelivery)))
        assert session.get(Contact, contact).marketing_only is False  # type: ignore[union-attr]
    assert delivery.url == "http://127.0.0.1:9/hook"
    assert delivery.body["payload"]["contact_id"] == contact
    assert history(container, contact) == [
        ("hook", "passed", f"webhook delivery {delivery.id} queued"),
        ("act", "passed", "cleared"),
    ]
