"""The daily early-warning digest: what the risk team reads each morning, in Chinese or English,
as text (CLI, e-mail) or HTML (the console page, a file). New alerts of the day by severity, how
many alerts are still not closed and which are past their due date, and the open monitoring tasks
due within ``TASKS_AHEAD_DAYS`` (or already overdue). Given a viewer, only what that staff member's
scope covers (``repository_warnings.alert_scope`` and ``task_scope``). Reads only.

``AlertLabels`` words alerts as every surface shows them: the rule's name (its code when the rule
is gone), the dimension value's label (a branch's or product's name, an occupation or channel in
the language), the value and threshold (a change in percentage points for change and trend
rules) and why it fired, rebuilt with those labels.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from loanpilot.access.rules import Principal
from loanpilot.risk import repository_warnings as repo
from loanpilot.risk import warning_rules as wr
from loanpilot.risk.models import AlertStatus, RiskAlert
from loanpilot.risk.models_post import TaskStatus, WarningRule
from loanpilot.risk.reasons import VALUE_LABELS

#: How far ahead the digest lists monitoring tasks coming due.
TASKS_AHEAD_DAYS = 7
_WORDS = {
    "title": ("风险预警日报", "Risk alert digest"),
    "new": ("今日新增预警", "New alerts today"),
    "open": ("未关闭预警", "Alerts not closed"),
    "overdue": ("逾期未处置预警", "Alerts past their due date"),
    "tasks": ("到期贷后任务", "Monitoring tasks due"),
    "none": ("无", "none"),
    "due": ("到期", "due"),
}
_SEVERITY = {"critical": ("严重", "critical"), "high": ("高", "high"),
             "medium": ("中", "medium"), "low": ("低", "low")}  # fmt: skip
_TASK_KIND = {"purpose_check": ("资金用途检查", "purpose-of-funds check"),
              "large_loan_review": ("大额贷款定期检查", "large-loan review"),
              "behaviour_score": ("行为评分", "behavioural score")}  # fmt: skip

#: Dimension values that are neither a branch nor a product code, in both languages.
_KEY_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "all": {"all": ("全行", "whole bank"), "LPR": ("LPR", "LPR"),
            "LPR1Y": ("1年期LPR", "1-year LPR"), "LPR5Y": ("5年期以上LPR", "over-5-year LPR")},
    "channel": {"online": ("网上银行", "online"), "mobile": ("手机银行", "mobile"),
                "branch": ("网点", "branch"), "partner": ("合作机构", "partner"),
                "call_center": ("电话中心", "call centre"), "sms": ("短信", "SMS"),
                "wechat": ("微信", "WeChat"), "referral": ("转介绍", "referral")},
    "segment": dict(VALUE_LABELS),  # a segment is the borrower's occupation
}  # fmt: skip
#: Names of the alerts no rule row stands behind.
_RULE_WORDS = {"purpose_misuse": ("资金用途异常", "Misuse of funds")}
_PP = {"zh": " 个百分点", "en": " pp"}
#: Metrics that count (a misuse of funds found by a monitoring task).
_COUNTS = frozenset({"purpose_misuse"})

OVERDUE_CLASS = ' class="overdue"'


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def value_text(metric: str, kind: str, value: Decimal, lang: str) -> str:
    """A measured value (or threshold) as read: a level as ``3.25%`` / ``25bp``; a change or trend
    of a rate in percentage points, signed: ``+1.13 个百分点`` / ``+1.13 pp``."""
    metric_def = wr.METRICS.get(metric)
    if metric in _COUNTS:
        return f"{value.normalize():f}"
    if metric_def is None:  # a rate no rule watches (the demo bank's LPR level)
        return f"{(value * 100).quantize(Decimal('0.01'))}%"
    if kind == "level" or metric_def.unit != "ratio":
        return wr.format_value(metric, value)
    size = (abs(value) * 100).quantize(Decimal("0.01"))
    sign = "+" if value > 0 else "-" if value < 0 else ""
    return f"{sign}{size}{_PP['zh' if lang == 'zh' else 'en']}"


@dataclass(frozen=True)
class AlertWords:
    """One alert as read in one language."""

    rule_name: str  # the rule's name, else its code
    key: str  # the dimension value's label
    value: str
    threshold: str
    explain: str | None  # why it fired, with the labels; None when nothing says why


class AlertLabels:
    """Words of many alerts in ``lang``: rules and branch / product names looked up once."""

    def __init__(self, session: Session, alerts: Iterable[RiskAlert], lang: str) -> None:
        self.lang = "en" if lang == "en" else "zh"
        alerts = list(alerts)
        self.rules: dict[str, WarningRule] = {r.code: r for r in repo.rules(session)}
        self.names: dict[tuple[str, str], tuple[str, str]] = {}
        for dim in ("branch", "product"):
            keys = [a.dimension_value for a in alerts if a.dimension == dim]
            for code, pair in repo.key_names(session, dim, keys).items():
                self.names[(dim, code)] = pair

    def rule_name(self, code: str, detail: dict[str, object] | None = None) -> str:
        named = (detail or {}).get(f"name_{self.lang}")
        if isinstance(named, str) and named:
            return named
        row = self.rules.get(code)
        if row is not None:
            return row.name_zh if self.lang == "zh" else row.name_en
        return _pick(_RULE_WORDS[code], self.lang) if code in _RULE_WORDS else code

    def key_pair(self, dimension: str, key: str) -> tuple[str, str]:
        """The dimension value's label in Chinese and English (the value itself when unknown)."""
        found = self.names.get((dimension, key)) or _KEY_WORDS.get(dimension, {}).get(key)
        if found is None:
            return key, key
        zh, en = found
        return zh, (en if dimension == "all" else en[:1].upper() + en[1:])

    def key_label(self, dimension: str, key: str) -> str:
        return _pick(self.key_pair(dimension, key), self.lang)

    def kind(self, alert: RiskAlert) -> str:
        """level, change or trend: as the alert recorded it, else its rule's."""
        kind = (alert.detail or {}).get("kind")
        row = self.rules.get(alert.rule_code)
        return str(kind) if kind else row.kind.value if row is not None else "level"

    def words(self, alert: RiskAlert) -> AlertWords:
        kind = self.kind(alert)
        row = self.rules.get(alert.rule_code)
        detail = alert.detail or {}
        direction = str(detail.get("direction") or (row.direction if row else "above"))
        threshold = Decimal(alert.threshold)
        if kind != "level" and direction == "below":
            threshold = -threshold  # a fall of at least this size
        return AlertWords(
            rule_name=self.rule_name(alert.rule_code, detail),
            key=self.key_label(alert.dimension, alert.dimension_value),
            value=value_text(alert.metric, kind, Decimal(alert.value), self.lang),
            threshold=value_text(alert.metric, kind, threshold, self.lang),
            explain=self._explain(alert, kind, direction, row),
        )

    def _explain(
        self, alert: RiskAlert, kind: str, direction: str, row: WarningRule | None
    ) -> str | None:
        """Why the alert fired (``warning_rules.explain``) with the value's label; the recorded
        text when the alert does not carry what that needs."""
        detail = alert.detail or {}
        stored = detail.get(f"explain_{self.lang}")
        latest = detail.get("latest", alert.value if kind == "level" else None)
        window = detail.get("window") or (row.window if row else None)
        if alert.metric not in wr.METRICS or latest is None or window is None:
            return str(stored) if stored else None
        rule = wr.Rule(
            code=alert.rule_code, metric=alert.metric, dimension=alert.dimension, kind=kind,
            direction=direction, threshold=Decimal(alert.threshold), window=int(str(window)),
        )  # fmt: skip
        key = alert.dimension_value
        zh_key, en_key = ("all", "all") if key == "all" else self.key_pair(alert.dimension, key)
        measured, now = Decimal(alert.value), Decimal(str(latest))
        if self.lang == "zh":
            return wr.explain(rule, zh_key, measured, now)[0]
        return wr.explain(rule, en_key, measured, now)[1]


