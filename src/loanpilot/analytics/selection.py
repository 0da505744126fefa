"""Variable selection for a scorecard on WoE-transformed variables.

1. **IV floor**: variables whose information value is below ``min_iv`` (default 0.02, "useless"
   by the usual rule of thumb) are dropped.
2. **Correlation**: in order of IV (strongest first), a variable whose absolute Pearson correlation
   with one already kept exceeds ``max_corr`` is dropped; the reason names the stronger partner.
3. **VIF**: while the largest variance inflation factor among the kept exceeds ``max_vif``, the
   variable with the largest VIF is dropped. VIF_j is the j-th diagonal element of the inverse of
   the correlation matrix (equal to 1 / (1 - R²_j) of regressing j on the others).
4. **Stepwise** (optional): forward selection by AIC with an unpenalised logistic regression:
   add the variable that lowers the AIC most, stop when none does.

Every drop is explained in ``dropped`` (variable → reason), so the model report can show it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.linear_model import LogisticRegression

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Selection:
    kept: tuple[str, ...]
    dropped: Mapping[str, str] = field(default_factory=dict)
    vif: Mapping[str, float] = field(default_factory=dict)


def _check(name: str, value: float, low: float, high: float) -> None:
    if not (low <= value <= high) or math.isnan(value):
        raise ValueError(f"{name} must be in [{low}, {high}]; got {value!r}")


def vif(frame: pd.DataFrame) -> dict[str, float]:
    """Variance inflation factor of each column (inf for a column that others determine exactly)."""
    if frame.shape[1] == 0:
        return {}
    if frame.shape[1] == 1:
        return {str(frame.columns[0]): 1.0}
    corr = np.corrcoef(frame.to_numpy(dtype=np.float64), rowvar=False)
    try:
        inverse = np.linalg.inv(corr)
        values = np.diag(inverse)
    except np.linalg.LinAlgError:
        values = np.full(frame.shape[1], np.inf)
    return {
        str(c): float(v) if v > 0 else math.inf for c, v in zip(frame.columns, values, strict=True)
    }


def log_likelihood(y: npt.NDArray[np.int64], p: FloatArray) -> float:
    eps = 1e-15
    q = np.clip(p, eps, 1 - eps)
    return float(np.sum(y * np.log(q) + (1 - y) * np.log(1 - q)))


def aic(frame: pd.DataFrame, y: npt.NDArray[np.int64], columns: Sequence[str]) -> float:
    """AIC of an unpenalised logistic regression of ``y`` on ``columns`` (intercept only if none)."""
    if not columns:
        rate = float(np.clip(y.mean(), 1e-15, 1 - 1e-15))
        return -2 * log_likelihood(y, np.full(y.size, rate)) + 2
    # Effectively unpenalised (C huge): the spelling that every scikit-learn >= 1.4 accepts.
    model = LogisticRegression(C=1e10, solver="lbfgs", max_iter=1000)
    x = frame[list(columns)].to_numpy(dtype=np.float64)
    model.fit(x, y)
    p = model.predict_proba(x)[:, 1]
    return -2 * log_likelihood(y, p) + 2 * (len(columns) + 1)


def forward_stepwise(
    frame: pd.DataFrame, y: npt.NDArray[np.int64], candidates: Sequence[str]
) -> tuple[str, ...]:
    """Forward selection by AIC among ``candidates``, in the order they were added."""
    chosen: list[str] = []
    best = aic(frame, y, chosen)
    remaining = list(candidates)
    while remaining:
        scores = {c: aic(frame, y, [*chosen, c]) for c in remaining}
        pick = min(scores, key=lambda c: (scores[c], c))
        if scores[pick] >= best:
            break
        best = scores[pick]
        chosen.append(pick)
        remaining.remove(pick)
    return tuple(chosen)


def select_variables(
    woe: pd.DataFrame,
    iv: Mapping[str, float],
    y: npt.ArrayLike | None = None,
    *,
    min_iv: float = 0.02,
    max_corr: float = 0.7,
    max_vif: float = 5.0,
    stepwise: bool = False,
) -> Selection:
    """The variables to keep, and why each other one was dropped (see the module docstring)."""
    _check("min_iv", min_iv, 0.0, math.inf)
    _check("max_corr", max_corr, 0.0, 1.0)
    _check("max_vif", max_vif, 1.0, math.inf)
    missing = [str(c) for c in woe.columns if str(c) not in iv]
    if missing:
        raise ValueError(f"iv has no value for the columns {missing}")
    dropped: dict[str, str] = {}
    order = sorted((str(c) for c in woe.columns), key=lambda c: (-iv[c], c))
    strong: list[str] = []
    for column in order:
        if iv[column] < min_iv:
            dropped[column] = f"IV {iv[column]:.4f} below {min_iv}"
        else:
            strong.append(column)
    matrix = (
        np.abs(np.corrcoef(woe[strong].to_numpy(dtype=np.float64), rowvar=False)).reshape(
            len(strong), len(strong)
        )
        if strong
        else np.zeros((0, 0))
    )
    position = {column: i for i, column in enumerate(strong)}
    kept: list[str] = []
    for column in strong:
        row = matrix[position[column]]
        partner = next((k for k in kept if float(row[position[k]]) > max_corr), None)
        if partner is None:
            kept.append(column)
        else:
            r = float(row[position[partner]])
            dropped[column] = f"correlation {r:.3f} with {partner}"
    factors = vif(woe[kept])
    while kept and max(factors.values()) > max_vif:
        worst = max(kept, key=lambda c: (factors[c], -iv[c]))
        dropped[worst] = f"VIF {factors[worst]:.2f} above {max_vif}"
        kept.remove(worst)
        factors = vif(woe[kept])
    if stepwise:
        if y is None:
            raise ValueError("stepwise selection needs y")
        target = np.asarray(y, dtype=np.int64)
        chosen = forward_stepwise(woe, target, kept)
        for column in kept:
            if column not in chosen:
                dropped[column] = "not chosen by forward stepwise (AIC)"
        kept = list(chosen)
        factors = vif(woe[kept])
    return Selection(tuple(kept), dropped, factors)
