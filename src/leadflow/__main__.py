"""`python -m leadflow` runs the CLI."""

from leadflow.cli.app import app

app()
