"""Uplift evaluation: Qini and uplift curves, the Qini coefficient, AUUC and uplift at k.

Inputs are one row per person of a randomised experiment: ``y`` the binary outcome (1 = responded),
``treatment`` 1 for the treated (contacted) and 0 for the control (held out), and ``uplift`` the
model's score (higher = more persuadable). Rows are sorted by score, highest first; rows with equal
scores are taken together (the curves have one point per distinct score, so the order inside a tie
cannot flatter a model). For the first k rows, with n_t(k) treated of whom r_t(k) responded and
n_c(k) controls of whom r_c(k) responded:

* **Qini curve** (Radcliffe 2007): Q(k) = r_t(k) − r_c(k) · n_t(k) / n_c(k) — the incremental
  responders among the treated of the top k (the control term is 0 while n_c(k) = 0).
* **Uplift curve**: U(k) = (r_t(k)/n_t(k) − r_c(k)/n_c(k)) · k — the incremental responders had
  all of the top k been treated (a rate is 0 while its group is empty).
* **Random line**: the straight line from (0, 0) to (N, Q(N)) (resp. U(N)): targeting at random.
* **Perfect curve**: the curve of the best possible order of this very sample. Qini: treated
  responders first, control responders last (score y·t − y·(1 − t)); uplift: score
  2·[y = t] + (y if there are more control responders than treated non-responders, else t).

Areas are trapezoids over k. The **normalisation used everywhere in LoanPilot** is

    qini_coefficient = (A(model) − A(random)) / (A(perfect) − A(random))          (Qini curves)
    auuc             = (A(model) − A(random)) / (A(perfect) − A(random))          (uplift curves)

so 0 is random targeting, 1 the best order this sample allows, < 0 worse than random; the figure
does not depend on the sample size or on the response rate. This is exactly scikit-uplift's
``qini_auc_score(negative_effect=True)`` and ``uplift_auc_score``.

causalml uses another scale. Its ``qini_score(normalize=True)`` (with the theoretical random line,
causalml ≥ 0.15.2) divides the Qini curve by |Q(N)| and the x axis by N, then takes the area between
the curve and the diagonal: (A(model) − A(random)) / (N · |Q(N)|). The two conventions share the
numerator and differ only in the denominator, so

    causalml = ours · (A(perfect) − A(random)) / (N · |Q(N)|),

a data-dependent factor (the perfect curve's excess area in units of the total gain), not a
constant: with a response rate of a few per cent and a small average effect the perfect curve
rises far above the total gain, so causalml's figure is several times ours (2.4 on the demo
bank's 20,000-customer hold-out; larger for rarer responses or smaller average effects). That
is why the libraries' "Qini coefficients" of one model disagree. Pass
``normalization="gain"`` to get causalml's figure and ``normalization="none"`` for the raw area
A(model) − A(random) in incremental responders × rows (Radcliffe's unscaled Q · N²).

**Uplift at k** (scikit-uplift's ``uplift_at_k(strategy="overall")``): of the first ⌈k · N⌉ rows,
the response rate of the treated minus that of the controls (NaN if either group is empty).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Normalization = Literal["perfect", "gain", "none"]
_NORMALIZATIONS = ("perfect", "gain", "none")


def _check(
    y: npt.ArrayLike, uplift: npt.ArrayLike, treatment: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    yv, sv, tv = (np.asarray(a) for a in (y, uplift, treatment))
    problems: list[str] = []
    for name, arr in (("y", yv), ("uplift", sv), ("treatment", tv)):
        if arr.ndim != 1:
            problems.append(f"{name} must be 1-D, got shape {arr.shape}")
    if not problems and not (len(yv) == len(sv) == len(tv)):
        problems.append(
            f"y, uplift and treatment must have the same length, got {len(yv)}, {len(sv)}, "
            f"{len(tv)}"
        )
    for name, arr in (("y", yv), ("treatment", tv)):
        if arr.ndim == 1 and arr.size and not np.isin(arr, (0, 1)).all():
            problems.append(f"{name} must hold only 0 and 1 (or booleans)")
    if sv.ndim == 1 and sv.size and not np.isfinite(sv.astype(float)).all():
        problems.append("uplift must be finite numbers (no NaN or infinity)")
    if not problems and yv.size == 0:
        problems.append("no rows: y, uplift and treatment are empty")
    if not problems and (tv.astype(bool).all() or not tv.astype(bool).any()):
        problems.append("treatment needs both treated (1) and control (0) rows")
    if problems:
        raise ValueError("; ".join(problems))
    return yv.astype(float), sv.astype(float), tv.astype(float)


def _cumulative(
    y: FloatArray, uplift: FloatArray, treatment: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """k, n_t, r_t, n_c, r_c at each distinct score (highest first), with a leading 0 point."""
    order = np.argsort(-uplift, kind="mergesort")
    ys, ts, ss = y[order], treatment[order], uplift[order]
    ends = np.r_[np.flatnonzero(np.diff(ss)), len(ss) - 1]
    n_t = np.cumsum(ts)[ends]
    r_t = np.cumsum(ys * ts)[ends]
    k = (ends + 1).astype(float)
    n_c = k - n_t
    r_c = np.cumsum(ys * (1.0 - ts))[ends]
    zero = np.zeros(1)
    return (
        np.r_[zero, k],
        np.r_[zero, n_t],
        np.r_[zero, r_t],
        np.r_[zero, n_c],
        np.r_[zero, r_c],
    )


def _ratio(a: FloatArray, b: FloatArray) -> FloatArray:
    return np.divide(a, b, out=np.zeros_like(a), where=b != 0)


def qini_curve(
    y: npt.ArrayLike, uplift: npt.ArrayLike, treatment: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """(k, Q(k)): rows targeted and incremental responders, from (0, 0); see the module doc."""
    k, n_t, r_t, n_c, r_c = _cumulative(*_check(y, uplift, treatment))
    return k, r_t - r_c * _ratio(n_t, n_c)


def uplift_curve(
    y: npt.ArrayLike, uplift: npt.ArrayLike, treatment: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """(k, U(k)): rows targeted and incremental responders had all been treated."""
    k, n_t, r_t, n_c, r_c = _cumulative(*_check(y, uplift, treatment))
    return k, (_ratio(r_t, n_t) - _ratio(r_c, n_c)) * k


def perfect_qini_curve(y: npt.ArrayLike, treatment: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """The Qini curve of the best order of this sample (treated responders first)."""
    yv, tv = np.asarray(y, dtype=float), np.asarray(treatment, dtype=float)
    return qini_curve(yv, yv * tv - yv * (1.0 - tv), tv)


def perfect_uplift_curve(
    y: npt.ArrayLike, treatment: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """The uplift curve of the best order of this sample (scikit-uplift's construction)."""
    yv, tv = np.asarray(y, dtype=float), np.asarray(treatment, dtype=float)
    control_responders = float(((yv == 1) & (tv == 0)).sum())
    treated_non = float(((yv == 0) & (tv == 1)).sum())
    summand = yv if control_responders > treated_non else tv
    return uplift_curve(yv, 2.0 * (yv == tv) + summand, tv)


def _area(x: FloatArray, v: FloatArray) -> float:
    return float(np.sum((x[1:] - x[:-1]) * (v[1:] + v[:-1])) / 2.0)


def _excess(x: FloatArray, v: FloatArray) -> float:
    """Area between the curve and its random line (0, 0) → (N, v(N))."""
    return _area(x, v) - float(x[-1]) * float(v[-1]) / 2.0


def _normalise(
    model: tuple[FloatArray, FloatArray],
    perfect: tuple[FloatArray, FloatArray],
    normalization: str,
) -> float:
    if normalization not in _NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {_NORMALIZATIONS}, got {normalization!r}")
    excess = _excess(*model)
    if normalization == "none":
        return excess
    if normalization == "gain":
        scale = float(model[0][-1]) * abs(float(model[1][-1]))
        return excess / scale if scale > 0 else math.nan
    best = _excess(*perfect)
    return excess / best if best != 0 else math.nan


def qini_coefficient(
    y: npt.ArrayLike,
    uplift: npt.ArrayLike,
    treatment: npt.ArrayLike,
    normalization: Normalization = "perfect",
) -> float:
    """Area between the Qini curve and the random line, normalised (see the module docstring):
    ``"perfect"`` (default; = scikit-uplift ``qini_auc_score``), ``"gain"`` (= causalml
    ``qini_score(normalize=True)``) or ``"none"``. NaN when the denominator is 0."""
    yv, sv, tv = _check(y, uplift, treatment)
    return _normalise(qini_curve(yv, sv, tv), perfect_qini_curve(yv, tv), normalization)


def auuc(
    y: npt.ArrayLike,
    uplift: npt.ArrayLike,
    treatment: npt.ArrayLike,
    normalization: Normalization = "perfect",
) -> float:
    """Area under the uplift curve above the random line, normalised like ``qini_coefficient``
    (``"perfect"`` = scikit-uplift ``uplift_auc_score``)."""
    yv, sv, tv = _check(y, uplift, treatment)
    return _normalise(uplift_curve(yv, sv, tv), perfect_uplift_curve(yv, tv), normalization)


def uplift_at_k(
    y: npt.ArrayLike, uplift: npt.ArrayLike, treatment: npt.ArrayLike, k: float = 0.3
) -> float:
    """Treated minus control response rate among the top ⌈k·N⌉ rows by score (0 < k ≤ 1)."""
    if isinstance(k, bool) or not isinstance(k, int | float) or not 0 < float(k) <= 1:
        raise ValueError(f"k must be a share of the rows in (0, 1], got {k!r}")
    yv, sv, tv = _check(y, uplift, treatment)
    top = np.argsort(-sv, kind="mergesort")[: math.ceil(float(k) * len(yv) - 1e-9)]
    treated = tv[top] == 1
    if not treated.any() or treated.all():
        return math.nan
    return float(yv[top][treated].mean() - yv[top][~treated].mean())


def curve_points(x: FloatArray, v: FloatArray, points: int = 101) -> dict[str, Any]:
    """A curve resampled at ``points`` even shares of the population (for charts), with its
    random line: ``{"share": [...], "value": [...], "random": [...]}``."""
    share = np.linspace(0.0, 1.0, points)
    at = share * float(x[-1])
    value = np.interp(at, x, v)
    random = share * float(v[-1])
    return {
        "share": [round(float(s), 4) for s in share],
        "value": [round(float(s), 4) for s in value],
        "random": [round(float(s), 4) for s in random],
    }
