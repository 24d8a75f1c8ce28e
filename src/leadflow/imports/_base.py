"""The chunk engine's state and the steps its parts share: the strategies, derived
columns, lookups through matching's batch API, inserts and change records."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import (
    Table,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from leadflow.accounts.events import AccountUpdated
from leadflow.accounts.services import domain_of
from leadflow.bus import Event
from leadflow.contacts.events import ContactUpdated
from leadflow.imports._bulk import (
    Created,
    column_defaults,
    fast_insert,
    insert_columns,
    next_ids,
    one_of,
)
from leadflow.imports._plan import _PERSON, Keyed, Plan
from leadflow.imports.domain import (
    ParsedRow,
    created_runs,
)
from leadflow.imports.models import ImportChange
from leadflow.leads.events import LeadUpdated
from leadflow.lib.normalize import InvalidEmail, normalize_email, parse_phone, phone_region
from leadflow.matching import batch
from leadflow.matching.models import MatchingStrategy
from leadflow.matching.services import default_contact_strategy, default_lead_strategy
from leadflow.registry.domain import FieldDef, FieldType, Registry
from leadflow.registry.sql import table_for

_CHANGES = cast(Table, ImportChange.__table__)


def _strategy(session: Session, target: str, strategy_id: int | None) -> MatchingStrategy | None:
    if strategy_id is not None:
        found = session.get(MatchingStrategy, strategy_id)
        if found is not None and found.target == target:
            return found
    if target == "contact":
        return default_contact_strategy(session)
    return default_lead_strategy(session)


class EngineBase:
    """Runs chunks of one import. `dry`: decide only; `seen` then stands in for the
    change records in telling in-file duplicates across chunks."""

    def __init__(
        self,
        session: Session,
        registry: Registry,
        plan: Plan,
        *,
        dry: bool = False,
        default_region: str | None = None,
    ) -> None:
        self.session = session
        self.registry = registry
        self.plan = plan
        self.dry = dry
        self.region = default_region
        self.entity = plan.entity
        self.table = table_for(plan.entity)
        self.seen: dict[str, int] = {}
        self.seen_contacts: set[str] = set()
        self.events: list[Event | Created] = []
        # line -> the id taken for the chunk's new record when its key was claimed.
        self.reserved: dict[int, int] = {}
        self.strategy: MatchingStrategy | None = None
        self.require_null: tuple[FieldDef, ...] = ()
        self.claimable = True
        if plan.entity in _PERSON:
            strategy_id = (
                plan.contact_strategy_id if plan.entity == "contact" else plan.lead_strategy_id
            )
            strategy = _strategy(session, plan.entity, strategy_id)
            if strategy is not None:
                self._set_strategy(strategy)
        self.contact_strategy: MatchingStrategy | None = None
        if plan.entity == "lead":
            self.contact_strategy = _strategy(session, "contact", plan.contact_strategy_id)

    def _set_strategy(self, strategy: MatchingStrategy) -> None:
        # Strategy fields the file does not carry at all (a lead's marketing page)
        # match records where they are empty; such reduced keys are not claimed.
        mapped = self.plan.fields
        known = [name for name in strategy.fields if self.registry.has_field(strategy.target, name)]
        present = [name for name in known if name in mapped]
        if not present:
            return
        self.require_null = tuple(
            self.registry.field(strategy.target, name) for name in known if name not in mapped
        )
        self.claimable = not self.require_null and len(known) == len(strategy.fields)
        if self.claimable:
            self.strategy = strategy
        else:
            # A transient copy (never added to the session) over the fields given.
            self.strategy = MatchingStrategy(
                id=strategy.id, name=strategy.name, target=strategy.target, fields=present
            )

    # --- values ----------------------------------------------------------------------

    def _derived(self, values: dict[str, Any], entity: str) -> dict[str, Any]:
        """Columns written with the values: normalised email, E.164 phone, domain."""
        out = dict(values)
        if entity in _PERSON:
            if "email" in out:
                email = out["email"]
                try:
                    out["email_normalized"] = normalize_email(email) if email else None
                except InvalidEmail:
                    out["email_normalized"] = str(email).strip().casefold()
            if "phone" in out and not out["phone"]:
                out["phone"] = None
            elif "phone" in out:
                region = phone_region([out.get("country")], None, self.region)
                phone = parse_phone(out["phone"], region) if out["phone"] else None
                out["phone_raw"] = phone.raw if phone else None
                out["phone"] = phone.value if phone else None
        if entity == "account" and out.get("website") and not out.get("domain"):
            out["domain"] = domain_of(str(out["website"]))
        if entity == "account" and out.get("domain"):
            out["domain"] = str(out["domain"]).casefold().removeprefix("www.")
        return out

    def _match_values(self, row: ParsedRow) -> Mapping[str, Any]:
        # Read only: the row's own values when it has no custom ones (the usual case).
        return {**row.values, **row.custom} if row.custom else row.values

    def _match(
        self, strategy: MatchingStrategy, values: Sequence[Mapping[str, Any]]
    ) -> tuple[dict[str, int], list[Keyed]]:
        """One lookup through matching's batch API: identities and the records found."""
        if self._reads_phones(strategy):
            candidates = [batch.Candidate(item, region=self._region_of(item)) for item in values]
        else:
            # No phone to read in a region: no closure per candidate.
            candidates = [batch.Candidate(item) for item in values]
        matches = batch.match_many_bulk(self.session, self.registry, strategy, candidates)
        if strategy.target == self.entity and self.require_null:
            matches = self._empty_where_absent(matches)
        found: dict[str, int] = {}
        keys: list[Keyed] = []
        for match in matches:
            if match.record_id is not None:
                ident = f"id:{match.record_id}"
                found[ident] = int(match.record_id)
                keys.append(Keyed(ident))
            else:
                keys.append(Keyed(match.key))
        return found, keys

    def _reads_phones(self, strategy: MatchingStrategy) -> bool:
        """Whether the strategy compares a phone (its candidates may need a region)."""
        return any(
            self.registry.field(strategy.target, name).type is FieldType.PHONE
            for name in strategy.fields
            if self.registry.has_field(strategy.target, name)
        )

    def _region_of(self, values: Mapping[str, Any]) -> Callable[[], str | None]:
        return lambda: phone_region([values.get("country")], None, self.region)

    def _empty_where_absent(self, matches: list[batch.BatchMatch]) -> list[batch.BatchMatch]:
        """Of each match and its other candidates, the first whose strategy fields the
        file does not carry are empty (one query for the chunk)."""
        ids = sorted(
            {
                rid
                for m in matches
                if m.record_id is not None
                for rid in (m.record_id, *m.candidates)
            }
        )
        if not ids:
            return matches
        from leadflow.registry.sql import field_column

        ok = set(
            self.session.scalars(
                select(self.table.c.id).where(
                    one_of(self.session, self.table.c.id, ids),
                    *(field_column(item).is_(None) for item in self.require_null),
                )
            )
        )
        kept: list[batch.BatchMatch] = []
        for match in matches:
            if match.record_id is None:
                kept.append(match)
                continue
            winner = next((rid for rid in (match.record_id, *match.candidates) if rid in ok), None)
            kept.append(batch.BatchMatch(winner, key=None))
        return kept

    def _accounts_by(self, domains: Sequence[str], names: Sequence[str]) -> dict[str, int]:
        if not domains and not names:
            return {}
        table = table_for("account")
        # Names are stored trimmed (text fields are): lower(name) is what the index
        # ix_accounts_name_lower holds, so a chunk searches it instead of scanning.
        lowered = func.lower(table.c.name)
        conditions = []
        if domains:
            conditions.append(one_of(self.session, table.c.domain, domains))
        if names:
            conditions.append(one_of(self.session, lowered, names))
        found: dict[str, int] = {}
        query = (
            select(table.c.id, table.c.domain, table.c.name)
            .where(or_(*conditions))
            .order_by(table.c.updated_at.desc(), table.c.id.desc())
        )
        for record_id, domain, name in self.session.execute(query):
            if domain:
                found.setdefault(f"domain:{domain}", int(record_id))
            found.setdefault(f"name:{' '.join(str(name).split()).casefold()}", int(record_id))
        return found

    # --- writes ----------------------------------------------------------------------

    def _insert_rows(
        self, table: Table, payload: list[dict[str, Any]], ids: Sequence[int] | None = None
    ) -> list[int]:
        """The rows inserted with `ids` (taken earlier, when their keys were claimed),
        else with ids taken now."""
        if self.dry or not payload:
            return [0] * len(payload)
        named = set().union(*payload)
        given = named - {"id"}
        defaults = column_defaults(table)
        columns: dict[str, Sequence[Any]] = {}
        same: dict[str, Any] = {}
        for name, default in defaults.items():
            if name not in given:
                same[name] = default() if callable(default) else default
        ordered = sorted(given)
        if len(named) == len(given) and all(len(values) == len(ordered) for values in payload):
            # Every row names every column (the usual case): one C-level pass over
            # the rows (itemgetter, zip) instead of a list comprehension per column.
            if len(ordered) > 1:
                transposed: list[Sequence[Any]] = list(
                    zip(*map(itemgetter(*ordered), payload), strict=True)
                )
            else:
                transposed = [[values[ordered[0]] for values in payload]]
        else:
            transposed = [[values.get(name) for values in payload] for name in ordered]
        for name, column in zip(ordered, transposed, strict=True):
            if name in defaults and not table.c[name].nullable and None in column:
                default = defaults[name]
                value = default() if callable(default) else default
                column = [value if item is None else item for item in column]
            columns[name] = column
        taken = list(ids) if ids is not None else self._next_ids(table, len(payload))
        columns["id"] = taken
        insert_columns(self.session, table, columns, same=same)
        return taken

    def _next_ids(self, table: Table, count: int) -> list[int]:
        return next_ids(self.session, table, count)

    def _updated_event(self, record_id: int, changed: tuple[str, ...]) -> Event:
        if self.entity == "contact":
            return ContactUpdated(contact_id=record_id, changed=changed)
        if self.entity == "lead":
            return LeadUpdated(lead_id=record_id, changed=changed)
        return AccountUpdated(account_id=record_id, changed=changed)

    def _record_changes(self, rows: list[dict[str, Any]], action: str) -> None:
        if self.dry or not rows:
            return
        payload = [
            {
                "import_id": self.plan.import_id,
                "action": action,
                "before": item.get("before"),
                "after": item.get("after"),
                **{name: item[name] for name in ("line", "entity", "record_id")},
            }
            for item in rows
        ]
        fast_insert(self.session, _CHANGES, payload)

    def _record_created(self, entity: str, lines: list[int], ids: Sequence[int]) -> None:
        """The chunk's new records of an entity as one change record: their span of
        ids and which line created which (`created_runs`)."""
        if self.dry or not ids:
            return
        insert_columns(
            self.session,
            _CHANGES,
            {
                "line": [min(lines)],
                "record_id": [min(ids)],
                "last_record_id": [max(ids)],
                "after": [{"runs": created_runs(ids, lines)}],
            },
            same={
                "import_id": self.plan.import_id,
                "action": "created",
                "entity": entity,
                "before": None,
            },
        )
