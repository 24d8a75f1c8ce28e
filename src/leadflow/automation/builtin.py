"""Rules leadflow ships. Capabilities declare them at import; `seed` inserts the missing ones.

A shipped rule is inserted once, with its default switch; afterwards the
stored row is the user's (switched off, adjusted), and seeding never
overwrites it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BuiltinRule:
    key: str
    name: str
    trigger: str
    actions: Sequence[Mapping[str, Any]]
    conditions: Sequence[Mapping[str, Any]] = ()
    match: str = "all"
    enabled: bool = True
    description: str = ""
    group: str = ""
    position: int = 100
    extra: Mapping[str, Any] = field(default_factory=dict)


BUILTIN_RULES: dict[str, BuiltinRule] = {}


def builtin_rule(
    key: str,
    name: str,
    *,
    trigger: str,
    actions: Sequence[Mapping[str, Any]],
    conditions: Sequence[Mapping[str, Any]] = (),
    match: str = "all",
    enabled: bool = True,
    description: str = "",
    group: str = "",
    position: int = 100,
) -> BuiltinRule:
    rule = BuiltinRule(
        key,
        name,
        trigger,
        tuple(actions),
        tuple(conditions),
        match,
        enabled,
        description,
        group,
        position,
    )
    BUILTIN_RULES[key] = rule
    return rule
