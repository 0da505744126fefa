"""Both backends answer, and each test gets a database of its own."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.db.session import make_engine


def test_backend_answers(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("select 1")).scalar_one() == 1
            if engine.dialect.name == "sqlite":
                assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            else:
                assert engine.dialect.name == "postgresql"
                assert engine.dialect.driver == "psycopg"
                current = conn.execute(text("select current_database()")).scalar_one()
                assert current.startswith("t_")
    finally:
        engine.dispose()


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_gets_an_empty_database(database_url: str, round_: int) -> None:
    # Both rounds create the same table: the second would fail on a shared database.
    engine = make_engine(database_url)
    try:
        assert inspect(engine).get_table_names() == []
        with engine.begin() as conn:
            conn.execute(text("create table probe (id integer primary key)"))
            conn.execute(text("insert into probe (id) values (1)"))
    finally:
        engine.dispose()


def test_a_savepoint_after_reads_does_not_commit_the_outer_transaction(
    session_factory: sessionmaker[Session],
) -> None:
    """On SQLite the driver used to begin a transaction only before a write, so a SAVEPOINT after
    reads became the outer transaction and its RELEASE committed: a later rollback kept the row."""
    from loanpilot.team.models import Branch, BranchLevel

    session = session_factory()
    try:
        session.execute(select(Branch.id)).all()  # reads first
        savepoint = session.begin_nested()
        session.add(Branch(code="SP1", name="x", level=BranchLevel.BRANCH, province="x", city="x"))
        session.flush()
        savepoint.commit()
        session.rollback()
    finally:
        session.close()
    with session_factory() as check:
        assert check.scalar(select(Branch.id).where(Branch.code == "SP1")) is None
