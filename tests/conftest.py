"""Shared fixtures: settings, and a fresh database on each backend (SQLite and PostgreSQL).

``database_url`` runs a test twice, once on a SQLite file and once on a PostgreSQL database of its
own. The PostgreSQL server comes from ``LOANPILOT_TEST_POSTGRES_URL`` (``make test`` starts one
with ``scripts/pg.sh``); without it the PostgreSQL run is skipped, except under CI (``CI`` set),
where a missing server is an error rather than a silent skip.

``known_bank`` is a small dataset whose headline figures are worked out by hand, and ``serve``
runs an app with Uvicorn on a loopback port: the headline API and page tests both use them.

Databases are copied, not rebuilt: a run migrates one template database and builds one demo bank
per backend, and each test (``migrated_engine``) or session fixture (``demo_bank``, ``site_bank``)
gets a copy (see "templates" below). ``make test`` runs pytest-xdist workers; each has its own
copies, so no test sees another worker's writes.
"""

from __future__ import annotations

import os

# Before numpy/scipy/sklearn are first imported (by test modules, at collection): one thread
# per pool keeps runs fast under xdist and results reproducible.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
import shutil
import socket
import threading
import time as clock
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool
from tests import post_loan_site as site
from tests.risk_site import keep_champion, keep_policy  # noqa: F401  (fixtures for every test)

from loanpilot.analytics.finance import add_months
from loanpilot.config import Settings, get_settings
from loanpilot.customers.models import Channel, Customer, Gender
from loanpilot.db.session import make_engine, make_session_factory
from loanpilot.evaluation.service import MonthFigures
from loanpilot.kit.clock import SHANGHAI
from loanpilot.lending.models import Application, ApplicationStatus, Loan, LoanStatus
from loanpilot.products.models import (
    RateBasis,
    RepaymentMethod,
)
from loanpilot.risk.models import Decision
from loanpilot.risk.rules import DecisionOutcome

# Tests never write into the repository (no example database under .hypothesis/) and CI is
# reproducible: the same examples every run.
hypothesis_settings.register_profile("loanpilot", database=None, deadline=None, derandomize=True)
hypothesis_settings.load_profile("loanpilot")

POSTGRES_URL_ENV = "LOANPILOT_TEST_POSTGRES_URL"

MARKERS = {
    "postgres": "runs against the PostgreSQL server started by make test",
    "slow": "takes more than a few seconds",
}


#: Names this run's PostgreSQL templates: made by the controller, passed to the xdist workers.
_RUN_ID = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    worker_input = getattr(config, "workerinput", None)
    if worker_input is not None:
        # An xdist worker starts with COLUMNS=80 set; a module-level rich Console made while it is
        # set keeps that width for good, whatever COLUMNS a CLI test sets: the CLI tables would
        # then be cut. Without it, the consoles read COLUMNS when they print, as in a serial run.
        os.environ.pop("COLUMNS", None)
        os.environ.pop("LINES", None)
    config.stash[_RUN_ID] = (
        worker_input["loanpilot_run_id"] if worker_input is not None else uuid.uuid4().hex[:12]
    )


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: object) -> None:
    """(pytest-xdist, in the controller) Give each worker the run's id."""
    node.workerinput["loanpilot_run_id"] = node.config.stash[_RUN_ID]  # type: ignore[attr-defined]


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The controller (or a run without workers) drops the run's PostgreSQL templates."""
    if hasattr(session.config, "workerinput"):
        return
    server_url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if server_url:
        with suppress(OperationalError):  # the server is gone (the tests will have said so)
            _drop_templates(server_url, _template_prefix(session.config))


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


def _postgres_base(server_url: str) -> URL:
    base = make_url(server_url)
    if base.get_driver_name() in ("", "psycopg2"):
        base = base.set(drivername="postgresql+psycopg")
    return base


