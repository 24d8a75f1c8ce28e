"""Alembic environment: runs migrations on the URL the caller configured.

The tables to compare against (autogenerate) are the caller's to hand over, as
`config.attributes["target_metadata"]` (`leadflow.bootstrap.all_tables()`): storage
names no concept's tables. Upgrading and downgrading need none.
"""

from __future__ import annotations

from alembic import context

from leadflow.db.engine import create_db_engine

config = context.config


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set"
    engine = create_db_engine(url, immediate=False)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=config.attributes.get("target_metadata"),
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
