"""Delivery: workers claim queued messages in batches and send them over one SMTP connection.

No email sent twice, none lost. A message moves queued -> sending -> sent (or
skipped, bounced, failed). The claim commits `sending` with the worker's name and
the time (`claimed_by`, `claimed_at`) before anything goes over SMTP; a batch's
outcomes are written together when it ends (one statement per outcome).

Between those two commits each worker keeps a journal, a file of its own under
`var/email-journal/`: a line `<message id> H` once a message's content is written
to the server and just before its terminating "." is (so the server can never hold
a whole message the journal does not name), then `<message id> <reply code>`. A
write to a file survives the process being killed, and costs microseconds.

A message found in `sending` whose worker is gone (a dead process on this host, or a
claim older than `smtp_claim_seconds`) is recovered from that worker's journal:
handed over or answered 2xx -> sent; answered 5xx -> bounced; answered 4xx (or
0: the connection broke before the ".") or not in the journal -> queued again (the
server never had it whole, so sending it now is its first delivery). What is left:
a process killed in the microseconds between the journal's "H" and the kernel
taking the three bytes ".\r\n" loses that one message (it is marked sent); and a
dead worker's journal on another host (PostgreSQL with workers on several
machines) is not read, so its unfinished batch is sent again once the claim
expires, with the same Message-ID header (derived from the idempotency key), which
receivers use to drop the copy.

Private modules by step: `_journal` (the worker's file), `_batch` (the table and the
values a batch carries), `_claim`, `_finish`, `_recovery`, `_loop` (`deliver_pending`)
and `_test_sends`; this face hands their names on.
"""

from leadflow.emails.delivery._batch import MESSAGES, Claimed, Finished, Totals
from leadflow.emails.delivery._claim import claim_batch, queued_count
from leadflow.emails.delivery._finish import MAX_ATTEMPTS, RETRY_SECONDS, finish_batch
from leadflow.emails.delivery._journal import JOURNAL_DIR, Journal, worker_name
from leadflow.emails.delivery._loop import DeliveryOptions, _compose, deliver_pending
from leadflow.emails.delivery._recovery import recover_stale
from leadflow.emails.delivery._test_sends import send_draft_test, send_test

__all__ = [
    "JOURNAL_DIR",
    "MAX_ATTEMPTS",
    "MESSAGES",
    "RETRY_SECONDS",
    "Claimed",
    "DeliveryOptions",
    "Finished",
    "Journal",
    "Totals",
    "_compose",
    "claim_batch",
    "deliver_pending",
    "finish_batch",
    "queued_count",
    "recover_stale",
    "send_draft_test",
    "send_test",
    "worker_name",
]
