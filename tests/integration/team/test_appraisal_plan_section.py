"""The team chapter of the work plan on the (read-only) demo bank: every number sourced, the
paragraphs' placeholders all figures, and the appraisal figures agreeing with the runs."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session
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
