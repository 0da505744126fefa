"""SQL of early warning and post-loan monitoring: the portfolio metrics as aggregates over the
delinquency snapshots, the LPR history, alerts, rules, monitoring tasks and the inputs of the
behavioural score. Everything here reads or adds; the services decide.

What a staff member sees of alerts and tasks follows their data scope (``access.rules.ScopeKind``,
as for customers): the whole bank; a branch head (BRANCH) the bank-wide alerts, those of their
branch and the branches below it, those of one loan booked at those branches (a ``loan`` alert,
such as a misuse of funds, holds the loan number as its value), and the tasks on those branches'
loans; OWN the alerts they own and the tasks assigned to them. ``viewer=None`` is the bank's own
work (the close, the CLI)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from loanpilot.access.rules import Principal, ScopeKind
from loanpilot.customers.models import Customer
from loanpilot.lending.models import Loan, LoanStatus
from loanpilot.products.models import LoanProduct, LprRate
from loanpilot.risk.models import (
    NON_PERFORMING,
    AlertSeverity,
    AlertStatus,
    Decision,
    DelinquencySnapshot,
    RiskAlert,
)
from loanpilot.risk.models_post import (
    MonitoringTask,
    TaskKind,
    TaskStatus,
    WarningRule,
)
from loanpilot.team.models import Branch, Role, Staff, StaffStatus

S = DelinquencySnapshot


def _text(value: Any) -> str:
    return str(value.value if isinstance(value, Enum) else value)


# --- portfolio metrics ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricSums:
    """Balances (fen) of one period and one dimension value."""

    period: date
    key: str
    balance: int
    m1plus: int
    dpd30plus: int
    npl: int
    new_delinquent: int


def latest_snapshot_day(session: Session, as_of: date) -> date | None:
    return session.scalar(select(func.max(S.as_of)).where(S.as_of <= as_of))


def snapshot_days(session: Session, candidates: Collection[date]) -> list[date]:
    """Which of ``candidates`` have snapshots, oldest first."""
    if not candidates:
        return []
    found = session.scalars(select(S.as_of).where(S.as_of.in_(sorted(candidates))).distinct())
    return sorted(found)


def _key(dimension: str) -> ColumnElement[Any] | None:
    return {
        "all": None,
        "branch": Branch.code.expression,
        "product": LoanProduct.code.expression,
        "channel": Loan.channel.expression,
        "segment": Customer.occupation.expression,
    }[dimension]


def metric_sums_many(
    session: Session, periods: Sequence[date], gaps: dict[date, int], dimensions: Collection[str]
) -> dict[str, list[MetricSums]]:
    """The balances behind every portfolio metric, per period and value of each of ``dimensions``,
    in one pass over the snapshots: grouped by the period and the key of every dimension asked
    for, then added up per dimension (and for the whole bank, ``all``).

    ``gaps`` gives each period's days since the previous one: a loan 1 to that many days past due
    fell behind within the period (new delinquency)."""
    out: dict[str, dict[tuple[date, str], list[int]]] = {d: {} for d in dimensions}
    if not periods or not dimensions:
        return {d: [] for d in dimensions}
    bal = S.outstanding_principal_fen
    gap = case(*((S.as_of == p, g) for p, g in gaps.items()), else_=31)
    names = [d for d in dimensions if d != "all"]
    keys = [k for k in (_key(d) for d in names) if k is not None]
    sums = (
        func.sum(bal),
        func.sum(case((S.dpd >= 1, bal), else_=0)),
        func.sum(case((S.dpd > 30, bal), else_=0)),
        func.sum(case((S.five_class.in_(sorted(NON_PERFORMING)), bal), else_=0)),
        func.sum(case((and_(S.dpd >= 1, S.dpd <= gap), bal), else_=0)),
    )
    query = select(S.as_of, *keys, *sums).join(Loan, Loan.id == S.loan_id)
    if "branch" in names:
        query = query.join(Branch, Branch.id == Loan.branch_id)
    if "product" in names:
        query = query.join(LoanProduct, LoanProduct.id == Loan.product_id)
    if "segment" in names:
        query = query.join(Customer, Customer.id == Loan.customer_id)
    query = query.where(S.as_of.in_(list(periods))).group_by(S.as_of, *keys)
    for row in session.execute(query):
        period, values = row[0], [int(v or 0) for v in row[1 + len(keys) :]]
        groups = [(d, _text(row[1 + i])) for i, d in enumerate(names)]
        if "all" in out:
            groups.append(("all", "all"))
        for d, k in groups:
            acc = out[d].setdefault((period, k), [0, 0, 0, 0, 0])
            for i, v in enumerate(values):
                acc[i] += v
    return {
        d: [MetricSums(p, k, *v) for (p, k), v in sorted(rows.items())] for d, rows in out.items()
    }


def lpr_history(session: Session) -> list[tuple[date, str, Decimal]]:
    """Every published LPR: (effective on, term, rate), oldest first."""
    rows = session.execute(
        select(LprRate.effective_on, LprRate.term, LprRate.rate).order_by(LprRate.effective_on)
    )
    return [(day, _text(term), Decimal(rate)) for day, term, rate in rows]


# --- rules and alerts ---------------------------------------------------------------------------------


def rules(session: Session, *, enabled_only: bool = False) -> list[WarningRule]:
    query = select(WarningRule).order_by(WarningRule.code)
    if enabled_only:
        query = query.where(WarningRule.enabled.is_(True))
    return list(session.scalars(query))


def rule_count(session: Session) -> int:
    return int(session.scalar(select(func.count(WarningRule.id))) or 0)


def rule_by_code(session: Session, code: str) -> WarningRule | None:
    return session.scalar(select(WarningRule).where(WarningRule.code == code))


def alert_keys(session: Session, *, raised_on: date | None = None) -> set[tuple[str, str, str]]:
    """(rule, dimension, value) of the alerts raised on ``raised_on``, or (None) still not closed."""
    query = select(RiskAlert.rule_code, RiskAlert.dimension, RiskAlert.dimension_value)
    if raised_on is not None:
        query = query.where(RiskAlert.raised_on == raised_on)
    else:
        query = query.where(RiskAlert.status != AlertStatus.CLOSED)
    return {(r, d, v) for r, d, v in session.execute(query)}


def alert_periods(session: Session, rule_codes: Collection[str]) -> set[tuple[str, str, str, str]]:
    """(rule, dimension, value, measured period) of the alerts these rules raised."""
    if not rule_codes:
        return set()
    query = select(
        RiskAlert.rule_code, RiskAlert.dimension, RiskAlert.dimension_value, RiskAlert.detail
    ).where(RiskAlert.rule_code.in_(sorted(rule_codes)))
    return {
        (r, d, v, str(detail["period"]))
        for r, d, v, detail in session.execute(query)
        if isinstance(detail, dict) and detail.get("period")
    }


def last_number(session: Session, column: Any, prefix: str) -> int:
    """The largest sequence number after ``prefix`` among numbers of ``column`` (0 if none)."""
    value = session.scalar(select(func.max(column)).where(column.like(f"{prefix}%")))
    tail = str(value)[len(prefix) :] if value else ""
    return int(tail) if tail.isdigit() else 0


def staff_of_role(session: Session, role: str, branch_code: str | None = None) -> int | None:
    """An active staff member of ``role`` (of the branch ``branch_code`` if it has one), lowest
    employee number first; None when the bank has nobody in that role."""
    if role not in Role._value2member_map_:
        return None
    base = (
        select(Staff.id)
        .where(Staff.role == Role(role), Staff.status == StaffStatus.ACTIVE)
        .order_by(Staff.employee_no)
        .limit(1)
    )
    if branch_code is not None:
        found = session.scalar(
            base.join(Branch, Branch.id == Staff.branch_id).where(Branch.code == branch_code)
        )
        if found is not None:
            return int(found)
    found = session.scalar(base)
    return int(found) if found is not None else None


def alert_scope(viewer: Principal | None) -> ColumnElement[bool]:
    """The alerts ``viewer`` may see, as a WHERE clause."""
    if viewer is None or viewer.scope is ScopeKind.ALL:
        return true()
    if viewer.scope is ScopeKind.OWN:
        return RiskAlert.owner_id == viewer.staff_id
    branch_ids = sorted(viewer.branch_ids)
    codes = select(Branch.code).where(Branch.id.in_(branch_ids))
    loan_nos = select(Loan.loan_no).where(Loan.branch_id.in_(branch_ids))
    return or_(
        RiskAlert.dimension == "all",
        and_(RiskAlert.dimension == "branch", RiskAlert.dimension_value.in_(codes)),
        and_(RiskAlert.dimension == "loan", RiskAlert.dimension_value.in_(loan_nos)),
    )


def alert_visible(session: Session, alert_id: int, viewer: Principal | None) -> bool:
    """Whether the alert ``alert_id`` is in ``viewer``'s scope."""
    query = select(RiskAlert.id).where(RiskAlert.id == alert_id, alert_scope(viewer))
    return session.scalar(query) is not None


