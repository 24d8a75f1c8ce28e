"""Every package that src/leadflow imports at run time is a declared runtime dependency.

`make test` installs the dev extras, so a module that imports a dev-only package
(httpx once did) passes every other test and still crashes `make run` on a fresh
clone, which installs `pip install -e .` only.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterable
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "src" / "leadflow"
# A requirement's name: PEP 508 allows letters, digits, ".", "-" and "_" before any extras or bound.
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalized(name: str) -> str:
    """PEP 503 normalisation: `PyYAML` and `pyyaml`, `argon2_cffi` and `argon2-cffi` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _guards_type_checking(node: ast.If) -> bool:
    test = node.test
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


class _ImportedModules(ast.NodeVisitor):
    """The top-level names of every absolute import, at module level or inside functions:
    a function-level import (`leadflow serve` imports uvicorn lazily) runs too."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if _guards_type_checking(node):
            # Only type checkers run the body; the else branch runs at run time.
            for statement in node.orelse:
                self.visit(statement)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.names.update(alias.name.partition(".")[0] for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.names.add(node.module.partition(".")[0])


def imported_top_level(source: str) -> set[str]:
    visitor = _ImportedModules()
    visitor.visit(ast.parse(source))
    return visitor.names


def third_party_imports(files: Iterable[Path]) -> dict[str, set[Path]]:
    """Imported top-level modules that are neither the standard library nor leadflow,
    each with the files that import it."""
    found: dict[str, set[Path]] = {}
    for path in files:
        for name in imported_top_level(path.read_text(encoding="utf-8")):
            if name in sys.stdlib_module_names or name == "leadflow":
                continue
            found.setdefault(name, set()).add(path.relative_to(ROOT))
    return found


def declared_runtime_dependencies() -> set[str]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        project = tomllib.load(file)["project"]
    names = set()
    for requirement in project["dependencies"]:
        match = REQUIREMENT_NAME.match(requirement)
        assert match, f"unreadable requirement {requirement!r} in [project].dependencies"
        names.add(normalized(match.group(1)))
    return names


def test_every_third_party_package_imported_at_run_time_is_a_runtime_dependency() -> None:
    imports = third_party_imports(sorted(PACKAGE.rglob("*.py")))
    declared = declared_runtime_dependencies()
    distributions = packages_distributions()

    # The walk sees the application's real imports, lazy ones included.
    assert {"fastapi", "sqlalchemy", "httpx", "uvicorn"} <= imports.keys()
    undeclared = []
    for module, files in sorted(imports.items()):
        providers = {normalized(name) for name in distributions.get(module, [])}
        if not providers & declared:
            where = ", ".join(str(path) for path in sorted(files))
            provided_by = ", ".join(sorted(providers)) or "no installed distribution"
            undeclared.append(f"{module} ({provided_by}) imported by {where}")
    assert undeclared == [], (
        "imported at run time but missing from [project].dependencies in pyproject.toml "
        "(dev extras are not installed by `make run`):\n  " + "\n  ".join(undeclared)
    )


def test_imports_inside_functions_count_and_type_checking_ones_do_not() -> None:
    source = """
from __future__ import annotations
import os.path
import yaml
from sqlalchemy.orm import Session
from . import sibling
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from mypy_extensions import trait
else:
    import attrs
if typing.TYPE_CHECKING:
    import pytest
def serve() -> None:
    import uvicorn
"""
    assert imported_top_level(source) == {
        "__future__",
        "os",
        "yaml",
        "sqlalchemy",
        "typing",
        "attrs",
        "uvicorn",
    }


def test_requirement_names_are_compared_normalised() -> None:
    assert normalized("PyYAML") == normalized("pyyaml")
    assert normalized("argon2_cffi") == "argon2-cffi"
    assert normalized("zope.interface") == "zope-interface"
