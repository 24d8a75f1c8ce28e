"""The `leadflow` command line: one module per concept, the root app in `app.py`.

This package's face hands on what a command module needs, so a concept's own
CLI (`leadflow/<concept>/cli.py`) imports it from here: `open_container`,
`cli_errors`, `console`, `progress_bar` and `run_job_here`. It imports no
command module, so those concept CLIs and `app.py` (which mounts them) form no
circle.
"""

from leadflow.cli.base import cli_errors, console, open_container, progress_bar
from leadflow.cli.jobs import run_job_here

# The name the concept CLIs used before the package had a public one.
_container = open_container

__all__ = ["_container", "cli_errors", "console", "open_container", "progress_bar", "run_job_here"]
