"""Engines and sessions. The entry point owns the transaction; services only flush."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(database_url: str, *, echo: bool = False) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys on and a busy timeout.

    SQLite keeps the driver's own transaction handling: a transaction begins at the first write,
    so concurrent requests that read and then write wait for the lock (busy timeout) instead of
    failing on a stale snapshot. The price: a SAVEPOINT taken before any write is the outer
    transaction, and its release commits. The one place that uses a savepoint (the portal's
    submission) therefore puts all of its writes, audit row included, inside it.
    """
    url = make_url(database_url)
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if url.database and url.database != ":memory:":
            # Enough connections for the server's thread pool (SQLite connections are cheap).
            kwargs.update(pool_size=20, max_overflow=20)
    elif url.get_backend_name() == "postgresql":
        if url.get_driver_name() in ("", "psycopg2"):
            url = url.set(drivername="postgresql+psycopg")
        # The server's thread pool runs up to 40 requests, each may briefly take a second
        # connection (session activity, an audited refusal).
        kwargs.update(pool_size=20, max_overflow=40)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA cache_size=-65536")
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.close()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error (and re-raise it)."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
