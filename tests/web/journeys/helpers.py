"""What the journey page tests share: an audience, two emails, a definition built as the
designer's script builds it."""

from __future__ import annotations

from typing import Any

from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact
from leadflow.emails.services import create_template
from leadflow.segments.services import add_members, create_segment, go_live


def make_audience(container: Container, name: str, people: list[tuple[str, str]]) -> int:
    """A live static segment holding new contacts (first name, email): its id."""
    with container.uow() as uow:
        ids = [
            create_contact(
                {
                    "first_name": first,
                    "last_name": "Tester",
                    "email": email,
                    "consent": "marketing",
                },
                uow=uow,
            ).id
            for first, email in people
        ]
        segment = create_segment({"name": name, "kind": "static"}, uow=uow)
        uow.commit()
        segment_id = segment.id
    with container.uow() as uow:
        go_live(segment_id, uow=uow)
        add_members(segment_id, uow=uow, contact_ids=ids)
        uow.commit()
    container.relay.drain()
    return segment_id


def make_email(container: Container, name: str, subject: str = "Hello") -> int:
    with container.uow() as uow:
        template = create_template(
            {
                "name": name,
                "subject": subject,
                "html_body": "<p>Hello {{ contact.first_name }}</p>",
                "from_name": "Marketing",
                "from_address": "marketing@example.test",
            },
            uow=uow,
        )
        uow.commit()
    return template.id


def email_then_condition(invite: int, *, split: tuple[int, int] | None = None) -> dict[str, Any]:
    """Send `invite`, then if it is opened within a day: end; else end too (a split
    on the no branch when `split` gives its percentages)."""
    tiles: list[dict[str, Any]] = [
        {
            "id": "email1",
            "kind": "send_email",
            "label": "Invitation",
            "template_id": invite,
            "next": "if1",
        },
        {
            "id": "if1",
            "kind": "condition",
            "label": "Opened?",
            "any_of": True,
            "checks": [{"kind": "email_opened", "template_id": invite}],
            "timeout_minutes": 1440,
            "yes": "end1",
            "no": "split1" if split else None,
        },
        {"id": "end1", "kind": "end", "label": ""},
    ]
    if split:
        tiles.append(
            {
                "id": "split1",
                "kind": "split",
                "label": "Test",
                "branches": [
                    {"percent": split[0], "next": None, "label": "A"},
                    {"percent": split[1], "next": None, "label": "B"},
                ],
            }
        )
    return {"start": "email1", "tiles": tiles}
