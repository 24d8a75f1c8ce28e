"""Pure LinkedIn rules: the Lead Sync API's shapes read into values, answers mapped to
lead fields, webhook challenges and signatures, sync windows. No I/O, no clock.

Private modules by part: `_model` (limits, LinkedIn's predefined fields and the closed
sets), `_forms`, `_responses` (read and resolved into lead fields), `_webhooks`, `_windows`
and `_oauth`; this face hands their names on.
"""

from leadflow.linkedin.domain._forms import FormSpec, Question, localized, parse_form
from leadflow.linkedin.domain._model import (
    CONTACT_FIELDS,
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    DEFAULT_MAPPINGS,
    MAX_BACKFILL_DAYS,
    OWNER_PATTERN,
    PAGE_SIZE,
    PREDEFINED_LABELS,
    PULL_OVERLAP,
    RESTLI_PROTOCOL_VERSION,
    VERSION_PATTERN,
    ConnectionStatus,
    LeadAction,
    Outcome,
    PredefinedField,
    SyncMode,
)
from leadflow.linkedin.domain._oauth import (
    REFRESH_MARGIN,
    OAuthApp,
    TokenGrant,
    authorization_url,
    due_for_refresh,
    token_grant,
)
from leadflow.linkedin.domain._responses import (
    Mappings,
    Resolved,
    ResponseSpec,
    answer_text,
    campaign_label,
    epoch_ms,
    form_id_of,
    from_epoch_ms,
    parse_response,
    resolve,
)
from leadflow.linkedin.domain._webhooks import (
    Notification,
    challenge_response,
    parse_notifications,
    signature,
    signature_valid,
)
from leadflow.linkedin.domain._windows import Window, new_cursor, sync_window

__all__ = [
    "CONTACT_FIELDS",
    "DEFAULT_API_VERSION",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAPPINGS",
    "MAX_BACKFILL_DAYS",
    "OWNER_PATTERN",
    "PAGE_SIZE",
    "PREDEFINED_LABELS",
    "PULL_OVERLAP",
    "REFRESH_MARGIN",
    "RESTLI_PROTOCOL_VERSION",
    "VERSION_PATTERN",
    "ConnectionStatus",
    "FormSpec",
    "LeadAction",
    "Mappings",
    "Notification",
    "OAuthApp",
    "Outcome",
    "PredefinedField",
    "Question",
    "Resolved",
    "ResponseSpec",
    "SyncMode",
    "TokenGrant",
    "Window",
    "answer_text",
    "authorization_url",
    "campaign_label",
    "challenge_response",
    "due_for_refresh",
    "epoch_ms",
    "form_id_of",
    "from_epoch_ms",
    "localized",
    "new_cursor",
    "parse_form",
    "parse_notifications",
    "parse_response",
    "resolve",
    "signature",
    "signature_valid",
    "sync_window",
    "token_grant",
]
