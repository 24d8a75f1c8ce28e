"""`leadflow journeys`: create from a file, go live, advance with a progress bar, show,
stop, resume; a bad file is a clear message."""

from __future__ import annotations

import json
from pathlib import Path

from leadflow.bootstrap import Container
from tests.integration.journeys.helpers import make_contacts, make_segment, make_template, messages
from tests.support.cli_fixtures import RunCli


def test_the_journey_commands_run_a_journey(
    container: Container, run_cli: RunCli, tmp_path: Path
) -> None:
    contacts = make_contacts(container, 3)
    segment = make_segment(container, contacts)
    template = make_template(container)
    definition = tmp_path / "welcome.json"
    definition.write_text(
        json.dumps(
            {
                "name": "Welcome",
                "settings": {"audience_segment_ids": [segment]},
                "definition": {
                    "start": "mail",
                    "tiles": [{"id": "mail", "kind": "send_email", "template_id": template}],
                },
            }
        )
    )

    created = run_cli("journeys", "create", "--file", str(definition))
    assert created.returncode == 0, created.stderr
    journey = int(created.stdout.split()[1])
    went = run_cli("journeys", "go-live", str(journey))
    advanced = run_cli("journeys", "advance")
    shown = run_cli("journeys", "show", str(journey))
    listed = run_cli("journeys", "list")
    stopped = run_cli("journeys", "stop", str(journey))
    resumed = run_cli("journeys", "resume", str(journey))

    assert went.stdout.strip() == f"journey {journey} is live (v1); 3 contacts in it"
    assert advanced.returncode == 0, advanced.stderr
    assert "3 steps run, 3 emails queued, 3 contacts finished" in advanced.stdout
    assert json.loads(shown.stdout)["counts"] == {"mail": {"active": 0, "passed": 3, "sent": 3}}
    assert "Welcome" in listed.stdout
    assert stopped.stdout.strip() == f"journey {journey} stopped"
    assert resumed.stdout.strip() == f"journey {journey} is live again (v1)"
    assert len(messages(container)) == 3


def test_a_bad_definition_file_is_a_clear_message(run_cli: RunCli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "X", "definition": {"start": "a", "tiles": []}}))
    result = run_cli("journeys", "create", "--file", str(bad))
    assert result.returncode != 0
    assert "definition.tiles" in result.stderr + result.stdout