@contextmanager
def _postgres_admin(server_url: str) -> Iterator[Connection]:
    """An autocommit connection to the server's ``postgres`` database (CREATE/DROP DATABASE)."""
    admin = create_engine(
        _postgres_base(server_url).set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )
    try:
        with admin.connect() as conn:
            yield conn
    finally:
        admin.dispose()


def _postgres_database(server_url: str, template: str | None = None) -> Iterator[str]:
    """Create a uniquely named database on the server (a copy of ``template`` if given), yield its
    URL, then drop it."""
    name = f"t_{uuid.uuid4().hex}"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    with _postgres_admin(server_url) as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{copy_of}'))
    try:
        yield _postgres_base(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with _postgres_admin(server_url) as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _postgres_server() -> str:
    """The test server's URL; skips (fails under CI) when ``LOANPILOT_TEST_POSTGRES_URL`` is unset."""
    server_url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if not server_url:
        reason = f"{POSTGRES_URL_ENV} is not set (make test starts a server and sets it)"
        if _running_in_ci():
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        pytest.skip(reason)
    return server_url


# --- templates: migrate once and build the demo bank once per run, copy them for each user ----------
#
# A template is made by the first process of the run that needs it (the pytest process, or any
# pytest-xdist worker) under a file lock in the run's shared temporary directory; the others wait
# for it and copy it. SQLite: the database file (and the var dir beside it) is copied. PostgreSQL:
# ``CREATE DATABASE ... TEMPLATE``; the template refuses connections once made, so that nothing can
# change it or block a copy, and the controller drops it when the run ends.


@dataclass(frozen=True)
class _Template:
    backend: str
    var_dir: Path  # for SQLite it holds the database file, ``db_file``
    db_file: str
    pg_name: str = ""  # the PostgreSQL template database


def _template_prefix(config: pytest.Config) -> str:
    return f"lp_tpl_{config.stash[_RUN_ID]}_"


def _shared_tmp(factory: pytest.TempPathFactory) -> Path:
    """The temporary directory shared by all processes of the run (workers have one each below)."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    import fcntl  # POSIX, as are CI and make test

    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _drop_templates(server_url: str, prefix: str) -> None:
    with _postgres_admin(server_url) as conn:
        names = conn.scalars(
            text("SELECT datname FROM pg_database WHERE starts_with(datname, :prefix)"),
            {"prefix": prefix},
        ).all()
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _template(
    config: pytest.Config,
    factory: pytest.TempPathFactory,
    kind: str,
    backend: str,
    make: Callable[[str, Path], None],
) -> _Template:
    """The run's template ``kind`` on ``backend``, made (once per run) by ``make(url, var_dir)``."""
    server_url = _postgres_server() if backend == "postgres" else ""
    root = _shared_tmp(factory) / f"template-{kind}-{backend}"
    template = _Template(
        backend=backend,
        var_dir=root / "var",
        db_file=f"{kind}.db",
        pg_name=f"{_template_prefix(config)}{kind}" if server_url else "",
    )
    root.mkdir(exist_ok=True)
    with _file_lock(root.with_suffix(".lock")):
        if (root / "ready").exists():
            return template
        shutil.rmtree(template.var_dir, ignore_errors=True)  # a failed attempt's leftovers
        template.var_dir.mkdir()
        if backend == "sqlite":
            make(f"sqlite:///{(template.var_dir / template.db_file).as_posix()}", template.var_dir)
        else:
            with _postgres_admin(server_url) as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{template.pg_name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{template.pg_name}"'))
            url = _postgres_base(server_url).set(database=template.pg_name)
            make(url.render_as_string(hide_password=False), template.var_dir)
            with _postgres_admin(server_url) as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": template.pg_name},
                )
                conn.execute(text(f'ALTER DATABASE "{template.pg_name}" ALLOW_CONNECTIONS false'))
        (root / "ready").touch()
    return template


def _migrate(url: str, _var_dir: Path) -> None:
    from loanpilot.db.migrate import upgrade  # imported here: only these tests need Alembic

    upgrade(url)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, or a fresh PostgreSQL database per test.

    When the test also uses ``migrated_engine``, the database is a copy of the run's migrated
    template instead (the same as upgrading it to head, without running 13 migrations each time).
    """
    migrated = "migrated_engine" in request.fixturenames
    template = (
        _template(request.config, tmp_path_factory, "migrated", request.param, _migrate)
        if migrated
        else None
    )
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        if template is not None:
            shutil.copyfile(template.var_dir / template.db_file, path)
        yield f"sqlite:///{path.as_posix()}"
        return
    yield from _postgres_database(
        _postgres_server(), template=template.pg_name if template is not None else None
    )


@pytest.fixture
def settings(tmp_var: Path, database_url: str) -> Settings:
    return get_settings(environment="test", var_dir=tmp_var, database_url=database_url)


@pytest.fixture
def migrated_engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database upgraded to the head migration."""
    from loanpilot.db.migrate import current_revision, upgrade

    if current_revision(database_url) is None:  # not a copy of the migrated template
        upgrade(database_url)
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[Path], str]:
    """``migrated_sqlite(path)`` puts a SQLite database upgraded to head at ``path`` (a copy of
    the run's migrated template) and returns its URL: for tests on a SQLite file of their own."""

    def copy(path: Path) -> str:
        template = _template(request.config, tmp_path_factory, "migrated", "sqlite", _migrate)
        shutil.copyfile(template.var_dir / template.db_file, path)
        return f"sqlite:///{path.as_posix()}"

    return copy


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


_BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def _build_demo(url: str, var_dir: Path) -> None:
    """Migrate ``url`` and build the 1,500-customer demo bank (seed 7, as of 2026-11-29) in it;
    ``var_dir`` receives the development keys and the demo's truth files."""
    from loanpilot.db.migrate import upgrade
    from loanpilot.demo import builder
    from loanpilot.kit.crypto import FieldCipher

    settings = get_settings(environment="test", var_dir=var_dir, database_url=url)
    upgrade(url)
    engine = make_engine(url)
    try:
        builder.build(
            engine,
            n_customers=DEMO_CUSTOMERS,
            seed=DEMO_SEED,
            as_of=date.fromisoformat(DEMO_AS_OF),
            cipher=FieldCipher(settings.data_key_bytes(), settings.data_key_id),
            truth_dir=var_dir,
        )
    finally:
        engine.dispose()


@contextmanager
def _built_demo_bank(
    config: pytest.Config, factory: pytest.TempPathFactory, backend: str, var_dir: Path
) -> Iterator[DemoBank]:
    """A copy of the run's demo bank: its database and its var dir (keys, truth files)."""
    template = _template(config, factory, "demo", backend, _build_demo)
    shutil.copytree(template.var_dir, var_dir, dirs_exist_ok=True)
    if backend == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{(var_dir / template.db_file).as_posix()}"])
    else:
        urls = _postgres_database(_postgres_server(), template=template.pg_name)
    url = next(urls)
    settings = get_settings(environment="test", var_dir=var_dir, database_url=url)
    engine = make_engine(url)
    try:
        yield DemoBank(url=url, settings=settings, engine=engine)
    finally:
        engine.dispose()
        for _ in urls:  # runs the PostgreSQL generator's clean-up (drops the database)
            pass


@pytest.fixture(scope="session", params=_BACKENDS)
def demo_bank(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoBank]:
    """The demo bank as built, for tests that only read it (nothing may write to it)."""
    var_dir = tmp_path_factory.mktemp(f"demo-{request.param}")
    with _built_demo_bank(request.config, tmp_path_factory, request.param, var_dir) as bank:
        yield bank


@pytest.fixture(scope="session", params=_BACKENDS)
def site_bank(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoBank]:
    """A second demo bank, served by ``demo_site``: web tests write to it (applications, logins,
    audit rows, product edits), so it is kept apart from the read-only ``demo_bank``."""
    var_dir = tmp_path_factory.mktemp(f"site-{request.param}")
    with _built_demo_bank(request.config, tmp_path_factory, request.param, var_dir) as bank:
        yield bank