@dataclass(frozen=True)
class DigestLine:
    number: str
    severity: str  # an alert's severity, or a task's kind
    what: str
    due_on: date | None
    overdue: bool


@dataclass(frozen=True)
class Digest:
    """What the risk team reads each morning: new alerts by severity, alerts still open and those
    past due, monitoring tasks due within a week (or overdue)."""

    as_of: date
    lang: str
    new_by_severity: dict[str, int]
    new_alerts: list[DigestLine] = field(default_factory=list)
    open_count: int = 0
    overdue_alerts: list[DigestLine] = field(default_factory=list)
    tasks_due: list[DigestLine] = field(default_factory=list)

    def word(self, key: str) -> str:
        zh, en = _WORDS[key]
        return zh if self.lang == "zh" else en

    def severity_label(self, severity: str) -> str:
        zh, en = _SEVERITY.get(severity) or _TASK_KIND.get(severity) or (severity, severity)
        return zh if self.lang == "zh" else en

    def sections(self) -> list[tuple[str, list[DigestLine]]]:
        return [(self.word("new"), self.new_alerts), (self.word("overdue"), self.overdue_alerts),
                (self.word("tasks"), self.tasks_due)]  # fmt: skip

    def summary(self) -> str:
        counts = ", ".join(
            f"{self.severity_label(s)} {n}" for s, n in self.new_by_severity.items() if n
        )
        total = sum(self.new_by_severity.values())
        return (f"{self.word('new')}: {total}" + (f" ({counts})" if counts else "")
                + f"; {self.word('open')}: {self.open_count}")  # fmt: skip

    def text(self) -> str:
        lines = [f"{self.word('title')} {self.as_of.isoformat()}", self.summary()]
        for title, items in self.sections():
            lines += ["", f"{title} ({len(items)})"]
            lines += [f"  {i.number} [{self.severity_label(i.severity)}] {i.what}"
                      + (f" · {self.word('due')} {i.due_on.isoformat()}" if i.due_on else "")
                      + (" !" if i.overdue else "") for i in items] or [f"  {self.word('none')}"]  # fmt: skip
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        esc = html.escape
        parts = [f"<h1>{esc(self.word('title'))} {self.as_of.isoformat()}</h1>",
                 f"<p class=\"digest-summary\">{esc(self.summary())}</p>"]  # fmt: skip
        for title, items in self.sections():
            parts.append(f"<h2>{esc(title)} ({len(items)})</h2>")
            if not items:
                parts.append(f"<p>{esc(self.word('none'))}</p>")
                continue
            rows = "".join(
                f'<li data-number="{esc(i.number)}"{OVERDUE_CLASS if i.overdue else ""}>'
                f"<code>{esc(i.number)}</code> [{esc(self.severity_label(i.severity))}] {esc(i.what)}"
                + (f" · {esc(self.word('due'))} {i.due_on.isoformat()}" if i.due_on else "")
                + "</li>"
                for i in items
            )
            parts.append(f"<ul>{rows}</ul>")
        return "\n".join(parts) + "\n"


