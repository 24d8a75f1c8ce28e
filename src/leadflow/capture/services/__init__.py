"""Capture use cases: forms and pages, submissions, events. The only code that writes them."""

from leadflow.capture.services._events import (
    check_in,
    create_event,
    delete_event,
    get_event,
    list_events,
    list_registrations,
    register_for_event,
    update_event,
)
from leadflow.capture.services._forms import (
    create_form,
    delete_form,
    form_fields,
    get_form,
    get_form_by_slug,
    get_page,
    list_forms,
    update_form,
)
from leadflow.capture.services._manual import (
    create_lead_with_contact,
    do_create_lead_with_contact,
)
from leadflow.capture.services._submissions import (
    SubmissionResult,
    get_submission,
    list_submissions,
    record_page_visit,
    run_submission,
    submit_form,
)

__all__ = [
    "SubmissionResult",
    "check_in",
    "create_event",
    "create_form",
    "create_lead_with_contact",
    "delete_event",
    "delete_form",
    "do_create_lead_with_contact",
    "form_fields",
    "get_event",
    "get_form",
    "get_form_by_slug",
    "get_page",
    "get_submission",
    "list_events",
    "list_forms",
    "list_registrations",
    "list_submissions",
    "record_page_visit",
    "register_for_event",
    "run_submission",
    "submit_form",
    "update_event",
    "update_form",
]
