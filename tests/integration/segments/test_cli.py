"""`leadflow segments`: list, show, build (a job with progress), members, explain, export."""

from __future__ import annotations

import json

from leadflow.bootstrap import Container
from tests.integration.segments.helpers import (
    group,
    live_segment,
    make_contact,
    make_lead,
    related,
    row,
)
from tests.support.cli_fixtures import RunCli

SEED = group(
    related("lead_parent_contact", row("topic", "eq", "Contoso Ltd Conference")),
    row("role", "eq", "decision_maker"),
)


def test_the_segment_commands_show_members_and_why(container: Container, run_cli: RunCli) -> None:
    boss = make_contact(container, role="decision_maker", first_name="Ada", email="ada@x.test")
    make_lead(container, topic="Contoso Ltd Conference", parent_contact_id=boss)
    segment_id = live_segment(container, SEED, name="Conference bosses")

    listed = run_cli("segments", "list")
    shown = run_cli("segments", "show", str(segment_id))
    built = run_cli("segments", "build", str(segment_id))
    members = run_cli("segments", "members", str(segment_id))
    explained = run_cli("segments", "explain", str(segment_id), str(boss), "--json")
    exported = run_cli("segments", "export", str(segment_id))

    assert listed.returncode == 0, listed.stderr
    assert "Conference bosses" in listed.stdout
    assert json.loads(shown.stdout)["status"] == "live"
    assert built.returncode == 0, built.stderr
    assert built.stdout.strip().endswith("0 entered, 0 left")
    assert "Ada" in members.stdout and "1 members" in members.stdout
    result = json.loads(explained.stdout)
    assert (result["member"], result["nodes"]["children"][0]["held"]) == (True, True)
    assert exported.stdout.splitlines()[1].startswith(f"{boss},ada@x.test,Ada,")


def test_an_unknown_segment_is_an_error_with_its_code(
    container: Container, run_cli: RunCli
) -> None:
    result = run_cli("segments", "show", "999")

    assert result.returncode != 0
    assert "not_found" in result.stderr + result.stdout
