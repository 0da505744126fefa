"""Demo step: fictional competitors and their products, and market sizes by product line, province
and quarter."""

from __future__ import annotations

from typing import Any

import numpy as np

from loanpilot.demo.after_common import Arr, fk_ids, loan_view, quarter_index, window_quarters
from loanpilot.demo.context import NAT_D, DemoContext

MARKET_SOURCE = "示例数据（演示用）"
#: Market growth per quarter by product line (used only where the bank has no balance to scale by).
MARKET_GROWTH = {"housing": 0.004, "consumer": 0.02, "business": 0.015, "private_banking": 0.01}
#: New lending in a quarter as a share of the balance, by product line.
TURNOVER = {"housing": 0.035, "consumer": 0.28, "business": 0.20, "private_banking": 0.12}

#: Fictional competitors (any likeness to a real institution's name is unintended).
COMPETITORS: tuple[tuple[str, str, str], ...] = (
    ("中和国民银行", "中和银行", "state_owned"),
    ("华川建业银行", "华川银行", "state_owned"),
    ("东岳商业银行", "东岳银行", "joint_stock"),
    ("天衡商业银行", "天衡银行", "joint_stock"),
    ("越澜城市商业银行", "越澜银行", "city_commercial"),
    ("青溪农村商业银行", "青溪农商行", "rural"),
    ("云帆互联网银行", "云帆银行", "internet"),
    ("星禾消费金融有限公司", "星禾消金", "consumer_finance"),
)

#: Competitor products: (competitor index, name, product line, subtype, rate basis (lpr_5y, lpr_1y,
#: provident_fund, fixed), min spread %, max spread %, monthly fee %, max amount ¥, max term months).
COMPETITOR_PRODUCTS: tuple[tuple[int, str, str, str, str, float, float, float, int, int], ...] = (
    (
        0,
        "中和安居房贷",
        "housing",
        "commercial_mortgage",
        "lpr_5y",
        -0.35,
        0.50,
        0.0,
        10_000_000,
        360,
    ),
    (
        0,
        "中和公积金贷款",
        "housing",
        "provident_fund",
        "provident_fund",
        0.0,
        0.0,
        0.0,
        1_200_000,
        360,
    ),
    (0, "中和融e贷", "consumer", "general_consumer", "fixed", 3.0, 6.5, 0.0, 300_000, 60),
    (0, "中和经营快贷", "business", "operating", "lpr_1y", 0.3, 2.0, 0.0, 3_000_000, 36),
    (
        1,
        "华川住房贷款",
        "housing",
        "commercial_mortgage",
        "lpr_5y",
        -0.30,
        0.60,
        0.0,
        10_000_000,
        360,
    ),
    (1, "华川快贷", "consumer", "general_consumer", "fixed", 3.1, 7.0, 0.0, 300_000, 36),
    (1, "华川车主贷", "consumer", "auto", "fixed", 3.3, 6.0, 0.0, 800_000, 60),
    (1, "华川小微e贷", "business", "credit", "lpr_1y", 0.5, 3.0, 0.0, 1_000_000, 36),
    (2, "东岳安家贷", "housing", "commercial_mortgage", "lpr_5y", -0.25, 0.70, 0.0, 8_000_000, 360),
    (2, "东岳闪电贷", "consumer", "general_consumer", "fixed", 3.4, 9.0, 0.0, 300_000, 36),
    (2, "东岳装修贷", "consumer", "renovation", "fixed", 3.2, 7.0, 0.2, 1_000_000, 60),
    (2, "东岳生意贷", "business", "operating", "lpr_1y", 0.6, 3.5, 0.0, 5_000_000, 60),
    (3, "天衡房抵经营贷", "business", "secured", "lpr_1y", 0.2, 2.0, 0.0, 10_000_000, 120),
    (3, "天衡新易贷", "consumer", "general_consumer", "fixed", 3.5, 10.0, 0.0, 500_000, 60),
    (3, "天衡留学贷", "consumer", "education", "fixed", 3.6, 6.5, 0.0, 500_000, 72),
    (
        3,
        "天衡私享贷",
        "private_banking",
        "private_banking",
        "lpr_1y",
        -0.1,
        1.5,
        0.0,
        30_000_000,
        120,
    ),
    (4, "越澜安居贷", "housing", "commercial_mortgage", "lpr_5y", -0.20, 0.80, 0.0, 8_000_000, 360),
    (4, "越澜组合贷", "housing", "combination", "lpr_5y", -0.20, 0.80, 0.0, 10_000_000, 360),
    (4, "越澜薪金贷", "consumer", "general_consumer", "fixed", 3.3, 8.0, 0.0, 300_000, 36),
    (4, "越澜健康贷", "consumer", "medical", "fixed", 3.8, 7.5, 0.0, 200_000, 36),
    (4, "越澜商户贷", "business", "credit", "lpr_1y", 1.0, 4.5, 0.0, 1_000_000, 24),
    (5, "青溪丰收贷", "business", "operating", "lpr_1y", 0.8, 4.0, 0.0, 3_000_000, 36),
    (5, "青溪安居贷", "housing", "commercial_mortgage", "lpr_5y", -0.10, 0.90, 0.0, 5_000_000, 300),
    (5, "青溪惠民消费贷", "consumer", "general_consumer", "fixed", 3.6, 8.5, 0.0, 300_000, 36),
    (5, "青溪家装贷", "consumer", "renovation", "fixed", 3.5, 7.5, 0.15, 500_000, 60),
    (6, "云帆随心借", "consumer", "general_consumer", "fixed", 6.0, 18.0, 0.0, 200_000, 24),
    (6, "云帆旅行分期", "consumer", "travel", "fixed", 5.5, 15.0, 0.2, 100_000, 24),
    (6, "云帆小微贷", "business", "credit", "fixed", 6.0, 18.0, 0.0, 500_000, 24),
    (7, "星禾即时贷", "consumer", "general_consumer", "fixed", 7.2, 23.9, 0.0, 200_000, 36),
    (7, "星禾教育分期", "consumer", "education", "fixed", 6.0, 18.0, 0.3, 100_000, 24),
    (7, "星禾购车分期", "consumer", "auto", "fixed", 5.5, 15.0, 0.0, 300_000, 60),
)

