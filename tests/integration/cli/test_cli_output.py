"""The command line's help and lists: choices spelled out, no type tags, one table style."""

from __future__ import annotations

import io
import re

from leadflow.bootstrap import Container
from leadflow.lib.cli_output import print_table
from tests.support.cli_fixtures import RunCli


def test_help_lists_every_role_and_shows_no_type_tags(
    run_cli: RunCli, container: Container
) -> None:
    result = run_cli("create-user", "--help")

    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.replace("│", " ").split())
    assert "One of: admin, marketer, telemarketer, salesperson, sales_manager" in text
    assert "<str>" not in result.stdout and "<bool>" not in result.stdout


def test_list_commands_print_the_same_heading_then_tab_separated_rows(
    run_cli: RunCli, container: Container
) -> None:
    rules = run_cli("automation", "rules")
    models = run_cli("scoring", "models")
    strategies = run_cli("capture", "strategies")

    assert rules.stdout.splitlines()[0] == "id\tkey\ton\ttrigger\tname"
    assert models.stdout.splitlines() == ["id\tstatus\tversion\ttarget\tname"]
    assert strategies.stdout.splitlines()[0] == "id\tname\ttarget\tfields\tdefault\tduplicates"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_list_is_a_titled_table() -> None:
    out = _Terminal()

    print_table("jobs", ("id", "status"), [(7, "queued"), (8, None)], file=out)

    shown = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())
    lines = [line.rstrip() for line in shown.splitlines() if line.strip()]
    assert lines[0].strip() == "jobs"
    assert lines[1].split() == ["id", "status"]
    assert [line.split() for line in lines[3:]] == [["7", "queued"], ["8"]]
