"""The chunk engine: a chunk of parsed rows matched and written set-based.

Per chunk: one lookup per key kind (the entity's strategy, the leads' contacts,
the accounts they link to), one read of the matched records' current values,
multi-row INSERTs for new records, UPDATEs grouped by the fields they change,
and the change records, error records and events in bulk. Nothing loops over
rows against the database. A dry run runs the same decisions without writing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    Table,
    any_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from leadflow.accounts.events import AccountCreated, AccountUpdated
from leadflow.accounts.services import domain_of
from leadflow.bus import Event
from leadflow.contacts.events import ContactCreated, ContactUpdated
from leadflow.db.uow import UnitOfWork
from leadflow.imports.domain import (
    ACCOUNT_DOMAIN,
    ACCOUNT_NAME,
    CellError,
    ColumnMap,
    Outcome,
    ParsedRow,
    WriteMode,
    comparable,
    decide_changes,
)
from leadflow.imports.models import ImportChange, ImportRowError
from leadflow.leads.events import LeadCreated, LeadUpdated
from leadflow.lib.clock import utcnow
from leadflow.lib.normalize import InvalidEmail, normalize_email, parse_phone, phone_region
from leadflow.matching import batch
from leadflow.matching.models import MatchingStrategy
from leadflow.matching.services import default_contact_strategy, default_lead_strategy
from leadflow.outbox import OutboxMessage, event_subject, outbox_rows
from leadflow.registry.domain import FieldDef, FieldType, Registry
from leadflow.registry.sql import table_for

_CHANGES = cast(Table, ImportChange.__table__)
_OUTBOX = cast(Table, OutboxMessage.__table__)
_ERRORS = cast(Table, ImportRowError.__table__)

# Derived columns written with the field they follow.
_PERSON = ("contact", "lead")


@dataclass(frozen=True)
class Keyed:
    """A row's identity in its chunk: "id:<n>" when it matched record n, its match
    key when it is new (None when the strategy cannot be applied to it)."""

    key: str | None


def one_of(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `= ANY(array)`: one parameter instead of a
    thousand, so the driver does not parse a long statement on every chunk."""
    items = list(values)
    if session.get_bind().dialect.name != "postgresql" or not items:
        return cast(ColumnElement[bool], column.in_(items))
    kind = BigInteger() if isinstance(items[0], int) else String()
    array = bindparam(None, items, type_=postgresql.ARRAY(kind))
    return cast(ColumnElement[bool], column == any_(array))


@dataclass
class RowResult:
    line: int
    outcome: Outcome
    record_id: int | None = None
    changed: tuple[str, ...] = ()
    error: CellError | None = None


@dataclass(frozen=True)
class Plan:
    """What one import does, fixed for all its chunks."""

    import_id: int
    entity: str
    mapping: Mapping[str, ColumnMap]
    create_contacts: bool = True
    contact_strategy_id: int | None = None
    lead_strategy_id: int | None = None

    @property
    def modes(self) -> dict[str, WriteMode]:
        return {item.field: item.mode for item in self.mapping.values()}

    @property
    def fields(self) -> set[str]:
        return {item.field for item in self.mapping.values()}


@dataclass
class ChunkReport:
    results: list[RowResult] = field(default_factory=list)
    contacts_created: int = 0

    def counts(self) -> dict[str, int]:
        counts = {item.value: 0 for item in Outcome}
        for result in self.results:
            counts[result.outcome.value] += 1
        counts["contacts_created"] = self.contacts_created
        return counts


def _strategy(session: Session, target: str, strategy_id: int | None) -> MatchingStrategy | None:
    if strategy_id is not None:
        found = session.get(MatchingStrategy, strategy_id)
        if found is not None and found.target == target:
            return found
    if target == "contact":
        return default_contact_strategy(session)
    return default_lead_strategy(session)


