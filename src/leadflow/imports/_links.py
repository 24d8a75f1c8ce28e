"""Linking a chunk's leads to contacts (found or created marketing-only) and its
contacts and leads to accounts (found by name or web domain, never created)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    select,
)

from leadflow.accounts.services import domain_of
from leadflow.imports._base import EngineBase
from leadflow.imports._bulk import created_event, next_ids, one_of
from leadflow.imports.domain import (
    ACCOUNT_DOMAIN,
    ACCOUNT_NAME,
    ParsedRow,
)
from leadflow.lib.clock import utcnow
from leadflow.matching import batch
from leadflow.matching.models import MatchingStrategy
from leadflow.registry.sql import table_for


class LinkSteps(EngineBase):
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
        made: dict[str, int] = {}
        if new and not self.dry:
            made = self._make_contacts(strategy, new, found)
            created = len(made)
        else:
            fresh = [key for key in new if key[:16] not in self.seen_contacts]
            self.seen_contacts.update(key[:16] for key in fresh)
            created = len(fresh)
        # The contacts just created have no account: only the others are read.
        accounts = self._contact_accounts(set(found.values()) - set(made.values()))
        for row, keyed in zip(needing, keys, strict=True):
            contact_id = found.get(keyed.key) if keyed.key else None
            if contact_id is None:
                continue
            row.values["parent_contact_id"] = contact_id
            account_id = accounts.get(contact_id)
            if account_id is not None:
                row.values.setdefault("parent_account_id", account_id)
        _link_updates(updates, current)
        return created

    def _make_contacts(
        self, strategy: MatchingStrategy, new: Mapping[str, ParsedRow], found: dict[str, int]
    ) -> dict[str, int]:
        """Create the contacts the leads need (their keys claimed first, each already
        pointing at its new contact); a key another writer took meanwhile links to that
        writer's contact instead. Adds every link to `found`; returns the ones created."""
        taken = next_ids(self.session, table_for("contact"), len(new))
        reserved = dict(zip(new, taken, strict=True))
        claimed = batch.claim_keys_for_bulk(self.session, strategy.id, reserved)
        lost = [key for key in new if key not in claimed]
        if lost:
            again_found, again = self._match(strategy, [new[key].values for key in lost])
            for key, keyed in zip(lost, again, strict=True):
                if keyed.key in again_found:
                    found[key] = again_found[keyed.key]
        to_make = [key for key in new if key not in found]
        ids = self._insert_contacts(
            [new[key] for key in to_make], [reserved[key] for key in to_make]
        )
        made = dict(zip(to_make, ids, strict=True))
        found.update(made)
        return made

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

    def _insert_contacts(self, rows: Sequence[ParsedRow], ids: Sequence[int]) -> list[int]:
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
        ids = self._insert_rows(table, payload, ids)
        self.events.append(created_event("contact", ids))
        self._record_created("contact", [row.line for row in rows], ids)
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

        # A chunk's rows share a few company names: each one's key is worked out once.
        name_keys: dict[Any, str] = {}

        def keys_of(row: ParsedRow) -> list[str]:
            keys: list[str] = []
            domain = row.links.get(ACCOUNT_DOMAIN)
            if domain:
                keys.append(f"domain:{(domain_of(domain) or domain).casefold()}")
            name = row.links.get(ACCOUNT_NAME) or row.values.get("company_name")
            if name:
                key = name_keys.get(name)
                if key is None:
                    key = name_keys[name] = f"name:{' '.join(str(name).split()).casefold()}"
                keys.append(key)
            return keys

        wanted = {row.line: keys_of(row) for row in rows if column not in row.values}
        all_keys = {key for keys in wanted.values() for key in keys}
        if not all_keys:
            return
        found = self._accounts_by(
            sorted(key[7:] for key in all_keys if key.startswith("domain:")),
            sorted(key[5:] for key in all_keys if key.startswith("name:")),
        )
        for row in rows if found else ():
            for key in wanted.get(row.line, ()):
                if key in found:
                    row.values[column] = found[key]
                    break
        for row, record_id, changes in updates:
            if column in row.values and not current[record_id].get(column):
                changes[column] = row.values[column]


def _link_updates(
    updates: list[tuple[ParsedRow, int, dict[str, Any]]], current: Mapping[int, Mapping[str, Any]]
) -> None:
    """An updated lead that had no contact (or account) takes the one just linked."""
    for row, record_id, changes in updates:
        if "parent_contact_id" in row.values and not current[record_id].get("parent_contact_id"):
            changes["parent_contact_id"] = row.values["parent_contact_id"]
            if row.values.get("parent_account_id") and not current[record_id].get(
                "parent_account_id"
            ):
                changes["parent_account_id"] = row.values["parent_account_id"]
