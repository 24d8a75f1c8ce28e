"""Import use cases: upload a file, map it, dry-run it, run it as a job, undo it.

How an import stays exactly-once: the job reads the file in chunks; each chunk's
records, change records, error records, events, counts AND the job's cursor
commit in one transaction. A worker killed at any moment leaves either the
whole chunk with its cursor or neither, and the resumed run starts at the cursor.
Re-importing the same file matches every row to the record it wrote and
changes nothing.
"""

from __future__ import annotations

from leadflow.imports.services._errors import (
    error_count,
    error_file_rows,
)
from leadflow.imports.services._mappings import (
    get_saved_mapping,
    list_saved_mappings,
    save_mapping,
)
from leadflow.imports.services._records import (
    DRY_RUN_JOB,
    MAX_UPLOAD_BYTES,
    RUN_JOB,
    UNDO_JOB,
    file_info,
    get_import,
    import_public,
    job_progress,
    list_imports,
    mapping_of,
    plan_of,
    status_of,
)
from leadflow.imports.services._running import (
    chunks,
    count_rows,
    current_dry_run,
    do_create_import,
    do_save_mapping,
    do_set_mapping,
    do_start_dry_run,
    do_start_import,
    do_store_dry_run,
    dry_run,
    engine_for,
    finish_import,
    run_chunk,
    start_dry_run,
    start_import,
    store_dry_run,
    unfinished_import,
)
from leadflow.imports.services._undoing import (
    OUTCOMES,
    change_count,
    delete_import_records,
    do_start_undo,
    do_undo_import,
    finish_undo,
    has_changes,
    start_undo,
    undo_import,
)
from leadflow.imports.services._uploads import (
    create_import,
    mapping_choices,
    set_mapping,
    store_upload,
)

__all__ = [
    "DRY_RUN_JOB",
    "MAX_UPLOAD_BYTES",
    "OUTCOMES",
    "RUN_JOB",
    "UNDO_JOB",
    "change_count",
    "chunks",
    "count_rows",
    "create_import",
    "current_dry_run",
    "delete_import_records",
    "do_create_import",
    "do_save_mapping",
    "do_set_mapping",
    "do_start_dry_run",
    "do_start_import",
    "do_start_undo",
    "do_store_dry_run",
    "do_undo_import",
    "dry_run",
    "engine_for",
    "error_count",
    "error_file_rows",
    "file_info",
    "finish_import",
    "finish_undo",
    "get_import",
    "get_saved_mapping",
    "has_changes",
    "import_public",
    "job_progress",
    "list_imports",
    "list_saved_mappings",
    "mapping_choices",
    "mapping_of",
    "plan_of",
    "run_chunk",
    "save_mapping",
    "set_mapping",
    "start_dry_run",
    "start_import",
    "start_undo",
    "status_of",
    "store_dry_run",
    "store_upload",
    "undo_import",
    "unfinished_import",
]
