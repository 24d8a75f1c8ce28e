"""Writes a model's new scores set-based: one statement computes, per lead whose rule
counts differ from its stored row, what the writes need (score, grade, the history's
changed rules) into a scratch table; the explanations (and a first score's changed
rules) are built once per distinct combination of counts into a second one; every
write is one INSERT ... SELECT from them.

A full rescore's first run writes a score row, a history row and a `lead.scored`
event for every lead. Built in Python per distinct combination of rule counts, the
explanations and changed rules cost about as much as the aggregate itself (7,045
combinations for 16,406 contact-based leads at 0.02 scale), each JSON-encoded and
sent back. Here they are text built by the database from the counts: Python sees a
lead only when its stored row came from another version of the model (its changed
rules are read from the stored explanation).

The scratch tables are temporary (per connection), emptied before each use and, on
PostgreSQL, at every commit.

Private modules by part: `_tables` (the stored and scratch tables, and what the writer
needs of a model), `_expressions` (the SQL pieces: JSON built as text, counts read back),
`_computed` (the leads whose scores differ, into the scratch tables) and `_writes` (scores,
history and events written from them); this face hands their names on.
"""

from leadflow.scoring.writer._computed import (
    changed_rows,
    differing_counts,
    outcome_rows,
    prepare_scratch,
    store_computed,
    store_rows,
    supplied_counts,
)
from leadflow.scoring.writer._expressions import signature_of
from leadflow.scoring.writer._tables import (
    COMPUTED,
    HISTORY,
    HISTORY_COLUMNS,
    OUTBOX,
    OUTCOMES,
    SCORE_COLUMNS,
    SCORES,
    SCRATCH,
    ScoredModel,
)
from leadflow.scoring.writer._writes import Written, write_model

__all__ = [
    "COMPUTED",
    "HISTORY",
    "HISTORY_COLUMNS",
    "OUTBOX",
    "OUTCOMES",
    "SCORES",
    "SCORE_COLUMNS",
    "SCRATCH",
    "ScoredModel",
    "Written",
    "changed_rows",
    "differing_counts",
    "outcome_rows",
    "prepare_scratch",
    "signature_of",
    "store_computed",
    "store_rows",
    "supplied_counts",
    "write_model",
]
