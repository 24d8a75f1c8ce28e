"""The root `leadflow` command: every group and command mounted in one place.

A concept's commands live in its own module (here, or `leadflow/<concept>/cli.py`
for the concepts that keep their CLI beside their code) and are mounted below:
a group with `app.add_typer(group_app, name="...")`, top-level commands with the
module's `register(app)`.
"""

from __future__ import annotations

import sys

import typer

from leadflow.activities.cli import activities_app
from leadflow.capture.cli import capture_app
from leadflow.cli import db, demo, serve, users
from leadflow.cli.automation import automation_app
from leadflow.cli.fields import fields_app
from leadflow.cli.jobs import jobs_app
from leadflow.cli.process import process_app
from leadflow.cli.scoring import scoring_app
from leadflow.duplicates.cli import duplicates_app
from leadflow.emails.cli import emails_app
from leadflow.imports.cli import import_app
from leadflow.lib.cli_output import plain_help
from leadflow.linkedin.cli import linkedin_app
from leadflow.segments.cli import segments_app

plain_help()

app = typer.Typer(help="leadflow: a self-hosted lead lifecycle engine.", no_args_is_help=True)

# The commands of the top-level concepts (`--help` lists them by name).
app.add_typer(db.db_app, name="db")
users.register(app)
app.add_typer(fields_app, name="fields")
app.add_typer(process_app, name="process")
app.add_typer(automation_app, name="automation")
app.add_typer(jobs_app, name="jobs")
app.add_typer(scoring_app, name="scoring")
demo.register(app)
serve.register(app)

# The command groups that concepts keep beside their code (`<concept>/cli.py`).
app.add_typer(capture_app, name="capture")
app.add_typer(segments_app, name="segments")
app.add_typer(import_app, name="import")
app.add_typer(linkedin_app, name="linkedin")
app.add_typer(duplicates_app, name="duplicates")
app.add_typer(activities_app, name="activities")
app.add_typer(emails_app, name="emails")


def main() -> None:  # pragma: no cover - entry point
    sys.exit(app())
