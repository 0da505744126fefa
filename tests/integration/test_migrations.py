"""Migrations run on SQLite and PostgreSQL, match the models exactly, and go down again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

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


@pytest.mark.parametrize(
    ("sql", "constraint"),
    [
        (
            "INSERT INTO lpr_rates (effective_on, term, rate) VALUES ('2026-01-20', '2y', 0.03)",
            "term_allowed",
        ),
        (
            "INSERT INTO lpr_rates (effective_on, term, rate) VALUES ('2026-01-20', '1y', -0.01)",
            "rate_positive",
        ),
        (
            "INSERT INTO seasonal_offers (product_id, name_zh, name_en, starts_on, ends_on, spread_discount, fee_waived)"
            " VALUES (1, 'x', 'x', '2026-02-01', '2026-01-01', 0, false)",
            "window_ordered",
        ),
    ],
    ids=["unknown enum value", "negative rate", "window ends before it starts"],
)
def test_the_database_itself_refuses_impossible_values(
    database_url: str, sql: str, constraint: str
) -> None:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
            conn.execute(text(sql))
        message = str(caught.value.orig).lower()
        # PostgreSQL names the constraint; SQLite says which CHECK failed (or the FK, for the offer)
        assert "check" in message or "constraint" in message
        if engine.dialect.name == "postgresql":
            assert constraint in message
    finally:
        engine.dispose()
