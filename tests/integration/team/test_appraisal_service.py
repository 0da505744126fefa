"""Appraisal end to end on a small hand-made bank: plans and versions, ratings (scope, scale, all or
nothing), a run with totals and ranks worked by hand, scope of the results."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.access.rules import Principal, ScopeKind
from loanpilot.audit.models import AuditLog
from loanpilot.kit.errors import ConflictError, PermissionDeniedError, ValidationError
from loanpilot.team import appraisal_plans as plans
from loanpilot.team import appraisal_ratings as ratings
from loanpilot.team import appraisal_runs as runs
from loanpilot.team import repository_appraisal as repo
from loanpilot.team.appraisal_schemas import IndicatorWrite, PlanCreate, PlanUpdate, RatingWrite
from loanpilot.team.models import Branch, BranchLevel, Role, Staff, StaffStatus
from loanpilot.team.models_appraisal import AppraisalPlan

D = Decimal
NOW = datetime(2026, 10, 8, 2, 0, tzinfo=UTC)
ACTOR = plans.Actor(None, "test")


def _bank(session: Session) -> dict[str, int]:
    def branch(code: str, level: BranchLevel, parent: int | None) -> int:
        b = Branch(code=code, name=code, level=level, parent_id=parent, province="浙江省",
                   city="杭州市")  # fmt: skip
        session.add(b)
        session.flush()
        return b.id

    ho = branch("HO", BranchLevel.HEAD_OFFICE, None)
    br1 = branch("BR01", BranchLevel.BRANCH, ho)
    sub = branch("BR0101", BranchLevel.SUB_BRANCH, br1)
    br2 = branch("BR02", BranchLevel.BRANCH, ho)
    ids = {"HO": ho, "BR01": br1, "BR0101": sub, "BR02": br2}
    people = [("E1", Role.CUSTOMER_MANAGER, sub, StaffStatus.ACTIVE),
              ("E2", Role.CUSTOMER_MANAGER, br1, StaffStatus.ACTIVE),
              ("E3", Role.CUSTOMER_MANAGER, br2, StaffStatus.ACTIVE),
              ("E4", Role.CUSTOMER_MANAGER, sub, StaffStatus.LEFT),
              ("H1", Role.BRANCH_HEAD, br1, StaffStatus.ACTIVE),
              ("M1", Role.MARKETING_MANAGER, ho, StaffStatus.ACTIVE)]  # fmt: skip
    for no, role, branch_id, status in people:
        s = Staff(employee_no=no, name=f"员工{no}", gender="F", role=role, branch_id=branch_id,
                  hired_on=date(2025, 1, 1), status=status)  # fmt: skip
        session.add(s)
        session.flush()
        ids[no] = s.id
    return ids


def _principal(ids: dict[str, int], who: str) -> Principal:
    head = who == "H1"
    return Principal(
        account_id=1, staff_id=ids[who], username=who, name=who,
        role=Role.BRANCH_HEAD if head else Role.MARKETING_MANAGER,
        branch_id=ids["BR01"] if head else ids["HO"],
        branch_ids=frozenset({ids["BR01"], ids["BR0101"]}) if head else frozenset(ids.values()),
        permissions=frozenset(), scope=ScopeKind.BRANCH if head else ScopeKind.ALL, via="session",
    )  # fmt: skip


def _indicators(weights: tuple[int, int, int] = (50, 30, 20)) -> list[IndicatorWrite]:
    return [
        IndicatorWrite(code="new_customers", name="新增客户数", kind="quantitative",
                       weight_pct=D(weights[0]), target=D(10), curve="linear"),
        IndicatorWrite(code="teamwork", name="团队协作", kind="qualitative",
                       weight_pct=D(weights[1]), curve="rating"),
        IndicatorWrite(code="innovation", name="创新能力", kind="qualitative",
                       weight_pct=D(weights[2]), curve="rating", scale_min=D(1), scale_max=D(5)),
    ]  # fmt: skip


@pytest.fixture
def bank(session_factory: sessionmaker[Session]) -> tuple[Session, dict[str, int], AppraisalPlan]:
    session = session_factory()
    ids = _bank(session)
    plan = plans.create_plan(
        session,
        PlanCreate(name="Q3 客户经理", role="customer_manager", period="2026q3",
                   indicators=_indicators()),
        actor=ACTOR, now=NOW,
    )  # fmt: skip
    session.commit()
    yield session, ids, plan
    session.close()


def test_plans_refuse_bad_weights_and_duplicates(bank: tuple[Session, dict[str, int], AppraisalPlan]) -> None:  # fmt: skip
    session, _ids, plan = bank
    assert (plan.period, plan.version, plan.status) == ("2026Q3", 1, "active")
    with pytest.raises(ValidationError) as refused:
        plans.update_plan(session, plan.id, PlanUpdate(name="x", indicators=_indicators((50, 30, 10))),
                          actor=ACTOR, now=NOW)  # fmt: skip
    assert [p.field for p in refused.value.problems] == ["weights"]
    assert "90 %" in refused.value.problems[0].message
    session.rollback()
    with pytest.raises(ConflictError):
        plans.create_plan(session, PlanCreate(name="again", role="customer_manager",
                                              period="2026Q3", indicators=_indicators()),
                          actor=ACTOR, now=NOW)  # fmt: skip


def test_ratings_run_ranks_and_versions(bank: tuple[Session, dict[str, int], AppraisalPlan]) -> None:  # fmt: skip
    session, ids, plan = bank
    head, marketing = _principal(ids, "H1"), _principal(ids, "M1")
    assert [m.employee_no for m in ratings.rateable(session, head, plan)] == ["E1", "E2"]
    bad = [RatingWrite(staff_id=ids["E1"], indicator_code="innovation", rating=D(6)),
           RatingWrite(staff_id=ids["E3"], indicator_code="teamwork", rating=D(80)),
           RatingWrite(staff_id=ids["E1"], indicator_code="new_customers", rating=D(80))]  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        ratings.save_ratings(session, plan.id, bad, principal=head, actor=ACTOR, now=NOW)
    assert {(p.field, p.code) for p in refused.value.problems} == {  # type: ignore[attr-defined]
        ("ratings[0].rating", "rating_range"), ("ratings[1].staff_id", "not_yours"),
        ("ratings[2].indicator_code", "rating_not_qualitative"),
    }  # fmt: skip
    session.rollback()
    assert repo.ratings(session, "2026Q3") == []
    ratings.save_ratings(session, plan.id, [
        RatingWrite(staff_id=ids["E1"], indicator_code="teamwork", rating=D(90)),
        RatingWrite(staff_id=ids["E1"], indicator_code="innovation", rating=D(5)),
        RatingWrite(staff_id=ids["E2"], indicator_code="teamwork", rating=D(70)),
        RatingWrite(staff_id=ids["E2"], indicator_code="innovation", rating=D(3)),
    ], principal=head, actor=ACTOR, now=NOW)  # fmt: skip
    ratings.save_ratings(session, plan.id, [
        RatingWrite(staff_id=ids["E3"], indicator_code="teamwork", rating=D(90)),
        RatingWrite(staff_id=ids["E3"], indicator_code="innovation", rating=D(5)),
    ], principal=marketing, actor=ACTOR, now=NOW)  # fmt: skip
    audited = select(func.count(AuditLog.id)).where(AuditLog.action == "appraisal.rate")
    assert session.execute(audited).scalar_one() == 6

    # new_customers has no KPI value (no loans): missing → 80 × 0.5 = 40.
    # E1: 40 + 90 × 0.3 + 100 × 0.2 = 87.00; E2: 40 + 21 + 50 × 0.2 = 71.00; E3: 87.00.
    run = runs.run_plan(session, plan.id, group_rule="branch", actor=ACTOR, now=NOW,
                        today=date(2026, 10, 8))  # fmt: skip
    got = {s.employee_no: (s.total, s.rank, s.group_size, s.group_key)
           for s in runs.visible_scores(session, run.id, runs.Scope())}  # fmt: skip
    assert got == {"E1": (D("87.00"), 1, 2, "BR01"), "E2": (D("71.00"), 2, 2, "BR01"),
                   "E3": (D("87.00"), 1, 1, "BR02")}  # fmt: skip
    bank_run = runs.run_plan(session, plan.id, group_rule="bank", actor=ACTOR, now=NOW)
    ranked = {
        s.employee_no: s.rank for s in runs.visible_scores(session, bank_run.id, runs.Scope())
    }
    assert ranked == {"E1": 1, "E3": 1, "E2": 3}  # ties share a rank; the next skips

    seen = runs.visible_scores(session, run.id, runs.scope_of(head))
    assert sorted(s.employee_no for s in seen) == ["E1", "E2"]
    with pytest.raises(PermissionDeniedError):
        runs.explanation(session, run.id, ids["E3"], runs.scope_of(head))
    _r, _p, score, lines = runs.explanation(session, run.id, ids["E2"], runs.scope_of(head))
    assert [(x.line.indicator.code, x.line.score, x.line.weighted, x.line.missing) for x in lines] == [
        ("new_customers", D("80.00"), D("40.00"), True),
        ("teamwork", D("70.00"), D("21.00"), False),
        ("innovation", D("50.00"), D("10.00"), False),
    ]  # fmt: skip
    assert lines[1].rater == "员工H1"
    assert "评分人：员工H1" in lines[1].text_zh

    # editing a plan with runs makes version 2; the old run still explains itself with version 1
    v2 = plans.update_plan(session, plan.id, PlanUpdate(name="Q3 v2", indicators=_indicators((40, 40, 20))),
                           actor=ACTOR, now=NOW)  # fmt: skip
    assert v2.id != plan.id
    assert v2.version == 2
    assert v2.previous_id == plan.id
    assert plans.get_plan(session, plan.id).status == "superseded"
    with pytest.raises(ConflictError):
        runs.run_plan(session, plan.id, actor=ACTOR, now=NOW)
    _r, old_plan, _s, old_lines = runs.explanation(session, run.id, ids["E1"], runs.Scope())
    assert old_plan.version == 1
    assert old_lines[0].line.indicator.weight == D("0.5")
    rerun = runs.run_plan(session, v2.id, actor=ACTOR, now=NOW)  # ratings carry over to v2
    new = {s.employee_no: s.total for s in runs.visible_scores(session, rerun.id, runs.Scope())}
    assert new["E1"] == D("88.00")  # 32 + 36 + 20
    assert score.total == D("71.00")
