"""Web routes open no unit of work and catch no `LeadflowError`: `web/calls.py` does both.

A route takes an `ApiCall`, a `PageCall`, a `PublicCall` or an `OpenCall` and names its
use case; the call opens the unit of work around it and, on a page, turns a refusal
into the page's answer. A route that opens `container.uow()` or catches the error
itself writes that boilerplate again, and the next route copies it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
WEB = ROOT / "src" / "leadflow" / "web"
# The calls themselves; the sign-in that marks an API token used before any route runs;
# a list page shows a filter it cannot read beside the form instead of refusing the page.
ALLOWED = {
    "calls.py": {"uow", "LeadflowError"},
    "auth.py": {"uow"},
    "pages/listing.py": {"LeadflowError"},
}


def boilerplate(source: str, filename: str) -> list[tuple[int, str]]:
    """(line, what) for each `....uow()` call and each `except LeadflowError`."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "uow"
        ):
            found.append((node.lineno, "uow"))
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            if any(isinstance(kind, ast.Name) and kind.id == "LeadflowError" for kind in caught):
                found.append((node.lineno, "LeadflowError"))
    return sorted(found)


def test_the_finder_names_unit_opens_and_caught_refusals_by_line() -> None:
    source = (
        "def route(request):\n"
        "    with container_of(request).uow() as uow:\n"
        "        uow.session\n"
        "    try:\n"
        "        do(uow=call.container.uow())\n"
        "    except (ValueError, LeadflowError):\n"
        "        pass\n"
        "    except ValueError:\n"
        "        pass\n"
        "    call.container.uow\n"
    )

    found = boilerplate(source, "route.py")

    assert found == [(2, "uow"), (5, "uow"), (6, "LeadflowError")]


def test_no_web_module_opens_a_unit_or_catches_a_refusal_but_the_calls() -> None:
    offenders = []
    for path in sorted(WEB.rglob("*.py")):
        name = path.relative_to(WEB).as_posix()
        for line, what in boilerplate(path.read_text(encoding="utf-8"), name):
            if what not in ALLOWED.get(name, set()):
                offenders.append(f"{name}:{line} {what}")

    assert offenders == []
