"""Capture use cases: forms and pages, submissions, events. The only code that writes them.

`_forms` forms and pages; `_submissions` a submission checked and stored on the request
path; `_processing` the accepted ones processed in the relay's batches (`_work` one
submission on its way, `_sides` a batch matched to contacts, then to leads); `_visits`
page visits; `_events` events, registrations and check-ins; `_manual` a lead typed in.
"""

from leadflow.capture.services._events import (
    check_in,
    create_event,
    delete_event,
    do_check_in,
    do_create_event,
    do_delete_event,
    do_register_for_event,
    do_update_event,
    get_event,
    list_events,
    list_registrations,
    register_for_event,
    update_event,
)
from leadflow.capture.services._forms import (
    cached_form,
    create_form,
    delete_form,
    do_create_form,
    do_delete_form,
    do_insert_bench_page,
    do_update_form,
    forget_form,
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
from leadflow.capture.services._processing import (
    do_process_submissions,
    do_resubmit,
    process_submissions,
)
from leadflow.capture.services._submissions import (
    SubmissionResult,
    accept_submission,
    check_submission,
    do_accept_submission,
    get_submission,
    list_submissions,
    submission_contact,
)
from leadflow.capture.services._visits import do_record_page_visit, record_page_visit

__all__ = [
    "SubmissionResult",
    "accept_submission",
    "cached_form",
    "check_in",
    "check_submission",
    "create_event",
    "create_form",
    "create_lead_with_contact",
    "delete_event",
    "delete_form",
    "do_accept_submission",
    "do_check_in",
    "do_create_event",
    "do_create_form",
    "do_create_lead_with_contact",
    "do_delete_event",
    "do_delete_form",
    "do_insert_bench_page",
    "do_process_submissions",
    "do_record_page_visit",
    "do_register_for_event",
    "do_resubmit",
    "do_update_event",
    "do_update_form",
    "forget_form",
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
    "process_submissions",
    "record_page_visit",
    "register_for_event",
    "submission_contact",
    "update_event",
    "update_form",
]
