"""Pydantic models of the LinkedIn API edge."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from leadflow.lib.bounds import omittable


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConnectionIn(_Strict):
    """Connect an ad account or organisation; its backfill starts at once."""

    name: str = Field(max_length=200)
    owner_urn: str = Field(
        max_length=200, description="urn:li:sponsoredAccount:<id> or urn:li:organization:<id>"
    )
    access_token: str = Field(max_length=4000)
    api_version: str | None = Field(default=None, max_length=6, description="YYYYMM")
    base_url: str | None = Field(default=None, max_length=300)
    client_secret: str | None = Field(
        default=None, max_length=400, description="The LinkedIn app's secret (webhooks)"
    )
    include_test_leads: bool = False
    backfill_days: int = Field(default=365, ge=1, le=365)


class ConnectionPatch(_Strict):
    """A field left out keeps its value. A new token clears an expired-token state."""

    name: str = omittable(max_length=200)
    access_token: str = omittable(max_length=4000)
    api_version: str = omittable(max_length=6)
    base_url: str = omittable(max_length=300)
    client_secret: str | None = Field(default=None, max_length=400)
    include_test_leads: bool = omittable()
    backfill_days: int = omittable(ge=1, le=365)


class SyncIn(_Strict):
    backfill: bool = Field(
        default=False, description="Read the whole backfill window again (up to 365 days)"
    )


class SubscriptionIn(_Strict):
    webhook_url: str | None = Field(
        default=None,
        max_length=1000,
        description=(
            "Where LinkedIn posts new leads; by default this server's webhook route of the "
            "connection, at the address the request came to"
        ),
    )


class MappingsIn(_Strict):
    """Predefined field types (or question ids) to lead field names; null unmaps."""

    mappings: dict[str, str | None]


class StrategyIn(_Strict):
    """Create and change: a field left out keeps its value."""

    name: str = omittable(max_length=180)
    fields: list[str] = omittable(description="Mapped lead fields that must all be equal")
    always_create_lead: bool = omittable()
    enable_contact_creation: bool = omittable()
    activate: bool = omittable(description="Make it the one active strategy (on create)")
    is_active: bool = omittable(description="true activates it (on change)")
