"""Use cases of emails: templates, queueing messages, reading them back.

Steps take the caller's unit of work (`uow=`) and never commit; the `do_*` use
cases open it, run the step and commit. Reads take a session. Delivery is in
delivery/, tracking and unsubscribe in tracking.py.

Private modules by topic: `_templates` (templates and their preview), `_queue`
(queueing and counting messages), `_caught` (the mail catcher's inbox) and
`_messages` (messages and stats); this face hands their names on.
"""

from leadflow.emails.services._caught import do_store_caught, get_caught, list_caught, store_caught
from leadflow.emails.services._messages import (
    STAT_NAMES,
    empty_stats,
    list_messages,
    message_public,
    template_stats,
)
from leadflow.emails.services._queue import (
    DELIVER_TASK,
    MESSAGES,
    QUEUE_CHUNK,
    MessageRequest,
    do_queue_messages,
    messages_sent_since,
    queue_messages,
)
from leadflow.emails.services._templates import (
    TEMPLATE_FIELDS,
    create_template,
    delete_template,
    do_create_template,
    do_delete_template,
    do_update_template,
    draft_source,
    get_template,
    list_templates,
    preview,
    template_public,
    update_template,
)

__all__ = [
    "DELIVER_TASK",
    "MESSAGES",
    "QUEUE_CHUNK",
    "STAT_NAMES",
    "TEMPLATE_FIELDS",
    "MessageRequest",
    "create_template",
    "delete_template",
    "do_create_template",
    "do_delete_template",
    "do_queue_messages",
    "do_store_caught",
    "do_update_template",
    "draft_source",
    "empty_stats",
    "get_caught",
    "get_template",
    "list_caught",
    "list_messages",
    "list_templates",
    "message_public",
    "messages_sent_since",
    "preview",
    "queue_messages",
    "store_caught",
    "template_public",
    "template_stats",
    "update_template",
]
