"""Campaign planning and its budget on a small bank of its own (SQLite and PostgreSQL): a campaign
is created with every part of its plan; a bad plan is refused with every problem and nothing
half-saved; an audience that is empty or lacks consent is refused with the counts; statuses move
only as allowed and a closed campaign refuses edits and expenses; expenses raise the 80 % and
100 % alerts once each (a NULL budget is the sum of the lines); alerts are acknowledged; a budget
line with expenses cannot be removed; every change is audited."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker
from tests import post_loan_site as site

from loanpilot.audit.models import AuditLog
from loanpilot.campaigns import models as cm
from loanpilot.campaigns import service, service_budget
from loanpilot.campaigns.rules import Problem
from loanpilot.campaigns.schemas import CampaignCreate, CampaignUpdate, ExpenseWrite
from loanpilot.customers.models_segments import (
    CustomerSegment,
    RunStatus,
    Segment,
    SegmentKind,
    SegmentRun,
)
from loanpilot.kit.errors import ConflictError, NotFoundError, ValidationError

NOW = datetime(2026, 9, 10, 2, tzinfo=UTC)
TODAY = date(2026, 9, 10)
ACTOR = service.Actor(None, "user:test")
PLAN_TABLES = (cm.Campaign, cm.CampaignGoal, cm.CampaignPlace, cm.CampaignWindow, cm.CampaignOffer,
               cm.CampaignSegment, cm.BudgetLine)  # fmt: skip


def build(session: Session) -> dict[str, int]:
    """A branch, a product, four company employees (two may be contacted, one without consent,
    one opted out) and a current rule segmentation: OK (the two who may be contacted), NOPE (the
    two who may not), EMPTY (no one)."""
    b = site.branch("B1", "一支行")
    p = site.consumer_product("P1")
    session.add_all([b, p])
    session.flush()
    people = [
        site.customer(f"C{i}", bytes([i]) * 16, home_branch_id=b.id, marketing_consent=consent,
                      opted_out_at=opted)
        for i, (consent, opted) in enumerate(
            [(True, None), (True, None), (False, None), (True, NOW)], start=1)
    ]  # fmt: skip
    session.add_all(people)
    run = SegmentRun(kind=SegmentKind.RULES, version=1, as_of=TODAY, status=RunStatus.DONE,
                     is_current=True, started_at=NOW, customers=4)  # fmt: skip
    session.add(run)
    session.flush()
    for code, members in (("OK", people[:2]), ("NOPE", people[2:]), ("EMPTY", [])):
        session.add(Segment(run_id=run.id, code=code, name_zh=code, name_en=code,
                            description_zh="", description_en="", size=len(members)))  # fmt: skip
        session.add_all([CustomerSegment(run_id=run.id, customer_id=c.id, segment_code=code)
                         for c in members])  # fmt: skip
    session.flush()
    return {"branch": b.id, "product": p.id, "run": run.id}


def body(ids: dict[str, int], **over: object) -> CampaignCreate:
    values: dict[str, object] = {
        "name": "2026 开学季", "theme": "青春梦想贷", "channel": "branch", "product_id": ids["product"],
        "starts_on": date(2026, 9, 1), "ends_on": date(2026, 9, 30), "control_share": Decimal("0.2"),
        "budget_fen": None,
        "goals": [{"metric": "applications", "target": 100}, {"metric": "approvals", "target": 60}],
        "places": [{"kind": "university", "name": "浙江大学", "starts_at": "2026-09-05T09:00",
                    "ends_at": "2026-09-05T17:00", "branch_id": ids["branch"]}],
        "windows": [{"label": "开学季", "starts_on": "2026-09-01", "ends_on": "2026-09-21"}],
        "arms": [{"arm": "A", "product_id": ids["product"], "channel": "branch", "headline_zh": "开学贷",
                  "share": "0.5"},
                 {"arm": "B", "product_id": ids["product"], "channel": "sms", "headline_zh": "开学贷短信",
                  "share": "0.5"}],
        "budget_lines": [{"category": "venue", "planned_fen": 40_000},
                         {"category": "promotion", "planned_fen": 60_000}],
        "segment_run_id": ids["run"], "segment_codes": ["OK", "NOPE"],
    }  # fmt: skip
    return CampaignCreate.model_validate(values | over)


def counts(s: Session) -> list[int]:
    return [int(s.scalar(select(func.count()).select_from(t)) or 0) for t in PLAN_TABLES]


def codes_of(exc: ValidationError) -> list[tuple[str, str]]:
    return [(p.field, p.code if isinstance(p, Problem) else "") for p in exc.problems]


def test_create_update_and_nothing_half_saved(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        ids = build(s)
        c = service.create_campaign(s, body(ids), actor=ACTOR, now=NOW)
        cid = c.id
        assert c.code == "CMP202609001"
        assert c.status is cm.CampaignStatus.PLANNED
        assert c.segment_run_id == ids["run"]
        assert counts(s) == [1, 2, 1, 1, 2, 2, 2]
        place = s.scalars(select(cm.CampaignPlace)).one()
        assert place.starts_at.astimezone(UTC) == datetime(
            2026, 9, 5, 1, tzinfo=UTC
        )  # 09:00 Shanghai
    with session_factory.begin() as s:
        before = counts(s)
        bad = body(ids, ends_on=date(2026, 8, 1), budget_fen=50_000, code="CMP202609001",
                   goals=[{"metric": "clicks", "target": 1}], segment_codes=["OK", "MISSING"])  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            service.create_campaign(s, bad, actor=ACTOR, now=NOW)
        assert {p.field for p in refused.value.problems} == {
            "code", "ends_on", "goals[0].metric", "budget_fen", "segment_codes"}  # fmt: skip
        assert counts(s) == before
        # an update that breaks the plan changes nothing either
        with pytest.raises(ValidationError) as refused:
            service.update_campaign(
                s, cid, CampaignUpdate(ends_on=date(2026, 9, 10)), actor=ACTOR, now=NOW
            )
        assert codes_of(refused.value) == [("windows[0].ends_on", "outside_campaign")]
        assert counts(s) == before
        update = CampaignUpdate.model_validate(
            {"name": "改名", "goals": [{"metric": "responses", "target": 5}], "budget_fen": 200_000}
        )
        changed = service.update_campaign(s, cid, update, actor=ACTOR, now=NOW)
        assert changed.name == "改名"
        assert changed.budget_fen == 200_000
        assert [g.metric for g in s.scalars(select(cm.CampaignGoal))] == ["responses"]
        assert counts(s)[3] == 1  # windows kept
        actions = s.scalars(select(AuditLog.action).where(AuditLog.entity == "campaign")).all()
        assert actions == ["campaign.create", "campaign.update"]


def test_an_audience_without_customers_or_consent(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        ids = build(s)
        with pytest.raises(ValidationError) as empty:
            service.create_campaign(s, body(ids, segment_codes=["EMPTY"]), actor=ACTOR, now=NOW)
        assert codes_of(empty.value) == [("segment_codes", "audience_empty")]
        with pytest.raises(ValidationError) as nope:
            service.create_campaign(s, body(ids, segment_codes=["NOPE"]), actor=ACTOR, now=NOW)
        assert nope.value.problems[0].message == (
            "none of the 2 customers in the chosen segments may be contacted: "
            "1 without marketing consent, 1 opted out, 0 blacklisted"
        )
        assert counts(s)[0] == 0
        # no segments and no list: the campaign may be planned, not approved
        bare = body(ids, segment_codes=[], segment_run_id=None)
        c = service.create_campaign(s, bare, actor=ACTOR, now=NOW)
        with pytest.raises(ValidationError):
            service.change_status(s, c.id, "approved", actor=ACTOR, now=NOW)
        ok = service.create_campaign(s, body(ids), actor=ACTOR, now=NOW)
        audience, codes, targets = service_budget.audience_of(s, ok)
        assert (audience.total, audience.contactable, codes, targets) == (4, 2, ["NOPE", "OK"], 0)
        approved = service.change_status(s, ok.id, "approved", actor=ACTOR, now=NOW)
        assert approved.status is cm.CampaignStatus.APPROVED


def test_statuses_and_a_closed_campaign(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        ids = build(s)
        cid = service.create_campaign(s, body(ids), actor=ACTOR, now=NOW).id
        with pytest.raises(ConflictError):
            service.change_status(s, cid, "running", actor=ACTOR, now=NOW)
        for step in ("approved", "running", "completed"):
            service.change_status(s, cid, step, actor=ACTOR, now=NOW)
        assert service.get_campaign(s, cid).closed_at is not None
        line = s.scalars(select(cm.BudgetLine)).first()
        assert line is not None
        spend = ExpenseWrite(budget_line_id=line.id, spent_on=TODAY, amount_fen=100)
        with pytest.raises(ConflictError) as closed:
            service_budget.record_expense(s, cid, spend, actor=ACTOR, now=NOW, today=TODAY)
        assert closed.value.code == "campaign.closed"
        with pytest.raises(ConflictError):
            service.update_campaign(s, cid, CampaignUpdate(name="x"), actor=ACTOR, now=NOW)
        with pytest.raises(ConflictError):
            service.change_status(s, cid, "cancelled", actor=ACTOR, now=NOW)
        with pytest.raises(NotFoundError):
            service.get_campaign(s, 999_999)


def test_expenses_raise_each_alert_once(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        ids = build(s)
        cid = service.create_campaign(s, body(ids), actor=ACTOR, now=NOW).id  # NULL budget: 100,000
        lines = {x.category.value: x.id for x in s.scalars(select(cm.BudgetLine))}

        def spend(line: str, fen: int) -> service_budget.ExpenseOutcome:
            expense = ExpenseWrite(
                budget_line_id=lines[line], spent_on=TODAY, amount_fen=fen, vendor="会展"
            )
            return service_budget.record_expense(s, cid, expense, actor=ACTOR, now=NOW, today=TODAY)

        assert spend("venue", 79_999).alerts == []
        first = spend("promotion", 1)
        assert [a.threshold_pct for a in first.alerts] == [80]
        assert (first.budget.budget_fen, first.budget.spent_fen, first.budget.level) == (
            100_000,
            80_000,
            "warn",
        )
        assert spend("promotion", 5_000).alerts == []
        over = spend("promotion", 30_000)
        assert [a.threshold_pct for a in over.alerts] == [100]
        assert over.budget.level == "over"
        assert spend("venue", 1).alerts == []
        alerts = s.scalars(select(cm.BudgetAlert).order_by(cm.BudgetAlert.threshold_pct)).all()
        assert [(a.threshold_pct, a.spent_fen, a.budget_fen) for a in alerts] == [
            (80, 80_000, 100_000), (100, 115_000, 100_000)]  # fmt: skip
        # bad expenses: every problem at once, nothing booked
        n = s.scalar(select(func.count()).select_from(cm.Expense))
        wrong = ExpenseWrite(budget_line_id=999_999, spent_on=date(2026, 9, 11), amount_fen=0)
        with pytest.raises(ValidationError) as bad:
            service_budget.record_expense(s, cid, wrong, actor=ACTOR, now=NOW, today=TODAY)
        assert {p.field for p in bad.value.problems} == {"budget_line_id", "amount_fen", "spent_on"}
        assert s.scalar(select(func.count()).select_from(cm.Expense)) == n
        # acknowledging, once
        done = service_budget.acknowledge_alert(s, cid, alerts[0].id, actor=ACTOR, now=NOW)
        assert done.acknowledged_at is not None
        with pytest.raises(ConflictError):
            service_budget.acknowledge_alert(s, cid, alerts[0].id, actor=ACTOR, now=NOW)
        with pytest.raises(NotFoundError):
            service_budget.acknowledge_alert(s, cid + 1, alerts[1].id, actor=ACTOR, now=NOW)
        # a line with expenses stays
        only = CampaignUpdate.model_validate(
            {"budget_lines": [{"category": "promotion", "planned_fen": 60_000}]}
        )
        with pytest.raises(ValidationError) as kept:
            service.update_campaign(s, cid, only, actor=ACTOR, now=NOW)
        assert codes_of(kept.value) == [("budget_lines", "line_has_expenses")]
        actions = s.scalars(select(AuditLog.action).where(AuditLog.entity == "campaign")).all()
        assert actions.count("campaign.expense") == 5
        assert "campaign.alert_acknowledge" in actions


def _campaign_with_lines(session_factory: sessionmaker[Session]) -> tuple[int, dict[str, int]]:
    with session_factory.begin() as s:
        ids = build(s)
        cid = service.create_campaign(s, body(ids), actor=ACTOR, now=NOW).id  # NULL budget: 100,000
        lines = {x.category.value: x.id for x in s.scalars(select(cm.BudgetLine))}
    return cid, lines


def test_an_expense_committed_meanwhile_counts_towards_the_crossing(
    session_factory: sessionmaker[Session],
) -> None:
    """Another expense is committed after this one has read the budget and before it is written
    (a second request at the same moment): the total is read again after the write, so this
    expense sees 60,000 + 60,000 and raises both alerts, with the fresh total."""
    cid, lines = _campaign_with_lines(session_factory)
    s = session_factory()
    committed: list[int] = []

    @event.listens_for(s, "before_flush")
    def _meanwhile(*_args: object) -> None:
        if committed:
            return
        with session_factory.begin() as other:  # committed before ours is written
            row = cm.Expense(budget_line_id=lines["venue"], spent_on=TODAY, amount_fen=60_000,
                             recorded_at=NOW)  # fmt: skip
            other.add(row)
            other.flush()
            committed.append(row.id)

    try:
        ours = ExpenseWrite(budget_line_id=lines["promotion"], spent_on=TODAY, amount_fen=60_000)
        outcome = service_budget.record_expense(s, cid, ours, actor=ACTOR, now=NOW, today=TODAY)
        s.commit()
    finally:
        s.close()
    assert committed
    assert outcome.budget.spent_fen == 120_000
    assert [a.threshold_pct for a in outcome.alerts] == [80, 100]
    with session_factory() as check:
        alerts = check.scalars(select(cm.BudgetAlert).order_by(cm.BudgetAlert.threshold_pct)).all()
        assert [(a.threshold_pct, a.spent_fen) for a in alerts] == [(80, 120_000), (100, 120_000)]


def test_two_concurrent_expenses_raise_each_alert_once(
    session_factory: sessionmaker[Session],
) -> None:
    """Two requests book 60 % of the budget at the same moment, each in its own transaction and
    thread: whichever writes second sees the first's spend, so 80 % and 100 % are each raised
    exactly once (never missed, never twice)."""
    cid, lines = _campaign_with_lines(session_factory)
    start = threading.Barrier(2)
    outcomes: list[service_budget.ExpenseOutcome] = []
    failures: list[BaseException] = []

    def book(line: str) -> None:
        try:
            start.wait(timeout=10)
            with session_factory.begin() as s:
                spend = ExpenseWrite(budget_line_id=lines[line], spent_on=TODAY, amount_fen=60_000)
                outcomes.append(
                    service_budget.record_expense(s, cid, spend, actor=ACTOR, now=NOW, today=TODAY)
                )
        except Exception as exc:  # noqa: BLE001  (reported by the main thread)
            failures.append(exc)

    threads = [threading.Thread(target=book, args=(line,)) for line in ("venue", "promotion")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures, failures
    raised = sorted(a.threshold_pct for o in outcomes for a in o.alerts)
    assert raised == [80, 100]
    assert sorted(o.budget.spent_fen for o in outcomes) == [60_000, 120_000]
    with session_factory() as check:
        alerts = check.scalars(select(cm.BudgetAlert).order_by(cm.BudgetAlert.threshold_pct)).all()
        assert [(a.threshold_pct, a.spent_fen) for a in alerts] == [(80, 120_000), (100, 120_000)]


def test_suggested_windows_follow_the_segments(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        ids = build(s)  # four company employees
        sept = (date(2026, 9, 1), date(2026, 9, 30))
        got = service_budget.suggest_windows(s, ids["run"], ["OK", "NOPE"], *sept)
        assert [w.suggestion for w in got] == ["office_workers"]
        got = service_budget.suggest_windows(s, ids["run"], ["OK"], *sept, ["students"])
        assert [w.suggestion for w in got] == ["office_workers", "term_start", "students"]
