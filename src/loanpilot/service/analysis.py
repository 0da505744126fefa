"""Survey analysis (满意度分析): satisfaction and NPS overall and by product, channel, branch and
manager (from the KPI suite, through ``kpi_source``), their monthly trend, the response rate, and
the free-text comments with their themes (customer names masked). Reads only."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from loanpilot.access.rules import Principal, ScopeKind
from loanpilot.kit.masking import mask_name
from loanpilot.kit.periods import Period
from loanpilot.service import kpi_source
from loanpilot.service import repository as repo
from loanpilot.service import survey_rules as rules
from loanpilot.service.kpi_source import DIMENSIONS, Point


def scope_of(principal: Principal | None) -> repo.Scope:
    """What a reader sees: the whole bank, their branch subtree, or their own customers."""
    if principal is None or principal.scope is ScopeKind.ALL:
        return repo.Scope()
    if principal.scope is ScopeKind.BRANCH:
        return repo.Scope(branch_ids=principal.branch_ids)
    return repo.Scope(staff_id=principal.staff_id)


@dataclass(frozen=True)
class Comment:
    submitted_at: datetime
    survey_code: str
    customer: str  # masked
    product: str
    branch: str
    text: str
    themes: tuple[str, ...]


@dataclass(frozen=True)
class ChannelRate:
    channel: str
    sent: int
    responded: int
    rate: Decimal | None


@dataclass(frozen=True)
class Analysis:
    period: Period
    overall: Point | None
    by: dict[str, list[Point]]
    trend: list[tuple[str, Point | None]]
    invitations: int
    responded: int
    response_rate: Decimal | None
    channel_rates: list[ChannelRate]
    comments: list[Comment]
    themes: list[tuple[str, int]]
    scoped: bool


def trend(
    session: Session, period: Period, scope: repo.Scope | None = None, months: int = 12
) -> list[tuple[str, Point | None]]:
    """Satisfaction and NPS of each month up to the period's last month."""
    last = Period.containing(period.last_day, "month")
    out = []
    for back in range(months - 1, -1, -1):
        month = last.shifted(-back)
        points = kpi_source.figures(session, month, None, scope)
        out.append((month.label, points[0] if points else None))
    return out


def comments_of(
    session: Session, period: Period, scope: repo.Scope, limit: int | None = 200
) -> list[Comment]:
    products = repo.product_names(session)
    branches = repo.branch_names(session)
    return [
        Comment(
            c.submitted_at, c.survey_code, mask_name(c.customer_name),
            products.get(c.product_id, ("—",))[0] if c.product_id else "—",
            branches.get(c.branch_id, "—") if c.branch_id else "—",
            c.text, rules.themes_of(c.text),
        )
        for c in repo.comments(session, period.start, period.end, scope, limit)
    ]  # fmt: skip


def theme_counts(session: Session, period: Period, scope: repo.Scope) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for c in repo.comments(session, period.start, period.end, scope, None):
        counts.update(rules.themes_of(c.text))
    return counts.most_common()


def response_rates(
    session: Session, period: Period, scope: repo.Scope
) -> tuple[int, int, list[ChannelRate]]:
    rows = repo.invitations_in(session, period.start, period.end, scope)
    sent: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    for _, channel, responded in rows:
        sent[channel] += 1
        answered[channel] += int(responded)
    rates = [
        ChannelRate(ch, n, answered[ch], rules.ratio(answered[ch], n))
        for ch, n in sorted(sent.items())
    ]
    return len(rows), sum(answered.values()), rates


def analyse(session: Session, period: Period, principal: Principal | None = None) -> Analysis:
    scope = scope_of(principal)
    overall = kpi_source.figures(session, period, None, scope)
    by = {d: kpi_source.figures(session, period, d, scope) for d in DIMENSIONS}
    sent, responded, rates = response_rates(session, period, scope)
    return Analysis(
        period=period, overall=overall[0] if overall else None, by=by,
        trend=trend(session, period, scope), invitations=sent, responded=responded,
        response_rate=rules.ratio(responded, sent), channel_rates=rates,
        comments=comments_of(session, period, scope, 100),
        themes=theme_counts(session, period, scope),
        scoped=scope != repo.Scope(),
    )  # fmt: skip
