"""Programmatic Alembic: ``upgrade``, ``current`` and ``revision`` against any database URL.

The migration scripts ship inside the package (``loanpilot/migrations``) so that an installed
LoanPilot can migrate its database without a source checkout.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from loanpilot.db.session import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest).

    At the newest revision the permission matrix also receives the default cells of permissions it
    has never held (``access.service.sync_permission_matrix``), so a new release's routes are usable
    at once and an administrator's changes to existing permissions are kept.
    """
    command.upgrade(alembic_config(database_url), revision)
    if revision == "head":
        from loanpilot.access.service import (
            sync_permission_matrix,  # db must not import areas early
        )
        from loanpilot.db.session import make_session_factory, transaction

        engine = make_engine(database_url)
        try:
            with transaction(make_session_factory(engine)) as session:
                sync_permission_matrix(session)
        finally:
            engine.dispose()


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or None for an empty database."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision(database_url: str = "sqlite://") -> str | None:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def make_revision(database_url: str, message: str) -> None:
    """Autogenerate a new revision against a database at head (developer tool)."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
