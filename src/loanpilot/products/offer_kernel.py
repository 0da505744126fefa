"""The next-best-offer scoring kernel: one chunk of customers × products × channels in numpy.

``score_chunk`` runs, for n customers, P products and C channels:

1. eligibility: the products' own rules (``offer_rules.ineligibility``) and the contact policy
   (a suppressed customer gets nothing);
2. propensity: ``take(rows, type_code, channel_code)`` once for the whole grid of eligible
   customers × product types × channels (a model reads the product *type* and channel, so the grid
   is n × T × C rather than n × P × C: one model predict per chunk);
3. incremental take-up: ``uplift(rows, type_code, channel_code, p_take)`` if given, else
   ``p_take × incremental_share``;
4. approval: ``approve(products)`` → P(approve) and the 12-month PD, both n × P
   (``card_approval``: the policy's decision on the champion scorecard's score, or
   ``prescreen_approval`` without one, averaged over amount scenarios by ``averaged_approval``);
5. value (``offer_rules.risk_adjusted_value``, n × P) and expected incremental profit
   (n × P × C, after the channel's contact cost);
6. per product the most profitable channel, then the ``top_n`` products per customer whose
   expected profit is above ``min_profit_fen``, best first (ties: the earlier product).

Nothing here reads the database: the service binds the models to a chunk and the benchmark calls
the same function on plain arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit

from loanpilot.analytics.scorecard_kernel import CompiledCard
from loanpilot.products import offer_rules as rules

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: The scorecard variables that depend on the product (the rest depend on the customer only).
PRODUCT_VARIABLES = frozenset({"product_type", "term_months", "amount_to_income", "debt_to_income"})


@dataclass(frozen=True)
class ProductArrays:
    """P products: their type (code into ``type_names``), typical loan and eligibility."""

    type_code: IntArray
    type_names: tuple[str, ...]
    amount_fen: FloatArray
    annual_rate: FloatArray
    term_months: FloatArray
    monthly_fee_rate: FloatArray
    upfront_fee_rate: FloatArray
    lgd: FloatArray
    eligibility: rules.EligibilityTable

    @property
    def size(self) -> int:
        return int(self.type_code.shape[0])


@dataclass(frozen=True)
class CustomerArrays:
    """n customers: the facts eligibility reads and the contact policy's verdict
    (``suppressed``: index into ``offer_rules.SUPPRESSION``, -1 = may be contacted)."""

    age: FloatArray
    monthly_income_fen: FloatArray
    monthly_debt_fen: FloatArray
    financial_assets_fen: FloatArray
    occupation_code: IntArray
    city_code: IntArray
    has_provident_fund: BoolArray
    owns_home: BoolArray
    suppressed: IntArray

    @property
    def size(self) -> int:
        return int(self.age.shape[0])


class TakeModel(Protocol):
    def __call__(self, rows: IntArray, type_code: IntArray, channel_code: IntArray) -> FloatArray:
        """P(takes the offer) of chunk rows ``rows`` for a product type through a channel."""


class UpliftModel(Protocol):
    def __call__(
        self, rows: IntArray, type_code: IntArray, channel_code: IntArray, p_take: FloatArray
    ) -> FloatArray:
        """P(take | contacted) − P(take | not contacted) of the same grid."""


ApprovalModel = Callable[[ProductArrays], tuple[FloatArray, FloatArray]]


@dataclass(frozen=True)
class ChunkOffers:
    """The ranked offers of a chunk, one entry per offer (``row`` into the chunk, ``rank`` 1..),
    and per customer whether any product was eligible."""

    row: IntArray
    rank: IntArray
    product: IntArray
    channel: IntArray
    p_take: FloatArray
    p_approve: FloatArray
    uplift: FloatArray
    pd12: FloatArray
    value_fen: FloatArray
    cost_fen: FloatArray
    profit_fen: FloatArray
    any_eligible: BoolArray
    eligible_pairs: int


def score_chunk(
    customers: CustomerArrays,
    products: ProductArrays,
    channel_cost_fen: npt.ArrayLike,
    *,
    take: TakeModel,
    approve: ApprovalModel,
    uplift: UpliftModel | None = None,
    funding_rate: float = float(rules.DEFAULT_FUNDING_RATE),
    incremental_share: float = rules.DEFAULT_INCREMENTAL_SHARE,
    top_n: int = 3,
    min_profit_fen: float = 0.0,
    by_pair: bool = False,
) -> ChunkOffers:
    """The ``top_n`` offers of each customer of the chunk (see the module docstring).

    With ``by_pair`` the ranking is over (product, channel) pairs rather than over products at
    their best channel, so one product may come back through several channels: the options an
    optimiser with channel capacities needs.
    """
    if top_n < 1:
        raise ValueError(f"top_n must be >= 1, got {top_n}")
    cost = np.asarray(channel_cost_fen, dtype=float).reshape(-1)
    p, c = products.size, cost.shape[0]
    mask = rules.ineligibility(
        products.eligibility,
        age=customers.age,
        has_provident_fund=customers.has_provident_fund,
        occupation_code=customers.occupation_code,
        monthly_income_fen=customers.monthly_income_fen,
        financial_assets_fen=customers.financial_assets_fen,
        owns_home=customers.owns_home,
        city_code=customers.city_code,
        monthly_debt_fen=customers.monthly_debt_fen,
    )
    eligible = (mask == 0) & (customers.suppressed < 0)[:, None]
    any_eligible = eligible.any(axis=1)
    rows = np.flatnonzero(any_eligible)
    if rows.size == 0 or p == 0 or c == 0:
        return _empty(any_eligible)
    # propensity over the grid rows × types × channels, one call
    n_types = len(products.type_names)
    grid_r = np.repeat(rows, n_types * c)
    grid_t = np.tile(np.repeat(np.arange(n_types, dtype=np.int64), c), rows.size)
    grid_c = np.tile(np.arange(c, dtype=np.int64), rows.size * n_types)
    p_take_grid = np.clip(np.asarray(take(grid_r, grid_t, grid_c), dtype=float), 0.0, 1.0)
    if uplift is None:
        incr_grid = p_take_grid * incremental_share
    else:
        incr_grid = np.asarray(uplift(grid_r, grid_t, grid_c, p_take_grid), dtype=float)
    shape = (rows.size, n_types, c)
    p_take = p_take_grid.reshape(shape)[:, products.type_code, :]  # m × P × C
    incr = incr_grid.reshape(shape)[:, products.type_code, :]
    p_approve_all, pd_all = approve(products)
    p_approve, pd12 = p_approve_all[rows], pd_all[rows]
    value = rules.risk_adjusted_value(
        products.amount_fen[None, :],
        products.annual_rate[None, :],
        products.term_months[None, :],
        pd12,
        products.lgd[None, :],
        funding_rate,
        monthly_fee_rate=products.monthly_fee_rate[None, :],
        upfront_fee_rate=products.upfront_fee_rate[None, :],
    )
    profit = (p_approve * value)[:, :, None] * incr - cost[None, None, :]
    if by_pair:
        return _top_pairs(
            profit, eligible[rows], rows, any_eligible, top_n, min_profit_fen,
            p_take=p_take, p_approve=p_approve, incr=incr, pd12=pd12, value=value, cost=cost,
        )  # fmt: skip
    best_c = np.argmax(profit, axis=2)  # m × P: the best channel per product (first on ties)
    best = np.take_along_axis(profit, best_c[:, :, None], axis=2)[:, :, 0]
    best = np.where(eligible[rows], best, -np.inf)
    order = np.argsort(-best, axis=1, kind="stable")[:, : min(top_n, p)]
    top = np.take_along_axis(best, order, axis=1)
    keep = np.isfinite(top) & (top > min_profit_fen)
    r_idx, k_idx = np.nonzero(keep)
    prod = order[r_idx, k_idx]
    chan = best_c[r_idx, prod]
    return _pack(
        rows, r_idx, k_idx, prod, chan, top[r_idx, k_idx], any_eligible, int(eligible.sum()),
        p_take=p_take, p_approve=p_approve, incr=incr, pd12=pd12, value=value, cost=cost,
    )  # fmt: skip


def _top_pairs(
    profit: FloatArray,
    eligible: BoolArray,
    rows: IntArray,
    any_eligible: BoolArray,
    top_n: int,
    min_profit_fen: float,
    *,
    p_take: FloatArray,
    p_approve: FloatArray,
    incr: FloatArray,
    pd12: FloatArray,
    value: FloatArray,
    cost: FloatArray,
) -> ChunkOffers:
    """The ``top_n`` (product, channel) pairs of each customer by expected profit."""
    m, p, c = profit.shape
    flat = np.where(eligible[:, :, None], profit, -np.inf).reshape(m, p * c)
    k = min(top_n, p * c)
    if k < p * c:
        part = np.argpartition(-flat, k - 1, axis=1)[:, :k]
        within = np.argsort(-np.take_along_axis(flat, part, axis=1), axis=1, kind="stable")
        order = np.take_along_axis(part, within, axis=1)
    else:
        order = np.argsort(-flat, axis=1, kind="stable")
    top = np.take_along_axis(flat, order, axis=1)
    keep = np.isfinite(top) & (top > min_profit_fen)
    r_idx, k_idx = np.nonzero(keep)
    prod, chan = np.divmod(order[r_idx, k_idx], c)
    return _pack(
        rows, r_idx, k_idx, prod, chan, top[r_idx, k_idx], any_eligible, int(eligible.sum()) * c,
        p_take=p_take, p_approve=p_approve, incr=incr, pd12=pd12, value=value, cost=cost,
    )  # fmt: skip


def _pack(
    rows: IntArray,
    r_idx: IntArray,
    k_idx: IntArray,
    prod: IntArray,
    chan: IntArray,
    profit: FloatArray,
    any_eligible: BoolArray,
    eligible_pairs: int,
    *,
    p_take: FloatArray,
    p_approve: FloatArray,
    incr: FloatArray,
    pd12: FloatArray,
    value: FloatArray,
    cost: FloatArray,
) -> ChunkOffers:
    """The kept offers (row ``r_idx`` of the chunk's eligible rows, rank ``k_idx + 1``)."""
    return ChunkOffers(
        row=rows[r_idx].astype(np.int64),
        rank=(k_idx + 1).astype(np.int64),
        product=prod.astype(np.int64),
        channel=chan.astype(np.int64),
        p_take=p_take[r_idx, prod, chan],
        p_approve=p_approve[r_idx, prod],
        uplift=incr[r_idx, prod, chan],
        pd12=pd12[r_idx, prod],
        value_fen=value[r_idx, prod],
        cost_fen=cost[chan],
        profit_fen=profit,
        any_eligible=any_eligible,
        eligible_pairs=eligible_pairs,
    )


def _empty(any_eligible: BoolArray) -> ChunkOffers:
    i, f = np.empty(0, dtype=np.int64), np.empty(0, dtype=float)
    return ChunkOffers(i, i, i, i, f, f, f, f, f, f, f, any_eligible, 0)


# --- approval -----------------------------------------------------------------------------------

#: Pre-screen PD: odds (good : bad) of 30 at bureau score 700, doubling every 60 points, times a
#: relative risk by product type; a customer without a bureau score is taken at 5 %.
PRESCREEN_ODDS_AT_700 = 30.0
PRESCREEN_PDO = 60.0
PRESCREEN_TYPE_RISK = {"housing": 0.4, "consumer": 1.0, "business": 1.2, "private_banking": 0.3}
PRESCREEN_NO_BUREAU_PD = 0.05
#: Pre-screen P(approve): sigmoid((bureau score − 600) / 25), 0.5 without a bureau score.
PRESCREEN_MID, PRESCREEN_SCALE = 600.0, 25.0
#: The share of applications referred to manual review that reviewers approve (the demo bank's
#: reviewers approve the better half of them).
REFER_APPROVAL = 0.5


def prescreen_approval(
    bureau_score: npt.ArrayLike, policy_ok: BoolArray
) -> Callable[[ProductArrays], tuple[FloatArray, FloatArray]]:
    """The documented pre-screen (no champion scorecard): PD12 from the bureau score and the
    product type, P(approve) from the bureau score, 0 where the policy's hard rules fail
    (``policy_ok``, n × P)."""
    score = np.asarray(bureau_score, dtype=float)

    def approve(products: ProductArrays) -> tuple[FloatArray, FloatArray]:
        odds = PRESCREEN_ODDS_AT_700 * np.exp2((score - 700.0) / PRESCREEN_PDO)
        base = np.where(np.isnan(score), PRESCREEN_NO_BUREAU_PD, 1.0 / (1.0 + odds))
        risk = np.array([PRESCREEN_TYPE_RISK.get(t, 1.0) for t in products.type_names])
        pd12 = np.clip(base[:, None] * risk[products.type_code][None, :], 0.0, 0.999)
        p = np.where(np.isnan(score), 0.5, expit((score - PRESCREEN_MID) / PRESCREEN_SCALE))
        return np.where(policy_ok, p[:, None], 0.0), pd12

    return approve


def card_approval(
    card: CompiledCard,
    customer_features: pd.DataFrame,
    *,
    monthly_income_fen: npt.ArrayLike,
    monthly_debt_fen: npt.ArrayLike,
    approve_from: float,
    decline_below: float,
    policy_ok: BoolArray,
    refer_approval: float = REFER_APPROVAL,
) -> Callable[[ProductArrays], tuple[FloatArray, FloatArray]]:
    """The champion scorecard on a pre-screen row per customer × product (the customer's
    application features with the products' amounts, terms and instalments as given).

    The card is additive, so its customer variables are scored once per customer, the product
    type and term once per product and only the two ratios per pair. PD is the card's PD of the
    total score; the policy's decision on that row is approve at a (rounded) score of at least
    ``approve_from`` (1), manual review below it down to ``decline_below`` (approved with
    probability ``refer_approval``), decline below (0), and 0 where the policy's hard rules fail
    (``policy_ok``)."""
    own = tuple(v for v in card.variables if v.name not in PRODUCT_VARIABLES)
    per_product = tuple(v for v in card.variables if v.name in ("product_type", "term_months"))
    pairs = tuple(v for v in card.variables if v.name in ("amount_to_income", "debt_to_income"))
    base = CompiledCard(own, card.offset, card.factor, card.base).score(
        customer_features[[v.name for v in own]]
    ).score if own else np.full(len(customer_features), card.base)  # fmt: skip
    income = np.asarray(monthly_income_fen, dtype=float)
    debt = np.nan_to_num(np.asarray(monthly_debt_fen, dtype=float), nan=0.0)
    safe = np.where(income > 0, income, np.nan)

    def approve(products: ProductArrays) -> tuple[FloatArray, FloatArray]:
        n, p = base.shape[0], products.size
        total = np.repeat(base[:, None], p, axis=1)
        if per_product:
            frame = pd.DataFrame({
                "product_type": np.array(products.type_names, dtype=object)[products.type_code],
                "term_months": products.term_months,
            })  # fmt: skip
            sub = CompiledCard(per_product, card.offset, card.factor, 0.0)
            total += sub.score(frame[[v.name for v in per_product]]).score[None, :]
        if pairs:
            instalment = rules.instalment_fen(
                products.amount_fen, products.annual_rate, products.term_months
            )
            with np.errstate(invalid="ignore", divide="ignore"):
                cols = {
                    "debt_to_income": np.round((debt[:, None] + instalment[None, :]) / safe[:, None], 6),
                    "amount_to_income": np.round(products.amount_fen[None, :] / (12 * safe[:, None]), 6),
                }  # fmt: skip
            sub = CompiledCard(pairs, card.offset, card.factor, 0.0)
            flat = pd.DataFrame({v.name: cols[v.name].reshape(-1) for v in pairs})
            total += sub.score(flat).score.reshape(n, p)
        pd12 = card.pd_of(total)
        score = np.rint(total)
        decision = np.where(
            score >= approve_from, 1.0, np.where(score >= decline_below, refer_approval, 0.0)
        )
        return np.where(policy_ok, decision, 0.0), pd12

    return approve


def averaged_approval(
    scenarios: Sequence[ApprovalModel], amounts_fen: npt.ArrayLike
) -> ApprovalModel:
    """P(approve) as the mean over amount scenarios (row k of ``amounts_fen``, K × P: the amount
    each product would be applied for in scenario k, ``scenarios[k]`` holding that scenario's
    hard-rule verdicts) of the policy's decision; PD12 that of the products as given (their
    typical loans, which the value is computed for)."""
    amounts = np.asarray(amounts_fen, dtype=float)
    if amounts.ndim != 2 or amounts.shape[0] != len(scenarios) or not scenarios:
        raise ValueError(
            f"amounts_fen must be K × P with one row per scenario ({len(scenarios)}), "
            f"got shape {amounts.shape}"
        )

    def approve(products: ProductArrays) -> tuple[FloatArray, FloatArray]:
        _, pd12 = scenarios[0](products)
        total = np.zeros_like(pd12)
        for k, model in enumerate(scenarios):
            total += model(replace(products, amount_fen=amounts[k]))[0]
        return total / len(scenarios), pd12

    return approve


# --- model adapters -------------------------------------------------------------------------------


def frame_take(
    predict_proba: Callable[[pd.DataFrame], Any],
    features: pd.DataFrame,
    type_names: Sequence[str],
    channel_names: Sequence[str],
) -> TakeModel:
    """A ``TakeModel`` of a model fitted on ``features`` plus ``product_type`` and ``channel``
    columns. When ``predict_proba`` is the method of a model that also has
    ``predict_proba_grid`` (``PropensityModel``), the distinct customers of the grid are scored
    with the distinct (type, channel) pairs without building their cross join (the same numbers,
    several times faster); otherwise the grid's rows are one frame and one predict."""
    types = np.array(list(type_names), dtype=object)
    chans = np.array(list(channel_names), dtype=object)
    grid = getattr(getattr(predict_proba, "__self__", None), "predict_proba_grid", None)

    def take(rows: IntArray, type_code: IntArray, channel_code: IntArray) -> FloatArray:
        if grid is not None:
            customers, at_row = np.unique(rows, return_inverse=True)
            pairs, at_pair = np.unique(type_code * len(chans) + channel_code, return_inverse=True)
            offers = pd.DataFrame({
                "product_type": types[pairs // len(chans)], "channel": chans[pairs % len(chans)],
            })  # fmt: skip
            p = np.asarray(grid(features.iloc[customers].reset_index(drop=True), offers))
            return np.asarray(p[at_row.reshape(-1), at_pair.reshape(-1)], dtype=float)
        frame = features.iloc[rows].reset_index(drop=True)
        frame["product_type"] = types[type_code]
        frame["channel"] = chans[channel_code]
        return np.asarray(predict_proba(frame), dtype=float).reshape(-1)

    return take
