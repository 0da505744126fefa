"""The customer-service chapter (客户服务) of the generated work plan: satisfaction and NPS overall
and by product and branch with their monthly trend (from the KPI suite), the response rate, SLA
attainment and breaches by stage, quality-review averages, and the themes customers write about.
Every number is a Figure, a Table cell or a Chart point carrying its source query; the paragraphs
are templates on the figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from loanpilot.evaluation.kpi_rules import NONE_KEY
from loanpilot.evaluation.plan_common import UNATTRIBUTED, named
from loanpilot.evaluation.plan_types import Chart, Column, Figure, Section, Series, Table
from loanpilot.kit.periods import Period
from loanpilot.products import service as products
from loanpilot.service import analysis, kpi_source, quality, sla
from loanpilot.service import repository as repo
from loanpilot.service import survey_rules as rules

THEME_LABELS: dict[str, tuple[str, str]] = {
    "speed": ("办理速度", "Speed"),
    "rate": ("利率与费用", "Rate and fees"),
    "staff": ("客户经理服务", "Staff service"),
    "app": ("线上与手机银行", "Online and app"),
    "process": ("申请材料与流程", "Documents and process"),
    "disbursement": ("放款到账", "Disbursement"),
}
STAGE_LABELS: dict[str, tuple[str, str]] = {
    "application_to_decision": ("申请到审批结论", "Application to decision"),
    "decision_to_disbursement": ("审批到放款", "Decision to disbursement"),
    "application_to_disbursement": ("申请到放款（全流程）", "Application to disbursement"),
}


def _point_rows(
    points: list[kpi_source.Point], names: dict[str, str]
) -> tuple[tuple[str, Decimal | None, Decimal | None, int], ...]:
    ranked = sorted(points, key=lambda p: (-(p.satisfaction_n + p.nps_n), p.label))
    return tuple((names.get(p.key, p.label), p.satisfaction, p.nps, p.responses) for p in ranked)


def _by_table(period: Period, points: list[kpi_source.Point], dim: str, zh: str, en: str,
              names: dict[str, str]) -> Table:  # fmt: skip
    return Table(
        title_zh=f"分{zh}满意度与净推荐值", title_en=f"Satisfaction and NPS by {en}",
        columns=(Column(zh, en), Column("满意度（CSAT 均分）", "Satisfaction (mean CSAT)", "score"),
                 Column("净推荐值", "NPS", "pct"), Column("答卷数", "Responses", "count")),
        rows=_point_rows(points, names), source=kpi_source.source_query(period, dim),
    )  # fmt: skip


def plan_section(session: Session, period: Period, as_of: date, *, lang: str = "zh") -> Section:
    """The service chapter for ``period`` (figures up to ``as_of``'s data as stored), with the
    labels in ``lang`` (branch names are the bank's own and stay as they are)."""
    del as_of  # the data are read as stored; the period bounds every figure
    p = period.label
    i = 0 if lang == "zh" else 1
    none = {NONE_KEY: UNATTRIBUTED[i]}
    product_names = {**none, **{
        x.code: named(lang, x.name_zh, x.name_en)
        for x in products.list_products(session, active_only=False)
    }}  # fmt: skip
    overall = kpi_source.figures(session, period, None)
    top = overall[0] if overall else None
    by_product = kpi_source.figures(session, period, "product")
    by_branch = kpi_source.figures(session, period, "branch")
    trend = analysis.trend(session, period)
    sent, responded, _ = analysis.response_rates(session, period, repo.Scope())
    report = sla.measure(session, period)
    measured, breached = len(report.spans), len(report.breaches)
    q_avg, q_n = quality.overall_average(session, period)
    themes = analysis.theme_counts(session, period, repo.Scope())
    top_theme = THEME_LABELS.get(themes[0][0], (themes[0][0],) * 2) if themes else ("—", "—")
    src_all = kpi_source.source_query(period, None)
    trend_source = (
        f"kpi:satisfaction,nps by=all for each month {trend[0][0]}..{trend[-1][0]}" if trend else ""
    )
    figures = (
        Figure("satisfaction", "客户满意度", "Customer satisfaction",
               top.satisfaction if top else None, "score", src_all),
        Figure("nps", "净推荐值", "Net promoter score", top.nps if top else None, "pct", src_all),
        Figure("responses", "答卷数", "Responses", responded, "count",
               f"service.response_rate period={p}"),
        Figure("invitations", "发出邀请", "Invitations sent", sent, "count",
               f"service.response_rate period={p}"),
        Figure("response_rate", "答卷率", "Response rate", rules.ratio(responded, sent), "pct",
               f"service.response_rate period={p}"),
        Figure("sla_measured", "考核时效环节数", "Stage spans measured", measured, "count",
               f"service.sla_breaches period={p}"),
        Figure("sla_breaches", "超时环节数", "SLA breaches", breached, "count",
               f"service.sla_breaches period={p}"),
        Figure("sla_attainment", "时效达标率", "SLA attainment",
               rules.ratio(measured - breached, measured), "pct", f"service.sla_breaches period={p}"),
        Figure("quality_average", "服务质量检查平均分", "Average quality-review score", q_avg,
               "score", f"service.quality_average period={p}"),
        Figure("quality_reviews", "质量检查次数", "Quality reviews", q_n, "count",
               f"service.quality_average period={p}"),
        Figure("top_theme", "客户意见最集中的主题", "Most mentioned theme", top_theme[i], "text",
               f"service.comment_themes period={p}"),
    )  # fmt: skip
    tables = (
        _by_table(period, by_product, "product", "产品", "product", product_names),
        _by_table(period, by_branch, "branch", "机构", "branch", none),
        Table(
            title_zh="各环节服务时效", title_en="Stage SLAs",
            columns=(Column("环节", "Stage"), Column("考核笔数", "Measured", "count"),
                     Column("超时笔数", "Breaches", "count"), Column("达标率", "Attainment", "pct")),
            rows=tuple((STAGE_LABELS[t.key][i], t.measured, t.breached, t.attainment)
                       for t in report.by_stage),
            source=f"service.sla_breaches period={p} by=stage",
        ),
        Table(
            title_zh="各机构服务质量检查", title_en="Quality reviews by branch",
            columns=(Column("机构", "Branch"), Column("平均分", "Average score", "score"),
                     Column("检查次数", "Reviews", "count")),
            rows=_quality_rows(session, period),
            source=f"service.quality_average period={p} by=branch",
        ),
        Table(
            title_zh="客户意见主题", title_en="Comment themes",
            columns=(Column("主题", "Theme"), Column("提及次数", "Mentions", "count")),
            rows=tuple((THEME_LABELS.get(k, (k, k))[i], n) for k, n in themes[:6]),
            source=f"service.comment_themes period={p}",
        ),
    )  # fmt: skip
    charts = (
        Chart(
            title_zh="满意度月度趋势", title_en="Monthly satisfaction", kind="line",
            categories=tuple(m for m, _ in trend),
            series=(Series("满意度", "Satisfaction",
                           tuple(pt.satisfaction if pt else None for _, pt in trend)),),
            unit="score", source=trend_source,
        ),
        Chart(
            title_zh="净推荐值月度趋势", title_en="Monthly NPS", kind="line",
            categories=tuple(m for m, _ in trend),
            series=(Series("净推荐值", "NPS", tuple(pt.nps if pt else None for _, pt in trend)),),
            unit="pct", source=trend_source,
        ),
        Chart(
            title_zh="各环节超时笔数", title_en="SLA breaches by stage", kind="bar",
            categories=tuple(STAGE_LABELS[t.key][i] for t in report.by_stage),
            series=(Series("超时笔数", "Breaches", tuple(t.breached for t in report.by_stage)),),
            unit="count", source=f"service.sla_breaches period={p} by=stage",
        ),
    )  # fmt: skip
    notes: tuple[str, ...] = ()
    if top is None or not (top.satisfaction_n or top.nps_n):
        notes = (f"{period.label_zh()}没有回收的满意度答卷。" if lang == "zh"
                 else f"No satisfaction survey was answered in {period.label}.",)  # fmt: skip
    return Section(
        key="service", title_zh="客户服务", title_en="Customer service",
        paragraphs_zh=(
            f"{period.label_zh()}共发出满意度调查邀请{{invitations}}份，回收答卷{{responses}}份，"
            "答卷率{response_rate}。客户满意度为{satisfaction}（5分制），净推荐值为{nps}。",
            "服务时效方面，共考核{sla_measured}个环节，其中超时{sla_breaches}个，达标率"
            "{sla_attainment}。服务质量检查{quality_reviews}次，平均得分{quality_average}。",
            "客户留言中提及最多的主题是“{top_theme}”，下一阶段将据此制定改进措施。",
        ),
        paragraphs_en=(
            f"In {period.label} we sent {{invitations}} survey invitations and received "
            "{responses} responses (response rate {response_rate}). Satisfaction was "
            "{satisfaction} out of 5; the net promoter score was {nps}.",
            "Of {sla_measured} stage spans measured, {sla_breaches} breached their SLA "
            "(attainment {sla_attainment}). {quality_reviews} quality reviews averaged "
            "{quality_average} points.",
            "Customers' comments most often concern \u201c{top_theme}\u201d; the next quarter's "
            "improvement actions start there.",
        ),
        figures=figures, tables=tables, charts=charts, notes=notes,
    )  # fmt: skip


def _quality_rows(session: Session, period: Period) -> tuple[tuple[str, Decimal, int], ...]:
    names = repo.branch_names(session)
    rows = quality.branch_averages(session, period)
    return tuple(
        (names.get(b, str(b)), avg, n)
        for b, (avg, n) in sorted(rows.items(), key=lambda r: -r[1][0])
    )