# --- the known bank: a small dataset with hand-worked headline figures ----------------------------
#
# customers: 3, of whom 2 consent to marketing
# loans (outstanding principal, fen):
#   L1  repaying  normal       3,000,000  disbursed 3,500,000 on the 1st of this month
#   L2  repaying  substandard  2,000,000  disbursed two years ago            -> NPL
#   L3  written off, loss        500,000  (not repaying: not counted)
#   L4  repaying 组合贷 commercial part 3,000,000 + L4b provident-fund part 2,000,000 (parent L4), disbursed last month
# active loans 3 (L1, L2, L4); balance 10,000,000 (L1 + L2 + L4 + L4b), of which normal 8,000,000
# and NPL 2,000,000 -> ratio 0.2. Applications: 4 submitted this month (one at 00:30 on the 1st,
# Shanghai time, which is still the previous day in UTC), 2 last month, 1 draft never submitted.
# Approved this month: 4 applications with an "approve" decision made this month (table decisions):
#   A1  approved twice (re-approved after its terms changed): counted once
#   A2  referred to manual review, then approved
#   A5  submitted last month, approved at 00:10 on the 1st (Shanghai; the previous day in UTC)
#   A7  approved, then withdrawn (the applicant declined the offer): an approval all the same
# Not counted: A3 (declined), A6 (approved last month), A4 (a draft, no decision).


