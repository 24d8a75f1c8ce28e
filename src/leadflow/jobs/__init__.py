"""Jobs: long background work with progress, checkpoints, cancellation and resume.

A capability declares a kind with `@job_kind("concept.verb")` (kinds.py); a
service starts one with `start_job` (the row is inserted in the caller's unit of
work, the task queued after its commit); a worker runs it (runner.py) and the
periodic sweep resumes a job whose worker died from its last checkpoint.
"""
