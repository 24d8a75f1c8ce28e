"""The README's Configuration table names every setting, with its default."""

from __future__ import annotations

import re
from pathlib import Path

from leadflow.config import Settings

README = Path(__file__).resolve().parents[3] / "README.md"
VARIABLE = re.compile(r"`(LEADFLOW_[A-Z0-9_]+)`")


def configuration_rows() -> dict[str, tuple[str, str]]:
    """`LEADFLOW_X` -> (default cell, meaning cell) from the table under "## Configuration"."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3:
            continue
        names = VARIABLE.findall(cells[0])
        if not names:
            continue  # the header and the rule under it
        [name] = names  # one variable a row, so each default is its own
        rows[name] = (cells[1], cells[2])
    return rows


def env_name(field: str) -> str:
    prefix = Settings.model_config.get("env_prefix", "")
    return f"{prefix}{field}".upper()


def shown_default(value: object) -> str:
    # As one writes it in the environment: booleans in lower case.
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_every_setting_is_in_the_readme_table_and_nothing_else_is() -> None:
    documented = configuration_rows()
    settings = {env_name(name) for name in Settings.model_fields}

    assert "LEADFLOW_DATABASE_URL" in documented
    assert sorted(settings - documented.keys()) == [], "settings missing from the README table"
    assert sorted(documented.keys() - settings) == [], "README rows for no setting"


def test_the_readme_states_each_setting_s_default_and_meaning() -> None:
    documented = configuration_rows()
    for name, info in Settings.model_fields.items():
        default_cell, meaning = documented[env_name(name)]
        if info.default in ("", None):
            assert default_cell.startswith("(empty"), (name, default_cell)
        else:
            assert f"`{shown_default(info.default)}`" in default_cell, (name, default_cell)
        assert meaning, name