@dataclass(frozen=True)
class KnownBank:
    """The known dataset (``seed``) and the headline figures it must give (the fields)."""

    customers: int = 3
    customers_with_consent: int = 2
    active_loans: int = 3
    balance_fen: int = 10_000_000
    normal_fen: int = 8_000_000
    npl_fen: int = 2_000_000
    applications_this_month: int = 4
    applications_last_month: int = 2
    approved_this_month: int = 4
    disbursed_this_month_fen: int = 3_500_000
    disbursed_last_month_fen: int = 5_000_000

    @staticmethod
    def at(day: date, hour: int, minute: int = 0) -> datetime:
        """An instant given in Shanghai wall-clock time."""
        return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)

    @staticmethod
    def month_label(day: date) -> str:
        return f"{day.year:04d}-{day.month:02d}"

    def monthly(self, today: date) -> list[MonthFigures]:
        """The 12-month series expected on ``today``: activity only this month and last."""
        this_month = today.replace(day=1)
        series = []
        for back in range(11, -1, -1):
            start = add_months(this_month, -back)
            applications, disbursed = {
                0: (self.applications_this_month, self.disbursed_this_month_fen),
                1: (self.applications_last_month, self.disbursed_last_month_fen),
            }.get(back, (0, 0))
            series.append(MonthFigures(self.month_label(start), applications, disbursed))
        return series

    def seed(self, session: Session, today: date) -> None:
        """Add the dataset, with months relative to ``today``; flushes, never commits."""
        at = self.at
        this_month = today.replace(day=1)
        last_month_end = this_month - timedelta(days=1)
        last_month_10th = last_month_end.replace(day=10)

        branch = site.branch("B001", "演示分行")
        product = site.consumer_product(
            "P-CONSUMER", name_zh="综合消费贷", name_en="Consumer loan", min_amount_fen=1_000_000
        )
        session.add_all([branch, product])
        session.flush()

        customers = [
            site.customer(
                f"C{i:05d}",
                bytes([i]) * 16,
                name=name,
                birth_date=date(1988, 5, i),
                gender=Gender.MALE if i % 2 else Gender.FEMALE,
                home_branch_id=branch.id,
                marketing_consent=consent,
            )
            for i, (name, consent) in enumerate(
                [("张三", True), ("李四", True), ("王五", False)], 1
            )
        ]
        session.add_all(customers)
        session.flush()
        c1, c2, c3 = customers

        def loan(
            no: str,
            customer: Customer,
            principal: int,
            outstanding: int,
            disbursed_on: date,
            *,
            status: LoanStatus = LoanStatus.REPAYING,
            five_class: str = "normal",
            parent: Loan | None = None,
        ) -> Loan:
            return Loan(
                loan_no=no,
                parent_loan_id=parent.id if parent else None,
                customer_id=customer.id,
                product_id=product.id,
                branch_id=branch.id,
                channel=Channel.BRANCH,
                principal_fen=principal,
                rate_basis=RateBasis.FIXED,
                base_rate=Decimal(0),
                spread=Decimal("0.06"),
                annual_rate=Decimal("0.06"),
                apr=Decimal("0.06"),
                term_months=36,
                repayment_method=RepaymentMethod.EQUAL_INSTALMENT,
                disbursed_on=disbursed_on,
                first_due_on=disbursed_on + timedelta(days=30),
                maturity_on=disbursed_on + timedelta(days=3 * 365),
                status=status,
                outstanding_principal_fen=outstanding,
                five_class=five_class,
            )

        parent = loan("L4", c3, 3_000_000, 3_000_000, last_month_10th)
        session.add_all(
            [
                loan("L1", c1, 3_500_000, 3_000_000, this_month),
                loan(
                    "L2",
                    c2,
                    3_000_000,
                    2_000_000,
                    date(today.year - 2, 1, 15),
                    five_class="substandard",
                ),
                loan(
                    "L3",
                    c2,
                    1_000_000,
                    500_000,
                    date(today.year - 3, 6, 1),
                    status=LoanStatus.WRITTEN_OFF,
                    five_class="loss",
                ),
                parent,
            ]
        )
        session.flush()
        session.add(loan("L4b", c3, 2_000_000, 2_000_000, last_month_10th, parent=parent))

        def application(
            no: str,
            customer: Customer,
            status: ApplicationStatus,
            submitted_at: datetime | None,
            decided_at: datetime | None = None,
        ) -> Application:
            return Application(
                application_no=no,
                customer_id=customer.id,
                product_id=product.id,
                channel=Channel.MOBILE,
                branch_id=branch.id,
                amount_fen=3_000_000,
                term_months=36,
                repayment_method=RepaymentMethod.EQUAL_INSTALMENT,
                status=status,
                submitted_at=submitted_at,
                decided_at=decided_at,
            )

        applications = [
            # This month (the first one is 16:30 UTC on the last day of last month).
            application(
                "A1", c1, ApplicationStatus.DISBURSED, at(this_month, 0, 30), at(this_month, 9)
            ),
            application(
                "A2", c2, ApplicationStatus.APPROVED, at(this_month, 10), at(this_month, 11)
            ),
            application(
                "A3", c3, ApplicationStatus.DECLINED, at(this_month, 12), at(this_month, 13)
            ),
            application("A4", c3, ApplicationStatus.DRAFT, None),
            # Approved, then the applicant declined the offer: its status no longer says "approved".
            application(
                "A7", c1, ApplicationStatus.WITHDRAWN, at(this_month, 14), at(this_month, 15)
            ),
            # Last month; A5 is decided on the 1st of this month, so it is approved this month.
            application(
                "A5",
                c2,
                ApplicationStatus.APPROVED,
                at(last_month_end, 23, 30),
                at(this_month, 0, 10),
            ),
            application(
                "A6",
                c3,
                ApplicationStatus.DISBURSED,
                at(last_month_10th, 10),
                at(last_month_10th, 11),
            ),
        ]
        session.add_all(applications)
        session.flush()
        by_no = {a.application_no: a for a in applications}

        def decision(no: str, outcome: DecisionOutcome, decided_at: datetime) -> Decision:
            return Decision(
                application_id=by_no[no].id,
                outcome=outcome,
                reasons=[],
                model_version="scorecard-test",
                policy_version="policy-test",
                decided_at=decided_at,
            )

        session.add_all(
            [
                decision("A1", DecisionOutcome.APPROVE, at(this_month, 9)),
                decision("A1", DecisionOutcome.APPROVE, at(this_month, 9, 30)),  # re-approved
                decision("A2", DecisionOutcome.REFER, at(this_month, 10, 30)),
                decision("A2", DecisionOutcome.APPROVE, at(this_month, 11)),
                decision("A3", DecisionOutcome.DECLINE, at(this_month, 13)),
                decision("A7", DecisionOutcome.APPROVE, at(this_month, 15)),
                decision("A5", DecisionOutcome.APPROVE, at(this_month, 0, 10)),
                decision("A6", DecisionOutcome.APPROVE, at(last_month_10th, 11)),
            ]
        )
        session.flush()


