"""The small hand-built bank the team's integration and CLI tests share, on one migrated database
per module and backend (migrating is the slow part: SQLite migrates once and copies): each test seeds its own copy under a fresh
prefix (branch codes, employee and customer numbers), so tests never see each other's rows."""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests import post_loan_site as site

from loanpilot.access.rules import Principal, ScopeKind
from loanpilot.db.session import make_engine, make_session_factory, transaction
from loanpilot.lending.models import LoanStatus
from loanpilot.team.models import BranchLevel, PortfolioAssignment, Role, Staff, StaffStatus

_PREFIXES = itertools.count(1)
#: The first migrated SQLite database of the session, copied by the other modules.
_SQLITE_TEMPLATE: dict[str, Path] = {}
POSTGRES_URL_ENV = "LOANPILOT_TEST_POSTGRES_URL"


def migrated_url(backend: str, tmp_dir: Path) -> Iterator[str]:
    """A migrated database: a SQLite file, or a fresh PostgreSQL database (skipped without a
    server, an error under CI)."""
    from loanpilot.db.migrate import upgrade

    if backend == "sqlite":
        path = tmp_dir / "team.db"
        template = _SQLITE_TEMPLATE.get("path")
        if template is None:  # the first module migrates; the others copy its empty database
            upgrade(f"sqlite:///{path.as_posix()}")
            template = tmp_dir / "template.db"
            shutil.copyfile(path, template)
            _SQLITE_TEMPLATE["path"] = template
        else:
            shutil.copyfile(template, path)
        yield f"sqlite:///{path.as_posix()}"
        return
    from tests.conftest import _postgres_database, _running_in_ci

    server_url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if not server_url:
        reason = f"{POSTGRES_URL_ENV} is not set (make test starts a server and sets it)"
        if _running_in_ci():
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        pytest.skip(reason)
    for url in _postgres_database(server_url):
        upgrade(url)
        yield url


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="module", params=BACKENDS)
def team_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    yield from migrated_url(request.param, tmp_path_factory.mktemp(f"team-{request.param}"))


@pytest.fixture(scope="module")
def team_db(team_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(team_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def bank(team_db: sessionmaker[Session]) -> Bank:
    with transaction(team_db) as s:
        return seed_bank(s)


def _hash(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()[:16]


@dataclass(frozen=True)
class Bank:
    """Branch A with sub-branch A1, and branch B. Staff by employee no; customers by number (the
    short names of the seed: ``e("E001")`` is the stored employee number)."""

    prefix: str
    branches: dict[str, int]
    staff: dict[str, int]
    customers: dict[str, int]

    def e(self, no: str) -> str:
        return f"{self.prefix}{no}"

    def c(self, no: str) -> str:
        return f"{self.prefix}{no}"


def seed_bank(session: Session) -> Bank:
    """Head office HO; branch A (sub-branch A1) and branch B. E001 (A) holds C1–C3, E002 (A1)
    holds C4, E003 (B) holds C5; E004 (A) has none; E005 left; E006 is a risk officer; E007
    heads branch A. C1 has two repaying loans (¥10,000 + ¥5,000 outstanding) and a settled one,
    C4 one (¥2,000)."""
    p = f"T{next(_PREFIXES)}x{os.getpid() % 1000}-"
    ho = site.branch(f"{p}HO", "总行", level=BranchLevel.HEAD_OFFICE)
    session.add(ho)
    session.flush()
    a = site.branch(f"{p}A", "杭州分行")
    a.parent_id = ho.id
    b = site.branch(f"{p}B", "宁波分行")
    b.parent_id = ho.id
    session.add_all([a, b])
    session.flush()
    a1 = site.branch(f"{p}A1", "西湖支行", level=BranchLevel.SUB_BRANCH)
    a1.parent_id = a.id
    session.add(a1)
    session.flush()
    branches = {"HO": ho.id, "A": a.id, "A1": a1.id, "B": b.id}
    people_rows = [
        ("E001", Role.CUSTOMER_MANAGER, "A", StaffStatus.ACTIVE),
        ("E002", Role.SENIOR_CUSTOMER_MANAGER, "A1", StaffStatus.ACTIVE),
        ("E003", Role.CUSTOMER_MANAGER, "B", StaffStatus.ACTIVE),
        ("E004", Role.SALES_CONSULTANT, "A", StaffStatus.ACTIVE),
        ("E005", Role.CUSTOMER_MANAGER, "A", StaffStatus.LEFT),
        ("E006", Role.RISK_OFFICER, "A", StaffStatus.ACTIVE),
        ("E007", Role.BRANCH_HEAD, "A", StaffStatus.ACTIVE),
    ]
    staff = {}
    for no, role, br, status in people_rows:
        s = Staff(employee_no=f"{p}{no}", name=f"员工{no[-1]}", gender="F", role=role,
                  branch_id=branches[br], hired_on=date(2020, 1, 1), status=status)  # fmt: skip
        session.add(s)
        session.flush()
        staff[no] = s.id
    holders = {"C1": "E001", "C2": "E001", "C3": "E001", "C4": "E002", "C5": "E003"}
    customers = {}
    for i, (no, holder) in enumerate(holders.items(), 1):
        branch_code = {"E001": "A", "E002": "A1", "E003": "B"}[holder]
        c = site.customer(f"{p}{no}", _hash(p + no), name=f"客户{i}", manager_id=staff[holder],
                          home_branch_id=branches[branch_code])  # fmt: skip
        session.add(c)
        session.flush()
        customers[no] = c.id
        session.add(PortfolioAssignment(customer_id=c.id, staff_id=staff[holder],
                                        start_on=date(2024, 1, 1)))  # fmt: skip
    product = site.consumer_product(f"{p}P")
    session.add(product)
    session.flush()
    for no, cust, fen, status in [("L1", "C1", 1_000_000, LoanStatus.REPAYING),
                                  ("L2", "C1", 500_000, LoanStatus.REPAYING),
                                  ("L3", "C1", 700_000, LoanStatus.SETTLED),
                                  ("L4", "C4", 200_000, LoanStatus.REPAYING)]:  # fmt: skip
        session.add(site.loan(
            f"{p}{no}", principal_fen=fen, term_months=12, customer_id=customers[cust],
            product_id=product.id, branch_id=branches["A"], disbursed_on=date(2026, 1, 5),
            first_due_on=date(2026, 2, 5), maturity_on=date(2027, 1, 5), status=status,
            outstanding_principal_fen=0 if status is LoanStatus.SETTLED else fen,
        ))  # fmt: skip
    session.flush()
    return Bank(p, branches, staff, customers)


def branch_head(bank: Bank) -> Principal:
    """The head of branch A: scope A and A1."""
    return Principal(
        account_id=1, staff_id=bank.staff["E007"], username="head", name="head",
        role=Role.BRANCH_HEAD, branch_id=bank.branches["A"],
        branch_ids=frozenset({bank.branches["A"], bank.branches["A1"]}), permissions=frozenset(),
        scope=ScopeKind.BRANCH, via="session",
    )  # fmt: skip
