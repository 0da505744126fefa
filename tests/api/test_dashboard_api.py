"""The dashboard's figures: the service on the hand-worked ``known_bank`` dataset, and
``GET /api/v1/dashboard`` over real HTTP, on the known bank and on the 1,500-customer demo bank
(checked against direct SQL), within each role's scope.

Known bank, default period (the 12 business months up to this one): 6 applications submitted (4
this month, one at 00:30 on the 1st Shanghai time; 2 last month; a draft never submitted is not
counted). Decisions in the period, per application: A1 approved twice (once), A2 referred then
approved, A3 declined, A7 approved then withdrawn, A5 approved at 00:10 on the 1st (this month),
A6 approved last month: 5 approved of 6 decided (a referral is not a decision), 4 of 5 this month
and 1 of 1 last month. Disbursed ¥35,000 this month (L1) and ¥50,000 last month (the 组合贷 L4 +
L4b); L2 and L3 are years old. Balance ¥100,000, of which ¥20,000 substandard: NPL ratio 20 %.
Everything is booked at the one branch B001; applications come by mobile, loans at the branch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.access.models import StaffAccount
from loanpilot.access.rules import ScopeKind
from loanpilot.access.service import create_staff_user, issue_api_token, sync_permission_matrix
from loanpilot.analytics.finance import add_months
from loanpilot.app import create_app
from loanpilot.config import Settings
from loanpilot.db.session import transaction
from loanpilot.evaluation.dashboard import RawFilters, Viewer, compute
from loanpilot.evaluation.service import start_instant
from loanpilot.kit.clock import business_today, month_start
from loanpilot.kit.errors import PermissionDeniedError
from loanpilot.lending.models import Application, Loan, LoanStatus
from loanpilot.risk.models import Decision
from loanpilot.risk.rules import DecisionOutcome
from loanpilot.team.models import Branch, Role, Staff

PASSWORD = "Dash-board-2026!"


def staff_token(
    factory: sessionmaker[Session], role: Role = Role.ADMINISTRATOR, username: str = "boss"
) -> str:
    """A bearer token of a new staff member (in the first top-level branch)."""
    now = datetime.now(UTC)
    with transaction(factory) as session:
        sync_permission_matrix(session)
        account = create_staff_user(
            session, username=username, password=PASSWORD, name="测试员", role=role, now=now
        )
        token, _ = issue_api_token(session, account_id=account.id, name="tests", now=now)
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- the service on the known bank ----------------------------------------------------------------


@pytest.mark.parametrize(
    "today",
    [date(2026, 3, 15), date(2026, 1, 10), date(2026, 2, 28), date(2026, 12, 1)],
    ids=["mid-month", "january", "month-end", "first-of-month"],
)
def test_known_bank_figures(
    session_factory: sessionmaker[Session], known_bank, today: date
) -> None:
    with transaction(session_factory) as session:
        known_bank.seed(session, today)
    with transaction(session_factory) as session:
        board = compute(session, RawFilters(), Viewer.whole_bank(), today)

    total = board.total
    assert (total.applications, total.approved, total.decided) == (6, 5, 6)
    assert total.approval_rate == Decimal(5) / Decimal(6)
    assert total.disbursed_fen == 8_500_000
    assert (total.balance_fen, total.npl_fen) == (10_000_000, 2_000_000)
    assert total.npl_ratio == Decimal("0.2")

    assert [m.month for m in board.months] == [m.month for m in known_bank.monthly(today)]
    *older, last, this = board.months
    assert (this.applications, this.approved, this.decided, this.disbursed_fen) == (
        4,
        4,
        5,
        3_500_000,
    )
    assert (last.applications, last.approved, last.decided, last.disbursed_fen) == (
        2,
        1,
        1,
        5_000_000,
    )
    assert all(m.is_zero for m in older)

    [branch] = board.branches
    assert (branch.code, branch.name) == ("B001", "演示分行")
    assert (branch.applications, branch.approved, branch.decided) == (6, 5, 6)
    assert (branch.disbursed_fen, branch.balance_fen, branch.npl_fen) == (
        8_500_000,
        10_000_000,
        2_000_000,
    )
    assert board.has_data
    assert [c.label("zh") for c in board.product_choices] == ["综合消费贷"]


def test_known_bank_filters(session_factory: sessionmaker[Session], known_bank) -> None:
    today = date(2026, 3, 15)
    with transaction(session_factory) as session:
        known_bank.seed(session, today)
        branch_id = session.scalar(select(Branch.id).where(Branch.code == "B001"))
        product_id = session.scalar(select(Loan.product_id).limit(1))

    def board(**raw: str) -> tuple[int, int, int, int, int, int]:
        with transaction(session_factory) as session:
            t = compute(session, RawFilters(**raw), Viewer.whole_bank(), today).total
        return (t.applications, t.approved, t.decided, t.disbursed_fen, t.balance_fen, t.npl_fen)

    everything = (6, 5, 6, 8_500_000, 10_000_000, 2_000_000)
    assert board() == everything
    assert board(branch_id=str(branch_id)) == everything
    assert board(product_id=str(product_id)) == everything
    # Applications came by mobile, loans were booked at the branch.
    assert board(channel="mobile") == (6, 5, 6, 0, 0, 0)
    assert board(channel="branch") == (0, 0, 0, 8_500_000, 10_000_000, 2_000_000)
    assert board(channel="wechat") == (0, 0, 0, 0, 0, 0)
    # Last month alone; the balance is today's whatever the period.
    assert board(from_month="2026-02", to_month="2026-02") == (
        2,
        1,
        1,
        5_000_000,
        10_000_000,
        2_000_000,
    )
    # This month alone: A5 (submitted last month) was approved this month.
    assert board(from_month="2026-03") == (4, 4, 5, 3_500_000, 10_000_000, 2_000_000)


def test_scope_in_the_service(session_factory: sessionmaker[Session], known_bank) -> None:
    today = date(2026, 3, 15)
    with transaction(session_factory) as session:
        known_bank.seed(session, today)
        branch_id = session.scalar(select(Branch.id).where(Branch.code == "B001"))
        other = Branch(
            code="B002", name="另一分行", level="branch", province="浙江省", city="宁波市"
        )
        session.add(other)
        session.flush()
        other_id = other.id
        manager_id = _add_manager(session, branch_id)  # the known bank has no staff of its own
        # Put L1 (and its application A1) in the customer manager's hands.
        session.execute(
            Loan.__table__.update().where(Loan.loan_no == "L1").values(manager_id=manager_id)
        )
        session.execute(
            Application.__table__.update()
            .where(Application.application_no == "A1")
            .values(manager_id=manager_id)
        )

    with transaction(session_factory) as session:
        head_other = Viewer(ScopeKind.BRANCH, 0, other_id, frozenset({other_id}))
        nothing = compute(session, RawFilters(), head_other, today)
        head = Viewer(ScopeKind.BRANCH, 0, branch_id, frozenset({branch_id}))
        mine = compute(session, RawFilters(), head, today)
        own = compute(
            session, RawFilters(), Viewer(ScopeKind.OWN, manager_id, 0, frozenset()), today
        )
        with pytest.raises(PermissionDeniedError) as caught:
            compute(session, RawFilters(branch_id=str(branch_id)), head_other, today)

    assert nothing.total.is_zero
    assert nothing.branches == []
    assert [c.value for c in nothing.branch_choices] == [str(other_id)]
    assert mine.total.applications == 6
    assert mine.total.balance_fen == 10_000_000
    # A1 (approved this month) and L1 (¥35,000 disbursed, ¥30,000 outstanding).
    assert (own.total.applications, own.total.approved, own.total.decided) == (1, 1, 1)
    assert (own.total.disbursed_fen, own.total.balance_fen, own.total.npl_fen) == (
        3_500_000,
        3_000_000,
        0,
    )
    assert caught.value.code == "scope.forbidden"


def _add_manager(session: Session, branch_id: int) -> int:
    staff = Staff(
        employee_no="E1",
        name="客户经理",
        gender="F",
        role=Role.CUSTOMER_MANAGER,
        branch_id=branch_id,
        hired_on=date(2020, 1, 1),
    )
    session.add(staff)
    session.flush()
    return staff.id


# --- over HTTP on the known bank ------------------------------------------------------------------


def test_dashboard_api_returns_the_known_figures(
    settings: Settings, session_factory: sessionmaker[Session], known_bank, serve
) -> None:
    today = business_today(settings.tz)
    with transaction(session_factory) as session:
        known_bank.seed(session, today)
    token = staff_token(session_factory)

    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        response = client.get("/api/v1/dashboard", headers=bearer(token))
        mobile = client.get(
            "/api/v1/dashboard", params={"channel": "mobile"}, headers=bearer(token)
        )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["as_of"] == today.isoformat()
    this_month = known_bank.month_label(today)
    assert body["filters"] == {
        "from": known_bank.monthly(today)[0].month,
        "to": this_month,
        "branch_id": None,
        "product_id": None,
        "channel": None,
    }
    assert body["totals"] == {
        "applications": 6,
        "approved": 5,
        "decided": 6,
        "approval_rate": "0.83333333",
        "disbursed_fen": 8_500_000,
        "disbursed_yuan": "85000.00",
        "balance_fen": 10_000_000,
        "balance_yuan": "100000.00",
        "npl_balance_fen": 2_000_000,
        "npl_balance_yuan": "20000.00",
        "npl_ratio": "0.20000000",
    }
    assert len(body["monthly"]) == 12
    assert body["monthly"][-1] == {
        "month": this_month,
        "applications": 4,
        "approved": 4,
        "decided": 5,
        "approval_rate": "0.80000000",
        "disbursed_fen": 3_500_000,
        "disbursed_yuan": "35000.00",
    }
    assert body["monthly"][-2]["approval_rate"] == "1.00000000"
    assert body["monthly"][0]["approval_rate"] is None
    [branch] = body["by_branch"]
    assert branch["code"] == "B001"
    assert branch["name"] == "演示分行"
    assert branch["npl_ratio"] == "0.20000000"

    assert mobile.status_code == 200
    totals = mobile.json()["totals"]
    assert (totals["applications"], totals["disbursed_fen"], totals["npl_ratio"]) == (6, 0, None)


def test_dashboard_api_needs_a_token_and_valid_filters(
    settings: Settings, session_factory: sessionmaker[Session], known_bank, serve
) -> None:
    with transaction(session_factory) as session:
        known_bank.seed(session, business_today(settings.tz))
    token = staff_token(session_factory)

    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        anonymous = client.get("/api/v1/dashboard")
        forged = client.get("/api/v1/dashboard", headers=bearer("lp_not-a-real-token"))
        bad = client.get(
            "/api/v1/dashboard",
            params={
                "from": "2026-13",
                "to": "next",
                "branch_id": "abc",
                "product_id": "999999",
                "channel": "fax",
            },
            headers=bearer(token),
        )
        reversed_period = client.get(
            "/api/v1/dashboard", params={"from": "2025-05", "to": "2025-01"}, headers=bearer(token)
        )
        too_long = client.get(
            "/api/v1/dashboard", params={"channel": "x" * 100}, headers=bearer(token)
        )
        spec = client.get("/api/openapi.json").json()

    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "auth.required"
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert forged.status_code == 401
    assert forged.json()["error"] == "auth.invalid_token"

    assert bad.status_code == 422
    body = bad.json()
    assert set(body) == {"error", "detail", "fields"}
    assert body["error"] == "dashboard.filters_invalid"
    assert [f["field"] for f in body["fields"]] == [
        "from",
        "to",
        "branch_id",
        "product_id",
        "channel",
    ]
    assert reversed_period.status_code == 422
    assert [f["field"] for f in reversed_period.json()["fields"]] == ["from"]
    assert too_long.status_code == 422
    assert too_long.json()["fields"][0]["field"] == "query.channel"

    operation = spec["paths"]["/api/v1/dashboard"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {
        "from",
        "to",
        "branch_id",
        "product_id",
        "channel",
    }


def test_a_role_without_the_permission_is_refused(
    settings: Settings, session_factory: sessionmaker[Session], known_bank, serve
) -> None:
    """Every role holds dashboard:view by default; withdraw it from one and it gets 403."""
    from loanpilot.access.models import RolePermission

    with transaction(session_factory) as session:
        known_bank.seed(session, business_today(settings.tz))
    token = staff_token(session_factory, Role.MARKETING_MANAGER, "marketer")
    with transaction(session_factory) as session:
        session.execute(
            RolePermission.__table__.delete().where(
                RolePermission.role == Role.MARKETING_MANAGER,
                RolePermission.permission == "dashboard:view",
            )
        )

    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        api = client.get("/api/v1/dashboard", headers=bearer(token))
        headline = client.get("/api/v1/headline", headers=bearer(token))

    assert api.status_code == 403
    assert api.json()["error"] == "auth.forbidden"
    assert headline.status_code == 403


# --- the demo bank, against direct SQL ------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    applications: int
    approved: int
    decided: int
    disbursed_fen: int
    balance_fen: int
    npl_fen: int


def expected(
    engine: Engine,
    settings: Settings,
    *,
    branches: set[int] | None = None,
    channel: str | None = None,
    product_id: int | None = None,
    manager_id: int | None = None,
    months: int = 12,
) -> Expected:
    """The figures by plain SQL: one ``WHERE`` per filter, no grouping tricks."""
    today = business_today(settings.tz)
    first_day = add_months(month_start(today), -(months - 1))
    end_day = add_months(month_start(today), 1)
    lo, hi = start_instant(first_day, settings.tz), start_instant(end_day, settings.tz)

    def on(stmt, table):  # type: ignore[no-untyped-def]
        if branches is not None:
            stmt = stmt.where(table.branch_id.in_(branches))
        if channel is not None:
            stmt = stmt.where(table.channel == channel)
        if product_id is not None:
            stmt = stmt.where(table.product_id == product_id)
        if manager_id is not None:
            stmt = stmt.where(table.manager_id == manager_id)
        return stmt

    with Session(engine) as s:
        applications = s.scalar(
            on(select(func.count()).select_from(Application), Application).where(
                Application.submitted_at >= lo, Application.submitted_at < hi
            )
        )
        decisions = on(
            select(func.count(func.distinct(Decision.application_id)))
            .join(Application, Application.id == Decision.application_id)
            .where(Decision.decided_at >= lo, Decision.decided_at < hi),
            Application,
        )
        approved = s.scalar(decisions.where(Decision.outcome == DecisionOutcome.APPROVE))
        decided = s.scalar(
            decisions.where(
                Decision.outcome.in_([DecisionOutcome.APPROVE, DecisionOutcome.DECLINE])
            )
        )
        disbursed = s.scalar(
            on(select(func.coalesce(func.sum(Loan.principal_fen), 0)), Loan).where(
                Loan.disbursed_on >= first_day, Loan.disbursed_on < end_day
            )
        )
        repaying = on(
            select(func.coalesce(func.sum(Loan.outstanding_principal_fen), 0)), Loan
        ).where(Loan.status == LoanStatus.REPAYING)
        balance = s.scalar(repaying)
        npl = s.scalar(repaying.where(Loan.five_class.in_(["substandard", "doubtful", "loss"])))
    return Expected(
        *(int(v or 0) for v in (applications, approved, decided, disbursed, balance, npl))
    )


def actual(body: dict) -> Expected:  # type: ignore[type-arg]
    t = body["totals"]
    return Expected(
        t["applications"],
        t["approved"],
        t["decided"],
        t["disbursed_fen"],
        t["balance_fen"],
        t["npl_balance_fen"],
    )


def _children(engine: Engine, branch_id: int) -> set[int]:
    with Session(engine) as s:
        found, frontier = {branch_id}, {branch_id}
        while frontier:
            frontier = set(s.scalars(select(Branch.id).where(Branch.parent_id.in_(frontier))))
            found |= frontier
    return found


def test_demo_bank_filters_match_direct_sql(demo_site) -> None:
    from loanpilot.evaluation.dashboard_cache import DashboardCache

    engine, settings = demo_site.bank.engine, demo_site.bank.settings
    # The dashboard keeps its figures 30 s: start from fresh ones, whatever earlier tests (a
    # console login shows the dashboard) cached before they changed the shared demo bank.
    demo_site.app.state.dashboard_cache = DashboardCache()
    headers = demo_site.bearer("risk")
    with Session(engine) as s:
        city_branch = s.scalar(
            select(Branch.id).where(Branch.level == "branch").order_by(Branch.code)
        )
        product_id = s.scalar(
            select(Loan.product_id).group_by(Loan.product_id).order_by(func.count().desc()).limit(1)
        )
    assert city_branch is not None

    with demo_site.client() as client:

        def get(**params: object) -> dict:  # type: ignore[type-arg]
            query = {("from" if k == "from_month" else k): v for k, v in params.items()}
            response = client.get("/api/v1/dashboard", params=query, headers=headers)
            assert response.status_code == 200, response.text
            return response.json()

        everything = get()
        by_channel = get(channel="mobile")
        by_branch = get(branch_id=city_branch)
        by_product = get(product_id=product_id)
        combined = get(branch_id=city_branch, channel="branch", product_id=product_id)
        longer = get(from_month=_months_ago(settings, 23))

    whole = expected(engine, settings)
    assert whole.applications > 100  # a real book, not zeros
    assert whole.balance_fen > 0
    assert actual(everything) == whole
    assert actual(by_channel) == expected(engine, settings, channel="mobile")
    subtree = _children(engine, city_branch)
    assert len(subtree) > 1
    assert actual(by_branch) == expected(engine, settings, branches=subtree)
    assert actual(by_product) == expected(engine, settings, product_id=product_id)
    assert actual(combined) == expected(
        engine, settings, branches=subtree, channel="branch", product_id=product_id
    )
    assert actual(longer) == expected(engine, settings, months=24)
    # The filters narrow: every slice is within the whole.
    for part in (by_channel, by_branch, by_product, combined):
        assert actual(part).applications <= whole.applications
        assert actual(part).balance_fen <= whole.balance_fen
    # Rows add up to the totals; monthly applications add up too.
    for body in (everything, by_branch):
        rows = body["by_branch"]
        assert sum(r["applications"] for r in rows) == body["totals"]["applications"]
        assert sum(r["balance_fen"] for r in rows) == body["totals"]["balance_fen"]
        assert sum(r["disbursed_fen"] for r in rows) == body["totals"]["disbursed_fen"]
        assert sum(m["applications"] for m in body["monthly"]) == body["totals"]["applications"]
    # The bank seen whole is shown by 分行; one 分行 by its sub-branches.
    with Session(engine) as s:
        levels = dict(s.execute(select(Branch.code, Branch.level)).all())
    # (a portal application left to the bank has no branch yet: its row has no code)
    assert {levels[r["code"]] for r in everything["by_branch"] if r["code"]} <= {
        "branch",
        "head_office",
    }
    assert len(by_branch["by_branch"]) > 1
    assert {levels[r["code"]] for r in by_branch["by_branch"]} <= {"sub_branch", "branch"}


def _months_ago(settings: Settings, months: int) -> str:
    day = add_months(month_start(business_today(settings.tz)), -months)
    return f"{day.year:04d}-{day.month:02d}"


def _staff_of(engine: Engine, username: str) -> tuple[int, int]:
    with Session(engine) as s:
        row = s.execute(
            select(Staff.id, Staff.branch_id)
            .join(StaffAccount, StaffAccount.staff_id == Staff.id)
            .where(StaffAccount.username == username)
        ).one()
    return row[0], row[1]


def test_branch_head_sees_only_their_branch(demo_site) -> None:
    engine, settings = demo_site.bank.engine, demo_site.bank.settings
    _staff_id, home = _staff_of(engine, "branch")
    mine = _children(engine, home)
    with Session(engine) as s:
        elsewhere = s.scalar(select(Branch.id).where(Branch.id.not_in(mine)).order_by(Branch.id))

    with demo_site.client() as client:
        headers = demo_site.bearer("branch")
        own = client.get("/api/v1/dashboard", headers=headers)
        beyond = client.get("/api/v1/dashboard", params={"branch_id": elsewhere}, headers=headers)
        page = client.get("/console/", headers=headers)

    assert own.status_code == 200
    body = own.json()
    assert actual(body) == expected(engine, settings, branches=mine)
    assert actual(body).applications > 0
    assert actual(body).balance_fen < expected(engine, settings).balance_fen
    assert {r["branch_id"] for r in body["by_branch"]} <= mine
    assert beyond.status_code == 403
    assert beyond.json()["error"] == "scope.forbidden"
    # The page offers only their branches to filter by.
    assert page.status_code == 200
    select_html = page.text.split('name="branch_id"')[1].split("</select>")[0]
    offered = {int(v) for v in re.findall(r'<option value="(\d+)"', select_html)}
    assert offered == mine


def test_customer_manager_sees_only_their_own(demo_site) -> None:
    engine, settings = demo_site.bank.engine, demo_site.bank.settings
    staff_id, _home = _staff_of(engine, "manager")
    with demo_site.client() as client:
        response = client.get("/api/v1/dashboard", headers=demo_site.bearer("manager"))

    assert response.status_code == 200
    mine = actual(response.json())
    assert mine == expected(engine, settings, manager_id=staff_id)
    assert mine.balance_fen > 0
    assert mine.balance_fen < expected(engine, settings).balance_fen
