"""Org settings saved together (the settings page's one form): all of them or none."""

from __future__ import annotations

import pytest

from leadflow.bootstrap import Container
from leadflow.errors import ValidationFailed
from leadflow.switches.domain import PHONE_DEFAULT_REGION, SETTINGS, SettingDef
from leadflow.switches.services import do_set_settings, setting_value

REGION = PHONE_DEFAULT_REGION.key


def _no_digits(value: str) -> str:
    if any(character.isdigit() for character in value):
        raise ValueError("A greeting has no digits")
    return value.upper()


GREETING = SettingDef("tests.greeting", "Greeting", "Declared by these tests only.", _no_digits)


@pytest.fixture
def greeting(monkeypatch: pytest.MonkeyPatch) -> str:
    # The org declares one setting today; a second shows that a refusal undoes the first.
    monkeypatch.setitem(SETTINGS, GREETING.key, GREETING)
    return GREETING.key


def test_settings_saved_together_are_all_stored(container: Container, greeting: str) -> None:
    do_set_settings({REGION: "gb", greeting: "hello"}, uow=container.uow())

    with container.read_session() as session:
        assert (setting_value(session, REGION), setting_value(session, greeting)) == (
            "GB",
            "HELLO",
        )


def test_one_refused_value_saves_none_and_names_its_setting(
    container: Container, greeting: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        do_set_settings({REGION: "GB", greeting: "h3llo"}, uow=container.uow())

    assert (caught.value.field, caught.value.extra) == ("value", {"key": greeting})
    with container.read_session() as session:
        assert setting_value(session, REGION) is None
        assert setting_value(session, greeting) is None
