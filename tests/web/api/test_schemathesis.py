"""Schemathesis over /openapi.json: no input gets a 5xx, and answers match what is declared.

Every operation the document declares is called with generated inputs: its
coverage cases (boundary numbers, unusual strings, missing and wrong-typed
values), then a few random valid and invalid ones. As an admin and with no
token, on SQLite and on PostgreSQL, in process through the ASGI app. Bounded so
the suite stays fast: a fixed seed, deterministic generation, a handful of
random cases per operation, no shrinking.

The operations run one after another inside one test per database and caller
(the app and its seeded database are built once for all of them), through
`get_all_tests`, which is what `schemathesis.pytest.from_fixture(...).parametrize()`
runs (that wrapper itself fails on pytest 9.2: it renames `node._nodeid`, which
pytest's Function no longer has). Every failure is collected rather than the
first raised, so one run lists all that remain, grouped by check.

Nothing is excluded: every operation the document declares is called, the
destructive ones (DELETE, go-live, rescore, backfill) included, on a throwaway
database.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# What every answer must satisfy: the one list for the whole run.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SEED = 20240611
RANDOM_CASES_PER_OPERATION = 5
CONFIG = {
    "seed": SEED,
    "generation": {
        "mode": "all",
        "max-examples": RANDOM_CASES_PER_OPERATION,
        "no-shrink": True,
        "deterministic": True,
        "database": "none",
    },
    # Stateful chains follow links the document does not declare; examples: it has none.
    "phases": {"stateful": {"enabled": False}, "examples": {"enabled": False}},
}


class Findings:
    """Failures by check, each as 'operation: status title' (first few per kind)."""

    def __init__(self) -> None:
        self.cases = 0
        self.operations = 0
        self.by_check: dict[str, set[str]] = defaultdict(set)

    def add(self, check: str, operation: str, detail: str) -> None:
        self.by_check[check].add(f"{operation}: {detail}")

    def report(self) -> str:
        lines: list[str] = []
        for check, found in sorted(self.by_check.items()):
            lines.append(f"{check} ({len(found)}):")
            lines.extend(f"  {item}" for item in sorted(found))
        return "\n".join(lines)


def _check_name(failure: Failure) -> str:
    return type(failure).__name__


def fuzz(schema: schemathesis.BaseSchema) -> Findings:
    findings = Findings()
    label = ""

    def call(case: schemathesis.Case) -> None:
        findings.cases += 1
        try:
            response = case.call()
        except Exception as exc:  # the app raised: its client got a 500
            findings.add("ServerError", label, f"{type(exc).__name__}: {exc}"[:200])
            return
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                findings.add(_check_name(failure), label, f"{response.status_code} {failure.title}")
        except Failure as failure:
            findings.add(_check_name(failure), label, f"{response.status_code} {failure.title}")

    for result in get_all_tests(schema=schema, test_func=call, settings=None, given_kwargs=None):
        operation, test = result.ok()
        findings.operations += 1
        label = operation.label
        test()
    return findings


@pytest.fixture(params=["admin", "anonymous"])
def api_schema(
    request: pytest.FixtureRequest, app: FastAPI, headers_for: Callable[[str], dict[str, str]]
) -> schemathesis.BaseSchema:
    headers = headers_for("admin") if request.param == "admin" else {}
    config = schemathesis.Config.from_dict({**CONFIG, "headers": headers})
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


@pytest.mark.slow
def test_no_generated_input_gets_a_server_error_or_an_undeclared_answer(
    api_schema: schemathesis.BaseSchema,
) -> None:
    started = time.monotonic()
    findings = fuzz(api_schema)
    print(
        f"\n{findings.operations} operations, {findings.cases} cases "
        f"in {time.monotonic() - started:.0f} s"
    )
    assert not findings.by_check, findings.report()
