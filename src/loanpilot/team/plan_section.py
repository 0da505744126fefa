"""The team chapter (营销团队) of the generated work plan: headcount by branch and role, training
hours of the period, certificates expiring soon, and the period's appraisal results (score
distribution, the top five of each comparable group, and the indicators most often below target).

Every number carries its ``source``: ``team.headcount as_of=D`` (active staff; the staff list
``/console/staff``), ``team.training period=P``, ``team.certificates_expiring from=D to=D``, and
``appraisal.run id=N period=P role=R`` for a run's results (rerun the explanation with
``loanpilot appraisal show --staff EMP --period P --run N``). Paragraphs are templates on the
figures' keys; nothing is computed from the KPIs here (the run has them, line by line).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from loanpilot.evaluation.plan_common import period_name
from loanpilot.evaluation.plan_types import Chart, Column, Figure, Section, Series, Table, Value
from loanpilot.kit.periods import Period
from loanpilot.team import appraisal_explain as explain
from loanpilot.team import appraisal_report_sql as sql
from loanpilot.team import appraisal_runs as runs
from loanpilot.team import repository_appraisal as repo
from loanpilot.team.appraisal_explain import BANDS
from loanpilot.team.appraisal_rules import CATALOGUE, QUALITATIVE_DEFAULTS, cents

#: Roles shown as their own headcount column (the rest are summed as "other").
SALES_ROLES = ("customer_manager", "senior_customer_manager", "sales_consultant")
ROLE_NAMES = {
    "customer_manager": ("客户经理", "Customer managers"),
    "senior_customer_manager": ("高级客户经理", "Senior customer managers"),
    "sales_consultant": ("销售顾问", "Sales consultants"),
}
#: Certificates expiring within this many days of ``as_of`` are "expiring soon" (the settings'
#: ``cert_expiry_notice_days`` default).
NOTICE_DAYS = 60
TOP = 5
_BELOW = Decimal(100)
_SHARE = Decimal("0.0001")


def share(part: int, whole: int) -> Decimal:
    """``part`` of ``whole`` as a fraction to 0.01 % (shown as a per cent with two decimals: a
    fraction rounded to 0.01 would show 10 of 21 as "48.00%")."""
    return (Decimal(part) / whole).quantize(_SHARE, rounding=ROUND_HALF_UP)


def _role(role: str, lang: int = 0) -> str:
    return ROLE_NAMES.get(role, (role, role))[lang]


def _indicator(code: str, name: str, lang: int) -> str:
    """An indicator's name: the plan's own in Chinese, the catalogue's in English."""
    if lang == 0:
        return name
    if code in CATALOGUE:
        return CATALOGUE[code].name_en
    return QUALITATIVE_DEFAULTS.get(code, (name, name))[1]


def _people(session: Session, period: Period, as_of: date, lang: int) -> tuple[list[Figure], Table]:
    on = min(as_of, period.last_day)  # staff on the books at the period's end (or as_of if earlier)
    rows = sql.headcount(session, on)
    src = f"team.headcount on={on.isoformat()} (hired by then; active now or changed after)"
    by_branch: dict[str, list[Value]] = {}
    for _code, name, role, n in rows:
        line = by_branch.setdefault(name, [name, 0, 0, 0, 0, 0])
        slot = 1 + SALES_ROLES.index(role) if role in SALES_ROLES else 4
        line[slot] = int(str(line[slot])) + n
        line[5] = int(str(line[5])) + n
    table = Table(
        "各机构营销人员", "Staff by branch and role",
        (Column("机构", "Branch"), *(Column(_role(r), _role(r, 1), "count") for r in SALES_ROLES),
         Column("其他岗位", "Other roles", "count"), Column("合计", "Total", "count")),
        tuple(tuple(v) for v in by_branch.values()), src,
    )  # fmt: skip
    sales = sum(n for _c, _b, role, n in rows if role in SALES_ROLES)
    hours, _n, trained = sql.training(session, period.start, period.end)
    last = as_of + timedelta(days=NOTICE_DAYS)
    expiring = sql.certificates_expiring(session, as_of, last)
    t_src = f"team.training period={period.label}"
    figures = [
        Figure("period", "期间", "Period", period_name(period, ("zh", "en")[lang]),
               "text", f"period={period.label}"),
        Figure("on", "人员统计日", "Staff counted on", on.isoformat(), "text", src),
        Figure("headcount", "在岗员工", "Active staff", sum(n for *_x, n in rows), "count", src),
        Figure("sales_headcount", "营销人员", "Sales staff", sales, "count", src),
        Figure("training_hours", "培训总学时", "Training hours", cents(hours), "score", t_src),
        Figure("trained_people", "参训人数", "People trained", trained, "count", t_src),
        Figure("hours_per_trained", "人均学时", "Hours per person trained",
               cents(hours / trained) if trained else None, "score", t_src),
        Figure("certs_expiring", "即将到期证书", "Certificates expiring soon", expiring, "count",
               f"team.certificates_expiring from={as_of.isoformat()} to={last.isoformat()}"),
        Figure("notice_days", "提醒天数", "Notice days", NOTICE_DAYS, "days", "settings"),
    ]  # fmt: skip
    return figures, table


