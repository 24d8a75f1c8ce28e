"""`python -m leadflow` runs the CLI."""

from leadflow.cli import app

app()