@pytest.fixture
def known_bank() -> KnownBank:
    """The known dataset: ``known_bank.seed(session, today)``, then check its figures."""
    return KnownBank()


# --- a live server ---------------------------------------------------------------------------------


@contextmanager
def _serving(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with Uvicorn on a free loopback port in a background thread; yield its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = clock.monotonic() + 15
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn stopped before it started")
            if clock.monotonic() > deadline:
                raise TimeoutError("uvicorn did not start within 15 s")
            clock.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not shut down"


@pytest.fixture
def serve() -> Callable[[FastAPI], AbstractContextManager[str]]:
    """``with serve(app) as url:`` runs ``app`` over real HTTP on 127.0.0.1 for the block."""
    return _serving


# --- the demo bank served over real HTTP, with a signed-in client per role ---------------------------

#: Generous limits for tests that are not about rate limiting (their own app sets tight ones).
_TEST_RATE_LIMITS = {
    "rate_limit_portal_per_minute": 100_000,
    "rate_limit_submit_per_minute": 100_000,
    "rate_limit_login_per_minute": 100_000,
}
_CSRF_INPUT = 'name="csrf_token" value="'


def form_csrf(html: str) -> str:
    """The CSRF token of the first form on a page."""
    start = html.index(_CSRF_INPUT) + len(_CSRF_INPUT)
    return html[start : html.index('"', start)]


@dataclass
class DemoSite:
    """The demo bank's application on a live loopback server.

    ``login(user)`` gives an httpx client holding a console session (its ``X-CSRF-Token`` header
    set, as the pages' htmx requests send it); ``bearer(user)`` the headers of an API token.
    Demo users: admin, marketing, manager, risk, approver, service, auditor, branch, collector.
    """

    url: str
    bank: DemoBank
    app: FastAPI
    _tokens: dict[str, dict[str, str]]

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]

    def login(self, username: str, password: str | None = None) -> httpx.Client:
        from loanpilot.demo.accounts import DEMO_PASSWORD

        client = self.client()
        page = client.get("/console/login")
        response = client.post(
            "/console/login",
            data={
                "username": username,
                "password": password or DEMO_PASSWORD,
                "csrf_token": form_csrf(page.text),
            },
        )
        assert response.status_code == 303, f"login of {username} failed: {response.status_code}"
        home = client.get("/console/account")  # every page of a session carries its CSRF token
        client.headers["X-CSRF-Token"] = form_csrf(home.text)
        return client

    def bearer(self, username: str) -> dict[str, str]:
        from loanpilot.demo.accounts import DEMO_PASSWORD

        if username not in self._tokens:
            with self.client() as client:
                response = client.post(
                    "/api/v1/auth/token",
                    json={"username": username, "password": DEMO_PASSWORD, "name": "tests"},
                )
                assert response.status_code == 201, response.text
                self._tokens[username] = {"Authorization": f"Bearer {response.json()['token']}"}
        return self._tokens[username]


@pytest.fixture(scope="session")
def demo_site(site_bank: DemoBank) -> Iterator[DemoSite]:
    """A demo bank (both backends) served on a free loopback port for the whole session."""
    from loanpilot.app import create_app

    settings = site_bank.settings.model_copy(update=_TEST_RATE_LIMITS)
    app = create_app(settings)
    with _serving(app) as url:
        yield DemoSite(url=url, bank=site_bank, app=app, _tokens={})
