"""Errors of the duplicates capability."""

from __future__ import annotations

from leadflow.errors import Conflict, ErrorCode


class DuplicateFound(Conflict):
    """The values match an existing record under the matching strategy; `existing_id` names
    it. Repeat with "create anyway" to make another one deliberately."""

    code = ErrorCode.DUPLICATE
    title = "Duplicate"

    def __init__(self, entity: str, existing_id: int, title: str, strategy: str | None) -> None:
        plural = {"contact": "contacts", "lead": "leads"}[entity]
        how = f" (matched on {strategy!r})" if strategy else ""
        super().__init__(
            f"This {entity} already exists{how}: {title}",
            field="email",
            existing_id=existing_id,
            extra={
                "existing": {
                    "entity": entity,
                    "id": existing_id,
                    "title": title,
                    "href": f"/{plural}/{existing_id}",
                    "api": f"/api/v1/{plural}/{existing_id}",
                },
                "strategy": strategy,
            },
        )
        self.entity = entity
        self.existing_title = title
