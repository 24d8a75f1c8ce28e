"""Matching many records at once: one lookup per strategy, keys claimed in one statement.

The set-based counterpart of `services.match_contact` / `match_lead`, for intake at
volume (the capture relay handler, imports). The rules are the same (pure ones in
`matching.domain`): a candidate's values are normalised for the strategy's fields;
records whose columns equal them match, the most recently updated first (tie: the
highest id), the others are `candidates`; a candidate missing a value cannot be
matched and is created without a key.

Use:

    found = match_many(session, registry, strategy, [Candidate(values), ...])
    # found[i].record_id: the existing record, or None (create one);
    # found[i].key: the match key of a new one (None: created without a key);
    # found[i].first: the first candidate of the batch with that key (the others of
    #   the same key are the same person: create once, reuse its id).
    claimed = claim_keys(session, strategy.id, keys_of_new)   # PostgreSQL: the race
    ... create the records of `claimed` keys (all keys on SQLite) ...
    assign_keys(session, strategy.id, {key: record_id, ...})

Race-freedom is the single path's: on PostgreSQL `claim_keys` inserts the keys with
ON CONFLICT DO NOTHING RETURNING, so of two processes creating the same person one
wins and the other, after the winner committed, finds the winner's record by a
second `match_many` (a key whose holder no longer matches is left to the single
path, which takes it over). On SQLite the writer holds the write lock for its whole
transaction, so nobody creates anyone meanwhile: keys are written with their records.
"""

from __future__ import annotations

from leadflow.matching.batch._bulk import (
    _JSON,
    assign_keys_bulk,
    bulk_match_key,
    claim_keys_bulk,
    claim_keys_for_bulk,
    match_many_bulk,
)
from leadflow.matching.batch._candidates import (
    _KEYS,
    MAX_CANDIDATES,
    BatchMatch,
    Candidate,
    _normalised,
    definitions_of,
    match_expression,
)
from leadflow.matching.batch._match import (
    assign_keys,
    claim_keys,
    match_many,
)

__all__ = [
    "MAX_CANDIDATES",
    "_JSON",
    "_KEYS",
    "BatchMatch",
    "Candidate",
    "_normalised",
    "assign_keys",
    "assign_keys_bulk",
    "bulk_match_key",
    "claim_keys",
    "claim_keys_bulk",
    "claim_keys_for_bulk",
    "definitions_of",
    "match_expression",
    "match_many",
    "match_many_bulk",
]