def _appraisal(session: Session, period: Period, lang: int) -> tuple[list[Figure], list[Table], list[Chart]]:  # fmt: skip
    found = repo.latest_runs_of_period(session, period.label)
    if not found:
        return [], [], []
    sources = "; ".join(f"appraisal.run id={r.id} period={period.label} role={p.role.value}"
                        for r, p in found)  # fmt: skip
    top_rows: list[tuple[Value, ...]] = []
    series: list[Series] = []
    all_totals: list[Decimal] = []
    below: Counter[tuple[str, str, str]] = Counter()
    scored: Counter[tuple[str, str, str]] = Counter()
    for run, plan in found:
        scores = runs.visible_scores(session, run.id, runs.Scope())
        labels = runs.group_labels(session, {s.group_key for s in scores})
        all_totals += [s.total for s in scores]
        dist = explain.distribution(s.total for s in scores)
        role = plan.role.value
        series.append(Series(_role(role), _role(role, 1), tuple(dist.values())))
        for s in scores:
            if s.rank is not None and s.rank <= TOP:
                top_rows.append((_role(role, lang), labels[str(s.group_key)], s.rank, s.name,
                                 s.employee_no, s.total))  # fmt: skip
        for line, ind, _staff in repo.run_lines(session, [run.id]):
            if line.missing or line.actual is None:
                continue
            key = (_role(role, lang), ind.code, _indicator(ind.code, ind.name, lang))
            scored[key] += 1
            if Decimal(line.score) < _BELOW:
                below[key] += 1
    below_rows = tuple(
        (role, name, below[key], scored[key], share(below[key], scored[key]))
        for key in sorted(scored) for role, _code, name in [key]
    )  # fmt: skip
    n = len(all_totals)
    mean = cents(sum(all_totals, Decimal(0)) / n) if n else None
    under_80 = sum(1 for t in all_totals if t < 80)
    at_100 = sum(1 for t in all_totals if t >= 100)
    worst = max(below_rows, key=lambda r: (r[4], r[2]), default=None)
    figures = [
        Figure("appraised", "参评人数", "Staff appraised", n, "count", sources),
        Figure("mean_total", "平均得分", "Mean total", mean, "score", sources),
        Figure("at_or_above_100", "得分不低于100人数", "Scored 100 or more", at_100, "count",
               sources),
        Figure("below_80", "得分低于80人数", "Scored below 80", under_80, "count", sources),
        Figure("weakest_indicator", "未达标最多的指标", "Indicator most often below target",
               (f"{worst[0]}·{worst[1]}" if lang == 0 else f"{worst[1]} for {worst[0].lower()}")
               if worst else None, "text", sources),
        Figure("weakest_share", "其未达标比例", "Its share below target",
               worst[4] if worst else None, "pct", sources),
    ]  # fmt: skip
    tables = [
        Table(f"各组前{TOP}名", f"Top {TOP} of each group",
              (Column("岗位", "Role"), Column("组别", "Group"), Column("名次", "Rank", "count"),
               Column("姓名", "Name"), Column("工号", "Employee no"),
               Column("总分", "Total", "score")),
              tuple(top_rows), sources),
        Table("未达标指标", "Indicator lines below target (score under 100)",
              (Column("岗位", "Role"), Column("指标", "Indicator"),
               Column("未达标人数", "Below target", "count"), Column("有数据人数", "Measured", "count"),
               Column("未达标比例", "Share below", "pct")),
              below_rows, sources),
    ]  # fmt: skip
    chart = Chart("考核得分分布", "Appraisal score distribution", "bar",
                  tuple(label for label, _lo, _hi in BANDS), tuple(series), "count", sources)  # fmt: skip
    return figures, tables, [chart]


def plan_section(session: Session, period: Period, as_of: date, *, lang: str = "zh") -> Section:
    """The team chapter for ``period``: people on staff at its end (or ``as_of`` if earlier),
    training in the period, and the newest appraisal run of each role's plan for the period."""
    i = 0 if lang == "zh" else 1
    people, staff_table = _people(session, period, as_of, i)
    results, tables, charts = _appraisal(session, period, i)
    zh = ["截至{on}，全行在岗员工{headcount}人，其中营销人员{sales_headcount}人。{period}共开展培训"
          "{training_hours}学时，参训{trained_people}人，人均{hours_per_trained}学时；"
          "{certs_expiring}张资格证书将在{notice_days}内到期，需安排续证。"]  # fmt: skip
    en = ["On {on} the bank had {headcount} active staff, {sales_headcount} of them "
          "in sales. In {period} they attended {training_hours} hours of training ({trained_people} "
          "people, {hours_per_trained} hours each); {certs_expiring} certificates expire within "
          "{notice_days} and need renewing."]  # fmt: skip
    notes: tuple[str, ...] = ()
    weakest = any(f.key == "weakest_indicator" and f.value for f in results)
    if results:
        zh.append("{period}绩效考核共{appraised}人参评，平均得分{mean_total}（各项指标恰好达到目标记100分）；"
                  "{at_or_above_100}人得分不低于100，{below_80}人低于80。"
                  + ("未达标比例最高的指标是{weakest_indicator}（{weakest_share}），下期辅导与培训应优先针对该项。"
                     if weakest else ""))  # fmt: skip
        en.append("In {period}, {appraised} staff were appraised with a mean total of "
                  "{mean_total} (100 = every target met); {at_or_above_100} scored 100 or more and "
                  "{below_80} below 80."
                  + (" The indicator most often below target is {weakest_indicator} "
                     "({weakest_share}): coaching and training next period should start there."
                     if weakest else ""))  # fmt: skip
    else:
        notes = ("本期尚未运行绩效考核，考核结果从缺。" if lang == "zh"
                 else "No appraisal has been run for this period yet.",)  # fmt: skip
    return Section(
        key="team", title_zh="营销团队", title_en="Sales team",
        paragraphs_zh=tuple(zh), paragraphs_en=tuple(en),
        figures=(*people, *results), tables=(staff_table, *tables), charts=tuple(charts),
        notes=notes,
    )  # fmt: skip
