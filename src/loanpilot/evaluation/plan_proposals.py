"""Chapter 6 of the work plan, part two: the next period's proposed campaigns.

The campaign planner's own pieces choose them (``campaigns.planning``: the latest finished
next-best-offer run's offers, the segmentation it used, the contact policy, the constraints'
checks), and ``analytics.optimize.solve`` picks who gets which offer through which channel under
the budget. Nothing is stored (no ``campaign_plans`` row): the plan only proposes. The budget is
``budget_fen`` when given, else what the period's campaigns were budgeted (``campaigns.budget_fen``
summed; their spend when no budget was set). The segments that the optimiser gives the most
expected incremental profit become the proposed campaigns, each with its audience, budget (the
contact cost of its selected offers), expected responses and expected profit.

Without a finished offer run there is nothing to optimise: the section says so and names the
command that builds one.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from loanpilot.analytics import optimize
from loanpilot.campaigns import planning
from loanpilot.evaluation import plan_queries as q
from loanpilot.evaluation.plan_common import CHANNELS, Figures, in_lang, named, pair, ratio
from loanpilot.evaluation.plan_types import Chart, Column, Section, Series, Table
from loanpilot.kit.periods import Period

PROPOSALS = 5
TITLE = ("下期活动建议（优化器测算）", "Proposed campaigns for the next period (optimised)")


def period_budget(session: Session, period: Period) -> int:
    """What the period's campaigns were budgeted (fen), else what they spent."""
    found = q.campaigns_in(session, period.start, period.end)
    return sum(int(c.budget_fen or 0) for c in found)


def _solve(session: Session, ctx: planning.PlanContext, budget_fen: int) -> pd.DataFrame:
    """The chosen offers (rows of the options frame) under ``budget_fen``."""
    constraints = planning.validate(ctx, {"budget_yuan": Decimal(budget_fen) / 100})
    frame, _dropped = planning.options_frame(session, ctx)
    if frame.empty:
        return frame
    seg_codes = sorted({s.code for s in ctx.segments} | set(frame["segment_code"].dropna()))
    seg_index = {code: i for i, code in enumerate(seg_codes)}
    customers, index = np.unique(frame["customer_id"].to_numpy(), return_inverse=True)
    per_customer = frame.groupby("customer_id")["segment_code"].first()
    segment_of = np.array([seg_index.get(c, -1) if isinstance(c, str) else -1
                           for c in per_customer[customers]], dtype=np.int64)  # fmt: skip
    options = optimize.Options(
        customer=index.astype(np.int64),
        value=frame["expected_profit_fen"].to_numpy(dtype=np.float64),
        cost=frame["contact_cost_fen"].to_numpy(dtype=np.float64),
        channel=frame["channel"].map(planning.CHANNELS.index).to_numpy(dtype=np.int64),
        product=frame["product_id"].to_numpy(dtype=np.int64),
        channel_usage=frame["channel"].map(constraints.usage_of).to_numpy(dtype=np.float64),
    )
    solution = optimize.solve(
        options, optimize.Constraints(budget=float(constraints.budget_fen)), segment_of
    )
    chosen = frame.iloc[np.asarray(solution.chosen, dtype=np.int64)].copy()
    chosen["uplift"] = chosen["uplift"].astype("float64").fillna(0.0)
    return chosen


