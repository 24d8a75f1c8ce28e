"""Small builders the emails tests share."""

from __future__ import annotations

from typing import Any

from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact
from leadflow.emails.services import create_template

HTML = (
    "<html><head><style>p { color: #123456; }</style></head><body>"
    "<p>Hello {{ contact.first_name | default('there') }},</p>"
    '<p>Read <a href="https://example.com/guide?a=1&amp;b=2">the guide</a>.</p>'
    "</body></html>"
)


def make_template(container: Container, **values: Any) -> int:
    data = {
        "name": "Welcome",
        "subject": "Welcome {{ contact.first_name }}",
        "html_body": HTML,
        "from_name": "Contoso Marketing",
        "from_address": "news@contoso.example",
        **values,
    }
    with container.uow() as uow:
        template = create_template(data, uow=uow)
        uow.commit()
        return template.id


def make_contacts(container: Container, count: int, **values: Any) -> list[int]:
    ids: list[int] = []
    with container.uow() as uow:
        for index in range(count):
            row = create_contact(
                {
                    "first_name": f"Ann{index}",
                    "last_name": "Doe",
                    "email": f"ann{index}@example.test",
                    "consent": "marketing",
                    **values,
                },
                uow=uow,
            )
            ids.append(row.id)
        uow.commit()
    container.relay.drain()
    return ids
