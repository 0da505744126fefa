"""Demo step: the product catalogue (``catalogue.PRODUCTS``) as loan products, seasonal offers
every year of the window, and the LPR and provident-fund rate tables."""

from __future__ import annotations

import numpy as np

from loanpilot.demo import reference as ref
from loanpilot.demo.catalogue import PRODUCTS
from loanpilot.demo.context import DemoContext


def products(ctx: DemoContext) -> None:
    """The catalogue, seasonal offers, and the LPR and provident-fund rate tables."""
    specs = PRODUCTS
    n = len(specs)
    ids = np.arange(1, n + 1)
    by_code = {s.code: i + 1 for i, s in enumerate(specs)}
    components = [
        [by_code["HL-COM"], by_code["HL-PF"]] if s.subtype == "combination" else [] for s in specs
    ]
    ctx.add(
        "loan_products",
        {
            "id": ids,
            "code": np.array([s.code for s in specs], dtype=object),
            "name_zh": np.array([s.name_zh for s in specs], dtype=object),
            "name_en": np.array([s.name_en for s in specs], dtype=object),
            "product_type": np.array([s.product_type for s in specs], dtype=object),
            "subtype": np.array([s.subtype for s in specs], dtype=object),
            "status": np.array(["active"] * n, dtype=object),
            "min_amount_fen": np.array([s.min_amount_yuan * ref.YUAN for s in specs]),
            "max_amount_fen": np.array([s.max_amount_yuan * ref.YUAN for s in specs]),
            "min_term_months": np.array([s.min_term for s in specs]),
            "max_term_months": np.array([s.max_term for s in specs]),
            "rate_basis": np.array([s.rate_basis for s in specs], dtype=object),
            "min_spread": np.array([float(ref.pct(s.min_spread)) for s in specs]),
            "max_spread": np.array([float(ref.pct(s.max_spread)) for s in specs]),
            "monthly_fee_rate": np.array([float(ref.pct(s.monthly_fee)) for s in specs]),
            "upfront_fee_rate": np.zeros(n),
            "repayment_methods": [list(s.methods) for s in specs],
            "max_ltv": np.array(
                [None if s.max_ltv is None else float(ref.pct(s.max_ltv)) for s in specs],
                dtype=object,
            ),
            "collateral_required": np.array([s.collateral for s in specs], dtype=object),
            "eligibility": [dict(s.eligibility) for s in specs],
            "component_product_ids": components,
            "description_zh": np.array(
                [
                    f"{s.name_zh}：用于{s.purpose}，额度{s.min_amount_yuan // 10_000 or s.min_amount_yuan}起"
                    for s in specs
                ],
                dtype=object,
            ),
            "description_en": np.array(
                [f"{s.name_en} for {s.subtype.replace('_', ' ')}" for s in specs], dtype=object
            ),
            "launched_on": np.array(
                [np.datetime64("2018-01-01") + np.timedelta64(90 * i, "D") for i in range(n)]
            ),
        },
    )
    ctx.latent["product_index"] = by_code
    # seasonal offers every year of the window
    offers: list[tuple[str, str, str, str, str, float, bool]] = []
    for year in range(ctx.start64.astype(object).year, ctx.as_of.year + 1):
        offers += [
            (
                "CL-TRV",
                "春节出游季",
                "Spring Festival travel",
                f"{year}-01-10",
                f"{year}-02-28",
                0.005,
                True,
            ),
            (
                "CL-EDU",
                "开学季助学优惠",
                "Back-to-school",
                f"{year}-07-15",
                f"{year}-09-15",
                0.004,
                False,
            ),
            (
                "HL-COM",
                "金九银十购房季",
                "Golden autumn home season",
                f"{year}-09-01",
                f"{year}-10-31",
                0.001,
                False,
            ),
            (
                "CL-RENO",
                "春季家装节",
                "Spring renovation fair",
                f"{year}-03-01",
                f"{year}-04-30",
                0.003,
                True,
            ),
            (
                "CL-GEN",
                "双十一消费季",
                "Double-11 shopping season",
                f"{year}-10-25",
                f"{year}-11-20",
                0.004,
                False,
            ),
        ]
    ctx.add(
        "seasonal_offers",
        {
            "id": np.arange(1, len(offers) + 1),
            "product_id": np.array([by_code[o[0]] for o in offers]),
            "name_zh": np.array([f"{o[3][:4]}{o[1]}" for o in offers], dtype=object),
            "name_en": np.array([f"{o[2]} {o[3][:4]}" for o in offers], dtype=object),
            "starts_on": np.array([o[3] for o in offers], dtype="M8[D]"),
            "ends_on": np.array([o[4] for o in offers], dtype="M8[D]"),
            "spread_discount": np.array([o[5] for o in offers]),
            "fee_waived": np.array([o[6] for o in offers]),
        },
    )
    lpr_rows = [
        (d, t, r) for d, one, five in ref.LPR_HISTORY for t, r in (("1y", one), ("5y", five))
    ]
    ctx.add(
        "lpr_rates",
        {
            "id": np.arange(1, len(lpr_rows) + 1),
            "effective_on": np.array([r[0] for r in lpr_rows], dtype="M8[D]"),
            "term": np.array([r[1] for r in lpr_rows], dtype=object),
            "rate": np.array([float(ref.pct(r[2])) for r in lpr_rows]),
        },
    )
    fund_rows = [
        (d, band, order, rate)
        for d, a, b, c, e in ref.PROVIDENT_FUND_HISTORY
        for band, order, rate in (("le5y", 1, a), ("gt5y", 1, b), ("le5y", 2, c), ("gt5y", 2, e))
    ]
    ctx.add(
        "provident_fund_rates",
        {
            "id": np.arange(1, len(fund_rows) + 1),
            "effective_on": np.array([r[0] for r in fund_rows], dtype="M8[D]"),
            "term_band": np.array([r[1] for r in fund_rows], dtype=object),
            "home_order": np.array([r[2] for r in fund_rows]),
            "rate": np.array([float(ref.pct(r[3])) for r in fund_rows]),
        },
    )
