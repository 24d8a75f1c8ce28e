"""The composition root's table aggregate holds every module that declares tables.

Storage names no concept's tables; `bootstrap.all_tables()` gathers them for Alembic
and the test database's reset, so a concept's new models module must be listed there.
"""

from __future__ import annotations

from pathlib import Path

from leadflow.bootstrap import MODEL_MODULES, all_tables

SOURCE = Path(__file__).resolve().parents[3] / "src" / "leadflow"


def _declaring_tables() -> set[str]:
    found = set()
    for path in SOURCE.rglob("*.py"):
        if "migrations" in path.parts or "__tablename__" not in path.read_text():
            continue
        parts = path.relative_to(SOURCE.parent).with_suffix("").parts
        found.add(".".join(parts))
    return found


def test_every_module_declaring_tables_is_in_the_aggregate() -> None:
    assert _declaring_tables() == set(MODEL_MODULES)


def test_the_aggregate_holds_the_tables_of_concepts_storage_never_imports() -> None:
    tables = all_tables().tables

    assert {"leads", "outbox", "saved_views", "org_switches", "process_instances"} <= set(tables)
