"""Early warning: the portfolio metrics as series, the rules over them and the market signals,
alerts with their owner, due date and contingency actions (the daily digest is
``risk.warnings_digest``).

**Series.** Each portfolio metric (``warning_rules.METRICS``) is measured at the month-ends of the
last 13 months and at the latest snapshot day up to the business date, from
``delinquency_snapshots`` joined to loans (branch, product, channel) and customers (occupation as
the segment), by SQL aggregates (``repository_warnings.metric_sums_many``, one pass for every dimension). The market signal
``lpr_change_bp`` is the size of any LPR change (per term) that took effect in the rule's last
``window`` days.

**Alerts.** A firing raises one ``risk_alerts`` row per rule × dimension value, unless one was
raised for it today, one is still not closed, or one was already raised on the same measured
period: evaluating twice, or every day on the same month-end, raises nothing new. The owner is the
rule's owner, else the first active staff member of the rule's role (the branch's own one for a
branch alert); due on the raising day + the rule's ``due_days``. Acknowledging, recording a
contingency action and closing (which needs an action or a reason) are audited. Given a
``viewer``, an alert outside that staff member's scope (``repository_warnings.alert_scope``) is
refused.

Services flush; the caller commits.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from loanpilot.access.rules import Principal
from loanpilot.audit.service import record
from loanpilot.kit.errors import (
    ConflictError,
    FieldProblem,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from loanpilot.risk import repository_warnings as repo
from loanpilot.risk import warning_rules as wr
from loanpilot.risk.models import AlertSeverity, AlertStatus, RiskAlert
from loanpilot.risk.models_post import RuleKind, WarningRule
from loanpilot.risk.warning_defaults import DEFAULT_RULES
from loanpilot.team.models import Role, Staff

SERIES_MONTHS = 13
_Q8 = Decimal("0.00000001")
_RATIOS = {
    "m1plus_balance_rate": "m1plus",
    "dpd30plus_balance_rate": "dpd30plus",
    "npl_ratio": "npl",
    "new_delinquency_rate": "new_delinquent",
}


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def series_periods(session: Session, as_of: date) -> list[date]:
    """The snapshot days the series are measured on: the month-ends of the last 13 months and
    the latest snapshot day, those that have snapshots, oldest first."""
    candidates = set()
    for back in range(SERIES_MONTHS):
        total = as_of.year * 12 + as_of.month - 1 - back
        end = _month_end(total // 12, total % 12 + 1)
        if end <= as_of:
            candidates.add(end)
    latest = repo.latest_snapshot_day(session, as_of)
    if latest is not None:
        candidates.add(latest)
    return repo.snapshot_days(session, candidates)


def portfolio_points(session: Session, as_of: date, dimension: str) -> dict[str, list[wr.Point]]:
    """Every portfolio metric's points by ``dimension``."""
    return portfolio_points_many(session, as_of, [dimension])[dimension]


def portfolio_points_many(
    session: Session, as_of: date, dimensions: Collection[str]
) -> dict[str, dict[str, list[wr.Point]]]:
    """``portfolio_points`` of several dimensions, one aggregate query per dimension except the
    whole bank's, which is added up from another dimension's sums when there is one (every loan
    has a branch, a product, a channel and a customer: each dimension's values split the book)."""
    periods = series_periods(session, as_of)
    gaps = {p: (p - (periods[i - 1] if i else p.replace(day=1) - timedelta(days=1))).days
            for i, p in enumerate(periods)}  # fmt: skip
    sums = repo.metric_sums_many(session, periods, gaps, list(dimensions))
    return {d: _points(sums[d]) for d in dimensions}


def _points(rows: list[repo.MetricSums]) -> dict[str, list[wr.Point]]:
    out: dict[str, list[wr.Point]] = {m: [] for m in _RATIOS}
    for row in rows:
        if row.balance <= 0:
            continue
        for metric, attr in _RATIOS.items():
            value = (Decimal(getattr(row, attr)) / Decimal(row.balance)).quantize(_Q8)
            out[metric].append(wr.Point(row.period, row.key, value))
    return out


def lpr_points(session: Session, as_of: date, window_days: int) -> list[wr.Point]:
    """The size (bp) of each LPR change that took effect in the last ``window_days`` days."""
    previous: dict[str, Decimal] = {}
    points = []
    for day, term, rate in repo.lpr_history(session):
        before = previous.get(term)
        previous[term] = rate
        if before is None or day > as_of or (as_of - day).days >= window_days or rate == before:
            continue
        points.append(wr.Point(day, f"LPR{term.upper()}", abs(rate - before) * 10_000))
    return points


