"""How the command line shows things: one table style for every list, plain option help.

`print_table` is the one way a list command prints: a Rich table on a terminal,
and on a pipe tab-separated lines under a heading line, so `cut -f2` and
`awk -F'\\t'` work and no line is wrapped. `plain_help` makes `--help` show an
option's choices (when it has a fixed set) instead of Typer's `<str>`/`<bool>`
type tags, which tell a user nothing they can type.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table


def print_table(
    title: str,
    headings: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    file: Any = None,
) -> None:
    """Print rows under their headings, the same way for every list command."""
    stream = file if file is not None else sys.stdout
    cells = [["" if value is None else str(value) for value in row] for row in rows]
    if not stream.isatty():
        stream.write("\t".join(headings) + "\n")
        for row in cells:
            stream.write("\t".join(cell.replace("\t", " ") for cell in row) + "\n")
        return
    table = Table(title=title, box=box.SIMPLE_HEAD, header_style="bold", title_justify="left")
    for heading in headings:
        table.add_column(heading, overflow="fold")
    for row in cells:
        table.add_row(*row)
    Console(file=stream).print(table)


def _choices_only(self: Any, ctx: Any) -> str:
    """An option's value as help shows it: its choices, or nothing."""
    if getattr(self, "metavar", None) is not None:
        return str(self.metavar)
    descriptor = getattr(self, "type_descriptor", None)
    if descriptor is not None and descriptor.is_choice:
        values = [c.value if isinstance(c, Enum) else c for c in descriptor.choices or ()]
        return "[" + "|".join(str(value) for value in values) + "]"
    return ""


def plain_help() -> None:
    """Drop Typer's type tags (`<str>`, `<bool>`) from every command's help."""
    from typer import core

    core.TyperOption.display_type_rich = _choices_only  # type: ignore[method-assign]
    core.TyperArgument.display_type_rich = _choices_only  # type: ignore[method-assign]
