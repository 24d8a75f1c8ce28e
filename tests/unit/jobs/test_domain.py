"""Pure rules of jobs: percent done, staleness, who may manage which kind, error text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import leadflow.automation.tasks
import leadflow.imports.tasks
import leadflow.scoring.tasks  # noqa: F401  (they declare the kinds pinned below)
from leadflow.errors import NotFound
from leadflow.jobs.domain import (
    ACTIVE,
    FINISHED,
    JobStatus,
    error_text,
    percent,
    requeue_before,
    stale_before,
)
from leadflow.jobs.errors import UnknownJobKind
from leadflow.jobs.kinds import job_kind, kind_of, kinds_for, label_of
from leadflow.users.domain import Permission, Role


@pytest.mark.parametrize(
    ("done", "total", "expected"),
    [(0, 0, None), (3, 0, None), (0, 4, 0), (1, 3, 33), (2, 4, 50), (4, 4, 100), (5, 4, 100)],
)
def test_percent_is_whole_bounded_and_unknown_without_a_total(
    done: int, total: int, expected: int | None
) -> None:
    assert percent(done, total) == expected


def test_every_status_is_either_active_or_finished() -> None:
    assert set(JobStatus) == ACTIVE | FINISHED
    assert [status for status in JobStatus if status.finished] == [
        JobStatus.SUCCEEDED,
        JobStatus.FAILED,
        JobStatus.CANCELLED,
    ]


def test_a_heartbeat_is_stale_after_two_minutes_and_a_queued_job_waits_five() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    assert stale_before(now) == datetime(2026, 3, 1, 11, 58, tzinfo=UTC)
    assert requeue_before(now) == datetime(2026, 3, 1, 11, 55, tzinfo=UTC)


def test_a_failed_job_shows_our_own_errors_message_and_others_type() -> None:
    assert error_text(NotFound("No model 7", field="model_id")) == "No model 7"
    assert error_text(ZeroDivisionError("division by zero")) == (
        "ZeroDivisionError: division by zero"
    )
    assert len(error_text(ValueError("x" * 5000))) == 2000


# Who may start (and so see and cancel) each shipped kind, pinned rather than derived.
SHIPPED = {"scoring.rescore", "automation.backfill_orphans", "imports.run"}
KINDS_BY_ROLE = {
    Role.ADMIN: ["automation.backfill_orphans", "imports.run", "scoring.rescore"],
    Role.MARKETER: ["automation.backfill_orphans", "imports.run", "scoring.rescore"],
    Role.SALES_MANAGER: [],
    Role.SALESPERSON: [],
    Role.TELEMARKETER: [],
}


@pytest.mark.parametrize(("role", "kinds"), KINDS_BY_ROLE.items())
def test_the_kinds_each_role_may_manage(role: Role, kinds: list[str]) -> None:
    assert [kind.name for kind in kinds_for(role) if kind.name in SHIPPED] == kinds


def test_a_kind_has_a_label_and_an_unknown_one_is_refused() -> None:
    assert (kind_of("scoring.rescore").label, label_of("scoring.rescore")) == (
        "Full rescore",
        "Full rescore",
    )
    assert label_of("gone.kind") == "gone.kind"
    with pytest.raises(UnknownJobKind) as unknown:
        kind_of("gone.kind")
    assert (unknown.value.code, unknown.value.field) == ("invalid_value", "kind")


def test_a_kind_name_cannot_be_declared_twice() -> None:
    def other(context: object, params: object) -> None:
        return None

    with pytest.raises(ValueError, match="declared twice"):
        job_kind("scoring.rescore", permission=Permission.SCORING_ADMIN, label="Again")(other)  # type: ignore[arg-type]
