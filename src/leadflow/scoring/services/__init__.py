"""Scoring use cases: the model lifecycle, rescoring, and what the lead page and insights read.

Private modules by topic: `_models` (the model lifecycle and the scoring switches),
`_rescore` (going live and the full rescore job) and `_reading` (what the lead page and
the model page read); this face hands their names on.
"""

from leadflow.scoring.services._models import (
    check_model,
    create_model,
    definition_of,
    delete_model,
    do_create_model,
    do_delete_model,
    do_set_switches,
    do_stop_model,
    do_update_model,
    get_model,
    list_models,
    model_public,
    stop_model,
    update_model,
)
from leadflow.scoring.services._reading import lead_scores, model_scores, unscorable_reason
from leadflow.scoring.services._rescore import (
    RESCORE_BATCH,
    RESCORE_JOB,
    do_go_live,
    do_start_rescore,
    get_job,
    go_live,
    job_public,
    latest_rescore,
    run_rescore,
    start_rescore,
)

__all__ = [
    "RESCORE_BATCH",
    "RESCORE_JOB",
    "check_model",
    "create_model",
    "definition_of",
    "delete_model",
    "do_create_model",
    "do_delete_model",
    "do_go_live",
    "do_set_switches",
    "do_start_rescore",
    "do_stop_model",
    "do_update_model",
    "get_job",
    "get_model",
    "go_live",
    "job_public",
    "latest_rescore",
    "lead_scores",
    "list_models",
    "model_public",
    "model_scores",
    "run_rescore",
    "start_rescore",
    "stop_model",
    "unscorable_reason",
    "update_model",
]
