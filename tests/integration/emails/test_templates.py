"""Email templates: created and changed through the services; bad templates name the field."""

from __future__ import annotations

import pytest

from leadflow.bootstrap import Container
from leadflow.emails.errors import TemplateInvalid
from leadflow.emails.services import do_update_template, get_template
from leadflow.errors import Conflict
from tests.integration.emails.helpers import make_template


def test_a_template_is_created_and_updated(container: Container) -> None:
    template_id = make_template(container, reply_to=" Replies@Contoso.example ")

    do_update_template(
        template_id,
        {"subject": "Hi {{ contact.first_name }}", "text_body": "Plain"},
        uow=container.uow(),
    )

    with container.read_session() as session:
        template = get_template(session, template_id)
        assert (template.name, template.subject, template.text_body, template.reply_to) == (
            "Welcome",
            "Hi {{ contact.first_name }}",
            "Plain",
            "replies@contoso.example",
        )


def test_a_template_that_does_not_parse_names_field_and_line(container: Container) -> None:
    template_id = make_template(container)

    with pytest.raises(TemplateInvalid) as raised:
        do_update_template(
            template_id, {"html_body": "<p>ok</p>\n<p>{% if %}</p>"}, uow=container.uow()
        )

    assert (raised.value.field, raised.value.line, raised.value.http_status) == (
        "html_body",
        2,
        422,
    )


def test_two_templates_cannot_share_a_name(container: Container) -> None:
    make_template(container)

    with pytest.raises(Conflict) as raised:
        make_template(container)

    assert raised.value.field == "name"
