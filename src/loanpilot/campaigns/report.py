"""The campaign results report: one self-contained HTML page (tables, and charts drawn as inline
SVG, so it needs no script or network, as the portfolio report), Chinese by default, English with
``lang="en"``: goals against actuals, the funnel, the lift with intervals, ROI, spend by budget
line, the A/B tests and the attribution of leads."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from loanpilot.campaigns.results import CampaignResults
from loanpilot.campaigns.results_rules import STAGES
from loanpilot.web.i18n import Lang, format_yuan, translate

PALETTE = ("#1f6feb", "#d97706", "#059669", "#b91c1c")
W, H, X0, X1, Y0, Y1 = 640, 260, 56.0, 624.0, 24.0, 220.0


def _pct(v: float | None, places: int = 2) -> str:
    return "—" if v is None else f"{v * 100:.{places}f}%"


def _pts(v: float) -> str:
    return f"{v * 100:+.2f}"


def _num(v: float | None, places: int = 1) -> str:
    return "—" if v is None else f"{v:,.{places}f}"


def bars_svg(
    title: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]
) -> str:
    """Grouped bars, one group per category, one colour per series, with a legend."""
    top = max([v for _, vs in series for v in vs] + [0.0]) or 1.0
    slot = (X1 - X0) / max(len(categories), 1)
    width = slot * 0.8 / max(len(series), 1)
    body = []
    for i in range(5):
        y = Y1 - (Y1 - Y0) * i / 4
        body.append(
            f'<line x1="{X0}" x2="{X1}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>'
            f'<text x="{X0 - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10">'
            f"{top * i / 4:,.0f}</text>"
        )
    for k, (name, values) in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        body.append(
            f'<rect x="{X0 + k * 90}" y="4" width="10" height="10" fill="{color}"/>'
            f'<text x="{X0 + 14 + k * 90}" y="13" font-size="10">{html.escape(name)}</text>'
        )
        for i, v in enumerate(values):
            h = (Y1 - Y0) * v / top
            x = X0 + i * slot + slot * 0.1 + k * width
            body.append(
                f'<rect x="{x:.1f}" y="{Y1 - h:.1f}" width="{width:.1f}" height="{h:.1f}" '
                f'fill="{color}"><title>{html.escape(name)}: {v:,.0f}</title></rect>'
            )
    for i, cat in enumerate(categories):
        body.append(
            f'<text x="{X0 + (i + 0.5) * slot:.1f}" y="{Y1 + 14}" text-anchor="middle" '
            f'font-size="10">{html.escape(cat[:12])}</text>'
        )
    return (
        f"<figure><figcaption>{html.escape(title)}</figcaption>"
        f'<svg viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{html.escape(title)}"'
        f' xmlns="http://www.w3.org/2000/svg">{"".join(body)}</svg></figure>'
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], name: str) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f'<table data-table="{name}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def render_report(r: CampaignResults, lang: Lang = "zh") -> str:
    """The report of one campaign's results as a complete HTML document."""

    def t(key: str, **kw: Any) -> str:
        return translate(key, lang, **kw)

    def yuan(fen: float) -> str:
        return format_yuan(round(fen), lang)

    c = r.campaign
    stage_names = [t(f"results.stage.{s}") for s in STAGES]
    sections: list[tuple[str, str]] = []
    goals = [
        (t(f"results.goal.{g.metric}") if g.metric in _GOALS else g.metric,
         _num(g.target, 2), _num(g.actual, 2), _pct(g.share, 1))
        for g in r.goals
    ]  # fmt: skip
    sections.append((t("results.goals"), _table(
        [t("results.metric"), t("results.target"), t("results.actual"), t("results.share")],
        goals, "goals")))  # fmt: skip
    funnel = [
        (name, r.treatment.count(s), _pct(r.treatment.rate(s)), r.control.count(s),
         _pct(r.control.rate(s)))
        for s, name in zip(STAGES, stage_names, strict=True)
    ]  # fmt: skip
    sections.append((t("results.funnel"), _table(
        [t("results.stage"), t("results.treatment"), t("results.rate"), t("results.control"),
         t("results.rate")], funnel, "funnel") + f"<p>{html.escape(t('results.funnel_note'))}</p>"))  # fmt: skip
    lifts = [
        (t(f"results.stage.{s.stage}"), _pct(s.treatment_rate), _pct(s.control_rate),
         f"{_pts(s.lift.estimate)} [{_pts(s.lift.low)}, {_pts(s.lift.high)}]",
         f"{_num(s.incremental.estimate)} [{_num(s.incremental.low)}, {_num(s.incremental.high)}]",
         t("results.significant") if s.significant else t("results.not_significant"))
        for s in r.lifts
    ]  # fmt: skip
    sections.append((t("results.lift"), _table(
        [t("results.stage"), t("results.treatment"), t("results.control"),
         f"{t('results.lift_col')} {t('results.ci')}", t("results.incremental"), ""],
        lifts, "lift") + f"<p>{html.escape(t('results.lift_method'))}</p>"))  # fmt: skip
    roi = r.roi
    roi_rows = [
        (t("results.cost"), yuan(roi.cost_fen)),
        (t("results.net_per_loan"), yuan(roi.net_revenue_per_loan_fen)),
        (t("results.incr_loans"), f"{_num(roi.incremental_loans.estimate)} "
         f"[{_num(roi.incremental_loans.low)}, {_num(roi.incremental_loans.high)}]"),
        (t("results.incr_revenue"), f"{yuan(roi.incremental_net_revenue_fen.estimate)} "
         f"[{yuan(roi.incremental_net_revenue_fen.low)}, {yuan(roi.incremental_net_revenue_fen.high)}]"),
        (t("results.roi_value"), "—" if roi.roi is None else
         f"{_pct(roi.roi.estimate, 1)} [{_pct(roi.roi.low, 1)}, {_pct(roi.roi.high, 1)}]"),
    ]  # fmt: skip
    sections.append((t("results.roi"), _table(["", ""], roi_rows, "roi")
                     + f"<p>{html.escape(t('results.roi_note'))}</p>"))  # fmt: skip
    budget_rows = [
        (t(f"results.budget_cat.{b['category']}"), yuan(b["planned_fen"]), yuan(b["spent_fen"]),
         _pct(b["share"], 1))
        for b in r.budget.lines
    ]  # fmt: skip
    budget_rows.append((t("results.budget_total"), yuan(r.budget.budget_fen),
                        yuan(r.budget.spent_fen), _pct(r.budget.share, 1)))  # fmt: skip
    sections.append((t("results.budget"), _table(
        [t("results.category"), t("results.planned"), t("results.spent"), t("results.share")],
        budget_rows, "budget")))  # fmt: skip
    arms = [
        (t("results.holdout") if a.arm == "hold-out" else a.arm, a.headline or "", a.targeted,
         a.contacted, a.responded, a.applied, a.disbursed)
        for a in r.arms
    ]  # fmt: skip
    arms_html = _table([t("results.arm"), t("results.headline"), *stage_names[:4],
                        stage_names[5]], arms, "arms")  # fmt: skip
    if r.ab_tests:
        ab = [
            (t(f"results.stage.{x.measure}"),
             f"{x.result.arm_a}: {x.result.successes_a}/{x.result.trials_a}",
             f"{x.result.arm_b}: {x.result.successes_b}/{x.result.trials_b}",
             f"{_pts(x.result.difference.estimate)} [{_pts(x.result.difference.low)}, "
             f"{_pts(x.result.difference.high)}]",
             t(f"results.test_{x.result.test}"), f"{x.result.p_value:.4f}",
             t("results.significant") if x.result.significant else t("results.not_significant"),
             x.result.n_per_arm_needed or "—")
            for x in r.ab_tests
        ]  # fmt: skip
        arms_html += f"<h3>{html.escape(t('results.ab'))}</h3>" + _table(
            [t("results.ab_measure"), "A", "B", t("results.ab_diff"), t("results.test"),
             t("results.p_value"), "", t("results.n_needed")], ab, "ab"
        ) + f"<p>{html.escape(t('results.ab_note'))}</p>"  # fmt: skip
    sections.append((t("results.arms"), arms_html))
    a = r.attribution
    attr = f"<p>{html.escape(t('results.leads'))} {a.leads} · {html.escape(t('results.applied'))} "
    attr += f"{a.applied} · {html.escape(t('results.credits', amount=yuan(a.referral_credit_fen), n=a.referrals_credited))}</p>"
    for key, rows in a.by.items():
        if key == "campaign":
            continue
        attr += f"<h3>{html.escape(t(f'results.by.{key}'))}</h3>" + _table(
            ["", t("results.leads"), t("results.applied"), t("results.disbursed"),
             t("results.conversion")],
            [(x["key"], x["leads"], x["applied"], x["disbursed"], _pct(x["conversion"], 1))
             for x in rows], key)  # fmt: skip
    sections.append((t("results.attribution"), attr))
    charts = [
        bars_svg(t("results.funnel"), stage_names, [
            (t("results.treatment"), [float(r.treatment.count(s)) for s in STAGES]),
            (t("results.control"), [float(r.control.count(s)) for s in STAGES])]),
        bars_svg(t("results.budget"), [t(f"results.budget_cat.{b['category']}") for b in r.budget.lines], [
            (t("results.planned"), [b["planned_fen"] / 100 for b in r.budget.lines]),
            (t("results.spent"), [b["spent_fen"] / 100 for b in r.budget.lines])]),
    ]  # fmt: skip
    body = "".join(f"<section><h2>{html.escape(n)}</h2>{s}</section>" for n, s in sections)
    title = f"{t('results.report_title')} · {c.name}"
    generated = t("results.generated", at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    period = t("results.period", start=c.starts_on.isoformat(), end=c.ends_on.isoformat())
    return f"""<!doctype html>
<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#1f2937}}
table{{border-collapse:collapse;font-size:12px;margin-bottom:1rem}}
td,th{{border-bottom:1px solid #e5e7eb;padding:2px 8px;text-align:right}}
.charts{{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1rem}}
figure{{margin:0}}figcaption{{font-size:13px;color:#6b7280}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p><code>{html.escape(c.code)}</code> · {html.escape(c.theme)} · {html.escape(period)} · {html.escape(generated)}</p>
<div class="charts">{"".join(charts)}</div>
{body}
<p>{html.escape(t("results.attribution_rule"))}{"：" if lang == "zh" else ": "}{html.escape(t("results.attribution_rule_text", days=r.attribution_days))}</p>
</body></html>
"""


_GOALS = frozenset(
    (
        "responses",
        "response_rate",
        "applications",
        "approvals",
        "disbursed_fen",
        "disbursed_yuan",
        "new_customers",
        "satisfaction",
    )
)
