"""LinkedIn limits and defaults, its predefined question types and the closed sets of a sync."""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum

# LinkedIn keeps leads for 365 days: a backfill never reaches further back.
MAX_BACKFILL_DAYS = 365
# The periodic pull re-reads this much before the last finished window, so a
# response LinkedIn indexed late (or whose notification was missed) is still found.
PULL_OVERLAP = timedelta(hours=2)
PAGE_SIZE = 50
DEFAULT_API_VERSION = "202509"
RESTLI_PROTOCOL_VERSION = "2.0.0"
DEFAULT_BASE_URL = "https://api.linkedin.com"
OWNER_PATTERN = re.compile(r"^urn:li:(sponsoredAccount|organization):\d{1,20}$")
VERSION_PATTERN = re.compile(r"^20\d{2}(0[1-9]|1[0-2])$")


class PredefinedField(StrEnum):
    """LinkedIn's predefined question types: the same in every locale."""

    FIRST_NAME = "FIRST_NAME"
    LAST_NAME = "LAST_NAME"
    EMAIL = "EMAIL"
    WORK_EMAIL = "WORK_EMAIL"
    PHONE_NUMBER = "PHONE_NUMBER"
    WORK_PHONE_NUMBER = "WORK_PHONE_NUMBER"
    COMPANY_NAME = "COMPANY_NAME"
    JOB_TITLE = "JOB_TITLE"
    JOB_FUNCTION = "JOB_FUNCTION"
    SENIORITY = "SENIORITY"
    COMPANY_SIZE = "COMPANY_SIZE"
    INDUSTRY = "INDUSTRY"
    CITY = "CITY"
    STATE = "STATE"
    COUNTRY = "COUNTRY"
    ZIP_CODE = "ZIP_CODE"
    LINKEDIN_PROFILE_LINK = "LINKEDIN_PROFILE_LINK"
    DEGREE = "DEGREE"
    FIELD_OF_STUDY = "FIELD_OF_STUDY"
    SCHOOL = "SCHOOL"
    START_DATE = "START_DATE"
    GRADUATION_DATE = "GRADUATION_DATE"
    GENDER = "GENDER"


PREDEFINED_LABELS: dict[PredefinedField, str] = {
    item: item.value.replace("_", " ").capitalize().replace("Linkedin", "LinkedIn")
    for item in PredefinedField
}

# Shipped mappings; the others are offered but left unmapped until someone maps them.
DEFAULT_MAPPINGS: dict[PredefinedField, str] = {
    PredefinedField.FIRST_NAME: "first_name",
    PredefinedField.LAST_NAME: "last_name",
    PredefinedField.EMAIL: "email",
    PredefinedField.WORK_EMAIL: "email",
    PredefinedField.PHONE_NUMBER: "phone",
    PredefinedField.WORK_PHONE_NUMBER: "phone",
    PredefinedField.COMPANY_NAME: "company_name",
    PredefinedField.JOB_TITLE: "job_title",
}

# Lead fields a LinkedIn lead copies onto its new or matched contact.
CONTACT_FIELDS = ("email", "first_name", "last_name", "phone", "job_title", "country", "city")


class ConnectionStatus(StrEnum):
    NEW = "new"
    SYNCING = "syncing"
    OK = "ok"
    TOKEN_EXPIRED = "token_expired"
    THROTTLED = "throttled"
    ERROR = "error"


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    SKIPPED = "skipped"
    FAILED = "failed"
    DELETED = "deleted"


class SyncMode(StrEnum):
    BACKFILL = "backfill"
    PULL = "pull"


class LeadAction(StrEnum):
    CREATED = "CREATED"
    DELETED = "DELETED"
