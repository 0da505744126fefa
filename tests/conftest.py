"""Shared fixtures: settings, and a fresh database on each backend (SQLite and PostgreSQL).

``database_url`` runs a test twice, once on a SQLite file and once on a PostgreSQL database of its
own. The PostgreSQL server comes from ``LOANPILOT_TEST_POSTGRES_URL`` (``make test`` starts one
with ``scripts/pg.sh``); without it the PostgreSQL run is skipped, except under CI (``CI`` set),
where a missing server is an error rather than a silent skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from loanpilot.config import Settings, get_settings
from loanpilot.db.session import make_engine, make_session_factory

# Before numpy/scipy/sklearn are first imported (by test modules, at collection): one thread
# per pool keeps runs fast under xdist and results reproducible.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

# Tests never write into the repository (no example database under .hypothesis/) and CI is
# reproducible: the same examples every run.
hypothesis_settings.register_profile("loanpilot", database=None, deadline=None, derandomize=True)
hypothesis_settings.load_profile("loanpilot")

POSTGRES_URL_ENV = "LOANPILOT_TEST_POSTGRES_URL"

MARKERS = {
    "postgres": "runs against the PostgreSQL server started by make test",
    "slow": "takes more than a few seconds",
}


def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(autouse=True, scope="session")
def _single_threaded_numerics() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OMP_NUM_THREADS", "1")
        yield


@pytest.fixture
def tmp_var(tmp_path: Path) -> Path:
    """An empty directory to use as ``Settings.var_dir``."""
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    return var_dir


def _postgres_database(server_url: str) -> Iterator[str]:
    """Create a uniquely named database on the server, yield its URL, then drop it."""
    base = make_url(server_url)
    if base.get_driver_name() in ("", "psycopg2"):
        base = base.set(drivername="postgresql+psycopg")
    name = f"t_{uuid.uuid4().hex}"
    admin = create_engine(
        base.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, or a fresh PostgreSQL database per test."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'test.db').as_posix()}"
        return
    server_url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if not server_url:
        reason = f"{POSTGRES_URL_ENV} is not set (make test starts a server and sets it)"
        if _running_in_ci():
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        pytest.skip(reason)
    yield from _postgres_database(server_url)


@pytest.fixture
def settings(tmp_var: Path, database_url: str) -> Settings:
    return get_settings(environment="test", var_dir=tmp_var, database_url=database_url)


@pytest.fixture
def migrated_engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database upgraded to the head migration."""
    from loanpilot.db.migrate import upgrade  # imported here: only these tests need Alembic

    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def session_factory(migrated_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(migrated_engine)


DEMO_CUSTOMERS = 1_500
DEMO_SEED = 7
DEMO_AS_OF = "2026-11-29"


@dataclass(frozen=True)
class DemoBank:
    """A small demo bank built once per backend for the whole test session."""

    url: str
    settings: Settings
    engine: Engine


@pytest.fixture(
    scope="session",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def demo_bank(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoBank]:
    """A migrated database holding a 1,500-customer demo bank (seed 7, as of 2026-11-29)."""
    from datetime import date

    from loanpilot.db.migrate import upgrade
    from loanpilot.demo import builder
    from loanpilot.kit.crypto import FieldCipher

    var_dir = tmp_path_factory.mktemp(f"demo-{request.param}")
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{(var_dir / 'demo.db').as_posix()}"])
    else:
        server_url = os.environ.get(POSTGRES_URL_ENV, "").strip()
        if not server_url:
            reason = f"{POSTGRES_URL_ENV} is not set (make test starts a server and sets it)"
            if _running_in_ci():
                pytest.fail(f"CI is set but {reason}", pytrace=False)
            pytest.skip(reason)
        urls = _postgres_database(server_url)
    url = next(urls)
    settings = get_settings(environment="test", var_dir=var_dir, database_url=url)
    upgrade(url)
    engine = make_engine(url)
    builder.build(
        engine,
        n_customers=DEMO_CUSTOMERS,
        seed=DEMO_SEED,
        as_of=date.fromisoformat(DEMO_AS_OF),
        cipher=FieldCipher(settings.data_key_bytes(), settings.data_key_id),
        truth_dir=var_dir,
    )
    try:
        yield DemoBank(url=url, settings=settings, engine=engine)
    finally:
        engine.dispose()
        for _ in urls:  # runs the PostgreSQL generator's clean-up (drops the database)
            pass