def _alert_line(alert: RiskAlert, as_of: date, labels: AlertLabels) -> DigestLine:
    """An alert's digest line: its rule's name, then why it fired (or its dimension value and
    what was measured, when nothing says why)."""
    words = labels.words(alert)
    dim = wr.DIMENSION_LABELS.get(alert.dimension)
    where = words.key if dim is None or alert.dimension == "all" else (
        f"{_pick(dim, labels.lang)} {words.key}")  # fmt: skip
    colon = "：" if labels.lang == "zh" else ": "
    what = f"{words.rule_name}{colon}" + (
        words.explain or f"{where} {words.value}（{words.threshold}）"
        if labels.lang == "zh" else words.explain or f"{where} {words.value} ({words.threshold})"
    )  # fmt: skip
    overdue = (
        alert.due_on is not None and alert.due_on < as_of and alert.status is not AlertStatus.CLOSED
    )
    return DigestLine(alert.alert_no, alert.severity.value, what, alert.due_on, overdue)


def daily_digest(
    session: Session, as_of: date, lang: str = "zh", viewer: Principal | None = None
) -> Digest:
    """The digest of ``as_of`` in ``lang`` (zh or en); of ``viewer``'s scope if given (else the
    whole bank)."""
    lang = "en" if lang == "en" else "zh"
    order = {s: i for i, s in enumerate(("critical", "high", "medium", "low"))}
    new_today = repo.alerts(
        session, repo.AlertFilters(raised_on=as_of), limit_rows=10_000, viewer=viewer
    )
    by_severity = dict.fromkeys(order, 0)
    for a in new_today:
        by_severity[a.severity.value] += 1
    unclosed = repo.unclosed_alerts(session, viewer)
    due_by = as_of + timedelta(days=TASKS_AHEAD_DAYS)
    tasks = repo.tasks(
        session, repo.TaskFilters(status=TaskStatus.OPEN.value, due_by=due_by), viewer=viewer
    )
    labels = AlertLabels(session, [*new_today, *unclosed], lang)
    return Digest(
        as_of=as_of, lang=lang, new_by_severity=by_severity,
        new_alerts=sorted((_alert_line(a, as_of, labels) for a in new_today),
                          key=lambda line: (order.get(line.severity, 9), line.number)),
        open_count=len(unclosed),
        overdue_alerts=[line for a in unclosed if (line := _alert_line(a, as_of, labels)).overdue],
        tasks_due=[DigestLine(t.task_no, t.kind.value, loan.loan_no, t.due_on, t.due_on < as_of)
                   for t, loan in tasks],
    )  # fmt: skip