# --- rules ---------------------------------------------------------------------------------------


def rule_of(row: WarningRule) -> wr.Rule:
    return wr.Rule(
        code=row.code, metric=row.metric, dimension=row.dimension, kind=row.kind.value,
        direction=row.direction, threshold=Decimal(row.threshold), window=row.window,
        severity=row.severity.value, name_zh=row.name_zh, name_en=row.name_en, due_days=row.due_days,
    )  # fmt: skip


def ensure_default_rules(session: Session, now: datetime) -> int:
    """Seed ``warning_defaults.DEFAULT_RULES`` when the table is empty; how many were added."""
    if repo.rule_count(session):
        return 0
    for d in DEFAULT_RULES:
        session.add(_row(WarningRule(enabled=True), d.rule, d.owner_role, None,
                         d.contingency_zh, d.contingency_en, now, None))  # fmt: skip
    session.flush()
    return len(DEFAULT_RULES)


def _row(
    row: WarningRule, rule: wr.Rule, owner_role: str | None, owner_id: int | None,
    plan_zh: str | None, plan_en: str | None, now: datetime, by_id: int | None,
) -> WarningRule:  # fmt: skip
    row.code, row.name_zh, row.name_en = rule.code, rule.name_zh, rule.name_en
    row.metric, row.dimension, row.kind = rule.metric, rule.dimension, RuleKind(rule.kind)
    row.direction, row.threshold, row.window = rule.direction, rule.threshold, rule.window
    row.severity, row.due_days = AlertSeverity(rule.severity), rule.due_days
    row.owner_role, row.owner_id = owner_role or None, owner_id
    row.contingency_zh, row.contingency_en = plan_zh or None, plan_en or None
    row.updated_at, row.updated_by_id = now, by_id
    return row


def save_rule(
    session: Session, data: dict[str, Any], *, rule_id: int | None, by_id: int | None,
    actor_label: str, now: datetime,
) -> WarningRule:  # fmt: skip
    """Create a rule (``rule_id`` None) or edit one (its code stays); every problem of the
    submitted values is reported at once."""
    row = session.get(WarningRule, rule_id) if rule_id is not None else None
    if rule_id is not None and row is None:
        raise NotFoundError("warning_rule.not_found", f"No warning rule with id {rule_id}")
    if row is not None:
        data = {**data, "code": row.code}
    problems: list[FieldProblem] = []
    try:
        rule = wr.parse_rule(data)
    except ValidationError as exc:
        problems, rule = list(exc.problems), None
    code = str(data.get("code") or "").strip()
    if row is None and code and repo.rule_by_code(session, code) is not None:
        problems.append(wr.problem("code", "code_taken", code=code))
    role = str(data.get("owner_role") or "").strip()
    if role and role not in Role._value2member_map_:
        problems.append(wr.problem("owner_role", "unknown_role", got=role[:32]))
    owner = data.get("owner_id")
    owner_id = (
        int(owner)
        if isinstance(owner, int) or (isinstance(owner, str) and owner.isdigit())
        else None
    )
    if owner not in (None, "") and (owner_id is None or session.get(Staff, owner_id) is None):
        problems.append(wr.problem("owner_id", "unknown_staff"))
    plan_zh, plan_en = (
        str(data.get(k) or "").strip() for k in ("contingency_zh", "contingency_en")
    )
    for name, text in (("contingency_zh", plan_zh), ("contingency_en", plan_en)):
        problems += wr.text_problems(name, text, required=False, max_chars=wr.MAX_TEXT)
    if problems or rule is None:
        raise ValidationError("warning_rule.invalid", "The warning rule is not usable", problems)
    created = row is None
    row = _row(row or WarningRule(enabled=True), rule, role, owner_id, plan_zh, plan_en, now, by_id)
    if created:
        session.add(row)
    session.flush()
    record(session, action="warning_rule.create" if created else "warning_rule.update",
           actor_label=actor_label, actor_staff_id=by_id, entity="warning_rule",
           entity_id=row.code, detail={"threshold": str(rule.threshold), "kind": rule.kind}, at=now)  # fmt: skip
    return row


