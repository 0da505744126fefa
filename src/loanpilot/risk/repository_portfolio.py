"""SQL of portfolio analytics: SQL aggregates over SQLAlchemy Core selects, never an ORM object per
loan, so a report over a million loans reads a few thousand grouped rows.

* vintages and first-payment default read one row per loan (``loans.first_dpd30_on``,
  ``first_dpd90_on``, kept by the daily close) grouped by origination month and event months;
* roll rates join the month-end ``delinquency_snapshots`` of two month ends on ``loan_id`` (unique
  with ``as_of``); a loan present at the first and absent at the second has left the book:
  ``settled``, or ``written_off`` (written off or transferred);
* the book's headline, trend and concentration group loans and snapshots by class, bucket and
  dimension; the funnel and the applicant population read applications and their decisions.

Months of date columns are ``YYYY-MM`` text: ``substr`` of the ISO text SQLite stores, ``to_char``
on PostgreSQL. Months of timestamps (applications) are periods between UTC bounds passed in. The
slice (``Filters``), the dimension columns and these portable expressions live in
``repository_portfolio_slices``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, case, func, literal, or_, select, type_coerce
from sqlalchemy.orm import Session, aliased

from loanpilot.analytics.portfolio import FPD_DAYS
from loanpilot.campaigns.models import Campaign
from loanpilot.customers.models import Customer
from loanpilot.lending.models import Application, Loan, LoanStatus
from loanpilot.products.models import LoanProduct
from loanpilot.risk.models import Decision, DelinquencySnapshot
from loanpilot.risk.repository_portfolio_slices import (
    Filters,
    bucket_case,
    filtered,
    loan_dimension,
    month_of,
    period_index,
    plus_days,
    rows,
    segment_clause,
    to_int,
)
from loanpilot.risk.rules import DecisionOutcome
from loanpilot.team.models import Branch, Staff

# --------------------------------------------------------------------------- vintages and FPD


def vintage_rows(
    session: Session, as_of: date, f: Filters, by: str | None = None
) -> list[dict[str, Any]]:
    """Loans disbursed by ``as_of`` grouped by origination month, the months they were first 30+
    and 90+ (by ``as_of``), whether their first payment is observable and defaulted (FPD30), and
    the dimension ``by``: ``cohort``, ``m1_month``, ``m3_month``, ``observable``, ``fpd``,
    ``key``, ``loans``, ``principal_fen``."""
    cohort = month_of(session, Loan.disbursed_on).label("cohort")
    m1 = case(
        (Loan.first_dpd30_on <= as_of, month_of(session, Loan.first_dpd30_on)), else_=None
    ).label("m1_month")
    m3 = case(
        (Loan.first_dpd90_on <= as_of, month_of(session, Loan.first_dpd90_on)), else_=None
    ).label("m3_month")
    observable_expr = Loan.first_due_on <= as_of - timedelta(days=FPD_DAYS)
    observable = case((observable_expr, 1), else_=0).label("observable")
    fpd = case(
        (
            and_(
                Loan.first_dpd30_on <= as_of,  # first: most loans stop here (NULL)
                observable_expr,
                Loan.first_dpd30_on == plus_days(session, Loan.first_due_on, FPD_DAYS),
            ),
            1,
        ),
        else_=0,
    ).label("fpd")
    key = (loan_dimension(by, as_of) if by else literal("all")).label("key")
    groups = [cohort, m1, m3, observable, fpd, key]
    # COALESCE keeps SQLite from walking the disbursed_on index (a million random row reads)
    # when the whole table is wanted anyway; a plain scan is three times faster
    disbursed = func.coalesce(Loan.disbursed_on, Loan.disbursed_on)
    stmt = select(*groups, func.count().label("loans"), func.sum(Loan.principal_fen)).where(
        disbursed <= as_of
    )
    stmt = filtered(stmt, f, as_of, join_customer=by == "segment").group_by(*groups)
    return [
        {
            "cohort": c,
            "m1_month": a,
            "m3_month": b,
            "observable": bool(o),
            "fpd": bool(p),
            "key": "" if k is None else str(k),
            "loans": to_int(n),
            "principal_fen": to_int(s),
        }
        for c, a, b, o, p, k, n, s in rows(session, stmt)
    ]


# --------------------------------------------------------------------------- roll rates


def snapshot_days(session: Session, days: Sequence[date]) -> list[date]:
    """Those of ``days`` that have delinquency snapshots, ascending."""
    if not days:
        return []
    stmt = (
        select(DelinquencySnapshot.as_of)
        .where(DelinquencySnapshot.as_of.in_(list(days)))
        .distinct()
    )
    return sorted(session.scalars(stmt))


def transitions(session: Session, start: date, end: date, f: Filters) -> list[dict[str, Any]]:
    """(from bucket, to state, loans, balance at ``start``) from the snapshots at ``start`` to
    those at ``end``; a loan without a snapshot at ``end`` has settled or been written off (a
    repaying loan without one is a gap in the history and is left out)."""
    s0 = aliased(DelinquencySnapshot)
    s1 = aliased(DelinquencySnapshot)
    exit_state = case((Loan.status == LoanStatus.SETTLED, "settled"), else_="written_off")
    to_state = func.coalesce(type_coerce(s1.bucket, String), exit_state).label("to_state")
    stmt = (
        select(s0.bucket, to_state, func.count(), func.sum(s0.outstanding_principal_fen))
        .select_from(s0)
        .outerjoin(s1, and_(s1.loan_id == s0.loan_id, s1.as_of == end))
        .join(Loan, Loan.id == s0.loan_id)
        .where(
            s0.as_of == start,
            or_(s1.id.is_not(None), Loan.status != LoanStatus.REPAYING),
        )
    )
    stmt = filtered(stmt, f, end).group_by(s0.bucket, to_state)
    return [
        {
            "from_bucket": getattr(b, "value", b),
            "to_state": getattr(t, "value", t),
            "loans": to_int(n),
            "balance_fen": to_int(s),
        }
        for b, t, n, s in rows(session, stmt)
    ]


def history(session: Session, days: Sequence[date], f: Filters) -> list[dict[str, Any]]:
    """Balance and loans by snapshot day, bucket and five-category class."""
    if not days:
        return []
    snap = DelinquencySnapshot
    groups = [snap.as_of, snap.bucket, snap.five_class]
    stmt = select(*groups, func.count(), func.sum(snap.outstanding_principal_fen)).where(
        snap.as_of.in_(list(days))
    )
    if not f.empty:
        stmt = filtered(stmt.join(Loan, Loan.id == snap.loan_id), f, max(days))
    return [
        {
            "as_of": d,
            "bucket": getattr(b, "value", b),
            "five_class": getattr(c, "value", c),
            "loans": to_int(n),
            "balance_fen": to_int(s),
        }
        for d, b, c, n, s in rows(session, stmt.group_by(*groups))
    ]


# --------------------------------------------------------------------------- the book today


def book(session: Session, as_of: date, f: Filters, by: str | None = None) -> list[dict[str, Any]]:
    """Repaying loans by bucket (of today's DPD), five-category class and the dimension ``by``."""
    bucket = bucket_case(Loan.dpd).label("bucket")
    key = (loan_dimension(by, as_of) if by else literal("all")).label("key")
    groups = [bucket, Loan.five_class, key]
    stmt = select(*groups, func.count(), func.sum(Loan.outstanding_principal_fen)).where(
        Loan.status == LoanStatus.REPAYING
    )
    stmt = filtered(stmt, f, as_of, join_customer=by == "segment").group_by(*groups)
    return [
        {
            "bucket": b,
            "five_class": getattr(c, "value", c),
            "key": "" if k is None else str(getattr(k, "value", k)),
            "loans": to_int(n),
            "balance_fen": to_int(s),
        }
        for b, c, k, n, s in rows(session, stmt)
    ]


# --------------------------------------------------------------------------- applications


def funnel(
    session: Session, bounds: Sequence[datetime], as_of: date, f: Filters
) -> list[dict[str, Any]]:
    """Per period of ``bounds`` (UTC) of submission: applications submitted, decided (approve or
    decline, or disbursed), approved (an approval, or disbursed) and disbursed."""
    if len(bounds) < 2:
        return []
    period = period_index(Application.submitted_at, bounds).label("period")
    disbursed = Application.disbursed_at.is_not(None)
    approved = or_(Decision.outcome == DecisionOutcome.APPROVE, disbursed)
    decided = or_(Decision.outcome == DecisionOutcome.DECLINE, approved)
    stmt = (
        select(
            period,
            func.count(func.distinct(Application.id)),
            func.count(func.distinct(case((decided, Application.id)))),
            func.count(func.distinct(case((approved, Application.id)))),
            func.count(func.distinct(case((disbursed, Application.id)))),
        )
        .select_from(Application)
        .outerjoin(Decision, Decision.application_id == Application.id)
        .where(Application.submitted_at >= bounds[0], Application.submitted_at < bounds[-1])
    )
    stmt = filtered(stmt, f, as_of, owner=Application).group_by(period)
    return [
        {
            "period": int(p),
            "applications": to_int(a),
            "decided": to_int(d),
            "approved": to_int(ap),
            "disbursed": to_int(di),
        }
        for p, a, d, ap, di in rows(session, stmt)
    ]


def applicants(
    session: Session, start: datetime, end: datetime, f: Filters
) -> list[dict[str, Any]]:
    """The applicants submitted in ``[start, end)`` (UTC) with their first automatic score and
    the key application features: amount, term, stated or recorded income, age, occupation,
    channel."""
    first = (
        select(Decision.application_id, func.min(Decision.id).label("decision_id"))
        .where(Decision.score.is_not(None))
        .group_by(Decision.application_id)
        .subquery()
    )
    stmt = (
        select(
            Decision.score,
            Application.submitted_at,
            Application.amount_fen,
            Application.term_months,
            func.coalesce(Application.stated_monthly_income_fen, Customer.monthly_income_fen),
            Customer.birth_date,
            Customer.occupation,
            Application.channel,
        )
        .select_from(Application)
        .join(Customer, Customer.id == Application.customer_id)
        .outerjoin(first, first.c.application_id == Application.id)
        .outerjoin(Decision, Decision.id == first.c.decision_id)
        .where(Application.submitted_at >= start, Application.submitted_at < end)
    )
    filters = Filters(**{**f.__dict__, "segment": None})
    stmt = filtered(stmt, filters, end.date(), owner=Application)
    if f.segment is not None:
        stmt = stmt.where(segment_clause(f.segment, end.date()))
    return [
        {
            "score": None if sc is None else float(sc),
            "submitted_at": at,
            "amount_fen": to_int(amount),
            "term_months": to_int(term),
            "monthly_income_fen": to_int(income),
            "birth_date": birth,
            "occupation": getattr(occ, "value", occ),
            "channel": getattr(ch, "value", ch),
        }
        for sc, at, amount, term, income, birth, occ, ch in rows(session, stmt)
    ]


def scored_by_period(session: Session, bounds: Sequence[datetime]) -> list[tuple[int, int]]:
    """(period, applications with a score) per period of ``bounds`` (UTC) of submission."""
    if len(bounds) < 2:
        return []
    period = period_index(Application.submitted_at, bounds).label("period")
    scored = select(Decision.application_id).where(Decision.score.is_not(None))
    stmt = (
        select(period, func.count())
        .where(
            Application.submitted_at >= bounds[0],
            Application.submitted_at < bounds[-1],
            Application.id.in_(scored),
        )
        .group_by(period)
    )
    return [(int(p), to_int(n)) for p, n in rows(session, stmt)]


def first_submission(session: Session) -> datetime | None:
    """When the first application was submitted (UTC)."""
    return session.execute(select(func.min(Application.submitted_at))).scalar_one_or_none()


def names(session: Session, dimension: str, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(Chinese, English) names of the ids ``keys`` of a dimension held by id (product, branch,
    manager, campaign); other dimensions and unknown ids are left out."""
    ids = sorted({int(k) for k in keys if k.isdigit()})
    if not ids:
        return {}
    if dimension == "product":
        stmt: Any = select(LoanProduct.id, LoanProduct.name_zh, LoanProduct.name_en).where(
            LoanProduct.id.in_(ids)
        )
    else:
        table: Any = {"branch": Branch, "manager": Staff, "campaign": Campaign}.get(dimension)
        if table is None:
            return {}
        stmt = select(table.id, table.name, table.name).where(table.id.in_(ids))
    return {str(i): (zh, en) for i, zh, en in rows(session, stmt)}


def choices(session: Session) -> dict[str, list[tuple[int, str, str]]]:
    """(id, Chinese name, English name) of the products, branches and campaigns that loans name."""
    out: dict[str, list[tuple[int, str, str]]] = {}
    sources: tuple[tuple[str, Any, Any, Any, Any], ...] = (
        ("product", LoanProduct, Loan.product_id, LoanProduct.name_zh, LoanProduct.name_en),
        ("branch", Branch, Loan.branch_id, Branch.name, Branch.name),
        ("campaign", Campaign, Loan.campaign_id, Campaign.name, Campaign.name),
    )
    for dim, table, column, zh, en in sources:
        used = select(column).where(column.is_not(None)).distinct()
        stmt = select(table.id, zh, en).where(table.id.in_(used)).order_by(table.id)
        out[dim] = [(int(i), str(a), str(b)) for i, a, b in rows(session, stmt)]
    return out