@dataclass(frozen=True)
class AlertFilters:
    status: str | None = None  # a status, or "unclosed"
    severity: str | None = None
    rule_code: str | None = None
    owner_id: int | None = None
    raised_on: date | None = None


def alerts(
    session: Session, filters: AlertFilters, limit_rows: int = 500, *,
    viewer: Principal | None = None,
) -> list[RiskAlert]:  # fmt: skip
    """Alerts in ``viewer``'s scope, newest first."""
    query = (
        select(RiskAlert)
        .where(alert_scope(viewer))
        .order_by(RiskAlert.raised_on.desc(), RiskAlert.id.desc())
        .limit(limit_rows)
    )
    if filters.status == "unclosed":
        query = query.where(RiskAlert.status != AlertStatus.CLOSED)
    elif filters.status:
        query = query.where(RiskAlert.status == AlertStatus(filters.status))
    if filters.severity:
        query = query.where(RiskAlert.severity == AlertSeverity(filters.severity))
    if filters.rule_code:
        query = query.where(RiskAlert.rule_code == filters.rule_code)
    if filters.owner_id is not None:
        query = query.where(RiskAlert.owner_id == filters.owner_id)
    if filters.raised_on is not None:
        query = query.where(RiskAlert.raised_on == filters.raised_on)
    return list(session.scalars(query))


