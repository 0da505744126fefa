"""Portfolio reports (``risk.portfolio``) on a small hand-built book, on SQLite and PostgreSQL,
against answers counted by hand; and ``loanpilot portfolio report`` writing HTML and Excel.

The book, as of 2026-03-15 (month ends 2026-01-31 and 2026-02-28 have snapshots):

====  ==========  =========  =========  ============  ===========  =========================
loan  disbursed   principal  channel    30+ from      90+ from     today
====  ==========  =========  =========  ============  ===========  =========================
A     2025-12-05  100,000    online     2026-02-05 *  —            repaying, 70 DPD, 关注
B     2025-12-20  300,000    branch     —             —            repaying, 250,000, 次级
C     2026-01-10  200,000    branch     —             —            settled 2026-02-20
D     2025-06-01  400,000    branch     2025-10-15    2025-12-15   written off in February
====  ==========  =========  =========  ============  ===========  =========================

``*`` first due 2026-01-05 + 31 days: a first-payment default.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from loanpilot.cli import app
from loanpilot.customers.models import Channel, Customer, Gender, Occupation
from loanpilot.lending.models import Application, ApplicationStatus, Loan, LoanStatus
from loanpilot.products.models import (
    CollateralKind,
    LoanProduct,
    ProductSubtype,
    ProductType,
    RateBasis,
    RepaymentMethod,
)
from loanpilot.risk import portfolio
from loanpilot.risk.models import Decision, DelinquencySnapshot, DpdBucket, FiveClass
from loanpilot.risk.portfolio import Filters
from loanpilot.risk.rules import DecisionOutcome
from loanpilot.team.models import Branch, BranchLevel

AS_OF = date(2026, 3, 15)
JAN, FEB = date(2026, 1, 31), date(2026, 2, 28)


def _seed(session: Session) -> None:
    branch = Branch(code="B1", name="测试分行", level=BranchLevel.BRANCH, province="浙江省",
                    city="杭州市")  # fmt: skip
    product = LoanProduct(
        code="P1", name_zh="消费贷", name_en="Consumer", product_type=ProductType.CONSUMER,
        subtype=ProductSubtype.GENERAL_CONSUMER, min_amount_fen=1, max_amount_fen=10**9,
        min_term_months=1, max_term_months=60, rate_basis=RateBasis.FIXED,
        min_spread=Decimal("0.04"), max_spread=Decimal("0.12"),
        repayment_methods=["equal_instalment"], collateral_required=CollateralKind.NONE,
        launched_on=date(2020, 1, 1),
    )  # fmt: skip
    session.add_all([branch, product])
    session.flush()
    customer = Customer(
        customer_no="C1", name="张三", id_number_enc=b"x" * 16, id_number_hash=b"h" * 16,
        birth_date=date(1990, 5, 1), gender=Gender.MALE, occupation=Occupation.COMPANY_EMPLOYEE,
        monthly_income_fen=1_500_000, province="浙江省", city="杭州市",
        source_channel=Channel.BRANCH, since=date(2020, 1, 1),
    )  # fmt: skip
    session.add(customer)
    session.flush()

    def loan(no: str, disbursed: date, principal: int, channel: Channel, **kw: object) -> Loan:
        values: dict[str, object] = {
            "status": LoanStatus.REPAYING, "outstanding_principal_fen": principal, "dpd": 0,
            "five_class": FiveClass.NORMAL, **kw,
        }  # fmt: skip
        return Loan(
            loan_no=no, customer_id=customer.id, product_id=product.id, branch_id=branch.id,
            channel=channel, principal_fen=principal, rate_basis=RateBasis.FIXED,
            base_rate=Decimal(0), spread=Decimal("0.06"), annual_rate=Decimal("0.06"),
            apr=Decimal("0.06"), term_months=12, repayment_method=RepaymentMethod.EQUAL_INSTALMENT,
            disbursed_on=disbursed, first_due_on=disbursed + timedelta(days=31),
            maturity_on=disbursed + timedelta(days=365), **values,
        )  # fmt: skip

    a = loan("A", date(2025, 12, 5), 100_000, Channel.ONLINE, dpd=70, max_dpd=70,
             five_class=FiveClass.SPECIAL_MENTION, first_dpd30_on=date(2026, 2, 5))  # fmt: skip
    b = loan("B", date(2025, 12, 20), 300_000, Channel.BRANCH,
             outstanding_principal_fen=250_000, five_class=FiveClass.SUBSTANDARD)  # fmt: skip
    c = loan("C", date(2026, 1, 10), 200_000, Channel.BRANCH, status=LoanStatus.SETTLED,
             outstanding_principal_fen=0, settled_on=date(2026, 2, 20))  # fmt: skip
    d = loan("D", date(2025, 6, 1), 400_000, Channel.BRANCH, status=LoanStatus.WRITTEN_OFF,
             outstanding_principal_fen=0, written_off_fen=400_000, dpd=260, max_dpd=260,
             first_dpd30_on=date(2025, 10, 15), first_dpd90_on=date(2025, 12, 15))  # fmt: skip
    a.first_due_on = date(2026, 1, 5)
    session.add_all([a, b, c, d])
    session.flush()

    def snap(
        row: Loan, day: date, dpd: int, bucket: DpdBucket, balance: int
    ) -> DelinquencySnapshot:
        return DelinquencySnapshot(
            loan_id=row.id, as_of=day, dpd=dpd, bucket=bucket, outstanding_principal_fen=balance,
            overdue_principal_fen=0, overdue_interest_fen=0, five_class=FiveClass.NORMAL,
        )  # fmt: skip

    session.add_all(
        [
            snap(a, JAN, 26, DpdBucket.M1, 100_000),
            snap(b, JAN, 0, DpdBucket.M0, 280_000),
            snap(c, JAN, 0, DpdBucket.M0, 200_000),
            snap(d, JAN, 150, DpdBucket.M5, 400_000),
            snap(a, FEB, 54, DpdBucket.M2, 100_000),
            snap(b, FEB, 0, DpdBucket.M0, 270_000),
        ]
    )

    def application(no: str, status: ApplicationStatus, day: date, disbursed: bool) -> Application:
        at = datetime(day.year, day.month, day.day, 2, tzinfo=UTC)
        return Application(
            application_no=no, customer_id=customer.id, product_id=product.id,
            channel=Channel.MOBILE, branch_id=branch.id, amount_fen=100_000, term_months=12,
            repayment_method=RepaymentMethod.EQUAL_INSTALMENT, status=status, submitted_at=at,
            disbursed_at=at + timedelta(days=2) if disbursed else None,
        )  # fmt: skip

    apps = [
        application("AP1", ApplicationStatus.DISBURSED, date(2026, 2, 10), True),
        application("AP2", ApplicationStatus.DECLINED, date(2026, 2, 11), False),
        application("AP3", ApplicationStatus.SUBMITTED, date(2026, 3, 2), False),
    ]
    session.add_all(apps)
    session.flush()
    for app_row, outcome in (
        (apps[0], DecisionOutcome.APPROVE),
        (apps[1], DecisionOutcome.DECLINE),
    ):
        session.add(
            Decision(
                application_id=app_row.id,
                outcome=outcome,
                score=600,
                reasons=[],
                model_version="m@1",
                policy_version="p@1",
                decided_at=app_row.submitted_at + timedelta(hours=1),  # type: ignore[operator]
            )
        )
    session.flush()


@pytest.fixture
def book(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with session_factory() as session:
        _seed(session)
        session.commit()
    return session_factory


def test_vintages_and_first_payment_default(book: sessionmaker[Session]) -> None:
    with book() as session:
        report = portfolio.vintage_report(session, AS_OF)
    assert report.loans == 4
    curves = report.curves.set_index(["cohort", "mob"])
    assert curves.loc[("2025-12", 1), "m1_share"] == 0.0
    assert curves.loc[("2025-12", 2), "m1_share"] == pytest.approx(0.5)
    assert curves.loc[("2025-12", 2), "m1_balance_share"] == pytest.approx(0.25)
    assert ("2025-12", 3) not in curves.index  # March is not a complete month on 15 March
    assert curves.loc[("2025-06", 3), "m1_share"] == 0.0
    assert curves.loc[("2025-06", 4), "m1_share"] == 1.0
    assert curves.loc[("2025-06", 5), "m3_share"] == 0.0
    assert curves.loc[("2025-06", 6), "m3_share"] == 1.0
    assert curves.loc[("2026-01", 1), "m1_share"] == 0.0
    fpd = report.fpd.set_index("cohort")
    assert fpd.loc["2025-12", "loans"] == 2
    assert fpd.loc["2025-12", "fpd_loans"] == 1
    assert fpd.loc["2025-12", "fpd_balance_rate"] == pytest.approx(0.25)
    assert fpd.loc["2026-01", "fpd_rate"] == 0.0  # C's first due 2026-02-10 + 31 <= 15 March
    assert fpd.loc["2025-06", "fpd_rate"] == 0.0
    with book() as session:
        online = portfolio.vintage_report(session, AS_OF, Filters(channel="online"))
        young = portfolio.vintage_report(session, AS_OF, Filters(segment="young"))
        by_channel = portfolio.vintage_report(session, AS_OF, by="channel")
    assert online.loans == 1
    assert young.loans == 0  # the customer is 35: middle-aged
    pooled = by_channel.curves.set_index(["key", "mob"])
    assert pooled.loc[("online", 2), "m1_share"] == 1.0
    assert pooled.loc[("branch", 4), "m1_share"] == 1.0  # only D is four months on book


def test_roll_rates_between_two_month_ends(book: sessionmaker[Session]) -> None:
    with book() as session:
        report = portfolio.roll_rate_report(session, AS_OF, months=3)
    assert (report.start, report.end) == (JAN, FEB)
    assert report.roll is not None
    loans, share = report.roll.loans, report.roll.balance_share
    assert loans.loc["M0", "M0"] == 1
    assert loans.loc["M0", "settled"] == 1
    assert share.loc["M0", "M0"] == pytest.approx(280 / 480)
    assert share.loc["M0", "settled"] == pytest.approx(200 / 480)
    assert share.loc["M1", "M2"] == 1.0
    assert share.loc["M5", "written_off"] == 1.0
    assert int(report.roll.balance.to_numpy().sum()) == 980_000
    flows = report.flows.set_index("from")
    assert flows.loc["M0", "rate"] == 0.0
    assert flows.loc["M1", "rate"] == 1.0
    assert set(report.trend["month"]) == {"2026-02"}  # one pair of consecutive month ends


def test_overview_concentration_and_funnel(book: sessionmaker[Session]) -> None:
    with book() as session:
        o = portfolio.overview(session, AS_OF)
        conc = portfolio.concentration_report(session, AS_OF, "channel")
        seg = portfolio.concentration_report(session, AS_OF, "segment")
        apps = portfolio.applicant_report(session, AS_OF, months=2)
    assert (o.loans, o.balance_fen, o.npl_fen, o.dpd30_fen) == (2, 350_000, 250_000, 100_000)
    assert o.npl_ratio == pytest.approx(250 / 350)
    assert o.by_bucket["M3"] == 100_000
    assert o.by_bucket["M0"] == 250_000
    assert [t["as_of"] for t in o.trend] == [JAN, FEB]
    assert o.trend[-1]["balance_fen"] == 370_000
    assert o.trend[-1]["dpd30_fen"] == 100_000
    assert conc.table["key"].tolist() == ["branch", "online"]
    assert conc.hhi == pytest.approx((25 / 35) ** 2 + (10 / 35) ** 2)
    assert seg.table["key"].tolist() == ["middle"]
    funnel = apps.funnel.set_index("month")
    assert funnel.loc["2026-02", ["applications", "decided", "approved", "disbursed"]].tolist() == [
        2, 2, 1, 1,
    ]  # fmt: skip
    assert funnel.loc["2026-02", "approval_rate"] == 0.5
    assert funnel.loc["2026-03", "applications"] == 1
    assert apps.score_psi is None  # three months of history are too few for a baseline


def test_the_cli_writes_html_and_xlsx(
    book: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = book.kw["bind"].url.render_as_string(hide_password=False)
    monkeypatch.setenv("LOANPILOT_DATABASE_URL", url)
    monkeypatch.setenv("LOANPILOT_ENVIRONMENT", "test")
    runner = CliRunner()
    page = tmp_path / "book.html"
    done = runner.invoke(app, ["portfolio", "report", "--out", str(page), "--as-of", "2026-03-15"])
    assert done.exit_code == 0, done.output
    text = page.read_text(encoding="utf-8")
    assert "资产组合分析报告" in text
    assert "<svg" in text
    assert "<script" not in text
    assert "2026-03-15" in text
    book_xlsx = tmp_path / "book.xlsx"
    done = runner.invoke(
        app, ["portfolio", "report", "--out", str(book_xlsx), "--as-of", "2026-03-15",
              "--lang", "en"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    wb = openpyxl.load_workbook(book_xlsx, read_only=True)
    assert {"overview", "roll_rates", "vintages", "fpd30", "funnel",
            "concentration_branch"} <= set(wb.sheetnames)  # fmt: skip
    rows = list(wb["by_bucket"].iter_rows(values_only=True))
    assert ("M3", 1000.0) in rows  # 100,000 fen
    wrong = runner.invoke(app, ["portfolio", "report", "--out", str(tmp_path / "book.pdf")])
    assert wrong.exit_code == 2
    assert ".html or .xlsx" in wrong.output