def set_rule_enabled(
    session: Session,
    rule_id: int,
    enabled: bool,
    *,
    by_id: int | None,
    actor_label: str,
    now: datetime,
) -> WarningRule:
    row = session.get(WarningRule, rule_id)
    if row is None:
        raise NotFoundError("warning_rule.not_found", f"No warning rule with id {rule_id}")
    row.enabled, row.updated_at, row.updated_by_id = enabled, now, by_id
    record(session, action="warning_rule.enable" if enabled else "warning_rule.disable",
           actor_label=actor_label, actor_staff_id=by_id, entity="warning_rule",
           entity_id=row.code, at=now)  # fmt: skip
    return row


# --- evaluation and alerts ------------------------------------------------------------------------


def raise_alert(
    session: Session, *, rule_code: str, severity: str, dimension: str, key: str, metric: str,
    value: Decimal, threshold: Decimal, as_of: date, now: datetime, owner_id: int | None,
    due_days: int, detail: dict[str, Any],
) -> RiskAlert:  # fmt: skip
    """Add one alert (numbered ``RA<yyyymmdd><5 digits>``), audited."""
    prefix = f"RA{as_of:%Y%m%d}"
    number = repo.last_number(session, RiskAlert.alert_no, prefix) + 1
    alert = RiskAlert(
        alert_no=f"{prefix}{number:05d}", rule_code=rule_code, severity=AlertSeverity(severity),
        dimension=dimension, dimension_value=key[:64], metric=metric, value=value.quantize(_Q8),
        threshold=threshold.quantize(_Q8), raised_on=as_of, owner_id=owner_id,
        due_on=as_of + timedelta(days=due_days), status=AlertStatus.OPEN, actions=[], detail=detail,
    )  # fmt: skip
    session.add(alert)
    session.flush()
    record(session, action="alert.raise", entity="risk_alert", entity_id=alert.alert_no,
           detail={"rule": rule_code, "dimension": dimension, "value": key[:64]}, at=now)  # fmt: skip
    return alert


def _detail(row: WarningRule, f: wr.Firing) -> dict[str, Any]:
    return {
        "period": f.period.isoformat(), "kind": row.kind.value, "direction": row.direction,
        "window": row.window, "latest": float(f.latest), "measured": float(f.value),
        "series": [[d.isoformat(), float(v)] for d, v in f.series],
        "name_zh": row.name_zh, "name_en": row.name_en,
        "explain_zh": f.explain_zh, "explain_en": f.explain_en,
        "contingency_zh": row.contingency_zh, "contingency_en": row.contingency_en,
    }  # fmt: skip


def evaluate(session: Session, as_of: date, now: datetime) -> dict[str, int]:
    """Evaluate every enabled rule on ``as_of``; raise the alerts not yet raised."""
    rows = repo.rules(session, enabled_only=True)
    taken = repo.alert_keys(session) | repo.alert_keys(session, raised_on=as_of)
    periods = repo.alert_periods(session, [r.code for r in rows])
    portfolio = sorted(
        {r.dimension for r in rows if r.metric in _RATIOS}.intersection(wr.PORTFOLIO_DIMENSIONS)
    )
    cache = portfolio_points_many(session, as_of, portfolio) if portfolio else {}
    counts = {"rules": len(rows), "firings": 0, "raised": 0}
    for row in rows:
        if row.metric == "lpr_change_bp":
            points = lpr_points(session, as_of, row.window)
        elif row.metric in _RATIOS and row.dimension in wr.PORTFOLIO_DIMENSIONS:
            points = cache[row.dimension][row.metric]
        else:
            continue
        for f in wr.evaluate(rule_of(row), points):
            counts["firings"] += 1
            key = (row.code, row.dimension, f.key[:64])
            if key in taken or (*key, f.period.isoformat()) in periods:
                continue
            taken.add(key)
            owner = row.owner_id or repo.staff_of_role(
                session, row.owner_role or Role.RISK_OFFICER.value,
                f.key if row.dimension == "branch" else None,
            )  # fmt: skip
            raise_alert(
                session, rule_code=row.code, severity=row.severity.value, dimension=row.dimension,
                key=f.key, metric=row.metric, value=f.value, threshold=f.threshold, as_of=as_of,
                now=now, owner_id=owner, due_days=row.due_days, detail=_detail(row, f),
            )  # fmt: skip
            counts["raised"] += 1
    return counts