class Engine:
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
        self.events: list[Event] = []
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

    def _match_values(self, row: ParsedRow) -> dict[str, Any]:
        return {**row.values, **row.custom}

    # --- the chunk ---------------------------------------------------------------------

    def run(self, rows: Sequence[ParsedRow]) -> ChunkReport:
        report = ChunkReport()
        results: dict[int, RowResult] = {}
        good: list[ParsedRow] = []
        for row in rows:
            if row.errors:
                results[row.line] = RowResult(row.line, Outcome.ERROR, error=row.errors[0])
            else:
                good.append(row)
        found, keys = self._lookup(good)
        in_file = self._already_imported(found, keys, good)
        current = self._current(set(found.values()))
        creates: list[ParsedRow] = []
        updates: list[tuple[ParsedRow, int, dict[str, Any]]] = []
        first_line: dict[str, int] = {}
        for row, keyed in zip(good, keys, strict=True):
            key = keyed.key
            if key is not None:
                earlier = first_line.get(key) or in_file.get(key)
                if earlier is not None:
                    results[row.line] = RowResult(
                        row.line,
                        Outcome.CONFLICT,
                        error=CellError(
                            None, "duplicate_in_file", f"Same record as line {earlier}"
                        ),
                    )
                    continue
                first_line[key] = row.line
            record_id = found.get(key) if key is not None else None
            if record_id is None:
                creates.append(row)
                continue
            changes = self._changes(row, current.get(record_id, {}))
            if changes:
                updates.append((row, record_id, changes))
            else:
                results[row.line] = RowResult(row.line, Outcome.SKIP, record_id)
        if not self.dry:
            creates, raced = self._claim(creates, keys_by_line(good, keys))
            if raced:
                current.update(self._current(set(raced.values())))
                for line, record_id in raced.items():
                    row = next(item for item in good if item.line == line)
                    changes = self._changes(row, current.get(record_id, {}))
                    if changes:
                        updates.append((row, record_id, changes))
                    else:
                        results[row.line] = RowResult(row.line, Outcome.SKIP, record_id)
        if self.entity == "lead":
            report.contacts_created = self._link_leads(creates, updates, current)
        if self.entity in _PERSON:
            self._link_accounts(creates, updates, current)
        created_ids = self._insert(creates, keys_by_line(good, keys))
        for row, record_id in zip(creates, created_ids, strict=True):
            results[row.line] = RowResult(row.line, Outcome.CREATE, record_id)
        self._update(updates, current)
        for row, record_id, changes in updates:
            results[row.line] = RowResult(
                row.line, Outcome.UPDATE, record_id, tuple(sorted(changes))
            )
        report.results = [results[row.line] for row in rows]
        if not self.dry:
            self._write_errors(rows, report.results)
        return report

    # --- lookups ---------------------------------------------------------------------

    def _lookup(self, rows: Sequence[ParsedRow]) -> tuple[dict[str, int], list[Keyed]]:
        if self.entity == "account":
            return self._lookup_accounts(rows)
        if self.strategy is None:
            return {}, [Keyed(None) for _ in rows]
        return self._match(self.strategy, [self._match_values(row) for row in rows])

    def _match(
        self, strategy: MatchingStrategy, values: Sequence[Mapping[str, Any]]
    ) -> tuple[dict[str, int], list[Keyed]]:
        """One lookup through matching's batch API: identities and the records found."""
        candidates = [batch.Candidate(item, region=self._region_of(item)) for item in values]
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

    def _lookup_accounts(self, rows: Sequence[ParsedRow]) -> tuple[dict[str, int], list[Keyed]]:
        """Accounts match by web domain when the row has one, else by name."""
        keys: list[Keyed] = []
        for row in rows:
            values = self._derived(row.values, "account")
            domain = values.get("domain")
            name = values.get("name")
            if domain:
                keys.append(Keyed(f"domain:{domain}"))
            elif name:
                keys.append(Keyed(f"name:{' '.join(str(name).split()).casefold()}"))
            else:
                keys.append(Keyed(None))
        domains = sorted({k.key[7:] for k in keys if k.key and k.key.startswith("domain:")})
        names = sorted({k.key[5:] for k in keys if k.key and k.key.startswith("name:")})
        found = self._accounts_by(domains, names)
        return found, keys

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

    def _already_imported(
        self, found: Mapping[str, int], keys: Sequence[Keyed], rows: Sequence[ParsedRow]
    ) -> dict[str, int]:
        """key -> line of an earlier chunk's row of this import that wrote the record."""
        if self.dry:
            # 16 hex digits of each key (64 bits) keep a million rows' keys small.
            earlier = {
                keyed.key: self.seen[keyed.key[:16]]
                for keyed in keys
                if keyed.key is not None and keyed.key[:16] in self.seen
            }
            for row, keyed in zip(rows, keys, strict=True):
                if keyed.key is not None:
                    self.seen.setdefault(keyed.key[:16], row.line)
            return earlier
        ids = sorted(set(found.values()))
        if not ids:
            return {}
        rows_ = self.session.execute(
            select(_CHANGES.c.record_id, func.min(_CHANGES.c.line))
            .where(
                _CHANGES.c.import_id == self.plan.import_id,
                _CHANGES.c.entity == self.entity,
                one_of(self.session, _CHANGES.c.record_id, ids),
            )
            .group_by(_CHANGES.c.record_id)
        )
        line_of = {int(record_id): int(line) for record_id, line in rows_}
        return {key: line_of[rid] for key, rid in found.items() if rid in line_of}

    def _columns(self) -> list[str]:
        names = [
            name
            for name in self.plan.fields
            if name in self.table.c and not self.registry.field(self.entity, name).custom
        ]
        extra = ["custom"]
        if self.entity == "lead":
            extra += ["parent_contact_id", "parent_account_id", "email"]
        if self.entity == "contact":
            extra += ["account_id"]
        return sorted(set(names + extra))

    def _current(self, ids: set[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        columns = self._columns()
        query = select(self.table.c.id, *(self.table.c[name] for name in columns)).where(
            one_of(self.session, self.table.c.id, sorted(ids))
        )
        return {
            int(row[0]): dict(zip(columns, row[1:], strict=True))
            for row in self.session.execute(query)
        }

    def _changes(self, row: ParsedRow, current: Mapping[str, Any]) -> dict[str, Any]:
        values = self._derived(row.values, self.entity)
        incoming = {name: values[name] for name in row.values}
        changes = decide_changes(current, incoming, self.plan.modes)
        for name in _IDENTITY & set(changes):
            # The value the record was matched by, written otherwise ("ANN@x.com",
            # "fabrikam  inc"): not a change worth an update.
            if _same_text(changes[name], current.get(name)):
                del changes[name]
        custom_now = current.get("custom") or {}
        custom_changes = decide_changes(custom_now, row.custom, self.plan.modes)
        for name in custom_changes:
            changes[name] = custom_changes[name]
        return changes

    # --- racing writers ----------------------------------------------------------------

    def _claim(
        self, creates: list[ParsedRow], key_of: Mapping[int, str | None]
    ) -> tuple[list[ParsedRow], dict[int, int]]:
        """Claim the creates' keys; rows whose key another writer won (a form
        submission racing the import) match its record on a second lookup."""
        if self.strategy is None or not self.claimable or self.entity == "account":
            return creates, {}
        keys = [key for row in creates if (key := key_of.get(row.line))]
        claimed = batch.claim_keys_bulk(self.session, self.strategy.id, keys)
        lost = [row for row in creates if key_of.get(row.line) and key_of[row.line] not in claimed]
        if not lost:
            return creates, {}
        found, again = self._match(self.strategy, [self._match_values(row) for row in lost])
        raced = {
            row.line: found[keyed.key]
            for row, keyed in zip(lost, again, strict=True)
            if keyed.key in found
        }
        return [row for row in creates if row.line not in raced], raced

    # --- links -----------------------------------------------------------------------

    def _link_leads(
        self,
        creates: list[ParsedRow],
        updates: list[tuple[ParsedRow, int, dict[str, Any]]],
        current: Mapping[int, Mapping[str, Any]],
    ) -> int:
        """Each lead without a parent contact gets the contact its email (the contact
        strategy) finds, or a new marketing-only one when the import creates them."""
        strategy = self.contact_strategy
        if strategy is None or "parent_contact_id" in self.plan.fields:
            return 0
        needing = [row for row in creates] + [
            row for row, record_id, _ in updates if not current[record_id].get("parent_contact_id")
        ]
        if not needing:
            return 0
        found, keys = self._match(strategy, [row.values for row in needing])
        new: dict[str, ParsedRow] = {}
        for row, keyed in zip(needing, keys, strict=True):
            if keyed.key is not None and keyed.key not in found and self.plan.create_contacts:
                new.setdefault(keyed.key, row)
        created = 0
        if new and not self.dry:
            claimed = batch.claim_keys_bulk(self.session, strategy.id, list(new))
            lost = [key for key in new if key not in claimed]
            if lost:
                again_found, again = self._match(strategy, [new[key].values for key in lost])
                for key, keyed in zip(lost, again, strict=True):
                    if keyed.key in again_found:
                        found[key] = again_found[keyed.key]
            to_make = [key for key in new if key not in found]
            ids = self._insert_contacts([new[key] for key in to_make])
            made = dict(zip(to_make, ids, strict=True))
            batch.assign_keys_bulk(self.session, strategy.id, made)
            found.update(made)
            created = len(made)
        elif new:
            fresh = [key for key in new if key[:16] not in self.seen_contacts]
            self.seen_contacts.update(key[:16] for key in fresh)
            created = len(fresh)
        accounts = self._contact_accounts(set(found.values()))
        for row, keyed in zip(needing, keys, strict=True):
            contact_id = found.get(keyed.key) if keyed.key else None
            if contact_id is None:
                continue
            row.values["parent_contact_id"] = contact_id
            account_id = accounts.get(contact_id)
            if account_id is not None:
                row.values.setdefault("parent_account_id", account_id)
        for row, record_id, changes in updates:
            if "parent_contact_id" in row.values and not current[record_id].get(
                "parent_contact_id"
            ):
                changes["parent_contact_id"] = row.values["parent_contact_id"]
                if row.values.get("parent_account_id") and not current[record_id].get(
                    "parent_account_id"
                ):
                    changes["parent_account_id"] = row.values["parent_account_id"]
        return created

    def _contact_accounts(self, ids: set[int]) -> dict[int, int]:
        if not ids or self.dry:
            return {}
        table = table_for("contact")
        # account_id is tested here, not in SQL: a planner with stale statistics would
        # add the index on account_id to the primary key's lookups.
        rows = self.session.execute(
            select(table.c.id, table.c.account_id).where(
                one_of(self.session, table.c.id, sorted(ids))
            )
        )
        return {
            int(contact_id): int(account_id)
            for contact_id, account_id in rows
            if account_id is not None
        }

    def _insert_contacts(self, rows: Sequence[ParsedRow]) -> list[int]:
        if not rows:
            return []
        table = table_for("contact")
        now = utcnow()
        payload: list[dict[str, Any]] = []
        for row in rows:
            values = self._derived(
                {
                    name: row.values.get(name)
                    for name in ("email", "first_name", "last_name", "job_title", "phone")
                },
                "contact",
            )
            payload.append(
                {
                    **values,
                    "marketing_only": True,
                    "consent": "none",
                    "do_not_email": False,
                    "source": "import",
                    "custom": {},
                    "created_at": now,
                    "updated_at": now,
                }
            )
        ids = self._insert_rows(table, payload)
        self.events.extend(ContactCreated(contact_id=record_id) for record_id in ids)
        self._record_changes(
            [
                {"line": row.line, "entity": "contact", "record_id": record_id}
                for row, record_id in zip(rows, ids, strict=True)
            ],
            "created",
        )
        return ids

    def _link_accounts(
        self,
        creates: list[ParsedRow],
        updates: list[tuple[ParsedRow, int, dict[str, Any]]],
        current: Mapping[int, Mapping[str, Any]],
    ) -> None:
        """Contacts and leads find their account by a linked name or web domain (a
        lead's company name too); an account is never created for them."""
        column = "account_id" if self.entity == "contact" else "parent_account_id"
        if column in self.plan.fields:
            return
        rows = creates + [row for row, _, _ in updates]

        def keys_of(row: ParsedRow) -> list[str]:
            keys: list[str] = []
            domain = row.links.get(ACCOUNT_DOMAIN)
            if domain:
                keys.append(f"domain:{(domain_of(domain) or domain).casefold()}")
            name = row.links.get(ACCOUNT_NAME) or row.values.get("company_name")
            if name:
                keys.append(f"name:{' '.join(str(name).split()).casefold()}")
            return keys

        wanted = {row.line: keys_of(row) for row in rows if column not in row.values}
        all_keys = {key for keys in wanted.values() for key in keys}
        if not all_keys:
            return
        found = self._accounts_by(
            sorted(key[7:] for key in all_keys if key.startswith("domain:")),
            sorted(key[5:] for key in all_keys if key.startswith("name:")),
        )
        for row in rows:
            for key in wanted.get(row.line, []):
                if key in found:
                    row.values[column] = found[key]
                    break
        for row, record_id, changes in updates:
            if column in row.values and not current[record_id].get(column):
                changes[column] = row.values[column]

    # --- writes ----------------------------------------------------------------------

    def _insert_rows(self, table: Table, payload: list[dict[str, Any]]) -> list[int]:
        if self.dry or not payload:
            return [0] * len(payload)
        given = {name for values in payload for name in values}
        defaults = _defaults(table)
        columns = sorted((given | set(defaults)) - {"id"})
        rows = []
        for values in payload:
            full = {name: values.get(name) for name in columns}
            for name, default in defaults.items():
                if full[name] is None and (name not in given or not table.c[name].nullable):
                    full[name] = default() if callable(default) else default
            rows.append(full)
        ids = self._next_ids(table, len(rows))
        for record_id, full in zip(ids, rows, strict=True):
            full["id"] = record_id
        fast_insert(self.session, table, rows)
        return ids

    def _next_ids(self, table: Table, count: int) -> list[int]:
        return next_ids(self.session, table, count)

    def _insert(self, creates: list[ParsedRow], key_of: Mapping[int, str | None]) -> list[int]:
        if not creates:
            return []
        now = utcnow()
        payload = []
        for row in creates:
            values = self._derived(row.values, self.entity)
            values["custom"] = dict(row.custom)
            values["created_at"] = now
            values["updated_at"] = now
            if self.entity == "lead":
                values.setdefault("source", "import")
                values["source"] = values["source"] or "import"
                values["status"] = "open"
                values["status_reason"] = values.get("status_reason") or "new"
                if values.get("sales_ready"):
                    values["sales_ready_at"] = now
                    values["sales_ready_source"] = "manual"
            if self.entity == "contact":
                values.setdefault("source", "import")
            payload.append(values)
        ids = self._insert_rows(self.table, payload)
        if self.dry:
            return ids
        created: Callable[[int], Event] = {
            "contact": lambda rid: ContactCreated(contact_id=rid),
            "lead": lambda rid: LeadCreated(lead_id=rid),
            "account": lambda rid: AccountCreated(account_id=rid),
        }[self.entity]
        self.events.extend(created(record_id) for record_id in ids)
        if self.strategy is not None and self.claimable:
            pairs = {
                key: record_id
                for row, record_id in zip(creates, ids, strict=True)
                if (key := key_of.get(row.line))
            }
            batch.assign_keys_bulk(self.session, self.strategy.id, pairs)
        self._record_changes(
            [
                {"line": row.line, "entity": self.entity, "record_id": record_id}
                for row, record_id in zip(creates, ids, strict=True)
            ],
            "created",
        )
        return ids

    def _update(
        self,
        updates: list[tuple[ParsedRow, int, dict[str, Any]]],
        current: Mapping[int, Mapping[str, Any]],
    ) -> None:
        if self.dry or not updates:
            return
        now = utcnow()
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        changes_rows: list[dict[str, Any]] = []
        for row, record_id, changes in updates:
            now_values = current[record_id]
            custom_now = dict(now_values.get("custom") or {})
            builtin = {
                name: value
                for name, value in changes.items()
                if name in self.table.c and name != "custom"
            }
            custom = {name: value for name, value in changes.items() if name not in builtin}
            before = {name: comparable(now_values.get(name)) for name in builtin}
            before.update({f"custom.{name}": custom_now.get(name) for name in custom})
            source = {name: row.values.get(name, value) for name, value in builtin.items()}
            written = self._derived(source, self.entity)
            if custom:
                written["custom"] = {**custom_now, **custom}
            after = {name: comparable(value) for name, value in builtin.items()}
            after.update({f"custom.{name}": value for name, value in custom.items()})
            written["updated_at"] = now
            key = tuple(sorted(written))
            groups.setdefault(key, []).append({"_id": record_id, **written})
            changes_rows.append(
                {
                    "line": row.line,
                    "entity": self.entity,
                    "record_id": record_id,
                    "before": before,
                    "after": after,
                }
            )
            self.events.append(self._updated_event(record_id, tuple(sorted(changes))))
        for names, params in groups.items():
            statement = (
                update(self.table)
                .where(self.table.c.id == bindparam("_id"))
                .values({name: bindparam(name) for name in names})
            )
            self.session.connection().execute(statement, params)
        self._record_changes(changes_rows, "updated")

    def store_events(self, uow: UnitOfWork) -> None:
        """The chunk's events straight into the outbox (see `write_events`)."""
        if not self.dry:
            write_events(self.session, uow, self.events)
        self.events = []

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

    def _write_errors(self, rows: Sequence[ParsedRow], results: Sequence[RowResult]) -> None:
        write_errors(self.session, self.plan.import_id, rows, results)


def next_ids(session: Session, table: Table, count: int) -> list[int]:
    """Ids for new rows, known before the insert so it needs no RETURNING."""
    if session.get_bind().dialect.name == "sqlite":
        # The unit holds SQLite's write lock: nobody else takes ids meanwhile.
        start = int(session.scalar(select(func.max(table.c.id))) or 0) + 1
        return list(range(start, start + count))
    rows = session.connection().exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence(%(table)s, 'id')) "
        "FROM generate_series(1, %(count)s)",
        {"table": table.name, "count": count},
    )
    return [int(value) for (value,) in rows]


