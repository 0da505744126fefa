"""Early warning and post-loan monitoring on a small book (SQLite and PostgreSQL): an overdue rate
rising at one branch raises one alert even when evaluated twice; an LPR change is signalled;
purpose-of-funds checks are sampled deterministically (a large loan always); large loans get their
periodic review; behavioural scores are refreshed once a month; the alert workflow and a misuse
finding; what a branch head and a customer manager see of alerts and tasks (their scope)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests import post_loan_site as site

from loanpilot.access.rules import DEFAULT_MATRIX, Principal, ScopeKind, scope_for
from loanpilot.audit.models import AuditLog
from loanpilot.kit.errors import ConflictError, PermissionDeniedError, ValidationError
from loanpilot.lending.models import Loan
from loanpilot.products.models import LprRate, LprTerm
from loanpilot.risk import monitoring, warnings
from loanpilot.risk import repository_warnings as repo
from loanpilot.risk.models import AlertStatus, DelinquencySnapshot, DpdBucket, FiveClass, RiskAlert
from loanpilot.risk.models_post import BehaviourScore, MonitoringTask, TaskKind, WarningRule
from loanpilot.risk.warnings_digest import daily_digest
from loanpilot.team.models import Branch, BranchLevel, Role, Staff

AS_OF = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 10, tzinfo=UTC)
MONTH_ENDS = [date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 31)]


def build(session: Session) -> dict[str, int]:
    """Two branches of ten ¥100,000 loans each; at B1 the overdue loans grow 1 → 2 → 3 over the
    month-ends (10 % → 20 % → 30 %), at B2 none. Two loans disbursed two days ago (one of
    ¥1,200,000), a 5-year LPR cut effective yesterday."""
    b1 = site.branch("B1", "一支行", level=BranchLevel.SUB_BRANCH)
    b2 = site.branch("B2", "二支行", level=BranchLevel.SUB_BRANCH)
    product = site.consumer_product("P1", max_amount_fen=500_000_000)
    session.add_all([b1, b2, product])
    session.flush()
    staff = {
        role: Staff(
            employee_no=f"E{i}",
            name=f"员工{i}",
            gender="M",
            role=role,
            branch_id=branch.id,
            hired_on=date(2020, 1, 1),
        )
        for i, (role, branch) in enumerate(
            [(Role.RISK_OFFICER, b2), (Role.BRANCH_HEAD, b1), (Role.CUSTOMER_MANAGER, b1)]
        )
    }
    session.add_all(staff.values())
    customer = site.customer(
        "C1", b"h" * 16, birth_date=date(1990, 1, 1), monthly_income_fen=2_000_000
    )
    session.add(customer)
    session.flush()

    def loan(no: str, branch: Branch, principal: int, disbursed: date) -> Loan:
        row = site.loan(
            no, principal_fen=principal, term_months=36, customer_id=customer.id,
            product_id=product.id, branch_id=branch.id, manager_id=staff[Role.CUSTOMER_MANAGER].id,
            disbursed_on=disbursed, first_due_on=disbursed + timedelta(days=30),
            maturity_on=disbursed + timedelta(days=1100),
        )  # fmt: skip
        session.add(row)
        return row

    book = [
        loan(f"L{b.code}{i}", b, 10_000_000, date(2025, 1, 10)) for b in (b1, b2) for i in range(10)
    ]
    loan("LNEW1", b2, 120_000_000, AS_OF - timedelta(days=2))
    loan("LNEW2", b2, 2_000_000, AS_OF - timedelta(days=2))
    loan("LBIG", b1, 150_000_000, date(2026, 6, 10))  # review due 2026-12-10
    session.flush()
    for k, day in enumerate(MONTH_ENDS):
        for i, row in enumerate(book):
            late = row.branch_id == b1.id and i <= k
            session.add(DelinquencySnapshot(
                loan_id=row.id, as_of=day, dpd=5 if late else 0,
                bucket=DpdBucket.M1 if late else DpdBucket.M0, outstanding_principal_fen=10_000_000,
                overdue_principal_fen=100_000 if late else 0, overdue_interest_fen=0,
                five_class=FiveClass.SPECIAL_MENTION if late else FiveClass.NORMAL,
            ))  # fmt: skip
    session.add_all([
        LprRate(effective_on=date(2025, 5, 20), term=LprTerm.OVER_FIVE_YEARS, rate=Decimal("0.035")),
        LprRate(effective_on=AS_OF - timedelta(days=1), term=LprTerm.OVER_FIVE_YEARS, rate=Decimal("0.034")),
        LprRate(effective_on=date(2025, 5, 20), term=LprTerm.ONE_YEAR, rate=Decimal("0.030")),
    ])  # fmt: skip
    session.flush()
    return {"head": staff[Role.BRANCH_HEAD].id, "risk": staff[Role.RISK_OFFICER].id,
            "manager": staff[Role.CUSTOMER_MANAGER].id, "b1": b1.id, "b2": b2.id}  # fmt: skip


@pytest.fixture
def book(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with session_factory() as s, s.begin():
        return build(s)


def close(
    session_factory: sessionmaker[Session], day: date = AS_OF
) -> tuple[dict[str, int], dict[str, int]]:
    with session_factory() as s, s.begin():
        return monitoring.after_close(s, day, NOW), warnings.after_close(s, day, NOW)


def test_a_rising_overdue_rate_raises_one_alert_even_run_twice(
    session_factory: sessionmaker[Session], book: dict[str, int]
) -> None:
    _, first = close(session_factory)
    _, second = close(session_factory)
    assert first["rules_seeded"] == 7
    assert second["rules_seeded"] == 0
    assert first["raised"] >= 2
    assert second["raised"] == 0
    with session_factory() as s:
        alerts = {a.rule_code: a for a in s.scalars(select(RiskAlert))}
        assert s.scalar(select(func.count(WarningRule.id))) == 7
    branch = alerts["branch_m1plus_rate_high"]
    assert (branch.dimension, branch.dimension_value) == ("branch", "B1")
    assert branch.value == Decimal("0.3")
    assert branch.threshold == Decimal("0.05")
    assert branch.owner_id == book["head"]  # the branch's own head
    assert branch.due_on == AS_OF + timedelta(days=14)
    assert branch.status is AlertStatus.OPEN
    assert branch.alert_no == f"RA{AS_OF:%Y%m%d}" + branch.alert_no[-5:]
    assert branch.detail is not None
    expected = [[d.isoformat(), v] for d, v in zip(MONTH_ENDS, (0.1, 0.2, 0.3), strict=True)]
    assert branch.detail["series"] == expected
    assert "B1" in branch.detail["explain_zh"]
    assert branch.detail["contingency_en"]
    # the whole bank's overdue rate 15 % > 3 %, owned by the risk officer
    assert alerts["portfolio_m1plus_rate_high"].value == Decimal("0.15")
    assert alerts["portfolio_m1plus_rate_high"].owner_id == book["risk"]


def test_lpr_change_is_signalled(
    session_factory: sessionmaker[Session], book: dict[str, int]
) -> None:
    close(session_factory)
    with session_factory() as s:
        lpr = s.scalars(select(RiskAlert).where(RiskAlert.rule_code == "market_lpr_change")).all()
    assert [(a.dimension_value, a.value) for a in lpr] == [("LPR5Y", Decimal(10))]
    # four days later the change is outside the rule's 3-day window: nothing new
    close(session_factory, AS_OF + timedelta(days=4))
    with session_factory() as s:
        assert (
            s.scalar(
                select(func.count(RiskAlert.id)).where(RiskAlert.rule_code == "market_lpr_change")
            )
            == 1
        )


def test_tasks_are_sampled_deterministically(
    session_factory: sessionmaker[Session], book: dict[str, int]
) -> None:
    first, _ = close(session_factory)
    second, _ = close(session_factory)
    nxt, _ = close(session_factory, AS_OF + timedelta(days=1))
    assert second["purpose_checks"] == 0
    assert nxt["purpose_checks"] == 0
    with session_factory() as s:
        tasks = s.execute(select(MonitoringTask.kind, Loan.loan_no, MonitoringTask.due_on,
                                 MonitoringTask.assigned_to_id)
                          .join(Loan, Loan.id == MonitoringTask.loan_id)).all()  # fmt: skip
    checks = {no for kind, no, _, _ in tasks if kind is TaskKind.PURPOSE_CHECK}
    assert "LNEW1" in checks  # ¥1,200,000: always
    assert first["purpose_checks"] == len(checks)
    reviews = [(no, due) for kind, no, due, _ in tasks if kind is TaskKind.LARGE_LOAN_REVIEW]
    assert reviews == [("LBIG", date(2026, 12, 10))]
    assert {who for *_, who in tasks} == {book["manager"]}


def test_scores_refreshed_once_a_month(
    session_factory: sessionmaker[Session], book: dict[str, int]
) -> None:
    first, _ = close(session_factory)
    again, _ = close(session_factory, AS_OF + timedelta(days=1))  # still November
    december, _ = close(session_factory, date(2026, 12, 1))
    assert (first["behaviour_scores"], again["behaviour_scores"], december["behaviour_scores"]) == (
        23,
        0,
        23,
    )
    with session_factory() as s:
        rows = s.execute(select(Loan.loan_no, BehaviourScore.score, BehaviourScore.grade, BehaviourScore.inputs)
                         .join(Loan, Loan.id == BehaviourScore.loan_id)
                         .where(BehaviourScore.month == date(2026, 11, 1))).all()  # fmt: skip
    by_no = {no: (score, grade, inputs) for no, score, grade, inputs in rows}
    late, clean = by_no["LB10"], by_no["LB19"]  # B1's loan 0 was past due at every month-end
    assert late[2]["max6"] == 5
    assert clean[2]["max6"] == 0
    assert late[0] < clean[0]


def test_alert_workflow_and_misuse(
    session_factory: sessionmaker[Session], book: dict[str, int]
) -> None:
    close(session_factory)
    with session_factory() as s, s.begin():
        alert = s.scalars(
            select(RiskAlert).where(RiskAlert.rule_code == "branch_m1plus_rate_high")
        ).one()
        who = {"by_id": book["head"], "by_name": "员工1", "actor_label": "user:branch", "now": NOW}
        warnings.acknowledge(s, alert.id, **who)
        with pytest.raises(ConflictError):
            warnings.acknowledge(s, alert.id, **who)
        with pytest.raises(ValidationError) as caught:
            warnings.close_alert(s, alert.id, "", **who)
        assert caught.value.problems[0].field == "reason"
        warnings.record_action(s, alert.id, "约谈支行负责人", **who)
        warnings.close_alert(s, alert.id, "", **who)
        assert alert.status is AlertStatus.CLOSED
        assert [a["kind"] for a in alert.actions] == ["acknowledge", "action", "close"]
        assert alert.actions[1]["text"] == "约谈支行负责人"
        assert alert.actions[1]["by"] == "员工1"
        actions = s.scalars(
            select(AuditLog.action).where(AuditLog.entity_id == alert.alert_no)
        ).all()
        assert set(actions) >= {"alert.raise", "alert.acknowledge", "alert.action", "alert.close"}
        task = s.scalars(
            select(MonitoringTask).where(MonitoringTask.kind == TaskKind.PURPOSE_CHECK)
        ).first()
        assert task is not None
        with pytest.raises(ValidationError):
            monitoring.complete_task(s, task.id, "misuse", "", by_id=book["manager"], actor_label="t",
                                     now=NOW, today=AS_OF)  # fmt: skip
        monitoring.complete_task(s, task.id, "misuse", "资金流入股市", by_id=book["manager"],
                                 actor_label="t", now=NOW, today=AS_OF)  # fmt: skip
        misuse = s.scalars(select(RiskAlert).where(RiskAlert.rule_code == "purpose_misuse")).one()
        assert misuse.dimension == "loan"
        assert misuse.severity.value == "high"
        digest = daily_digest(s, AS_OF, "en")
        assert digest.new_by_severity["high"] >= 1
        assert misuse.alert_no in digest.text()
        assert misuse.alert_no in digest.html()


def principal(staff_id: int, role: Role, branch_ids: set[int]) -> Principal:
    """Who asks, as the access service resolves a signed-in staff member."""
    return Principal(
        account_id=staff_id, staff_id=staff_id, username=f"u{staff_id}", name="员工",
        role=role, branch_id=min(branch_ids), branch_ids=frozenset(branch_ids),
        permissions=DEFAULT_MATRIX[role], scope=scope_for(role), via="session",
    )  # fmt: skip


def test_scope_of_a_branch_head_and_a_customer_manager(
    session_factory: sessionmaker[Session], book: dict[str, int]
) -> None:
    close(session_factory)
    head = principal(book["head"], Role.BRANCH_HEAD, {book["b1"]})
    manager = principal(book["manager"], Role.CUSTOMER_MANAGER, {book["b1"]})
    other_head = principal(book["risk"], Role.BRANCH_HEAD, {book["b2"]})
    assert head.scope is ScopeKind.BRANCH
    assert manager.scope is ScopeKind.OWN
    with session_factory() as s, s.begin():
        b2_alert = warnings.raise_alert(
            s, rule_code="branch_m1plus_rate_high", severity="high", dimension="branch", key="B2",
            metric="m1plus_balance_rate", value=Decimal("0.09"), threshold=Decimal("0.05"),
            as_of=AS_OF, now=NOW, owner_id=book["risk"], due_days=7, detail={},
        )  # fmt: skip
        every = repo.alerts(s, repo.AlertFilters())
        seen = {
            (a.dimension, a.dimension_value)
            for a in repo.alerts(s, repo.AlertFilters(), viewer=head)
        }
        assert ("branch", "B1") in seen
        assert ("branch", "B2") not in seen
        assert seen == {(a.dimension, a.dimension_value) for a in every
                        if a.dimension == "all" or (a.dimension, a.dimension_value) == ("branch", "B1")}  # fmt: skip
        assert ("all", "all") in seen  # the bank-wide overdue rate
        b2_seen = {a.dimension_value for a in repo.alerts(s, repo.AlertFilters(), viewer=other_head)
                   if a.dimension == "branch"}  # fmt: skip
        assert b2_seen == {"B2"}
        who = {"by_id": book["head"], "by_name": "员工1", "actor_label": "user:branch", "now": NOW}
        with pytest.raises(PermissionDeniedError):
            warnings.record_action(s, b2_alert.id, "约谈", viewer=head, **who)
        with pytest.raises(PermissionDeniedError):
            warnings.get_alert(s, b2_alert.id, head)
        # the customer manager owns no alert: sees none
        assert repo.alerts(s, repo.AlertFilters(), viewer=manager) == []

        loans_of = {t.id: loan.loan_no for t, loan in repo.tasks(s, repo.TaskFilters())}
        assert {"LBIG", "LNEW1"} <= set(loans_of.values())
        head_tasks = {loan.loan_no for _, loan in repo.tasks(s, repo.TaskFilters(), viewer=head)}
        assert head_tasks == {"LBIG"}  # B1's only large loan; the new loans are B2's
        other = {loan.loan_no for _, loan in repo.tasks(s, repo.TaskFilters(), viewer=other_head)}
        assert other == set(loans_of.values()) - {"LBIG"}
        # every task is assigned to the manager; another manager sees none
        assert len(repo.tasks(s, repo.TaskFilters(), viewer=manager)) == len(loans_of)
        stranger = principal(book["risk"], Role.CUSTOMER_MANAGER, {book["b2"]})
        assert repo.tasks(s, repo.TaskFilters(), viewer=stranger) == []
        b2_task = next(i for i, no in loans_of.items() if no == "LNEW1")
        with pytest.raises(PermissionDeniedError):
            monitoring.complete_task(s, b2_task, "ok", "", by_id=book["head"], actor_label="t",
                                     now=NOW, today=AS_OF, viewer=head)  # fmt: skip
        done = monitoring.complete_task(s, b2_task, "ok", "", by_id=book["manager"],
                                        actor_label="t", now=NOW, today=AS_OF, viewer=manager)  # fmt: skip
        assert done.finding == "ok"
        digest = daily_digest(s, AS_OF, "en", head)
        assert b2_alert.alert_no not in digest.text()
        assert b2_alert.alert_no in daily_digest(s, AS_OF, "en", other_head).text()
        later = date(2026, 12, 9)  # LBIG's review (due 2026-12-10) is within the week
        assert [line.what for line in daily_digest(s, later, "en", head).tasks_due] == ["LBIG"]
        assert daily_digest(s, later, "en", other_head).tasks_due == []


def test_a_misuse_alert_is_seen_by_the_heads_of_the_loans_branch_and_above(
    session_factory: sessionmaker[Session], book: dict[str, int]
) -> None:
    """A misuse finding raises a ``loan`` alert (value: the loan number); the head of the loan's
    branch and of a branch above it see it, the head of another branch and a manager do not."""
    close(session_factory)
    head_b1 = principal(book["head"], Role.BRANCH_HEAD, {book["b1"]})
    head_b2 = principal(book["risk"], Role.BRANCH_HEAD, {book["b2"]})
    # a branch above both: its scope holds itself and every branch below it
    head_above = principal(book["risk"], Role.BRANCH_HEAD, {book["b1"], book["b2"]})
    manager = principal(book["manager"], Role.CUSTOMER_MANAGER, {book["b1"]})
    with session_factory() as s, s.begin():
        task = s.scalars(
            select(MonitoringTask)
            .join(Loan, Loan.id == MonitoringTask.loan_id)
            .where(MonitoringTask.kind == TaskKind.PURPOSE_CHECK, Loan.loan_no == "LNEW1")
        ).one()  # LNEW1 is booked at B2
        monitoring.complete_task(s, task.id, "misuse", "资金流入股市", by_id=book["manager"],
                                 actor_label="t", now=NOW, today=AS_OF)  # fmt: skip
        misuse = s.scalars(select(RiskAlert).where(RiskAlert.rule_code == "purpose_misuse")).one()
        assert (misuse.dimension, misuse.dimension_value) == ("loan", "LNEW1")
        assert misuse.owner_id == book["risk"]

        def sees(viewer: Principal) -> bool:
            listed = misuse.id in {a.id for a in repo.alerts(s, repo.AlertFilters(), viewer=viewer)}
            unclosed = misuse.id in {a.id for a in repo.unclosed_alerts(s, viewer)}
            visible = repo.alert_visible(s, misuse.id, viewer)
            assert listed == unclosed == visible
            return visible

        assert sees(head_b2)
        assert sees(head_above)
        assert not sees(head_b1)
        assert not sees(manager)  # OWN: the risk officer owns it
        assert warnings.get_alert(s, misuse.id, head_b2).alert_no == misuse.alert_no
        with pytest.raises(PermissionDeniedError):
            warnings.get_alert(s, misuse.id, head_b1)
        warnings.record_action(s, misuse.id, "约谈借款人", by_id=book["risk"], by_name="员工0",
                               actor_label="user:branch", now=NOW, viewer=head_b2)  # fmt: skip
        assert misuse.actions[-1]["text"] == "约谈借款人"
        assert misuse.alert_no in daily_digest(s, AS_OF, "en", head_b2).text()
        assert misuse.alert_no not in daily_digest(s, AS_OF, "en", head_b1).text()
