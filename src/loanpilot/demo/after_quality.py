"""Demo step: stage SLAs (service_slas) and service-quality reviews of the sales staff."""

from __future__ import annotations

import numpy as np

from loanpilot.demo.after_common import (
    SALES_ROLES,
    days_between,
    fk_ids,
    staff_ids,
    window_quarters,
)
from loanpilot.demo.context import DemoContext, pick

#: Stage targets (service_slas), hours by product type; None applies to every product type.
SLA_HOURS: tuple[tuple[str, str | None, int], ...] = (
    ("application_to_decision", "consumer", 24),
    ("application_to_decision", "housing", 120),
    ("application_to_decision", "business", 72),
    ("application_to_decision", None, 72),
    ("decision_to_disbursement", "consumer", 48),
    ("decision_to_disbursement", "housing", 360),
    ("decision_to_disbursement", "business", 120),
    ("decision_to_disbursement", None, 120),
    ("inquiry_response", None, 24),
    ("complaint_first_response", None, 24),
    ("complaint_resolution", None, 72),
)


def add_slas(ctx: DemoContext) -> None:
    """The stage targets ``SLA_HOURS``, valid from the start of the window."""
    n = len(SLA_HOURS)
    ctx.add(
        "service_slas",
        {
            "id": ctx.next_ids("service_slas", n),
            "stage": np.array([s[0] for s in SLA_HOURS], dtype=object),
            "product_type": np.array([s[1] for s in SLA_HOURS], dtype=object),
            "target_hours": np.array([float(s[2]) for s in SLA_HOURS]),
            "valid_from": np.full(n, ctx.start64),
        },
    )


#: Checklist of a quality review: (code, label, max points, base logit of full marks).
REVIEW_ITEMS: tuple[tuple[str, str, int, float, str], ...] = (
    ("greeting", "迎宾与礼仪", 20, 2.4, "未使用规范问候语"),
    ("product_knowledge", "产品知识", 30, 1.9, "对期限、还款方式介绍不准确"),
    ("apr_disclosure", "年化利率（APR）明示", 30, 1.4, "未主动明示年化利率"),
    ("privacy", "个人信息保护", 20, 2.1, "未遮挡客户信息或未核验身份"),
)


def add_quality_reviews(ctx: DemoContext, rng: np.random.Generator) -> None:
    """One review per sales staff member and quarter (from 30 days after hiring)."""
    staff = ctx.tables["staff"]
    rows = np.flatnonzero(np.isin(staff["role"], SALES_ROLES))
    quarters = window_quarters(ctx)
    nq = len(quarters)
    who = np.repeat(rows, nq)
    qi = np.tile(np.arange(nq), rows.size)
    q_start = np.maximum(np.array([q[1] for q in quarters])[qi], ctx.start64)
    q_end = np.minimum(np.array([q[2] for q in quarters])[qi], ctx.as_of64)
    day = days_between(rng, q_start, q_end)
    hired = np.asarray(staff["hired_on"], dtype="M8[D]")[who]
    keep = day >= hired + np.timedelta64(30, "D")
    who, day = who[keep], day[keep]
    n = who.size
    quality = np.asarray(ctx.latent["staff_quality"], dtype=float)[who]
    points = []
    for _, _, max_points, base, _ in REVIEW_ITEMS:
        p = 1.0 / (1.0 + np.exp(-(base + 0.8 * quality + rng.normal(0, 0.7, n))))
        points.append(np.round(max_points * p).astype(np.int64))
    score = np.sum(points, axis=0).astype(float)
    items = [
        [
            {
                "code": code,
                "label": label,
                "max_points": mx,
                "points": int(pt),
                "note": note if pt < 0.6 * mx else "",
            }
            for (code, label, mx, _, note), pt in zip(REVIEW_ITEMS, row, strict=True)
        ]
        for row in zip(*points, strict=True)
    ]
    reviewers = staff_ids(ctx, "service_agent", "marketing_manager")
    comment = np.select(
        [score >= 90, score >= 75],
        ["服务规范，表现优秀。", "整体良好，个别环节需改进。"],
        "存在明显不足，需限期整改并复查。",
    ).astype(object)
    ctx.add(
        "quality_reviews",
        {
            "id": ctx.next_ids("quality_reviews", n),
            "kind": pick(
                rng, ["mystery_shopper", "call_review", "audit"], n, [0.5, 0.4, 0.1]
            ).astype(object),
            "staff_id": np.asarray(staff["id"], dtype=np.int64)[who],
            "branch_id": fk_ids(staff["branch_id"])[who],
            "reviewer_id": pick(rng, reviewers, n),
            "reviewed_on": day,
            "score": score,
            "items": items,
            "comment": comment,
        },
    )