#: Selling points by subtype (competitor_products.features).
FEATURES: dict[str, list[str]] = {
    "commercial_mortgage": ["等额本息/等额本金可选", "最长30年", "线上预审"],
    "provident_fund": ["公积金利率", "最长30年"],
    "combination": ["商贷+公积金组合", "一次面签"],
    "general_consumer": ["线上秒批", "随借随还", "按日计息"],
    "auto": ["首付低至20%", "4S店直办"],
    "renovation": ["受托支付", "最长5年"],
    "education": ["只还利息期", "留学保证金"],
    "medical": ["合作医院直付"],
    "travel": ["分期免息券", "线上申请"],
    "operating": ["先息后本", "循环额度"],
    "credit": ["纯信用", "纳税数据授信"],
    "secured": ["房产抵押", "最长10年"],
    "private_banking": ["专属客户经理", "额度最高3000万"],
}

#: Market balance of each product line by province, in 亿元, as a shape only: the demo market's scale
#: comes from the bank's own balances (see ``_market_sizes`` below).
MARKET_SHAPE: dict[str, dict[str, float]] = {
    "housing": {"浙江": 43_000, "上海": 38_000, "江苏": 52_000},
    "consumer": {"浙江": 12_000, "上海": 9_000, "江苏": 13_000},
    "business": {"浙江": 18_000, "上海": 6_000, "江苏": 16_000},
    "private_banking": {"浙江": 1_500, "上海": 2_500, "江苏": 1_800},
}


def add_market(ctx: DemoContext, rng: np.random.Generator) -> None:
    """Competitors, their products observed every quarter, then the market sizes."""
    from loanpilot.demo import reference as ref

    quarters = window_quarters(ctx)
    comps = COMPETITORS
    ctx.add(
        "competitors",
        {
            "id": ctx.next_ids("competitors", len(comps)),
            "name": np.array([c[0] for c in comps], dtype=object),
            "short_name": np.array([c[1] for c in comps], dtype=object),
            "kind": np.array([c[2] for c in comps], dtype=object),
        },
    )
    # competitor products, observed mid-quarter; fixed rates drift down 4 bp a quarter (competition)
    specs = COMPETITOR_PRODUCTS
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "comp",
            "name",
            "line",
            "sub",
            "lo",
            "hi",
            "apr",
            "amount",
            "term",
            "features",
            "day",
            "source",
        )
    }
    sources = ("官网公示", "网点调研", "手机App查询")
    for k, (_, start, _) in enumerate(quarters):
        day = start + np.timedelta64(45, "D")
        if day > ctx.as_of64:
            continue
        lpr1, lpr5 = (float(x) for x in ref.lpr_on(day.astype(object)))
        fund = float(ref.fund_rate_on(day.astype(object), over_five_years=True))
        for comp, name, line, sub, basis, lo, hi, fee, amount, term in specs:
            base = {"lpr_5y": lpr5, "lpr_1y": lpr1, "provident_fund": fund}.get(basis, 0.0)
            drift = -0.0004 * k if basis == "fixed" else 0.0
            noise = round(float(rng.normal(0, 0.0005)) / 0.0005) * 0.0005
            low = round(max(base + lo / 100 + drift + noise, 0.015), 6)
            high = round(max(base + hi / 100 + drift + noise, low), 6)
            cols["comp"].append(comp + 1)
            cols["name"].append(name)
            cols["line"].append(line)
            cols["sub"].append(sub)
            cols["lo"].append(low)
            cols["hi"].append(high)
            cols["apr"].append(round(low + fee / 100 * 12 * 1.85, 6))
            cols["amount"].append(amount * 100)
            cols["term"].append(term)
            cols["features"].append(
                list(FEATURES.get(sub, []))
                + (["全线上申请"] if comps[comp][2] in ("internet", "consumer_finance") else [])
            )
            cols["day"].append(day)
            cols["source"].append(f"{MARKET_SOURCE}：{sources[(comp + k) % len(sources)]}")
    ctx.add(
        "competitor_products",
        {
            "id": ctx.next_ids("competitor_products", len(cols["name"])),
            "competitor_id": np.array(cols["comp"], dtype=np.int64),
            "name": np.array(cols["name"], dtype=object),
            "product_line": np.array(cols["line"], dtype=object),
            "subtype": np.array(cols["sub"], dtype=object),
            "min_annual_rate": np.array(cols["lo"]),
            "max_annual_rate": np.array(cols["hi"]),
            "apr": np.array(cols["apr"]),
            "max_amount_fen": np.array(cols["amount"], dtype=np.int64),
            "max_term_months": np.array(cols["term"], dtype=np.int64),
            "features": cols["features"],
            "observed_on": np.array(cols["day"], dtype="M8[D]"),
            "source": np.array(cols["source"], dtype=object),
        },
    )
    _market_sizes(ctx, rng, quarters)