def alert_rule_codes(session: Session) -> list[str]:
    return sorted(session.scalars(select(RiskAlert.rule_code).distinct()))


def key_names(
    session: Session, dimension: str, keys: Collection[str]
) -> dict[str, tuple[str, str]]:
    """(Chinese, English) names of the branch or product codes an alert's dimension value
    holds; other dimensions (and unknown codes) are named by the caller."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    if dimension == "branch":
        rows = session.execute(
            select(Branch.code, Branch.name, Branch.name).where(Branch.code.in_(wanted))
        )
    elif dimension == "product":
        rows = session.execute(
            select(LoanProduct.code, LoanProduct.name_zh, LoanProduct.name_en)
            .where(LoanProduct.code.in_(wanted))
        )  # fmt: skip
    else:
        return {}
    return {str(code): (str(zh), str(en)) for code, zh, en in rows}


def unclosed_alerts(session: Session, viewer: Principal | None = None) -> list[RiskAlert]:
    query = select(RiskAlert).where(RiskAlert.status != AlertStatus.CLOSED, alert_scope(viewer))
    return list(session.scalars(query.order_by(RiskAlert.due_on, RiskAlert.id)))


# --- monitoring tasks ---------------------------------------------------------------------------------


def task_scope(viewer: Principal | None) -> ColumnElement[bool]:
    """The tasks ``viewer`` may see, as a WHERE clause over tasks joined to their loan."""
    if viewer is None or viewer.scope is ScopeKind.ALL:
        return true()
    if viewer.scope is ScopeKind.OWN:
        return MonitoringTask.assigned_to_id == viewer.staff_id
    return Loan.branch_id.in_(sorted(viewer.branch_ids))


def task_visible(session: Session, task_id: int, viewer: Principal | None) -> bool:
    """Whether the task ``task_id`` is in ``viewer``'s scope."""
    query = (
        select(MonitoringTask.id)
        .join(Loan, Loan.id == MonitoringTask.loan_id)
        .where(MonitoringTask.id == task_id, task_scope(viewer))
    )
    return session.scalar(query) is not None


