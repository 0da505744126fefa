"""Migrations run on SQLite and PostgreSQL, match the models exactly, and go down again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from loanpilot.db import migrate
from loanpilot.db.models import metadata
from loanpilot.db.session import make_engine


def test_upgrade_creates_every_table_and_matches_the_models(database_url: str) -> None:
    migrate.upgrade(database_url)
    assert migrate.current_revision(database_url) == migrate.head_revision()
    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(metadata.tables) <= tables
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), metadata
            )
        assert diff == [], f"models and migrations disagree: {diff}"
    finally:
        engine.dispose()


def test_upgrade_is_idempotent_and_downgrade_removes_everything(database_url: str) -> None:
    migrate.upgrade(database_url)
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "base")
    assert migrate.current_revision(database_url) is None
    engine = make_engine(database_url)
    try:
        left = set(inspect(engine).get_table_names()) & set(metadata.tables)
        assert left == set()
    finally:
        engine.dispose()
