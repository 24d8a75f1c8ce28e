"""Synthetic data for benchmarks: deterministic rows at scale, written with bulk inserts.

Not through the services: a million contacts one `create_contact` at a time
would take hours, and benchmarks need the volume, not the events. The rows
are still what the services would write (see `_rows`), ids continue after
the largest existing id of each table, so a run adds to a database that
already holds data, and the same seed and `now` give the same rows.

Chunks of `chunk_size` rows are generated in Python and written in one
transaction each (`executemany` on SQLite, `COPY ... FROM STDIN` on
PostgreSQL) by a second thread, so generating and writing overlap. A table
that starts empty gets its secondary indexes rebuilt once at the end instead
of updated row by row. ANALYZE runs last so the planner knows the new sizes.

Nothing is published to the outbox: handlers (scoring, segments) see the data
when they next read it, not as events. Run it while no one else writes: the
ids are taken at the start.

Private modules by part: `_shapes` (the columns and the mixes rows are drawn from),
`_rows` (the rows, table by table), `_bulk` (the writers) and `_generate` (the run);
this face hands their names on.
"""

from leadflow.demo.synthetic._generate import GenerateSpec, Progress, generate_dataset

__all__ = ["GenerateSpec", "Progress", "generate_dataset"]
