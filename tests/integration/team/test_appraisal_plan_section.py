"""The team chapter of the work plan on the (read-only) demo bank: every number sourced, the
paragraphs' placeholders all figures, and the appraisal figures agreeing with the runs."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import DemoBank

from loanpilot.kit.periods import parse_period
from loanpilot.team import appraisal_runs as runs
from loanpilot.team import repository_appraisal as repo
from loanpilot.team.plan_section import plan_section

AS_OF = date(2026, 11, 29)


def test_team_chapter(demo_bank: DemoBank) -> None:
    with Session(demo_bank.engine) as session:
        section = plan_section(session, parse_period("2026Q3"), AS_OF)
        latest = repo.latest_runs_of_period(session, "2026Q3")
        totals = [
            s.total for r, _p in latest for s in runs.visible_scores(session, r.id, runs.Scope())
        ]
        empty = plan_section(session, parse_period("2031Q1"), AS_OF)
    assert section.key == "team"
    assert section.title_zh == "营销团队"
    figures = {f.key: f for f in section.figures}
    assert all(f.source for f in section.figures)
    assert all(t.source for t in section.tables)
    assert all(c.source for c in section.charts)
    for text in (*section.paragraphs_zh, *section.paragraphs_en):
        assert set(re.findall(r"\{(\w+)\}", text)) <= set(figures)
    assert len(latest) == 3  # one run per sales role
    assert figures["appraised"].value == len(totals)
    assert figures["below_80"].value == sum(1 for t in totals if t < 80)
    staff_table = section.tables[0]
    assert sum(int(str(row[-1])) for row in staff_table.rows) == figures["headcount"].value
    assert figures["on"].value == "2026-09-30"  # staff on the books at the period's end
    assert "2026-09-30" in figures["headcount"].source
    chart = section.charts[0]
    assert sum(int(str(v)) for s in chart.series for v in s.values) == len(totals)
    top = section.tables[1]
    assert top.rows
    assert all(1 <= int(str(row[2])) <= 5 for row in top.rows)
    assert empty.notes
    assert not empty.charts
    assert len(empty.paragraphs_zh) == 1


def test_share_below_target_keeps_its_shown_precision() -> None:
    """The share is shown as a per cent with two decimals, so it is kept to 0.01 %: 10 of 21 is
    47.62 %, not a fraction rounded to 0.48 and shown as "48.00%"."""
    from loanpilot.evaluation.plan_render import format_value
    from loanpilot.team.plan_section import share

    assert share(10, 21) == Decimal("0.4762")
    assert format_value(share(10, 21), "pct", "zh") == "47.62%"
    assert format_value(share(1, 44), "pct", "zh") == "2.27%"
    assert share(50, 50) == 1


def test_team_chapter_shares_below_target(demo_bank: DemoBank) -> None:
    with Session(demo_bank.engine) as session:
        section = plan_section(session, parse_period("2026Q3"), AS_OF)
    below = next(t for t in section.tables if t.title_en.startswith("Indicator lines below"))
    assert below.rows
    for _role, _name, n_below, n_scored, shown in below.rows:
        exact = Decimal(int(str(n_below))) / int(str(n_scored))
        assert abs(Decimal(str(shown)) - exact) <= Decimal("0.00005")


def test_headcount_counts_the_staff_on_the_books_at_the_period_end(
    session_factory: sessionmaker[Session],
) -> None:
    """A past period's headcount is who was on staff at its end, not who is active today: a
    hire after the end is left out, a leaver whose record changed after it is counted, one who
    left before it is not; with no day given, today's active staff."""
    from datetime import UTC, datetime

    from loanpilot.team import appraisal_report_sql as sql
    from loanpilot.team.models import Branch, BranchLevel, Role, Staff, StaffStatus

    end = date(2026, 9, 30)
    with session_factory() as session:
        branch = Branch(code="B1", name="测试支行", level=BranchLevel.SUB_BRANCH,
                        province="浙江", city="杭州", city_tier=1)  # fmt: skip
        session.add(branch)
        session.flush()
        cm, sc = Role.CUSTOMER_MANAGER, Role.SALES_CONSULTANT
        after = datetime(2026, 10, 15, 2, 0, tzinfo=UTC)
        before = datetime(2026, 9, 10, 2, 0, tzinfo=UTC)
        last_evening = datetime(2026, 9, 30, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai on the 30th
        rows = [  # (no, role, hired, status, record last changed)
            ("E1", cm, date(2020, 1, 1), StaffStatus.ACTIVE, None),
            ("E2", cm, date(2026, 9, 30), StaffStatus.ACTIVE, None),  # hired on the last day
            ("E3", cm, date(2026, 10, 8), StaffStatus.ACTIVE, None),  # hired after the end
            ("E4", sc, date(2019, 5, 1), StaffStatus.LEFT, after),  # left after: counted
            ("E5", sc, date(2019, 5, 1), StaffStatus.LEFT, before),  # left before: not
            ("E6", sc, date(2019, 5, 1), StaffStatus.ON_LEAVE, last_evening),  # still that day
        ]
        for no, role, hired, status, changed in rows:
            extra = {"updated_at": changed} if changed else {}
            session.add(Staff(employee_no=no, name=no, gender="F", role=role, branch_id=branch.id,
                              hired_on=hired, status=status, **extra))  # fmt: skip
        session.flush()
        at_end = {(role, n) for _c, _b, role, n in sql.headcount(session, end)}
        today = {(role, n) for _c, _b, role, n in sql.headcount(session)}
        session.rollback()
    assert at_end == {("customer_manager", 2), ("sales_consultant", 1)}
    assert today == {("customer_manager", 3)}