def after_close(session: Session, as_of: date, now: datetime) -> dict[str, int]:
    """The daily close's step of this module (``risk.close_steps``): what it did, counted."""
    seeded = ensure_default_rules(session, now)
    return {"rules_seeded": seeded, **evaluate(session, as_of, now)}


# --- the alert workflow ---------------------------------------------------------------------------


def get_alert(session: Session, alert_id: int, viewer: Principal | None = None) -> RiskAlert:
    """The alert ``alert_id``; PermissionDeniedError when it is outside ``viewer``'s scope."""
    alert = session.get(RiskAlert, alert_id)
    if alert is None:
        raise NotFoundError("alert.not_found", f"No alert with id {alert_id}")
    if not repo.alert_visible(session, alert_id, viewer):
        raise PermissionDeniedError(
            "scope.forbidden", f"Alert {alert.alert_no} is outside your branch or your own alerts"
        )
    return alert


def _entry(kind: str, text: str, by_id: int | None, by_name: str, now: datetime) -> dict[str, Any]:
    return {"at": now.isoformat(), "kind": kind, "text": text, "by_id": by_id, "by": by_name}


def _change(
    session: Session, alert: RiskAlert, action: str, entry: dict[str, Any], actor_label: str,
    by_id: int | None, now: datetime,
) -> RiskAlert:  # fmt: skip
    alert.actions = [*(alert.actions or []), entry]
    alert.updated_at = now
    session.flush()
    record(session, action=f"alert.{action}", actor_label=actor_label, actor_staff_id=by_id,
           entity="risk_alert", entity_id=alert.alert_no,
           detail={"status": alert.status.value}, at=now)  # fmt: skip
    return alert


def _open(alert: RiskAlert) -> None:
    if alert.status is AlertStatus.CLOSED:
        raise ConflictError("alert.closed", f"Alert {alert.alert_no} is closed")


def acknowledge(
    session: Session, alert_id: int, *, by_id: int | None, by_name: str, actor_label: str,
    now: datetime, viewer: Principal | None = None,
) -> RiskAlert:  # fmt: skip
    """Take an open alert in hand."""
    alert = get_alert(session, alert_id, viewer)
    if alert.status is not AlertStatus.OPEN:
        raise ConflictError(
            "alert.not_open", f"Alert {alert.alert_no} is {alert.status.value}, not open"
        )
    alert.status = AlertStatus.ACKNOWLEDGED
    return _change(session, alert, "acknowledge", _entry("acknowledge", "", by_id, by_name, now),
                   actor_label, by_id, now)  # fmt: skip


def record_action(
    session: Session, alert_id: int, text: str, *, by_id: int | None, by_name: str,
    actor_label: str, now: datetime, viewer: Principal | None = None,
) -> RiskAlert:  # fmt: skip
    """Record a contingency action taken (what, by whom, when)."""
    alert = get_alert(session, alert_id, viewer)
    text = text.strip()
    problems = wr.text_problems("text", text, required=True, max_chars=wr.MAX_TEXT)
    if problems:
        raise ValidationError("alert.action", "Describe the action taken", problems)
    _open(alert)
    alert.status = AlertStatus.ACTIONED
    return _change(session, alert, "action", _entry("action", text, by_id, by_name, now),
                   actor_label, by_id, now)  # fmt: skip


def has_action(alert: RiskAlert) -> bool:
    return any(a.get("kind", "action") == "action" for a in alert.actions or [])


def close_alert(
    session: Session, alert_id: int, reason: str, *, by_id: int | None, by_name: str,
    actor_label: str, now: datetime, viewer: Principal | None = None,
) -> RiskAlert:  # fmt: skip
    """Close an alert: it needs at least one recorded action, or a reason."""
    alert = get_alert(session, alert_id, viewer)
    _open(alert)
    reason = reason.strip()
    problems = wr.close_problems(reason, has_action(alert))
    if problems and not reason:
        raise ValidationError(
            "alert.close_needs_action",
            f"Alert {alert.alert_no} has no action recorded: give a reason to close it",
            problems,
        )
    if problems:
        raise ValidationError("alert.reason", "The reason is too long", problems)
    alert.status, alert.closed_at = AlertStatus.CLOSED, now
    return _change(session, alert, "close", _entry("close", reason, by_id, by_name, now),
                   actor_label, by_id, now)  # fmt: skip
