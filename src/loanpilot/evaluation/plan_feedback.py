"""The work plan's feedback part (反馈与改进) of the evaluation chapter: tickets received in the
period by type, topic and status, the open and overdue ones, the topics that grew against the
last period, and the improvement actions with their verified effect.

Every number is a Figure / Table cell / Chart point whose ``source`` names the query: the ticket
counts ``feedback.tickets received_at in P`` (Asia/Shanghai days) grouped as stated, the open and
overdue ones ``feedback.tickets open at A`` (status as recorded, SLA due before the end of the
as-of day), the actions ``feedback.actions`` with their measured metric's own source.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy.orm import Session

from loanpilot.evaluation import actions, actions_metrics, kpi_rules
from loanpilot.evaluation import feedback_rules as rules
from loanpilot.evaluation import repository_feedback as repo
from loanpilot.evaluation.plan_common import Figures, bounds, instant, ratio
from loanpilot.evaluation.plan_render import Lang, format_value
from loanpilot.evaluation.plan_types import Chart, Column, Section, Series, Table, Unit, Value
from loanpilot.evaluation.topics import TOPIC_LABELS
from loanpilot.kit.clock import SHANGHAI
from loanpilot.kit.periods import Period
from loanpilot.risk.warning_rules import METRICS as RISK_METRICS

TYPES: dict[str, tuple[str, str]] = {
    "complaint": ("投诉", "Complaints"),
    "suggestion": ("建议", "Suggestions"),
    "inquiry": ("咨询", "Inquiries"),
}
STATUSES: dict[str, tuple[str, str]] = {
    "open": ("待处理", "Open"),
    "in_progress": ("处理中", "In progress"),
    "resolved": ("已解决", "Resolved"),
    "closed": ("已办结", "Closed"),
    "reopened": ("重新打开", "Reopened"),
}
ACTION_STATUSES: dict[str, tuple[str, str]] = {
    "proposed": ("已提出", "Proposed"),
    "in_progress": ("实施中", "In progress"),
    "done": ("已完成待验证", "Done, to verify"),
    "verified": ("已验证效果", "Verified"),
    "cancelled": ("已取消", "Cancelled"),
}


#: Metrics an improvement action may be verified by that are neither KPIs nor complaint counts.
OTHER_METRICS: dict[str, tuple[str, str, Unit]] = {
    "csat_avg": ("客户满意度（CSAT 均分）", "Satisfaction (mean CSAT)", "score"),
    "avg_decision_hours": ("平均审批时长（小时）", "Mean time to decision (hours)", "score"),
}
EFFECTS = {True: ("达到目标", "Target met"), False: ("未达目标", "Target missed")}


def metric_label(code: str | None, lang: int) -> tuple[str, Unit]:
    """What an action's metric is called, and the unit its values are shown in (a KPI's own, a
    risk ratio as %, complaint counts per 30 days and other averages with two decimals); an
    unknown code is shown as it is."""
    if not code:
        return "—", "score"
    if code in OTHER_METRICS:
        zh, en, own = OTHER_METRICS[code]
        return (zh, en)[lang], own
    if code in RISK_METRICS and RISK_METRICS[code].unit == "ratio":
        m = RISK_METRICS[code]
        return (m.zh, m.en)[lang], "pct"
    found = actions_metrics.info(code)
    if found is None:
        return code, "score"
    unit: Unit = "score"
    if found.origin == "kpi" and code in kpi_rules.DEFINITIONS:
        unit = kpi_rules.DEFINITIONS[code].unit
    return (found.label_zh, found.label_en)[lang], unit


def _topic(code: str | None, lang: int) -> str:
    if not code:
        return ("未分类", "unclassified")[lang]
    return TOPIC_LABELS.get(code, (code, code))[lang]


def plan_section(session: Session, period: Period, as_of: date, *, lang: str = "zh") -> Section:
    """The feedback and improvement part of chapter 9 for ``period``, as of ``as_of``, with its
    labels in ``lang`` (actions' titles are the bank's own words and stay as written)."""
    i = 0 if lang == "zh" else 1
    shown_lang: Lang = "zh" if lang == "zh" else "en"
    start, end = bounds(period)
    prev_start, prev_end = bounds(period.previous())
    at = instant(as_of + timedelta(days=1))  # the end of the as-of day
    now_facts = repo.ticket_facts(session, repo.TicketFilters(received_before=at), None, at)
    this = [f for f in now_facts if start <= f[4] < end]
    last = [f for f in now_facts if prev_start <= f[4] < prev_end]
    src = f"feedback.tickets received_at in {period.label} (Asia/Shanghai)"
    src_prev = f"feedback.tickets received_at in {period.previous().label} (Asia/Shanghai)"
    src_open = f"feedback.tickets status in (open, in_progress, reopened) as of {as_of}"
    src_overdue = f"{src_open} and sla_due_at < end of {as_of}"
    f = Figures()
    by_type = Counter(x[0] for x in this)
    f.add("tickets", "本期受理工单", "Tickets received", len(this), "count", src)
    for code, (name_zh, name_en) in TYPES.items():
        f.add(code, f"其中{name_zh}", name_en, by_type.get(code, 0), "count", src + f" type={code}")
    f.add("tickets_prev", "上期受理工单", "Tickets last period", len(last), "count", src_prev)
    open_now = [x for x in now_facts if x[2] in rules.UNRESOLVED]
    overdue = [x for x in open_now if rules.is_overdue(x[2], x[5], at)]
    f.add("open", "未解决工单", "Unresolved tickets", len(open_now), "count", src_open)
    f.add("overdue", "其中超时", "Of which overdue", len(overdue), "count", src_overdue)
    closed = sum(1 for x in this if x[2] == "closed")
    f.add("closed_share", "本期工单办结率", "Share of this period's tickets closed",
          ratio(closed, len(this)), "pct", src + " status=closed")  # fmt: skip
    topics_now = Counter(x[1] for x in this if x[1])
    topics_prev = Counter(x[1] for x in last if x[1])
    ranked = topics_now.most_common()
    if ranked:
        top, n = ranked[0]
        f.add(
            "top_topic",
            "反映最多的主题",
            "Most frequent topic",
            _topic(top, i),
            "text",
            src + " by=topic",
        )
        f.add("top_topic_n", "其工单数", "Its tickets", n, "count", src + f" topic={top}")
    grown = sorted(
        ((t, n - topics_prev.get(t, 0)) for t, n in topics_now.items()), key=lambda p: (-p[1], p[0])
    )
    rising = grown[0] if grown and grown[0][1] > 0 else None
    if rising is not None:
        f.add("rising_topic", "增长最多的主题", "Fastest-growing topic", _topic(rising[0], i), "text",
              f"{src} vs {period.previous().label} by=topic")  # fmt: skip
        f.add("rising_by", "较上期增加", "More than last period", rising[1], "count",
              f"{src} vs {period.previous().label} topic={rising[0]}")  # fmt: skip

    all_actions = repo.actions(session, repo.ActionFilters())
    src_act = f"feedback.actions as of {as_of}"
    open_actions = [a for a in all_actions if a.status.value in ("proposed", "in_progress", "done")]
    late = [a for a in open_actions if a.status.value != "done" and a.deadline < as_of]
    verified = [a for a in all_actions if a.status.value == "verified"]
    verified_here = [a for a in verified if a.verified_on and period.contains(a.verified_on)]
    f.add("actions_open", "在办改进措施", "Open improvement actions", len(open_actions), "count",
          src_act + " status in (proposed, in_progress, done)")  # fmt: skip
    f.add("actions_late", "其中逾期", "Of which past deadline", len(late), "count",
          src_act + " status in (proposed, in_progress) and deadline < as_of")  # fmt: skip
    f.add("actions_verified", "累计验证有效的措施", "Actions verified effective", len(verified), "count",
          src_act + " status=verified")  # fmt: skip
    f.add("actions_verified_period", "本期验证有效", "Verified this period", len(verified_here), "count",
          src_act + f" verified_on in {period.label}")  # fmt: skip

    type_status = Table(
        "本期工单类型与处理状态", "Tickets this period by type and status",
        (Column("类型", "Type"), *(Column(a, b, "count") for a, b in STATUSES.values()),
         Column("合计", "Total", "count")),
        tuple((TYPES[t][i], *(sum(1 for x in this if x[0] == t and x[2] == s) for s in STATUSES),
               by_type.get(t, 0)) for t in TYPES),
        src + " by=type,status",
    )  # fmt: skip
    topic_rows = sorted(
        set(topics_now) | set(topics_prev), key=lambda t: (-topics_now.get(t, 0), t)
    )
    topic_table = Table(
        "各主题工单：本期与上期", "Tickets by topic: this period and the last",
        (Column("主题", "Topic"), Column("本期", "This period", "count"),
         Column("上期", "Last period", "count"), Column("变化", "Change", "count")),
        tuple((_topic(t, i), topics_now.get(t, 0), topics_prev.get(t, 0),
               topics_now.get(t, 0) - topics_prev.get(t, 0)) for t in topic_rows),
        f"{src} vs {period.previous().label} by=topic",
    )  # fmt: skip
    shown = [a for a in all_actions if a.status.value != "cancelled"][:20]
    action_rows: list[tuple[Value, ...]] = []
    for a in shown:
        v = actions.verdict(a)
        effect = "—" if v is None else EFFECTS[bool(v.met)][i]
        label, unit = metric_label(a.metric_code, i)
        action_rows.append((a.title, ACTION_STATUSES[a.status.value][i], label,
                            *(format_value(x, unit, shown_lang) for x in
                              (a.baseline_value, a.target_value, a.after_value)), effect))  # fmt: skip
    action_table = Table(
        "改进措施及效果验证", "Improvement actions and their verified effect",
        (Column("措施", "Action"), Column("状态", "Status"), Column("验证指标", "Metric"),
         Column("基线", "Baseline"), Column("目标", "Target"),
         Column("措施后", "After"), Column("效果", "Effect")),
        tuple(action_rows), src_act + " (baseline: period before raised; after: period after done)",
    )  # fmt: skip
    chart_topics = Chart(
        "各主题工单数（本期与上期）", "Tickets by topic (this and last period)", "bar",
        tuple(_topic(t, i) for t in topic_rows),
        (Series("本期", "This period", tuple(topics_now.get(t, 0) for t in topic_rows)),
         Series("上期", "Last period", tuple(topics_prev.get(t, 0) for t in topic_rows))),
        "count", f"{src} vs {period.previous().label} by=topic",
    )  # fmt: skip
    months = [min(period.last_day, as_of).replace(day=1)]  # no month after the data
    while len(months) < 12:
        first = months[0]
        months.insert(0, (first.replace(day=1) - timedelta(days=1)).replace(day=1))
    by_month = Counter(x[4].astimezone(SHANGHAI).strftime("%Y-%m") for x in now_facts)
    labels = tuple(m.strftime("%Y-%m") for m in months)
    chart_months = Chart(
        "每月受理工单", "Tickets received per month", "line", labels,
        (Series("工单", "Tickets", tuple(by_month.get(m, 0) for m in labels)),),
        "count", f"feedback.tickets received_at by month {labels[0]}..{labels[-1]} (Asia/Shanghai)",
    )  # fmt: skip

    zh = [
        "【现状】本期共受理客户反馈 {tickets} 件（上期 {tickets_prev} 件），其中投诉 {complaint} 件、建议 {suggestion} 件、咨询 {inquiry} 件；"
        "本期工单办结率 {closed_share}。截至报告日仍有 {open} 件未解决，其中超过服务时限 {overdue} 件。"
    ]
    en = ["[Situation] {tickets} tickets came in this period ({tickets_prev} last period): {complaint} complaints, "
          "{suggestion} suggestions and {inquiry} inquiries; {closed_share} of them are closed. {open} tickets are "
          "unresolved as of the report date, {overdue} of them past their service time."]  # fmt: skip
    if ranked:
        line_zh = "【分析】客户反映最多的是“{top_topic}”（{top_topic_n} 件）"
        line_en = '[Analysis] Customers raised "{top_topic}" most ({top_topic_n} tickets)'
        if rising is not None:
            line_zh += "；较上期增长最多的是“{rising_topic}”（多 {rising_by} 件），需查找根因"
            line_en += (
                '; "{rising_topic}" grew most (+{rising_by}), and its root cause needs finding'
            )
        zh.append(line_zh + "。")
        en.append(line_en + ".")
    zh.append(
        "【改进】在办改进措施 {actions_open} 项，其中逾期 {actions_late} 项；累计 {actions_verified} 项经措施前后指标对比验证有效，"
        "本期验证 {actions_verified_period} 项。下期对超时工单逐件督办，对增长主题立项改进，措施完成后按考察期复测指标。"
    )
    en.append("[Improvement] {actions_open} improvement actions are open, {actions_late} past their deadline; "
              "{actions_verified} have been verified effective by their metric before and after, "
              "{actions_verified_period} this period. Next period: chase every overdue ticket, raise an action "
              "for each growing topic, and re-measure each action's metric once it is done.")  # fmt: skip
    empty = ("本期没有受理的客户反馈工单。", "No feedback ticket came in this period.")[i]
    notes: tuple[str, ...] = (empty,) if not this else ()
    return Section(
        "feedback", "反馈与改进", "Feedback and improvement", tuple(zh), tuple(en), f.tuple(),
        (type_status, topic_table, action_table), (chart_topics, chart_months), notes,
    )  # fmt: skip