def _proposals(chosen: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for code, part in chosen.groupby(chosen["segment_code"].fillna("")):
        out.append({
            "segment": str(code), "audience": int(part["customer_id"].nunique()),
            "cost_fen": int(part["contact_cost_fen"].sum()), "value_fen": int(part["expected_profit_fen"].sum()),
            "responses": round(float(part["uplift"].sum()), 1),
            "product_id": int(part["product_id"].mode().iloc[0]), "channel": str(part["channel"].mode().iloc[0]),
        })  # fmt: skip
    return sorted(out, key=lambda p: -p["value_fen"])


def plan_section(
    session: Session,
    period: Period,
    as_of: date,
    *,
    lang: str = "zh",
    budget_fen: int | None = None,
) -> Section:
    nxt = period.next()
    ctx = planning.context(session, None)
    if ctx.offer_run is None:
        return Section("proposals", *TITLE,
                       paragraphs_zh=(f"【下期活动】本行尚无已完成的产品推荐（next-best-offer）运行，优化器无从测算{nxt.label_zh()}"
                                      "的活动预算。请运行 `loanpilot offers build` 后重新生成本方案；在此之前，下期活动以第二章的重点客群为目标受众。",),
                       paragraphs_en=(f"[Next period] No next-best-offer run has finished yet, so the optimiser cannot budget the "
                                      f"campaigns of {nxt.label}. Run `loanpilot offers build` and generate this plan again; until "
                                      "then, next period's campaigns target the focus segments of chapter 2.",),
                       notes=("尚无产品推荐运行：下期活动预算未经优化器测算。" if lang == "zh" else
                              "No next-best-offer run yet: next period's budgets are not optimised.",))  # fmt: skip
    budget = budget_fen if budget_fen is not None else period_budget(session, period)
    b_src = (f"option budget_fen={budget}" if budget_fen is not None
             else f"campaigns.budget_fen summed over campaigns overlapping {period.label}")  # fmt: skip
    run = ctx.offer_run
    src = (f"campaigns.planning options (offer_run={run.id}, segment_run={ctx.segment_run.id if ctx.segment_run else None}) "
           f"+ analytics.optimize.solve budget_fen={budget}")  # fmt: skip
    chosen = _solve(session, ctx, budget) if budget > 0 else pd.DataFrame()
    found = _proposals(chosen)[:PROPOSALS] if not chosen.empty else []
    names = ctx.segment_names("zh" if lang == "zh" else "en")
    products = {p.id: (p.name_zh, p.name_en) for p in ctx.products.values()}

    def pick(both: tuple[str, str]) -> str:
        return in_lang(lang, both)

    f = Figures()
    f.add(
        "budget_in",
        "下期营销预算（与本期相同）",
        "Next period's budget (as this period's)",
        budget,
        "fen",
        b_src,
    )
    f.add("proposals", "建议活动数", "Proposed campaigns", len(found), "count", src)
    if not chosen.empty:
        f.add(
            "selected",
            "优化器选中的客户数",
            "Customers the optimiser selects",
            int(chosen["customer_id"].nunique()),
            "count",
            src,
        )
        f.add(
            "budget",
            "建议活动预算合计",
            "Budget of the proposals",
            sum(p["cost_fen"] for p in found),
            "fen",
            src,
        )
        f.add(
            "value",
            "预期增量收益",
            "Expected incremental profit",
            sum(p["value_fen"] for p in found),
            "fen",
            src,
        )
        f.add(
            "responses",
            "预期增量响应",
            "Expected extra responses",
            round(sum(p["responses"] for p in found), 1),
            "count",
            src,
        )
        f.add("all_cost", "全部选中报价的触达成本", "Contact cost of every selected offer", int(chosen["contact_cost_fen"].sum()), "fen", src)  # fmt: skip
    rows = []
    for i, p in enumerate(found, 1):
        seg = names.get(p["segment"], p["segment"] or ("未分群" if lang == "zh" else "unsegmented"))
        product = named(lang, *products.get(p["product_id"], (str(p["product_id"]),) * 2))
        channel = pick(pair(CHANNELS, p["channel"]))
        title = f"{seg}·{product}专项营销" if lang == "zh" else f"{product} for {seg}"
        rows.append((title, seg, product, channel, p["audience"], p["cost_fen"], p["responses"], p["value_fen"],
                     ratio(p["value_fen"], p["cost_fen"])))  # fmt: skip
        s = f"{src} segment={p['segment']}"
        f.add(f"p{i}", f"建议活动{i}", f"Proposal {i}", title, "text", s)
        f.add(f"p{i}_budget", f"建议活动{i}预算", f"Proposal {i}: budget", p["cost_fen"], "fen", s)
        f.add(
            f"p{i}_value",
            f"建议活动{i}预期收益",
            f"Proposal {i}: expected profit",
            p["value_fen"],
            "fen",
            s,
        )
    table = Table(f"{nxt.label_zh()}建议活动", f"Proposed campaigns for {nxt.label}",
                  (Column("建议活动", "Campaign"), Column("目标客群", "Segment"), Column("主推产品", "Product"),
                   Column("主渠道", "Channel"), Column("受众人数", "Audience", "count"), Column("预算", "Budget", "fen"),
                   Column("预期增量响应", "Expected extra responses", "count"), Column("预期增量收益", "Expected profit", "fen"),
                   Column("收益/预算", "Profit per yuan", "score")), tuple(rows), src)  # fmt: skip
    chart = Chart("建议活动预算与预期收益", "Budget and expected profit of the proposals", "bar",
                  tuple(r[1] for r in rows),
                  (Series("预算", "Budget", tuple(r[5] for r in rows)), Series("预期增量收益", "Expected profit", tuple(r[7] for r in rows))),
                  "fen", src)  # fmt: skip
    zh = [
        f"【下期活动】以本期营销预算 {{budget_in}} 为上限，优化器在最新产品推荐结果上为{nxt.label_zh()}选出 {{proposals}} 项建议活动"
    ]
    en = [
        f"[Next period] Within this period's budget of {{budget_in}}, the optimiser picks {{proposals}} campaigns for {nxt.label} from the latest next-best offers"
    ]
    if found:
        zh[0] += (
            "，合计预算 {budget}，预期增量响应 {responses} 人次、增量收益 {value}。按预期收益排序，首推“{p1}”（预算 {p1_budget}，预期收益 {p1_value}）。"
        )
        en[0] += (
            ', budgeted at {budget} in all, for {responses} extra responses and {value} of incremental profit. First comes "{p1}" ({p1_budget} for an expected {p1_value}).'
        )
        zh.append(
            "【执行要求】每项活动保留随机对照组以计量增量效果；目标名单仅含已授权、未退订的客户，执行前按最新风险政策复核；"
            "预算按优化器测算的触达成本下达，执行中预算使用过八成即预警。"
        )
        en.append("[How] Every campaign keeps a randomised hold-out to measure its effect; lists hold only customers who "
                  "consented and did not opt out, rechecked against the credit policy before contact; budgets are the "
                  "optimiser's contact costs, with an alert at 80 % spent.")  # fmt: skip
    else:
        zh[0] += "：在当前预算与报价下没有可选的客户，需先补充预算或更新产品推荐。"
        en[0] += (
            ": no customer can be chosen under this budget and these offers; add budget or refresh the offers first."
        )
    return Section(
        "proposals", *TITLE, tuple(zh), tuple(en), f.tuple(), (table,), (chart,) if rows else ()
    )