def write_events(session: Session, uow: UnitOfWork, events: Sequence[Event]) -> None:
    """Events straight into the outbox (COPY on PostgreSQL, one driver executemany on
    SQLite), ids taken first; the unit wakes the relay for them after its commit."""
    if not events:
        return
    rows = outbox_rows(events)
    ids = next_ids(session, _OUTBOX, len(rows))
    for record_id, row in zip(ids, rows, strict=True):
        row["id"] = record_id
    fast_insert(session, _OUTBOX, rows)
    subjects = {subject for item in events if (subject := event_subject(item))}
    uow.published_in_bulk(ids, subjects)


def write_errors(
    session: Session, import_id: int, rows: Sequence[ParsedRow], results: Sequence[RowResult]
) -> None:
    """The error records of a chunk's bad rows and conflicts, in one insert."""
    payload: list[dict[str, Any]] = []
    by_line = {row.line: row for row in rows}
    for result in results:
        if result.outcome not in (Outcome.ERROR, Outcome.CONFLICT):
            continue
        row = by_line[result.line]
        errors = row.errors or ([result.error] if result.error else [])
        for error in errors:
            payload.append(
                {
                    "import_id": import_id,
                    "line": row.line,
                    "column": error.column,
                    "code": error.code,
                    "message": error.message,
                    "row": list(row.raw),
                }
            )
    if payload:
        fast_insert(session, _ERRORS, payload)


