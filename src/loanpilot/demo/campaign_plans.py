"""Demo step parts of ``campaigns``: where each campaign runs (its places), what it aims for
(goals for applications, responses and amount disbursed) and what it costs (budget lines by
category and the expenses booked against them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from loanpilot.demo.catalogue import PRODUCTS
from loanpilot.demo.context import DemoContext, local_to_utc, pick

#: Cost of one contact, in fen, by channel.
CONTACT_COST_FEN = {
    "sms": 8,
    "call_center": 350,
    "branch": 2_500,
    "mobile": 2,
    "online": 40,
    "wechat": 15,
    "partner": 4_000,
}

PLACE_KIND = {
    "branch": "branch",
    "partner": "partner_site",
    "call_center": "online",
    "sms": "online",
    "mobile": "online",
    "online": "online",
    "wechat": "online",
}


def _columns(*names: str) -> dict[str, list[Any]]:
    return {k: [] for k in names}


@dataclass
class CampaignPlans:
    """Places, goals, budget lines and expenses, collected campaign by campaign, then written."""

    places: dict[str, list[Any]] = field(
        default_factory=lambda: _columns(
            "campaign_id", "kind", "name", "branch_id", "city", "starts_at", "ends_at"
        )
    )
    goals: dict[str, list[Any]] = field(
        default_factory=lambda: _columns("campaign_id", "metric", "target")
    )
    budget: dict[str, list[Any]] = field(
        default_factory=lambda: _columns("id", "campaign_id", "category", "planned_fen")
    )
    expenses: dict[str, list[Any]] = field(
        default_factory=lambda: _columns(
            "budget_line_id", "spent_on", "amount_fen", "vendor", "note"
        )
    )

    def add(
        self,
        ctx: DemoContext,
        rng: np.random.Generator,
        *,
        cid: int,
        channel: str,
        branch: int | None,
        city_branches: np.ndarray[Any, Any],
        start: np.datetime64,
        end: np.datetime64,
        status: str,
        p: np.ndarray[Any, Any],
        product_id: int,
        window_days: int,
    ) -> None:
        """Places, goals, budget and spend of one campaign, whose targets respond with ``p``.

        The order of the draws below fixes the random stream: keep it.
        """
        places, goals, budget, expenses = self.places, self.goals, self.budget, self.expenses
        size = len(p)
        kind = PLACE_KIND[channel]
        n_places = 1 if kind == "online" else int(rng.integers(1, 4))
        for pi in range(n_places):
            pb = branch or int(pick(rng, city_branches, 1)[0])
            places["campaign_id"].append(cid)
            places["kind"].append(
                kind if pi == 0 else str(pick(rng, ["community", "mall", "enterprise"], 1)[0])
            )
            places["name"].append(
                "线上渠道"
                if kind == "online"
                else f"{ctx.tables['branches']['name'][pb - 1]}{'网点' if pi == 0 else ['社区活动点', '商场展位', '企业驻点'][pi % 3]}"
            )
            places["branch_id"].append(pb if kind != "online" else None)
            places["city"].append(
                str(ctx.tables["branches"]["city"][pb - 1]) if kind != "online" else None
            )
            places["starts_at"].append(local_to_utc(np.array([start]), np.array([9.0]))[0])
            places["ends_at"].append(local_to_utc(np.array([end]), np.array([18.0]))[0])
        expected_apps = float(p.sum())
        for metric, target in (
            ("applications", round(expected_apps * rng.uniform(0.9, 1.3))),
            ("responses", round(float(p.sum()) * rng.uniform(1.0, 1.3))),
            (
                "disbursed_fen",
                round(
                    expected_apps * 0.6 * PRODUCTS[product_id - 1].typical_amount_yuan,
                    -3,
                )
                * 100,
            ),
        ):
            goals["campaign_id"].append(cid)
            goals["metric"].append(metric)
            goals["target"].append(float(target))
        contact_budget = size * CONTACT_COST_FEN[channel]
        base = max(contact_budget, 500_000) * rng.uniform(1.5, 3.0)
        split = {
            "planning": 0.12,
            "venue": 0.0 if kind == "online" else 0.25,
            "materials": 0.13,
            "promotion": 0.35,
            "personnel": 0.15,
        }
        for category, frac in split.items():
            if frac == 0:
                continue
            line_id = len(budget["id"]) + 1
            planned = int(round(base * frac / 100) * 100)
            budget["id"].append(line_id)
            budget["campaign_id"].append(cid)
            budget["category"].append(category)
            budget["planned_fen"].append(planned)
            spent_share = rng.uniform(0.75, 1.1) if status == "completed" else rng.uniform(0.2, 0.6)
            n_exp = int(rng.integers(1, 4))
            parts = rng.dirichlet(np.ones(n_exp)) * planned * spent_share
            for part in parts:
                expenses["budget_line_id"].append(line_id)
                expenses["spent_on"].append(
                    min(
                        start + np.timedelta64(int(rng.integers(-10, window_days + 1)), "D"),
                        ctx.as_of64,
                    )
                )
                expenses["amount_fen"].append(int(part))
                expenses["vendor"].append(
                    str(
                        pick(
                            rng,
                            [
                                "杭州创意广告",
                                "浙江会展服务",
                                "之江印务",
                                "数联短信平台",
                                "示范银行人力",
                            ],
                            1,
                        )[0]
                    )
                )
                expenses["note"].append(f"{category} 第{len(expenses['note']) % 9 + 1}笔")

    def write(self, ctx: DemoContext) -> None:
        """Add the collected places, goals, budget lines and expenses to their tables."""
        places, goals, budget, expenses = self.places, self.goals, self.budget, self.expenses
        ctx.add(
            "campaign_places",
            {
                "id": np.arange(1, len(places["name"]) + 1),
                **{
                    k: np.array(v)
                    if k == "campaign_id"
                    else np.array(
                        v, dtype=object if k not in ("starts_at", "ends_at") else "M8[us]"
                    )
                    for k, v in places.items()
                },
            },
        )
        ctx.add(
            "campaign_goals",
            {
                "id": np.arange(1, len(goals["metric"]) + 1),
                "campaign_id": np.array(goals["campaign_id"]),
                "metric": np.array(goals["metric"], dtype=object),
                "target": np.array(goals["target"]),
            },
        )
        ctx.add(
            "campaign_budget_lines",
            {
                "id": np.array(budget["id"]),
                "campaign_id": np.array(budget["campaign_id"]),
                "category": np.array(budget["category"], dtype=object),
                "planned_fen": np.array(budget["planned_fen"]),
            },
        )
        ctx.add(
            "campaign_expenses",
            {
                "id": np.arange(1, len(expenses["amount_fen"]) + 1),
                "budget_line_id": np.array(expenses["budget_line_id"]),
                "spent_on": np.array(expenses["spent_on"], dtype="M8[D]"),
                "amount_fen": np.array(expenses["amount_fen"]),
                "vendor": np.array(expenses["vendor"], dtype=object),
                "note": np.array(expenses["note"], dtype=object),
            },
        )
