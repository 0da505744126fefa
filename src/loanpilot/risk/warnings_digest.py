"""The daily early-warning digest: what the risk team reads each morning, in Chinese or English,
as text (CLI, e-mail) or HTML (the console page, a file). New alerts of the day by severity, how
many alerts are still not closed and which are past their due date, and the open monitoring tasks
due within ``TASKS_AHEAD_DAYS`` (or already overdue). Given a viewer, only what that staff member's
scope covers (``repository_warnings.alert_scope`` and ``task_scope``). Reads only.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session

from loanpilot.access.rules import Principal
from loanpilot.risk import repository_warnings as repo
from loanpilot.risk.models import AlertStatus, RiskAlert
from loanpilot.risk.models_post import TaskStatus

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


OVERDUE_CLASS = ' class="overdue"'


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


def _alert_line(alert: RiskAlert, as_of: date, lang: str) -> DigestLine:
    detail = alert.detail or {}
    what = (
        detail.get(f"explain_{lang}")
        or f"{alert.rule_code} {alert.dimension}={alert.dimension_value}"
    )
    overdue = (
        alert.due_on is not None and alert.due_on < as_of and alert.status is not AlertStatus.CLOSED
    )
    return DigestLine(alert.alert_no, alert.severity.value, str(what), alert.due_on, overdue)


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
    return Digest(
        as_of=as_of, lang=lang, new_by_severity=by_severity,
        new_alerts=sorted((_alert_line(a, as_of, lang) for a in new_today),
                          key=lambda line: (order.get(line.severity, 9), line.number)),
        open_count=len(unclosed),
        overdue_alerts=[line for a in unclosed if (line := _alert_line(a, as_of, lang)).overdue],
        tasks_due=[DigestLine(t.task_no, t.kind.value, loan.loan_no, t.due_on, t.due_on < as_of)
                   for t, loan in tasks],
    )  # fmt: skip
