"""`leadflow db`: the database schema."""

from __future__ import annotations

import typer

from leadflow.cli.base import console
from leadflow.config import Settings

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from leadflow.db.migrate import upgrade

    settings = Settings()
    upgrade(settings.effective_database_url, revision)
    if revision == "head":
        from leadflow.bootstrap import bootstrap

        bootstrap(settings).seed_defaults()
    console.print(f"database at {revision}: {_safe_url(settings.effective_database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