@dataclass(frozen=True)
class TaskFilters:
    status: str | None = None
    kind: str | None = None
    assigned_to_id: int | None = None
    due_by: date | None = None


def tasks(
    session: Session, filters: TaskFilters, limit_rows: int = 500, *,
    viewer: Principal | None = None,
) -> list[tuple[MonitoringTask, Loan]]:  # fmt: skip
    """Tasks in ``viewer``'s scope with their loan, soonest due first."""
    query = (
        select(MonitoringTask, Loan)
        .join(Loan, Loan.id == MonitoringTask.loan_id)
        .where(task_scope(viewer))
        .order_by(MonitoringTask.due_on, MonitoringTask.id)
        .limit(limit_rows)
    )
    if filters.status:
        query = query.where(MonitoringTask.status == TaskStatus(filters.status))
    if filters.kind:
        query = query.where(MonitoringTask.kind == TaskKind(filters.kind))
    if filters.assigned_to_id is not None:
        query = query.where(MonitoringTask.assigned_to_id == filters.assigned_to_id)
    if filters.due_by is not None:
        query = query.where(MonitoringTask.due_on <= filters.due_by)
    return [(t, loan) for t, loan in session.execute(query)]


def tasked_loans(
    session: Session, kind: TaskKind, loan_ids: Collection[int]
) -> set[tuple[int, date]]:
    """(loan, due on) of the tasks of ``kind`` on these loans."""
    if not loan_ids:
        return set()
    query = select(MonitoringTask.loan_id, MonitoringTask.due_on).where(
        MonitoringTask.kind == kind, MonitoringTask.loan_id.in_(sorted(loan_ids))
    )
    return {(int(a), b) for a, b in session.execute(query)}


def new_loans(
    session: Session, since: date, until: date
) -> list[tuple[int, int, int | None, date, Decimal | None]]:
    """Loans disbursed in [since, until] and still repaying: (id, principal, manager, disbursed
    on, PD of the latest decision on their application)."""
    latest = (
        select(Decision.application_id, func.max(Decision.id).label("decision_id"))
        .group_by(Decision.application_id)
        .subquery()
    )
    query = (
        select(Loan.id, Loan.principal_fen, Loan.manager_id, Loan.disbursed_on, Decision.pd)
        .outerjoin(latest, latest.c.application_id == Loan.application_id)
        .outerjoin(Decision, Decision.id == latest.c.decision_id)
        .where(
            Loan.disbursed_on >= since,
            Loan.disbursed_on <= until,
            Loan.status == LoanStatus.REPAYING,
        )
        .order_by(Loan.id)
    )
    return [(int(a), int(b), c, d, e) for a, b, c, d, e in session.execute(query)]


def large_loans(session: Session, min_fen: int, as_of: date) -> list[tuple[int, date, int | None]]:
    """Repaying loans of at least ``min_fen``: (id, disbursed on, manager)."""
    query = select(Loan.id, Loan.disbursed_on, Loan.manager_id).where(
        Loan.principal_fen >= min_fen,
        Loan.status == LoanStatus.REPAYING,
        Loan.disbursed_on <= as_of,
    )
    return [(int(a), b, c) for a, b, c in session.execute(query.order_by(Loan.id))]


# --- behavioural score inputs ------------------------------------------------------------------------