def _market_sizes(
    ctx: DemoContext,
    rng: np.random.Generator,
    quarters: list[tuple[str, np.datetime64, np.datetime64]],
) -> None:
    """Market balance and new lending per product line × province × quarter.

    The bank's balance at a quarter end is the outstanding principal of its loans in the quarter's
    last month-end delinquency snapshot. The market grows smoothly at the line's rate
    (``MARKET_GROWTH``), at a level that puts the bank's balance of the last two quarter ends at
    s_end ~ U(3.5 %, 6 %) of it; new lending is the balance times the line's ``TURNOVER``. A line
    and province where the bank has no balance takes ``MARKET_SHAPE`` at the median fen per 亿元.
    The demo book holds only loans disbursed in the window, so the bank's share climbs towards
    s_end over the window instead of starting there.
    """
    loans = loan_view(ctx, top_only=False)  # row = loan id − 1
    nq = len(quarters)
    lines, provinces = list(MARKET_SHAPE), ("浙江", "上海", "江苏")
    branch_province = np.asarray(ctx.tables["branches"]["province"], dtype=object)
    line_idx, prov_of = np.full(len(loans["id"]), -1), np.full(len(loans["id"]), -1)
    for k, line in enumerate(lines):
        line_idx[loans["ptype"] == line] = k
    for k, prov in enumerate(provinces):
        prov_of[branch_province[loans["branch"] - 1] == prov] = k

    def by_combo(rows: Arr, q: Arr, weights: Arr) -> Arr:
        ok = (prov_of[rows] >= 0) & (line_idx[rows] >= 0) & (q >= 0) & (q < nq)
        key = (line_idx[rows][ok] * len(provinces) + prov_of[rows][ok]) * nq + q[ok]
        return np.bincount(
            key, weights=weights[ok], minlength=len(lines) * len(provinces) * nq
        ).reshape(len(lines), len(provinces), nq)

    snaps = ctx.tables["delinquency_snapshots"]
    s_day = np.asarray(snaps["as_of"], dtype="M8[D]")
    sq = quarter_index(s_day, ctx)
    last = np.array([s_day[sq == k].max() if (sq == k).any() else NAT_D for k in range(nq)])
    sq = np.where((sq >= 0) & (sq < nq) & (s_day == last[np.clip(sq, 0, nq - 1)]), sq, -1)
    ours = by_combo(
        fk_ids(snaps["loan_id"]) - 1,
        sq,
        np.asarray(snaps["outstanding_principal_fen"], dtype=float),
    )
    # a smoothly growing market whose level puts the bank's recent balance at s_end of it
    growth = np.array([1 + MARKET_GROWTH[line] for line in lines])[:, None, None]
    path = growth ** np.arange(-(nq - 1), 1)[None, None, :]
    anchor = ours[:, :, -2:].mean(axis=2) / rng.uniform(0.035, 0.06, ours.shape[:2])
    shape = np.array([[MARKET_SHAPE[line][p] for p in provinces] for line in lines])
    seen = anchor > 0
    fen_per_yi = float(np.median(anchor[seen] / shape[seen])) if seen.any() else 1e7
    anchor = np.where(seen, anchor, shape * fen_per_yi)
    totals = anchor[:, :, None] * path * np.exp(rng.normal(0, 0.004, ours.shape))
    turnover = np.array([TURNOVER[line] for line in lines])[:, None, None]
    new_total = totals * turnover * rng.uniform(0.92, 1.08, ours.shape)
    n = totals.size
    ctx.add(
        "market_sizes",
        {
            "id": ctx.next_ids("market_sizes", n),
            "product_line": np.repeat(np.array(lines, dtype=object), len(provinces) * nq),
            "region": np.tile(np.repeat(np.array(provinces, dtype=object), nq), len(lines)),
            "period": np.tile(
                np.array([q[0] for q in quarters], dtype=object), len(lines) * len(provinces)
            ),
            "total_balance_fen": np.round(totals).astype(np.int64).ravel(),
            "new_lending_fen": np.round(new_total).astype(np.int64).ravel(),
            "source": np.full(n, MARKET_SOURCE, dtype=object),
            "note": np.full(n, "演示用虚构市场规模：按本行余额与假设份额推算", dtype=object),
        },
    )
