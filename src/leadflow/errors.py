"""Typed, coded errors.

Every error a service raises is a `LeadflowError` with a stable `code`, an HTTP
status and the data that explains it (`field`, `line`, `existing_id`). The web
layer maps them once to `application/problem+json`; the CLI prints the same
code and message.

    LeadflowError
      ValidationFailed    422  a value is wrong (field names it)
      NotFound            404  unknown id
      Conflict            409  the write would break an invariant
      PermissionDenied    403  the caller's role may not do this
      Unauthenticated     401  no or bad credentials
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    INVALID_VALUE = "invalid_value"
    # The value is of the right kind but its column cannot hold it (2^63, 10^17.00).
    OUT_OF_RANGE = "out_of_range"
    # Text holding U+0000, which PostgreSQL cannot store; refused on every database.
    NUL_CHARACTER = "nul_character"
    INVALID_EMAIL = "invalid_email"
    UNKNOWN_FIELD = "unknown_field"
    REQUIRED = "required"
    MALFORMED_JSON = "malformed_json"
    BODY_TOO_LARGE = "body_too_large"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    DUPLICATE = "duplicate"
    HAS_DEPENDENTS = "has_dependents"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    CSRF_FAILED = "csrf_failed"
    INVALID_CURSOR = "invalid_cursor"
    TOO_MANY_ITEMS = "too_many_items"
    RATE_LIMITED = "rate_limited"
    EVENT_FULL = "event_full"
    SUBMISSION_INVALID = "submission_invalid"
    SMTP_UNAVAILABLE = "smtp_unavailable"
    # Generic shapes a value can fail in.
    NOT_AN_OBJECT = "not_an_object"
    NOT_A_CHOICE = "not_a_choice"
    NOT_TEXT = "not_text"
    NOT_A_WHOLE_NUMBER = "not_a_whole_number"
    NOT_A_DATETIME = "not_a_datetime"
    NOT_IN_FUTURE = "not_in_future"
    DATES_OUT_OF_ORDER = "dates_out_of_order"
    TEXT_TOO_LONG = "text_too_long"
    URL_INVALID = "url_invalid"
    NAME_INVALID = "name_invalid"
    SLUG_INVALID = "slug_invalid"
    MUTUALLY_EXCLUSIVE = "mutually_exclusive"
    REFERENCE_UNKNOWN = "reference_unknown"
    READ_ONLY = "read_only"
    CANNOT_CHANGE = "cannot_change"
    FILE_TOO_LARGE = "file_too_large"
    NOT_ENOUGH_DATA = "not_enough_data"
    # Fields of the registry, lists and custom fields.
    FIELD_NOT_WRITABLE = "field_not_writable"
    FIELD_NOT_SORTABLE = "field_not_sortable"
    FIELD_NOT_FILTERABLE = "field_not_filterable"
    FIELD_NOT_MATCHABLE = "field_not_matchable"
    CUSTOM_FIELDS_NOT_ALLOWED = "custom_fields_not_allowed"
    OPTIONS_INVALID = "options_invalid"
    # Lifecycles: draft -> live <-> stopped (models, segments, journeys).
    ALREADY_LIVE = "already_live"
    NOT_LIVE = "not_live"
    NOT_STOPPED = "not_stopped"
    # Definitions people build.
    SCORING_MODEL_INVALID = "scoring_model_invalid"
    SEGMENT_DEFINITION_INVALID = "segment_definition_invalid"
    SEGMENT_KIND_MISMATCH = "segment_kind_mismatch"
    JOURNEY_DEFINITION_INVALID = "journey_definition_invalid"
    FORM_FIELD_INVALID = "form_field_invalid"
    # Matching, imports, LinkedIn.
    STRATEGY_TARGET_MISMATCH = "strategy_target_mismatch"
    ONE_MUST_STAY = "one_must_stay"
    MAPPING_INVALID = "mapping_invalid"
    IMPORT_ALREADY_RUN = "import_already_run"
    IMPORT_NOT_ENDED = "import_not_ended"
    LINKEDIN_OWNER_INVALID = "linkedin_owner_invalid"
    LINKEDIN_VERSION_INVALID = "linkedin_version_invalid"
    LINKEDIN_APP_NOT_CONFIGURED = "linkedin_app_not_configured"
    NOTIFICATION_INVALID = "notification_invalid"
    LEAD_OR_CONTACT_REQUIRED = "lead_or_contact_required"
    # Records and their lifecycle.
    LEAD_READ_ONLY = "lead_read_only"
    LEAD_NOT_OPEN = "lead_not_open"
    LEAD_NOT_DISQUALIFIED = "lead_not_disqualified"
    LEAD_WITHOUT_PERSON = "lead_without_person"
    STATUS_REASON_UNKNOWN = "status_reason_unknown"
    STATUS_REASON_MISMATCH = "status_reason_mismatch"
    INTERACTION_KIND_INVALID = "interaction_kind_invalid"
    MERGE_ENTITY_UNKNOWN = "merge_entity_unknown"
    MERGE_INTO_ITSELF = "merge_into_itself"
    ALREADY_MERGED = "already_merged"
    # The process.
    PROCESS_DEFINITION_INVALID = "process_definition_invalid"
    PROCESS_NOT_ACTIVE = "process_not_active"
    STAGE_UNKNOWN = "stage_unknown"
    STAGE_IN_USE = "stage_in_use"
    LAST_STAGE = "last_stage"
    STEP_MISSING = "step_missing"
    OPERATOR_UNKNOWN = "operator_unknown"
    # Sales: people, queues, notifications.
    USER_UNKNOWN = "user_unknown"
    ROLE_UNKNOWN = "role_unknown"
    CAPACITY_REACHED = "capacity_reached"
    QUEUE_OR_OWNER_REQUIRED = "queue_or_owner_required"
    USER_OR_ROLE_REQUIRED = "user_or_role_required"
    # Users and tokens.
    PASSWORD_TOO_SHORT = "password_too_short"
    LAST_ADMIN = "last_admin"
    TOKEN_ROLE_EXCEEDS_USER = "token_role_exceeds_user"
    # Automation rules and their actions.
    RULE_INVALID = "rule_invalid"
    RULE_ACTION_INVALID = "rule_action_invalid"
    SHIPPED_RULE_FIXED = "shipped_rule_fixed"
    # Saved views, switches, jobs.
    VIEW_ENTITY_UNKNOWN = "view_entity_unknown"
    VIEW_FILTER_INVALID = "view_filter_invalid"
    VIEW_COLUMN_INVALID = "view_column_invalid"
    SWITCH_VALUE_INVALID = "switch_value_invalid"
    JOB_ENDED = "job_ended"


class LeadflowError(Exception):
    """Base of every error leadflow raises on purpose."""

    code: ErrorCode = ErrorCode.INVALID_VALUE
    http_status: int = 400
    title: str = "Bad request"

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode | None = None,
        field: str | None = None,
        line: int | None = None,
        existing_id: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        self.line = line
        self.existing_id = existing_id
        self.extra = extra or {}

    def to_problem(self) -> dict[str, Any]:
        problem: dict[str, Any] = {
            "type": f"https://leadflow.dev/problems/{self.code.value}",
            "title": self.title,
            "status": self.http_status,
            "code": self.code.value,
            "detail": self.message,
        }
        if self.field is not None:
            problem["field"] = self.field
        if self.line is not None:
            problem["line"] = self.line
        if self.existing_id is not None:
            problem["existing_id"] = self.existing_id
        problem.update(self.extra)
        return problem


class ValidationFailed(LeadflowError):
    """A value is missing or wrong; `field` names it."""

    code = ErrorCode.INVALID_VALUE
    http_status = 422
    title = "Invalid value"


class NotFound(LeadflowError):
    """No record has this id."""

    code = ErrorCode.NOT_FOUND
    http_status = 404
    title = "Not found"


class Conflict(LeadflowError):
    """The write would break an invariant (a duplicate, a dependent record)."""

    code = ErrorCode.CONFLICT
    http_status = 409
    title = "Conflict"


class PermissionDenied(LeadflowError):
    """The caller's role does not allow this action."""

    code = ErrorCode.FORBIDDEN
    http_status = 403
    title = "Forbidden"


class Unauthenticated(LeadflowError):
    """No credentials, or credentials that do not check out."""

    code = ErrorCode.UNAUTHENTICATED
    http_status = 401
    title = "Unauthenticated"


class BadRequest(LeadflowError):
    """The request itself cannot be read."""

    code = ErrorCode.MALFORMED_JSON
    http_status = 400
    title = "Bad request"


class PayloadTooLarge(LeadflowError):
    """The body is larger than the route accepts."""

    code = ErrorCode.BODY_TOO_LARGE
    http_status = 413
    title = "Payload too large"
