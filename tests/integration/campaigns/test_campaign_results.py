"""Campaign results on a demo bank with arms and A/B tests (built here with the campaign-arms
step, SQLite): the funnel and arms against direct counts, the attribution rule re-implemented
row by row, lift and ROI from the rules, lead attribution by campaign id and UTM code, referral
credit, the HTML / JSON report and the CLI command."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
import typer
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from tests.results_bank import generate_before_arms
from typer.testing import CliRunner

from loanpilot.campaigns import results
from loanpilot.campaigns.cli_report import credit_referrals, report
from loanpilot.campaigns.models import BudgetLine, Campaign, CampaignTarget, Expense
from loanpilot.campaigns.report import render_report
from loanpilot.campaigns.results_rules import newcombe_interval
from loanpilot.channels import attribution
from loanpilot.channels.models import Lead
from loanpilot.db.session import make_engine
from loanpilot.demo.builder import write
from loanpilot.demo.campaign_arms import campaign_arms
from loanpilot.kit.clock import SHANGHAI
from loanpilot.lending.models import Application


@pytest.fixture(scope="module")
def bank(tmp_path_factory, migrated_sqlite):
    ctx = generate_before_arms(1_500, 7, date(2026, 11, 29))
    campaign_arms(ctx)
    url = migrated_sqlite(tmp_path_factory.mktemp("results") / "bank.db")
    engine = make_engine(url)
    write(engine, ctx)
    yield url, engine
    engine.dispose()


def _ab(session: Session) -> Campaign:
    return session.scalars(select(Campaign).where(Campaign.code.like("%AB01"))).one()


def _attributed(session: Session, c: Campaign, t: CampaignTarget) -> Application | None:
    """The attribution rule, one target at a time."""
    if t.application_id:
        return session.get(Application, t.application_id)
    apps = session.scalars(
        select(Application)
        .where(Application.customer_id == t.customer_id, Application.status != "draft")
        .order_by(Application.submitted_at, Application.id)
    ).all()
    tagged = [a for a in apps if a.campaign_id == c.id]
    if tagged:
        return tagged[0]
    start = datetime.combine(c.starts_on, time(), tzinfo=SHANGHAI).astimezone(UTC)
    end = datetime.combine(c.ends_on + timedelta(days=31), time(), tzinfo=SHANGHAI).astimezone(UTC)
    inside = [a for a in apps if a.submitted_at and start <= a.submitted_at < end]
    return inside[0] if inside else None


@pytest.mark.parametrize("which", ["ab", "first"])
def test_funnel_and_arms_match_direct_counts(bank, which) -> None:
    _, engine = bank
    with Session(engine) as s:
        c = _ab(s) if which == "ab" else s.get(Campaign, 1)
        r = results.campaign_results(s, c.code)
        targets = s.scalars(select(CampaignTarget).where(CampaignTarget.campaign_id == c.id)).all()
        for group, counts in (("treatment", r.treatment), ("control", r.control)):
            mine = [t for t in targets if t.group == group]
            assert counts.targeted == len(mine)
            assert counts.contacted == sum(t.contacted_at is not None for t in mine)
            assert counts.responded == sum(t.responded for t in mine)
            apps = [_attributed(s, c, t) for t in mine]
            assert counts.applied == sum(a is not None for a in apps)
            assert counts.disbursed == sum(a is not None and a.status == "disbursed" for a in apps)
        assert r.control.contacted == 0
        responded = next(x for x in r.lifts if x.stage == "responded")
        assert responded.lift == newcombe_interval(
            r.treatment.responded, r.treatment.targeted, r.control.responded, r.control.targeted
        )
        spent = s.scalar(
            select(func.coalesce(func.sum(Expense.amount_fen), 0))
            .join(BudgetLine, BudgetLine.id == Expense.budget_line_id)
            .where(BudgetLine.campaign_id == c.id)
        )
        assert r.budget.spent_fen == spent == r.roi.cost_fen
        by_arm = {a.arm: a for a in r.arms}
        for arm in {t.arm for t in targets if t.arm}:
            assert by_arm[arm].targeted == sum(t.arm == arm for t in targets)
            assert by_arm[arm].responded == sum(t.arm == arm and t.responded for t in targets)
        if which == "ab":
            assert [t.measure for t in r.ab_tests] == ["responded", "applied"]
            test = r.ab_tests[0].result
            assert (test.arm_a, test.arm_b) == ("A", "B")
            assert test.trials_a == by_arm["A"].targeted
        else:
            assert r.ab_tests == []


def test_leads_are_attributed_by_campaign_id_and_by_utm_code(bank) -> None:
    _, engine = bank
    with Session(engine) as s:
        c = _ab(s)
        expected = s.scalar(select(func.count()).select_from(Lead).where(Lead.campaign_id == c.id))
        a = results.campaign_attribution(s, c.id)
        assert a.leads == expected > 0
        assert a.by["utm"][0]["key"] == "app / push"
        # a tagged lead with the code and no campaign id counts; an unknown code is kept as a tag
        now = datetime(2026, 11, 29, 3, tzinfo=UTC)
        for no, code in (("LTEST1", c.code), ("LTEST2", "NO-SUCH-CODE")):
            s.add(Lead(lead_no=no, name="x", source_channel="online", received_at=now,
                       utm_source="baidu", utm_medium="cpc", utm_campaign=code))  # fmt: skip
        s.flush()
        assert results.campaign_attribution(s, c.id).leads == expected + 1
        across = results.leads_attribution(s)
        keys = {row["key"]: row["leads"] for row in across.by["campaign"]}
        assert keys["NO-SUCH-CODE"] == 1
        s.rollback()


def test_referrers_are_credited_once_for_disbursed_referred_leads(bank) -> None:
    _, engine = bank
    with Session(engine) as s:
        now = datetime(2026, 11, 29, 3, tzinfo=UTC)
        expected = s.scalar(
            select(func.count(func.distinct(Lead.id)))
            .join(Application, Application.lead_id == Lead.id)
            .where(
                Application.status == "disbursed",
                Lead.referrer_customer_id.is_not(None) | Lead.referrer_staff_id.is_not(None),
            )
        )
        assert expected > 0
        assert attribution.credit_referrals(s, now=now) == expected
        assert attribution.credit_referrals(s, now=now) == 0
        total = results.leads_attribution(s)
        credited = s.scalar(
            select(func.count())
            .select_from(Lead)
            .where(Lead.credited_at.is_not(None), Lead.campaign_id.is_not(None))
        )
        assert total.referrals_credited == credited
        s.rollback()


def test_the_report_in_both_languages(bank) -> None:
    _, engine = bank
    with Session(engine) as s:
        r = results.campaign_results(s, _ab(s).id)
    zh, en = render_report(r, "zh"), render_report(r, "en")
    assert "营销活动效果报告" in zh
    assert "A/B 测试" in zh
    assert "<svg" in zh
    assert "Campaign results report" in en
    assert "Fisher" in en or "z-test" in en
    assert "<script" not in zh + en
    assert json.loads(json.dumps(r.as_dict()))["campaign"]["code"] == r.campaign.code


def test_unknown_campaign_is_not_found(bank) -> None:
    from loanpilot.kit.errors import NotFoundError

    _, engine = bank
    with Session(engine) as s, pytest.raises(NotFoundError, match="NOPE"):
        results.campaign_results(s, "NOPE")


def test_the_cli_writes_html_and_json(bank, tmp_path, monkeypatch) -> None:
    url, engine = bank
    monkeypatch.setenv("LOANPILOT_DATABASE_URL", url)
    app = typer.Typer()
    app.command("report")(report)
    app.command("other")(lambda: None)
    runner = CliRunner()
    with Session(engine) as s:
        code = _ab(s).code
    out = tmp_path / "r.html"
    done = runner.invoke(app, ["report", code, "--out", str(out), "--lang", "en"])
    assert done.exit_code == 0, done.output
    assert "Campaign results report" in out.read_text(encoding="utf-8")
    done = runner.invoke(app, ["report", "1", "--format", "json"])
    assert done.exit_code == 0
    assert json.loads(done.stdout)["campaign"]["id"] == 1
    assert runner.invoke(app, ["report", "NOPE"]).exit_code == 1
    assert runner.invoke(app, ["report", "1", "--lang", "fr"]).exit_code == 2


def test_the_credit_command_commits_once(bank, monkeypatch) -> None:
    url, engine = bank
    monkeypatch.setenv("LOANPILOT_DATABASE_URL", url)
    app = typer.Typer()
    app.command("credit-referrals")(credit_referrals)
    app.command("other")(lambda: None)
    runner = CliRunner()
    first = runner.invoke(app, ["credit-referrals"])
    assert first.exit_code == 0, first.output
    with Session(engine) as s:
        credited = s.scalar(
            select(func.count()).select_from(Lead).where(Lead.credited_at.is_not(None))
        )
    assert credited > 0
    assert f"credited {credited} referrers" in first.stdout
    assert "credited 0 referrers" in runner.invoke(app, ["credit-referrals"]).stdout
    with Session(engine) as s, s.begin():  # leave the module's bank as it was
        s.execute(update(Lead).values(credited_at=None, referrer_credit_fen=None))
