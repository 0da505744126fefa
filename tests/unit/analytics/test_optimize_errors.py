"""Infeasibility explained in words and parameter errors of ``analytics.optimize.solve``."""

from __future__ import annotations

import numpy as np
import pytest

from loanpilot.analytics.optimize import Constraints, Infeasible, Options, solve


def options(n: int = 4, cost: float = 100.0, use: float = 1.0) -> Options:
    # every customer: one option per channel 0/1 (product 0 / 1), value 10 and 20
    return Options(
        customer=np.repeat(np.arange(n), 2), value=np.tile([10.0, 20.0], n),
        cost=np.full(2 * n, cost), channel=np.tile([0, 1], n), product=np.tile([0, 1], n),
        channel_usage=np.full(2 * n, use), n_customers=n,
    )  # fmt: skip


SEG = np.array([3, 3, 3, 1])


def test_segment_without_enough_eligible_customers() -> None:
    with pytest.raises(Infeasible) as err:
        solve(options(), Constraints(segment_min={3: 4}), SEG)
    assert err.value.constraint == "segment_min[3]"
    assert str(err.value) == (
        "segment 3 needs 4 customers covered but only 3 of its 3 customers have an eligible "
        "option within the limits"
    )
    assert err.value.details["eligible"] == 3


def test_segment_minimums_cost_more_than_the_budget() -> None:
    with pytest.raises(Infeasible) as err:
        solve(options(), Constraints(budget=250.0, segment_min={3: 3}), SEG)
    assert err.value.constraint == "budget"
    assert str(err.value) == (
        "covering the segment minimums costs at least ¥3.00, more than the budget ¥2.50"
    )
    assert err.value.constraints == ("budget", "segment_min[3]")


def test_segment_minimum_above_product_caps_and_channel_capacity() -> None:
    with pytest.raises(Infeasible) as err:
        solve(options(), Constraints(segment_min={3: 3}, product_cap={0: 1, 1: 1}), SEG)
    assert err.value.constraint == "segment_min[3]"
    assert "allow at most 2" in str(err.value)
    assert "product_cap[0]" in str(err.value)
    with pytest.raises(Infeasible) as err:
        solve(options(use=2.0), Constraints(segment_min={3: 3}, channel_capacity={0: 2, 1: 3}), SEG)
    assert "capacities of the channels offered to it" in str(err.value)
    assert "allow at most 2" in str(err.value)


def test_unusable_options_do_not_count_as_eligible() -> None:
    # the budget is below every option's cost: no customer has an option within the limits
    with pytest.raises(Infeasible, match="only 0 of its 3 customers"):
        solve(options(), Constraints(budget=50.0, segment_min={3: 1}), SEG)


def test_infeasible_milp_names_a_smallest_conflicting_set() -> None:
    # each limit alone leaves room, together they do not: two segments of 2 customers each need
    # both covered, channel 1 holds 1, product 0 (= channel 0) is capped at 2, budget is ample
    seg = np.array([3, 3, 1, 1])
    c = Constraints(
        budget=10_000.0, channel_capacity={1: 1}, product_cap={0: 2}, segment_min={3: 2, 1: 2}
    )
    with pytest.raises(Infeasible) as err:
        solve(options(), c, seg, method="milp")
    assert set(err.value.constraints) == {
        "channel_capacity[1]", "product_cap[0]", "segment_min[1]", "segment_min[3]"
    }  # fmt: skip
    assert err.value.constraint.startswith("segment_min")
    assert str(err.value).startswith("these constraints cannot all be met together:")
    assert "channel 1 capacity of 1 units" in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "simplex"}, "method must be one of auto, milp, lagrangian; got 'simplex'"),
        ({"exact_max_options": -1}, "exact_max_options must be an integer >= 0; got -1"),
        ({"time_limit": 0}, "time_limit must be > 0 seconds or None; got 0"),
        ({"max_dual_iter": 0}, "max_dual_iter must be an integer >= 1; got 0"),
    ],
)
def test_parameter_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        solve(options(), Constraints(), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("constraints", "message"),
    [
        (Constraints(budget=-1.0), "constraints.budget must be a finite amount >= 0 or None"),
        (Constraints(channel_capacity={0: -1}), r"constraints.channel_capacity\[0\] must be"),
        (Constraints(product_cap={0: 1.5}), r"constraints.product_cap\[0\] must be an integer"),
        (Constraints(segment_min={3: 1}), "segment_of_customer is required"),
    ],
)
def test_constraint_errors(constraints: Constraints, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        solve(options(), constraints)


def test_option_errors() -> None:
    o = options()
    bad_value = Options(o.customer, np.r_[np.nan, np.asarray(o.value)[1:]], o.cost, o.channel,
                        o.product, o.channel_usage)  # fmt: skip
    with pytest.raises(ValueError, match=r"options\.value must be finite"):
        solve(bad_value, Constraints())
    short = Options(
        o.customer, np.asarray(o.value)[:3], o.cost, o.channel, o.product, o.channel_usage
    )
    with pytest.raises(
        ValueError, match=r"options.value must have one entry per option \(8\); got 3"
    ):
        solve(short, Constraints())
    neg = Options(o.customer, o.value, -np.asarray(o.cost), o.channel, o.product, o.channel_usage)
    with pytest.raises(ValueError, match=r"options\.cost must be >= 0"):
        solve(neg, Constraints())
    with pytest.raises(ValueError, match=r"options\.customer must be < n_customers"):
        solve(Options(o.customer, o.value, o.cost, o.channel, o.product, o.channel_usage,
                      n_customers=2), Constraints())  # fmt: skip
    with pytest.raises(ValueError, match="segment_of_customer must be 1-D integer codes"):
        solve(o, Constraints(segment_min={3: 1}), np.array([3, 3]))
