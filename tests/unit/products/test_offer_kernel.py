"""Properties of the next-best-offer kernel on plain arrays."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from scipy.special import expit

from loanpilot.products import offer_rules as r
from loanpilot.products.offer_kernel import (
    CustomerArrays,
    ProductArrays,
    prescreen_approval,
    score_chunk,
)

TYPES = ("business", "consumer", "housing")
OCC = ("company_employee", "self_employed")


def _products() -> ProductArrays:
    rules = [
        r.Eligibility(),
        r.Eligibility(requires_provident_fund=True, max_age_at_maturity=70),
        r.Eligibility(occupations=frozenset({"self_employed"})),
        r.Eligibility(max_dti=Decimal("0.5")),
    ]
    amount = np.array([5e6, 6e7, 2e7, 8e6])
    rate = np.array([0.05, 0.035, 0.045, 0.06])
    term = np.array([24.0, 240.0, 36.0, 36.0])
    table = r.EligibilityTable.build(
        rules, term_months=term, instalment_fen=r.instalment_fen(amount, rate, term),
        occupations=OCC, cities=(),
    )  # fmt: skip
    return ProductArrays(
        type_code=np.array([1, 2, 0, 1]), type_names=TYPES, amount_fen=amount, annual_rate=rate,
        term_months=term, monthly_fee_rate=np.zeros(4), upfront_fee_rate=np.zeros(4),
        lgd=np.array([0.7, 0.2, 0.45, 0.7]), eligibility=table,
    )  # fmt: skip


def _customers(n: int, seed: int = 1) -> CustomerArrays:
    rng = np.random.default_rng(seed)
    return CustomerArrays(
        age=rng.uniform(22, 60, n), monthly_income_fen=rng.uniform(3e5, 3e6, n),
        monthly_debt_fen=rng.uniform(0, 3e5, n), financial_assets_fen=rng.uniform(0, 1e8, n),
        occupation_code=rng.integers(0, 2, n), city_code=np.zeros(n, dtype=np.int64),
        has_provident_fund=rng.random(n) < 0.5, owns_home=rng.random(n) < 0.5,
        suppressed=np.where(rng.random(n) < 0.2, 1, -1),
    )  # fmt: skip


def _take(rows: np.ndarray, t: np.ndarray, c: np.ndarray) -> np.ndarray:
    return np.asarray(expit(-3.0 + 0.01 * (rows % 50) + 0.3 * t - 0.2 * c))


COST = np.array([8.0, 350.0, 2500.0, 2.0])


def test_offers_respect_policy_eligibility_ranks_and_the_profit_formula() -> None:
    n = 400
    cust, prod = _customers(n), _products()
    bureau = np.random.default_rng(2).uniform(500, 850, n)
    ok = np.ones((n, prod.size), dtype=bool)
    ok[::7, :] = False  # the credit policy refuses every 7th customer everything
    approve = prescreen_approval(bureau, ok)
    res = score_chunk(cust, prod, COST, take=_take, approve=approve, top_n=2)
    assert res.row.size > 0
    assert not np.isin(res.row, np.flatnonzero(cust.suppressed >= 0)).any()
    assert not np.isin(res.row, np.arange(0, n, 7)).any()  # P(approve) 0: only a loss
    mask = r.ineligibility(
        prod.eligibility, age=cust.age, has_provident_fund=cust.has_provident_fund,
        occupation_code=cust.occupation_code, monthly_income_fen=cust.monthly_income_fen,
        financial_assets_fen=cust.financial_assets_fen, owns_home=cust.owns_home,
        city_code=cust.city_code, monthly_debt_fen=cust.monthly_debt_fen,
    )  # fmt: skip
    assert (mask[res.row, res.product] == 0).all()
    assert (res.profit_fen > 0).all()
    assert res.rank.max() <= 2
    for row in np.unique(res.row):  # ranks 1..k, profits non-increasing, one channel a product
        mine = res.row == row
        assert res.rank[mine].tolist() == list(range(1, mine.sum() + 1))
        assert (np.diff(res.profit_fen[mine]) <= 1e-9).all()
        assert len(set(res.product[mine].tolist())) == mine.sum()
    p_app, pd12 = approve(prod)
    np.testing.assert_allclose(res.p_approve, p_app[res.row, res.product])
    value = r.risk_adjusted_value(
        prod.amount_fen[res.product], prod.annual_rate[res.product], prod.term_months[res.product],
        pd12[res.row, res.product], prod.lgd[res.product], float(r.DEFAULT_FUNDING_RATE),
    )  # fmt: skip
    np.testing.assert_allclose(res.value_fen, value, rtol=1e-12)
    expected = res.p_approve * res.p_take * r.DEFAULT_INCREMENTAL_SHARE * value - COST[res.channel]
    np.testing.assert_allclose(res.profit_fen, expected, rtol=1e-9)
    np.testing.assert_allclose(res.uplift, res.p_take * r.DEFAULT_INCREMENTAL_SHARE)


def test_the_best_channel_of_each_product_is_chosen() -> None:
    n = 50
    cust, prod = _customers(n), _products()
    approve = prescreen_approval(np.full(n, 800.0), np.ones((n, prod.size), dtype=bool))
    res = score_chunk(cust, prod, COST, take=_take, approve=approve, top_n=4)
    p_app, pd12 = approve(prod)
    for i in range(res.row.size):
        row, j = res.row[i], res.product[i]
        value = r.risk_adjusted_value(
            prod.amount_fen[j], prod.annual_rate[j], prod.term_months[j], pd12[row, j],
            prod.lgd[j], float(r.DEFAULT_FUNDING_RATE),
        )  # fmt: skip
        p = _take(np.full(4, row), np.full(4, prod.type_code[j]), np.arange(4))
        profits = p_app[row, j] * p * r.DEFAULT_INCREMENTAL_SHARE * value - COST
        assert res.channel[i] == int(np.argmax(profits))


def test_chunks_give_the_same_offers_as_one_pass() -> None:
    n = 300
    cust, prod = _customers(n, seed=5), _products()
    bureau = np.random.default_rng(6).uniform(500, 850, n)
    ok = np.ones((n, prod.size), dtype=bool)
    whole = score_chunk(cust, prod, COST, take=_take, approve=prescreen_approval(bureau, ok))
    parts = []
    for lo in range(0, n, 70):
        sl = slice(lo, min(lo + 70, n))
        sub = CustomerArrays(**{k: getattr(cust, k)[sl] for k in cust.__dataclass_fields__})

        def take(rows: np.ndarray, t: np.ndarray, c: np.ndarray, lo: int = lo) -> np.ndarray:
            return _take(rows + lo, t, c)

        res = score_chunk(
            sub, prod, COST, take=take, approve=prescreen_approval(bureau[sl], ok[sl])
        )
        parts.append(np.column_stack([res.row + lo, res.product, res.channel, res.profit_fen]))
    got = np.vstack(parts)
    want = np.column_stack([whole.row, whole.product, whole.channel, whole.profit_fen])
    np.testing.assert_allclose(got, want)


def test_an_uplift_model_replaces_the_default_share() -> None:
    n = 60
    cust, prod = _customers(n), _products()
    approve = prescreen_approval(np.full(n, 750.0), np.ones((n, prod.size), dtype=bool))

    def uplift(rows: np.ndarray, t: np.ndarray, c: np.ndarray, p: np.ndarray) -> np.ndarray:
        return np.where(c == 3, 0.02, -0.01)  # only mobile moves anyone

    res = score_chunk(cust, prod, COST, take=_take, approve=approve, uplift=uplift)
    assert res.row.size > 0
    assert (res.channel == 3).all()
    np.testing.assert_allclose(res.uplift, 0.02)


def test_top_n_must_be_positive() -> None:
    with pytest.raises(ValueError, match="top_n must be >= 1, got 0"):
        score_chunk(
            _customers(3), _products(), COST, take=_take,
            approve=prescreen_approval(np.full(3, 700.0), np.ones((3, 4), bool)), top_n=0,
        )  # fmt: skip


def test_uplift_adapter_reads_the_learners_arm_per_channel() -> None:
    import pandas as pd

    from loanpilot.analytics.uplift import TwoModelUplift
    from loanpilot.products.offers_inputs import uplift_model

    rng = np.random.default_rng(0)
    n = 600
    x = pd.DataFrame({"age": rng.uniform(20, 60, n), "product_type": "consumer"})
    arm = rng.choice(["control", "sms", "branch"], n)
    y = (rng.random(n) < np.where(arm == "branch", 0.3, 0.1)).astype(int)
    x["channel"] = np.where(arm == "control", "none", arm)
    learner = TwoModelUplift(base="logistic").fit(x, arm, y)
    features = x[["age"]]
    fn = uplift_model(learner, features, ("consumer",), ("sms", "branch", "mobile"))
    rows = np.array([0, 1, 2])
    got = fn(rows, np.zeros(3, dtype=np.int64), np.array([0, 1, 2]), np.array([0.3, 0.3, 0.3]))
    frame = features.iloc[rows].reset_index(drop=True)
    frame["product_type"] = "consumer"
    frame["channel"] = ["sms", "branch", "mobile"]
    want = learner.predict_uplift(frame)
    cols = {t: i for i, t in enumerate(learner.treatments_)}
    assert got[0] == pytest.approx(want[0, cols["sms"]])
    assert got[1] == pytest.approx(want[1, cols["branch"]])
    assert got[2] == pytest.approx(0.3 * r.DEFAULT_INCREMENTAL_SHARE)  # no mobile arm


def test_p_approve_averages_the_policy_decision_over_the_amount_scenarios() -> None:
    from loanpilot.products.offer_kernel import averaged_approval

    n, prod = 50, _products()
    bureau = np.random.default_rng(5).uniform(500, 850, n)
    ok = np.ones((n, prod.size), dtype=bool)
    half = ok.copy()
    half[:, ::2] = False  # at the larger amount the hard rules fail for every second product
    one = prescreen_approval(bureau, ok)
    amounts = np.vstack([prod.amount_fen, 2 * prod.amount_fen])
    approve = averaged_approval([one, prescreen_approval(bureau, half)], amounts)
    p, pd12 = approve(prod)
    p_one, pd_one = one(prod)
    assert np.array_equal(pd12, pd_one)  # PD of the typical loan
    assert np.allclose(p[:, ::2], p_one[:, ::2] / 2)
    assert np.allclose(p[:, 1::2], p_one[:, 1::2])
    with pytest.raises(ValueError, match="one row per scenario"):
        averaged_approval([one], amounts)


@pytest.mark.parametrize("top_n", [1, 5, 16, 40])
def test_by_pair_ranks_every_product_channel_pair(top_n: int) -> None:
    """With ``by_pair`` the offers are the customer's best (product, channel) pairs: the same
    profits as the per-product ranking computes, a product may come through several channels."""
    n = 120
    cust, prod = _customers(n, seed=5), _products()
    approve = prescreen_approval(np.full(n, 760.0), np.ones((n, prod.size), dtype=bool))
    res = score_chunk(cust, prod, COST, take=_take, approve=approve, top_n=top_n, by_pair=True)
    best = score_chunk(cust, prod, COST, take=_take, approve=approve, top_n=4)
    assert res.row.size > 0
    assert res.rank.max() <= top_n
    p_app, _ = approve(prod)
    expected = (
        p_app[res.row, res.product] * res.p_take * r.DEFAULT_INCREMENTAL_SHARE * res.value_fen
        - COST[res.channel]
    )
    np.testing.assert_allclose(res.profit_fen, expected, rtol=1e-9)
    for row in np.unique(res.row):
        mine = res.row == row
        assert res.rank[mine].tolist() == list(range(1, mine.sum() + 1))
        assert (np.diff(res.profit_fen[mine]) <= 1e-9).all()
        pairs = set(zip(res.product[mine].tolist(), res.channel[mine].tolist(), strict=True))
        assert len(pairs) == mine.sum()
        # the customer's top pair is the top product at its best channel
        first = (best.row == row) & (best.rank == 1)
        assert first.sum() == 1
        top = mine & (res.rank == 1)
        assert res.profit_fen[top][0] == pytest.approx(best.profit_fen[first][0])
    if top_n >= 16:  # every profitable pair of an eligible product comes back
        assert (res.rank.max()) > 4
