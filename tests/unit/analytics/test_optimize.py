"""Budget and offer optimisation (``analytics.optimize``): known answers on instances small enough
to enumerate, properties of every returned list, infeasibility messages and parameter errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loanpilot.analytics.optimize import Constraints, Infeasible, Options, Solution, solve


def brute_force(o: Options, c: Constraints, seg: np.ndarray | None) -> float | None:
    """Best total value by enumerating every choice (None when nothing is feasible)."""
    cust = np.asarray(o.customer)
    n = int(o.n_customers or cust.max() + 1)
    per = [[*np.flatnonzero(cust == i).tolist(), -1] for i in range(n)]
    best = None
    for pick in itertools.product(*per):
        idx = np.array([k for k in pick if k >= 0], int)
        if not feasible(o, c, seg, idx):
            continue
        total = float(np.asarray(o.value, float)[idx].sum())
        best = total if best is None else max(best, total)
    return best


def feasible(o: Options, c: Constraints, seg: np.ndarray | None, idx: np.ndarray) -> bool:
    cust = np.asarray(o.customer)[idx]
    if np.unique(cust).size != idx.size:
        return False
    cost = np.asarray(o.cost, float)[idx]
    if c.budget is not None and cost.sum() > c.budget + 1e-6:
        return False
    ch = np.asarray(o.channel)[idx]
    use = np.asarray(o.channel_usage, float)[idx]
    for k, cap in c.channel_capacity.items():
        if use[ch == k].sum() > cap + 1e-6:
            return False
    prod = np.asarray(o.product)[idx]
    for p, cap in c.product_cap.items():
        if (prod == p).sum() > cap:
            return False
    return all((np.asarray(seg)[cust] == s).sum() >= lim for s, lim in c.segment_min.items())


def grid(values, costs=(1.0, 5.0), usage=(1.0, 1.0)) -> Options:
    """Options for len(values) customers x len(values[0]) (product, channel) pairs."""
    v = np.asarray(values, float)
    n, k = v.shape
    ch = np.tile(np.arange(k) % len(costs), n)
    return Options(
        customer=np.repeat(np.arange(n), k),
        value=v.ravel(),
        cost=np.asarray(costs)[ch],
        channel=ch,
        product=np.tile(np.arange(k) // len(costs), n),
        channel_usage=np.asarray(usage)[ch],
        n_customers=n,
    )


def test_known_answer_budget_picks_best_value_per_cost() -> None:
    # 3 customers x 2 options (channel 0 cost 1, channel 1 cost 5); budget 6
    o = grid([[10, 30], [8, 9], [1, 40]])
    c = Constraints(budget=6.0)
    sol = solve(o, c, method="milp")
    # best: customer 2 via channel 1 (40, cost 5) + customer 0 via channel 0 (10, cost 1) = 50
    assert sol.objective == pytest.approx(50.0)
    assert sorted(sol.chosen.tolist()) == [0, 5]
    assert sol.status == "optimal"
    assert "budget" in sol.binding
    assert sol.usage["budget"] == (6.0, 6.0)
    assert brute_force(o, c, None) == pytest.approx(50.0)


def test_known_answer_segment_minimum_forces_a_negative_option() -> None:
    o = grid([[10, 30], [-2, -1], [1, 40]])
    seg = np.array([0, 1, 0])
    c = Constraints(budget=100.0, segment_min={1: 1})
    for method in ("milp", "lagrangian"):
        sol = solve(o, c, seg, method=method)
        assert sol.objective == pytest.approx(69.0), method  # 30 + (-1) + 40
        assert "segment_min[1]" in sol.binding


def test_product_cap_and_channel_capacity() -> None:
    o = grid([[10, 30], [20, 25], [5, 40]])
    c = Constraints(channel_capacity={1: 1}, product_cap={0: 2})  # both options are product 0
    sol = solve(o, c, method="milp")
    assert sol.objective == pytest.approx(60.0)  # 40 via channel 1, then 20 via channel 0
    assert set(sol.binding) == {"channel_capacity[1]", "product_cap[0]"}


def test_no_options_and_unlimited() -> None:
    o = grid([[-1, -2], [-3, -4]])
    sol = solve(o, Constraints())
    assert sol.chosen.size == 0
    assert sol.objective == 0.0
    assert sol.gap == 0.0
    sol = solve(grid([[1, 2], [3, 4]]), Constraints(), method="lagrangian")
    assert sol.objective == pytest.approx(6.0)
    assert sol.gap == pytest.approx(0.0)


def test_unsorted_customers_are_handled() -> None:
    o = grid([[10, 30], [8, 9], [1, 40]])
    order = np.array([3, 0, 5, 1, 4, 2])
    shuffled = Options(*(np.asarray(a)[order] for a in (o.customer, o.value, o.cost, o.channel,
                       o.product, o.channel_usage)), n_customers=3)  # fmt: skip
    sol = solve(shuffled, Constraints(budget=6.0), method="milp")
    assert sol.objective == pytest.approx(50.0)
    assert sorted(order[sol.chosen].tolist()) == [0, 5]


@st.composite
def tiny(draw: st.DrawFn) -> tuple[Options, Constraints, np.ndarray]:
    n = draw(st.integers(1, 4))
    k = draw(st.integers(1, 3))
    vals = draw(st.lists(st.integers(-5, 30), min_size=n * k, max_size=n * k))
    costs = draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, 5.0]), min_size=n * k, max_size=n * k))
    ch = draw(st.lists(st.integers(0, 1), min_size=n * k, max_size=n * k))
    prod = draw(st.lists(st.integers(0, 2), min_size=n * k, max_size=n * k))
    use = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=n * k, max_size=n * k))
    seg = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    o = Options(np.repeat(np.arange(n), k), np.array(vals, float), np.array(costs), np.array(ch),
                np.array(prod), np.array(use), n_customers=n)  # fmt: skip
    c = Constraints(
        budget=draw(st.none() | st.sampled_from([0.0, 2.0, 4.0, 8.0])),
        channel_capacity=draw(st.dictionaries(st.integers(0, 1), st.sampled_from([0.0, 1.0, 2.5]))),
        segment_min=draw(st.dictionaries(st.integers(0, 1), st.integers(0, 2), max_size=1)),
        product_cap=draw(st.dictionaries(st.integers(0, 2), st.integers(0, 2))),
    )
    return o, c, seg


def check_solution(sol: Solution, o: Options, c: Constraints, seg: np.ndarray) -> None:
    assert feasible(o, c, seg, sol.chosen)
    assert sol.objective == pytest.approx(float(np.asarray(o.value)[sol.chosen].sum()))
    assert sol.objective <= sol.bound + 1e-9
    assert sol.bound * (1 - sol.gap) == pytest.approx(sol.objective, abs=1e-9)
    if sol.lp_bound is not None:
        assert sol.objective <= sol.lp_bound + 1e-6


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny())
def test_milp_equals_brute_force(case: tuple[Options, Constraints, np.ndarray]) -> None:
    o, c, seg = case
    best = brute_force(o, c, seg)
    if best is None:
        with pytest.raises(Infeasible):
            solve(o, c, seg, method="milp")
        return
    sol = solve(o, c, seg, method="milp")
    check_solution(sol, o, c, seg)
    assert sol.objective == pytest.approx(best)
    assert sol.lp_bound is None or sol.lp_bound >= best - 1e-6


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny())
def test_lagrangian_is_feasible_and_within_its_gap(
    case: tuple[Options, Constraints, np.ndarray],
) -> None:
    o, c, seg = case
    best = brute_force(o, c, seg)
    try:
        sol = solve(o, c, seg, method="lagrangian")
    except Infeasible:
        return  # a heuristic may miss a tight minimum; when one exists the MILP finds it (above)
    assert best is not None
    check_solution(sol, o, c, seg)
    assert sol.objective <= best + 1e-9 <= sol.bound + 1e-6
    assert best - sol.objective <= sol.gap * sol.bound + 1e-6


def test_lagrangian_without_minimums_always_finds_a_list() -> None:
    rng = np.random.default_rng(3)
    n, k = 400, 6
    o = Options(np.repeat(np.arange(n), k), rng.lognormal(3, 1, n * k) - 15, rng.choice([1.0, 8.0], n * k),
                np.tile(np.arange(k) % 2, n), np.tile(np.arange(k) // 2, n), np.ones(n * k))  # fmt: skip
    c = Constraints(budget=600.0, channel_capacity={1: 40}, product_cap={0: 50})
    exact = solve(o, c, method="milp")
    lag = solve(o, c, method="lagrangian", sample_customers=100, max_dual_iter=10)
    seg = np.zeros(n, int)
    check_solution(exact, o, c, seg)
    check_solution(lag, o, c, seg)
    assert lag.objective <= exact.objective + 1e-6
    assert lag.objective >= 0.99 * exact.objective
    assert lag.gap < 0.01
    assert exact.lp_bound is not None
    assert lag.bound >= exact.lp_bound - 1e-6
