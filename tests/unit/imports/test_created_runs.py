"""A chunk's created records as runs of (id, line): which line created which record."""

from __future__ import annotations

from leadflow.imports.domain import created_lines, created_runs


def test_ids_and_lines_that_go_up_together_are_one_run() -> None:
    runs = created_runs([10, 11, 12], [2, 3, 4])

    assert runs == [[10, 2, 3]]
    assert created_lines(runs) == {10: 2, 11: 3, 12: 4}


def test_a_skipped_line_or_id_starts_a_new_run() -> None:
    # Line 4 was a bad row; id 13 went to a key another writer won.
    runs = created_runs([10, 11, 12, 14], [2, 3, 5, 6])

    assert runs == [[10, 2, 2], [12, 5, 1], [14, 6, 1]]
    assert created_lines(runs) == {10: 2, 11: 3, 12: 5, 14: 6}


def test_pairs_given_out_of_order_are_kept_together() -> None:
    # Contacts made for updated leads come after those of created leads.
    runs = created_runs([21, 20, 22], [9, 3, 12])

    assert created_lines(runs) == {20: 3, 21: 9, 22: 12}


def test_no_records_are_no_runs() -> None:
    assert created_runs([], []) == []
    assert created_lines([]) == {}
