"""Faces (API routers, pages, CLI commands) never commit and never enqueue.

A use case in a concept's services owns its transaction: it opens the unit of work,
writes, publishes and commits, and starts any job after commit. A face calls it and
renders. A face that commits splits one use case across two layers, so its writes
and its events can no longer be reused or tested without HTTP or a terminal.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "src" / "leadflow"
WRITE_CALLS = frozenset({"commit", "enqueue", "enqueue_after_commit"})


def face_modules() -> list[Path]:
    """Every module of the web face, the top-level CLI package and each concept's CLI."""
    web = sorted((PACKAGE / "web").rglob("*.py"))
    cli = sorted((PACKAGE / "cli").rglob("*.py"))
    concept_cli = sorted(PACKAGE.glob("*/cli.py"))
    return web + cli + concept_cli


def write_calls(source: str, filename: str) -> list[tuple[int, str]]:
    """(line, called attribute) for each call such as `uow.commit()` or `queue.enqueue(task)`."""
    tree = ast.parse(source, filename=filename)
    return sorted(
        (node.lineno, node.func.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in WRITE_CALLS
    )


def test_the_finder_names_commits_and_enqueues_by_line() -> None:
    source = (
        "def create(uow, queue):\n"
        "    with uow:\n"
        "        uow.session.commit()\n"
        "        uow.enqueue_after_commit(task, 1)\n"
        "    queue.enqueue(task)\n"
        "    commit()\n"
        "    uow.committed\n"
    )

    found = write_calls(source, "face.py")

    assert found == [(3, "commit"), (4, "enqueue_after_commit"), (5, "enqueue")]


def test_the_faces_include_the_web_the_cli_and_concept_clis() -> None:
    relative = {path.relative_to(PACKAGE).as_posix() for path in face_modules()}

    assert {
        "web/api/records.py",
        "web/pages/records.py",
        "cli/app.py",
        "cli/process.py",
        "capture/cli.py",
    } <= relative


def test_no_face_commits_or_enqueues() -> None:
    offenders = [
        f"{path.relative_to(ROOT).as_posix()}:{line}: .{attribute}()"
        for path in face_modules()
        for line, attribute in write_calls(path.read_text(encoding="utf-8"), str(path))
    ]

    assert offenders == [], "faces must call a use case that commits:\n" + "\n".join(offenders)
