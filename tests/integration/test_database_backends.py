"""Both backends answer, and each test gets a database of its own."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

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