_UNSET = object()
# Fields records are matched by, compared ignoring case and spacing.
_IDENTITY = frozenset({"email", "name", "domain"})


def _same_text(left: Any, right: Any) -> bool:
    if not isinstance(left, str) or not isinstance(right, str):
        return False
    return " ".join(left.split()).casefold() == " ".join(right.split()).casefold()


def _defaults(table: Table) -> dict[str, Any]:
    """The columns' Python-side defaults (a value, or a callable making one)."""
    defaults: dict[str, Any] = {}
    for column in table.c:
        default = column.default
        if default is None or column.primary_key:
            continue
        arg = getattr(default, "arg", None)
        if getattr(default, "is_callable", False):
            defaults[column.name] = lambda arg=arg: arg(None)
        elif getattr(default, "is_scalar", False):
            defaults[column.name] = arg
    return defaults


def fast_insert(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """A multi-row insert handed to the driver as is (executemany): the values go
    through the columns' own bind processors once, without SQLAlchemy's per-row
    parameter machinery, which costs more than the insert itself at this volume."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    # Column by column: most columns need no processing (text, numbers), and most
    # processed ones repeat one value down the chunk (the time, a default, {}).
    values = [[row[name] for row in rows] for name in columns]
    for index, name in enumerate(columns):
        processor = table.c[name].type._cached_bind_processor(dialect)
        if processor is not None:
            values[index] = _processed(values[index], processor)
    params = list(zip(*values, strict=True))
    quote = dialect.identifier_preparer.quote
    if dialect.name == "postgresql":
        # COPY: the rows stream in one command, no statement per row.
        driver = connection.connection.driver_connection
        names = ", ".join(quote(name) for name in columns)
        statement = f"COPY {quote(table.name)} ({names}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for row_values in params:
                copy.write_row(row_values)
        return
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    connection.exec_driver_sql(sql, params)


def _processed(column: list[Any], processor: Callable[[Any], Any]) -> list[Any]:
    last_in: Any = _UNSET
    last_out: Any = None
    out: list[Any] = []
    for value in column:
        if value is None:
            out.append(None)
        elif value is last_in or (type(value) is type(last_in) and value == last_in):
            out.append(last_out)
        else:
            last_in, last_out = value, processor(value)
            out.append(last_out)
    return out


def keys_by_line(rows: Sequence[ParsedRow], keys: Sequence[Keyed]) -> dict[int, str | None]:
    return {row.line: keyed.key for row, keyed in zip(rows, keys, strict=True)}


__all__ = ["ChunkReport", "Engine", "FieldType", "Plan", "RowResult"]
