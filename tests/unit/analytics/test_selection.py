"""Variable selection: IV floor, correlation in IV order, VIF, forward stepwise by AIC."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from loanpilot.analytics.selection import aic, select_variables, vif

RNG = np.random.default_rng(7)


def _frame(n: int = 2_000) -> tuple[pd.DataFrame, np.ndarray]:
    a = RNG.normal(size=n)
    b = RNG.normal(size=n)
    c = RNG.normal(size=n)
    frame = pd.DataFrame(
        {
            "a": a,
            "a_copy": a + RNG.normal(scale=0.05, size=n),  # r ≈ 0.999 with a
            "b": b,
            "c": c,
            "noise": RNG.normal(size=n),
        }
    )
    logit = 1.2 * a + 0.8 * b + 0.5 * c - 1.0
    y = (RNG.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return frame, y


def test_vif_is_one_over_one_minus_r_squared() -> None:
    frame, _y = _frame()
    factors = vif(frame[["a", "b", "c"]])
    for column in ("a", "b", "c"):
        others = [c for c in ("a", "b", "c") if c != column]
        r2 = (
            LinearRegression().fit(frame[others], frame[column]).score(frame[others], frame[column])
        )
        assert factors[column] == pytest.approx(1 / (1 - r2), rel=1e-9)
    assert vif(frame[["a"]]) == {"a": 1.0}


def test_the_iv_floor_and_correlation_drop_with_reasons() -> None:
    frame, _y = _frame()
    iv = {"a": 0.5, "a_copy": 0.45, "b": 0.3, "c": 0.1, "noise": 0.001}
    chosen = select_variables(frame, iv)
    assert chosen.kept == ("a", "b", "c")
    assert chosen.dropped["noise"] == "IV 0.0010 below 0.02"
    assert chosen.dropped["a_copy"].startswith("correlation 0.99")
    assert chosen.dropped["a_copy"].endswith("with a")
    assert all(v < 1.1 for v in chosen.vif.values())


def test_vif_drops_a_variable_the_others_explain() -> None:
    frame, _y = _frame()
    frame["sum"] = frame["a"] + frame["b"] + RNG.normal(scale=0.3, size=len(frame))
    iv = {"a": 0.5, "a_copy": 0.0, "b": 0.3, "c": 0.1, "noise": 0.0, "sum": 0.6}
    chosen = select_variables(frame, iv, max_corr=0.95, max_vif=5.0)
    assert "sum" not in chosen.kept or "a" not in chosen.kept
    assert any(reason.startswith("VIF") for reason in chosen.dropped.values())
    assert max(chosen.vif.values()) <= 5.0


def test_forward_stepwise_keeps_the_informative_and_drops_the_noise() -> None:
    frame, y = _frame()
    iv = {"a": 0.5, "a_copy": 0.0, "b": 0.3, "c": 0.1, "noise": 0.05}
    chosen = select_variables(frame, iv, y, stepwise=True)
    assert chosen.kept[:2] == ("a", "b")
    assert "c" in chosen.kept
    assert chosen.dropped.get("noise") == "not chosen by forward stepwise (AIC)"
    assert aic(frame, y, list(chosen.kept)) < aic(frame, y, [])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_iv": -1.0}, "min_iv"),
        ({"max_corr": 1.5}, "max_corr"),
        ({"max_vif": 0.5}, "max_vif"),
        ({"max_vif": math.nan}, "max_vif"),
    ],
)
def test_parameter_errors_name_the_parameter(kwargs: dict[str, float], message: str) -> None:
    frame, _y = _frame(100)
    iv = dict.fromkeys(frame.columns, 0.1)
    with pytest.raises(ValueError, match=message):
        select_variables(frame, iv, **kwargs)  # type: ignore[arg-type]


def test_missing_iv_and_stepwise_without_y_are_refused() -> None:
    frame, _y = _frame(100)
    with pytest.raises(ValueError, match="no value for the columns"):
        select_variables(frame, {"a": 0.1})
    with pytest.raises(ValueError, match="needs y"):
        select_variables(frame, dict.fromkeys(frame.columns, 0.1), stepwise=True)
