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
database. With no token, an operation that declares a security scheme answers 401
whatever its input (the token is checked before the input is read), so with no
token those are each called once rather than with the whole budget: every
operation is still called, and the inputs are fuzzed where they are read, on the
public operations and as the admin.

The coverage phase does not send unexpected HTTP methods (a GET path sent a PUT):
the framework's router answers those with 405 before any of leadflow's code runs,
and they were a sixth of the cases.

One test per database and caller: the app, its seeded database and the schema
are built once for all operations (dealt into shards, each paying that set-up,
the run cost more in all than it balanced).

On PostgreSQL the coverage phase's wrong-type cases (half of all cases, 5,800 as the
admin) are drawn but not sent. Validation answers them 422 before any statement
runs, so they test the same code on both databases; the few that validation
coerces (False for a number) become values the valid and boundary cases already
send to PostgreSQL. They are all sent on SQLite.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.python.asgi import ASGIClient
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from leadflow.bootstrap import Container

# What every answer must satisfy: the one list for the whole run.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SEED = 20240611
# The coverage phase already sends some 11,000 chosen cases as the admin (boundaries, wrong
# types, missing and extra properties); each random case costs about ten times a chosen one
# to draw. One random case per operation: a second took the SQLite admin run from 42 to 49 s
# (five had cost a fifth more again).
RANDOM_CASES_PER_OPERATION = 1
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
    "phases": {
        "stateful": {"enabled": False},
        "examples": {"enabled": False},
        "coverage": {"unexpected-methods": []},
    },
}
# Operations that answer 401 before reading their input, called with no token: one case each.
GUARDED_CONFIG = {
    **CONFIG,
    "generation": {**CONFIG["generation"], "max-examples": 1},
    "phases": {**CONFIG["phases"], "coverage": {"enabled": False}},
}


class Findings:
    """Failures by check, each as 'operation: status title' (first few per kind)."""

    def __init__(self) -> None:
        self.cases = 0
        self.not_sent = 0
        self.operations: list[str] = []
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


def _scenario(case: schemathesis.Case) -> CoverageScenario | None:
    data = case.meta.phase.data if case.meta is not None else None
    return data.scenario if isinstance(data, CoveragePhaseData) else None


def fuzz(
    app: FastAPI,
    *schemas: schemathesis.BaseSchema,
    not_sent: frozenset[CoverageScenario] = frozenset(),
) -> Findings:
    """Call every operation of `schemas` with its generated cases, except the coverage
    cases of the `not_sent` scenarios, which are drawn and counted only."""
    findings = Findings()
    label = ""

    def call(case: schemathesis.Case) -> None:
        if _scenario(case) in not_sent:
            findings.not_sent += 1
            return
        findings.cases += 1
        try:
            response = case.call(session=client)
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

    # One in-process client for every call: schemathesis otherwise builds a session per
    # case, and requests reads the proxy settings from the environment for each.
    with ASGIClient(app) as client:
        client.trust_env = False
        for schema in schemas:
            for result in get_all_tests(
                schema=schema, test_func=call, settings=None, given_kwargs=None
            ):
                operation, test = result.ok()
                label = operation.label
                findings.operations.append(label)
                test()
    return findings


def _guarded(context: Any) -> bool:
    """The operation declares a security scheme (a token or a session)."""
    return bool(context.operation.definition.raw.get("security"))


def api_schemas(
    caller: str, app: FastAPI, headers: dict[str, str]
) -> list[schemathesis.BaseSchema]:
    """The schemas to fuzz for a caller: every operation with the full budget for the
    admin; for no token, the public operations with the full budget and the guarded
    ones with GUARDED_CONFIG's."""

    def load(config: dict[str, Any]) -> schemathesis.BaseSchema:
        loaded = schemathesis.Config.from_dict({**config, "headers": headers})
        return schemathesis.openapi.from_asgi("/openapi.json", app, config=loaded)

    if caller == "admin":
        return [load(CONFIG)]
    return [
        load(CONFIG).exclude(_guarded),
        load(GUARDED_CONFIG).include(_guarded),
    ]


# Sent on SQLite only (the module's docstring says why).
NOT_SENT_ON_POSTGRESQL = frozenset({CoverageScenario.INCORRECT_TYPE})


@pytest.mark.slow
@pytest.mark.parametrize("caller", ["admin", "anonymous"])
def test_no_generated_input_gets_a_server_error_or_an_undeclared_answer(
    app: FastAPI,
    headers_for: Callable[[str], dict[str, str]],
    caller: str,
    container: Container,
) -> None:
    headers = headers_for("admin") if caller == "admin" else {}
    schemas = api_schemas(caller, app, headers)
    postgresql = not container.settings.is_sqlite
    started = time.monotonic()
    findings = fuzz(app, *schemas, not_sent=NOT_SENT_ON_POSTGRESQL if postgresql else frozenset())
    print(
        f"\n{len(findings.operations)} operations, {findings.cases} cases sent, "
        f"{findings.not_sent} drawn and not sent, in {time.monotonic() - started:.0f} s"
    )
    # Cases were left out on PostgreSQL and only there: a filter that matched nothing
    # (a scenario schemathesis stopped drawing) would otherwise pass unnoticed.
    assert (findings.not_sent > 0) == postgresql
    declared = sum(len(list(schema.get_all_operations())) for schema in schemas)
    assert len(findings.operations) == declared
    declared_labels = {f"{method.upper()} {path}" for method, path in _operations(app)}
    assert sorted(findings.operations) == sorted(declared_labels)
    assert len(declared_labels) > 150
    assert not findings.by_check, findings.report()


def _operations(app: FastAPI) -> list[tuple[str, str]]:
    return [(method, path) for path, item in app.openapi()["paths"].items() for method in item]
