"""Relative moments ("N days ago") in compiled statements, as bound parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam


@dataclass
class Cutoffs:
    """The moments a statement compares with ("N days ago"), as bound parameters, so a
    compiled statement is reused at any `now`: `param` while compiling, `values(now)`
    when running."""

    days: dict[str, tuple[int, bool]] = field(default_factory=dict)

    def param(self, days: int, column: Any, *, as_date: bool = False) -> Any:
        name = f"cutoff_{days}{'_date' if as_date else ''}"
        self.days[name] = (days, as_date)
        return bindparam(name, type_=column.type)

    def values(self, now: datetime) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, (days, as_date) in self.days.items():
            moment = now - timedelta(days=days)
            values[name] = moment.date() if as_date else moment
        return values
