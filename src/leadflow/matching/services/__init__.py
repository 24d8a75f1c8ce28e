"""Matching use cases: strategy CRUD and the race-free match-or-create.

`_strategies` the strategies (which fields identify a contact or a lead); `_match_one`
the race-free match-or-create of one record (a batch matches through
`matching.batch`); `_duplicates` the records already stored that share a key.
"""

from leadflow.matching.services._duplicates import duplicate_groups
from leadflow.matching.services._match_one import match_contact, match_lead, match_outcome
from leadflow.matching.services._strategies import (
    _checked_fields,
    create_strategy,
    default_contact_strategy,
    default_lead_strategy,
    default_strategy,
    delete_strategy,
    do_create_strategy,
    do_delete_strategy,
    do_update_strategy,
    get_strategy,
    list_strategies,
    load_strategies,
    seed_strategies,
    strategy_by_seed_key,
    update_strategy,
)

__all__ = [
    "_checked_fields",
    "create_strategy",
    "default_contact_strategy",
    "default_lead_strategy",
    "default_strategy",
    "delete_strategy",
    "do_create_strategy",
    "do_delete_strategy",
    "do_update_strategy",
    "duplicate_groups",
    "get_strategy",
    "list_strategies",
    "load_strategies",
    "match_contact",
    "match_lead",
    "match_outcome",
    "seed_strategies",
    "strategy_by_seed_key",
    "update_strategy",
]
