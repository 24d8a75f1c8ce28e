"""A form's fields are parsed once per form object, and again when they are replaced."""

from __future__ import annotations

from leadflow.capture.domain import DEFAULT_FIELDS
from leadflow.capture.models import MarketingForm
from leadflow.capture.services import form_fields


def _form() -> MarketingForm:
    return MarketingForm(name="Webinar", fields=[spec.to_json() for spec in DEFAULT_FIELDS])


def test_the_same_fields_are_parsed_once() -> None:
    form = _form()

    first = form_fields(form)
    again = form_fields(form)

    assert first == list(DEFAULT_FIELDS)
    assert all(a is b for a, b in zip(first, again, strict=True))


def test_replaced_fields_are_parsed_again() -> None:
    form = _form()
    before = form_fields(form)

    form.fields = [{**DEFAULT_FIELDS[0].to_json(), "label": "Work email"}]

    [after] = form_fields(form)
    assert before[0].label != "Work email" and after.label == "Work email"
