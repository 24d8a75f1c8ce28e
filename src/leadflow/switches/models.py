"""The org_switches and org_settings tables: only values changed from their default have a row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, UTCDateTime
from leadflow.lib.clock import utcnow


class OrgSwitch(Base):
    __tablename__ = "org_switches"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    enabled: Mapped[bool]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrgSetting(Base):
    __tablename__ = "org_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
