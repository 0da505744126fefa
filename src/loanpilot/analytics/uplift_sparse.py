"""Sparse-effect two-model uplift: a shared pooled baseline, and the arms' effects one multi-task
logistic model with a group lasso across arms on a few *effect features*.

``SparseEffectUplift(effect_features=..., effect_C=grid)`` is the two-model learner of
``analytics.uplift`` (``TwoModelUplift`` with its pooled baseline: every row, treated or not,
informs the baseline through one model with one indicator per arm) with other arm models. Each
arm a learns how its effect varies, as log-odds added to the baseline's:

    logit P(y = 1 | x, a) = baseline_a(x) + δ_a + Σ_j β_aj · e_j(x)

where e(x) are the ``effect_features`` of x (standardised numbers, one-hot categories, their own
``Encoder``) and the arms are fitted together, minimising

    C · Σ_a Σ_rows of a nll + Σ_j ‖(β_1j, …, β_Aj)‖₂       (δ_a not penalised)

Why: experiments are small and responses rare, so each arm's effect rests on a few hundred
responders. An L2 penalty strong enough to keep a hundred effect columns from fitting noise also
flattens the one or two real effect modifiers (cross-validation then picks the strongest
shrinkage and each arm's effect is nearly a constant shift). The group lasso shares strength
across the arms: *whether* a trait modifies the effect of a contact is decided on every arm's
rows at once (a column is used by all arms or by none), *how* is each arm's own (the direction
may differ: a trait may help one channel and hurt another), and the columns kept are shrunk
much less. C is chosen from ``effect_C`` by ``cv``-fold cross-validated log-loss summed over the
arms (``training.effect_C``; the columns kept are ``training.effect_columns_kept``). Uplift =
P(y | x, a) − P(y | x, control), the control's log-odds being the baseline's. The artefact is
JSON: the baseline as in ``TwoModelUplift``, the effect encoder and each arm's coefficients.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit, log_expit
from sklearn.model_selection import StratifiedKFold

from loanpilot.analytics.uplift import TwoModelUplift
from loanpilot.analytics.uplift_base import Encoder, FloatArray, fit_base

#: the effect model's C grid (the loss is C·Σ nll + Σ group norms; larger C = weaker penalty)
EFFECT_GROUP_GRID = (0.003, 0.01, 0.03, 0.1, 0.3)
_CLIP = 1e-6


def group_lasso_logistic(
    blocks: Sequence[FloatArray],
    ys: Sequence[FloatArray],
    offsets: Sequence[FloatArray],
    C: float,
    start: tuple[FloatArray, FloatArray] | None = None,
    max_iter: int = 5000,
    tol: float = 1e-7,
) -> tuple[FloatArray, FloatArray]:
    """Multi-task logistic regression with a group lasso across tasks: task a has rows
    ``blocks[a]`` (n_a × k), outcomes ``ys[a]`` and log-odds offsets ``offsets[a]``; minimises
    C·Σ_a Σ nll(offset + E_a·β_a + b_a) + Σ_j ‖(β_1j … β_Aj)‖₂, so a column is used by every
    task or by none (the intercepts b_a are not penalised). Accelerated proximal gradient (FISTA
    with backtracking and restart); returns (B: A × k, b: A)."""
    n_tasks, width = len(blocks), blocks[0].shape[1]

    def smooth(B: FloatArray, b: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        value, gB, gb = 0.0, np.zeros_like(B), np.zeros_like(b)
        for a in range(n_tasks):
            z = offsets[a] + blocks[a] @ B[a] + b[a]
            value -= C * float(np.sum(ys[a] * log_expit(z) + (1.0 - ys[a]) * log_expit(-z)))
            resid = C * (expit(z) - ys[a])
            gB[a], gb[a] = blocks[a].T @ resid, resid.sum()
        return value, gB, gb

    if start is None:
        rates = [float(np.clip(y.mean(), _CLIP, 1 - _CLIP)) for y in ys]
        B = np.zeros((n_tasks, width))
        b = np.array(
            [math.log(r / (1 - r)) - float(o.mean()) for r, o in zip(rates, offsets, strict=True)]
        )
    else:
        B, b = start[0].copy(), start[1].copy()
    yB, yb, t, step = B.copy(), b.copy(), 1.0, 1.0
    for _ in range(max_iter):
        f_y, gB, gb = smooth(yB, yb)
        while True:  # backtracking: the quadratic bound at step must hold
            nB, nb = yB - step * gB, yb - step * gb
            norms = np.linalg.norm(nB, axis=0)
            nB = nB * np.maximum(0.0, 1.0 - step / np.maximum(norms, 1e-300))
            dB, db = nB - yB, nb - yb
            bound = f_y + float(np.sum(gB * dB) + gb @ db)
            bound += float(np.sum(dB * dB) + db @ db) / (2.0 * step)
            if smooth(nB, nb)[0] <= bound + 1e-12 * abs(f_y) or step < 1e-12:
                break
            step *= 0.5
        change = max(float(np.abs(nB - B).max(initial=0.0)), float(np.abs(nb - b).max()))
        if float(np.sum((yB - nB) * (nB - B)) + (yb - nb) @ (nb - b)) > 0:
            t = 1.0  # restart: the momentum points uphill
        t_next = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
        yB = nB + (t - 1.0) / t_next * (nB - B)
        yb = nb + (t - 1.0) / t_next * (nb - b)
        B, b, t = nB, nb, t_next
        step *= 1.25  # let the step grow back
        if change < tol * (1.0 + float(np.abs(B).max(initial=0.0))):
            break
    return B, b


class SparseEffectUplift(TwoModelUplift):
    """Pooled baseline + the arms' effects under a group lasso; see the module docstring."""

    method = "sparse_effect"
    effect_encoder_: Encoder

    def __init__(
        self,
        base: str = "logistic",
        effect_features: Sequence[str] | None = None,
        effect_C: float | Sequence[float] | None = EFFECT_GROUP_GRID,
        cv: int = 3,
        **params: Any,
    ) -> None:
        params = {
            k: v for k, v in params.items() if k not in ("baseline_offset", "pooled_baseline")
        }
        super().__init__(base=base, effect_C=effect_C, cv=cv, **params)
        self.effect_features = effect_features

    def get_params(self) -> dict[str, Any]:
        features = self.effect_features
        listed = None if features is None else [str(f) for f in features]
        return super().get_params() | {"effect_features": listed}

    def _check_params(self) -> None:
        super()._check_params()
        if self.effect_C is None:
            raise ValueError(
                "effect_C must be a number in (0, inf) or a non-empty sequence of such numbers, "
                "got None"
            )
        f = self.effect_features
        if f is not None and (
            isinstance(f, str) or not list(f) or not all(isinstance(c, str) and c for c in f)
        ):
            raise ValueError(
                "effect_features must be None (every column) or a non-empty sequence of "
                f"column names, got {f!r}"
            )

    def _effect_columns(self, X: pd.DataFrame) -> pd.DataFrame:
        names = list(X.columns) if self.effect_features is None else list(self.effect_features)
        absent = [c for c in names if c not in X.columns]
        if absent:
            raise ValueError(f"effect_features names columns X lacks: {absent}")
        return X[names]

    def _effect_matrix(self, X: pd.DataFrame) -> FloatArray:
        return self.effect_encoder_.encode(self._effect_columns(X), standardise=True)

    def fit(
        self,
        X: pd.DataFrame,
        treatment: npt.ArrayLike,
        y: npt.ArrayLike,
        control: str = "control",
    ) -> SparseEffectUplift:
        self._check_params()
        arms, yv = self._check_data(X, treatment, y, control)
        effect_frame = self._effect_columns(X)
        self._prepare(X)
        self.effect_encoder_ = Encoder.fit(effect_frame)
        matrix = self._matrix(X)
        effect = self.effect_encoder_.encode(effect_frame, standardise=True)
        self.control_ = control
        self.treatments_ = sorted(set(arms.tolist()) - {control})
        rows = arms == control
        counts = {control: {"rows": int(rows.sum()), "positives": int(yv[rows].sum())}}
        onehot = (arms[:, None] == np.asarray(self.treatments_)[None, :]).astype(float)
        self.models_ = {control: fit_base(self.get_params(), np.hstack([matrix, onehot]), yv)}
        bases = self._arm_bases(matrix)
        masks = [arms == label for label in self.treatments_]
        blocks = [effect[m] for m in masks]
        ys = [yv[m] for m in masks]
        offsets = [bases[j + 1][m] for j, m in enumerate(masks)]
        c = self._choose_c(blocks, ys, offsets)
        B, b = group_lasso_logistic(blocks, ys, offsets, c)
        self.effect_c_ = {}
        for j, label in enumerate(self.treatments_):
            self.effect_c_[label] = c
            self.models_[label] = {
                "kind": "logistic",
                "coef": B[j].tolist(),
                "intercept": float(b[j]),
            }
            counts[label] = {"rows": int(masks[j].sum()), "positives": int(ys[j].sum())}
        used = np.linalg.norm(B, axis=0) > 0 if len(B) else np.zeros(effect.shape[1], dtype=bool)
        self.training_ = {
            "n_rows": len(yv),
            "arms": counts,
            "effect_C": self.effect_c_,
            "effect_columns_kept": [
                name for name, k in zip(self.effect_encoder_.columns(), used, strict=True) if k
            ],
        }
        return self

    def _choose_c(
        self, blocks: list[FloatArray], ys: list[FloatArray], offsets: list[FloatArray]
    ) -> float:
        """The one C given, or the grid value with the least ``cv``-fold cross-validated log-loss
        summed over the arms (each arm's rows split into folds stratified by outcome; the grid is
        walked from the strongest penalty, each fit starting from the previous one)."""
        v = self.effect_C
        grid = [float(v)] if isinstance(v, int | float) else sorted(float(c) for c in v or ())
        folds = min(self.cv, *(int(y.sum()) for y in ys), *(int(len(y) - y.sum()) for y in ys))
        if len(grid) == 1 or folds < 2:
            return grid[0]
        splitter = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        splits = [list(splitter.split(e, y)) for e, y in zip(blocks, ys, strict=True)]
        losses = np.zeros(len(grid))
        for f in range(folds):
            train = [s[f][0] for s in splits]
            test = [s[f][1] for s in splits]
            warm: tuple[FloatArray, FloatArray] | None = None
            for g, c in enumerate(grid):
                warm = group_lasso_logistic(
                    [e[i] for e, i in zip(blocks, train, strict=True)],
                    [y[i] for y, i in zip(ys, train, strict=True)],
                    [o[i] for o, i in zip(offsets, train, strict=True)],
                    c,
                    start=warm,
                )
                for a, i in enumerate(test):
                    z = offsets[a][i] + blocks[a][i] @ warm[0][a] + warm[1][a]
                    y = ys[a][i]
                    losses[g] -= float(np.sum(y * log_expit(z) + (1 - y) * log_expit(-z)))
        return grid[int(np.argmin(losses))]

    def _sparse_log_odds(self, X: pd.DataFrame) -> tuple[FloatArray, list[FloatArray]]:
        if not hasattr(self, "models_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit first")
        matrix, effect = self._matrix(X), self._effect_matrix(X)
        bases = self._arm_bases(matrix)
        arms = [
            b
            + effect @ np.asarray(self.models_[t]["coef"], dtype=float)
            + self.models_[t]["intercept"]
            for b, t in zip(bases[1:], self.treatments_, strict=True)
        ]
        return bases[0], arms

    def predict_response(self, X: pd.DataFrame) -> FloatArray:
        """n × len(treatments_): estimated P(y = 1 | x, arm)."""
        _, arms = self._sparse_log_odds(X)
        return np.column_stack([expit(a) for a in arms]) if arms else np.zeros((len(X), 0))

    def predict_uplift(self, X: pd.DataFrame) -> FloatArray:
        """n × len(treatments_): estimated uplift of each arm for each row."""
        base, arms = self._sparse_log_odds(X)
        cols = [expit(a) - expit(base) for a in arms]
        return np.column_stack(cols) if cols else np.zeros((len(X), 0))

    def predict_uplift_factored(self, columns: Mapping[str, Factor], n_rows: int) -> FloatArray:
        """``predict_uplift`` of the n_rows-row frame whose column ``name`` holds
        ``values[index]`` for ``columns[name] = (values, index)``, without building that frame.

        For a grid of customers × product types × channels most columns take a few distinct
        values (a customer's column has one per customer, the channel four): the log-odds of
        the logistic baseline and of the arms' effects are sums over the columns, so each
        column's part is computed once per distinct value and gathered to the rows, and the
        columns that share one ``index`` array (the customer's own) are added up on their
        values first. Equal to ``predict_uplift`` up to the order of the additions; with a
        baseline that is not logistic the frame is built and ``predict_uplift`` called."""
        if not hasattr(self, "models_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit first")
        control = self.models_[self.control_]
        if self.base != "logistic" or control["kind"] != "logistic":
            frame = pd.DataFrame(
                {
                    name: pd.Series(values).iloc[np.asarray(index)].reset_index(drop=True)
                    for name, (values, index) in columns.items()
                }
            )
            return self.predict_uplift(frame)
        coef = np.asarray(control["coef"], dtype=float)
        width = len(self.encoder_.columns())
        effects = np.array([self.models_[t]["coef"] for t in self.treatments_], dtype=float)
        effects = effects.reshape(len(self.treatments_), len(self.effect_encoder_.columns()))
        z = _factored_sum(self.encoder_, coef[:width, None], columns, n_rows)[:, 0]
        z = z + float(control["intercept"])
        effect = _factored_sum(self.effect_encoder_, effects.T, columns, n_rows)
        cols = [
            expit(z + coef[width + j] + effect[:, j] + self.models_[t]["intercept"]) - expit(z)
            for j, t in enumerate(self.treatments_)
        ]
        return np.column_stack(cols) if cols else np.zeros((n_rows, 0))

    def to_dict(self) -> dict[str, Any]:
        return super().to_dict() | {"effect_encoder": self.effect_encoder_.to_dict()}


#: one column of a factored frame: its distinct values and, for each row, the position of the
#: row's value among them (``SparseEffectUplift.predict_uplift_factored``)
Factor = tuple[Any, npt.NDArray[np.int64]]


def _factored_sum(
    encoder: Encoder, weights: FloatArray, columns: Mapping[str, Factor], n_rows: int
) -> FloatArray:
    """n_rows × m: Σ over the encoder's columns of (the column encoded, standardised) @ its rows
    of ``weights`` (k × m), each column encoded on its distinct values and gathered to the rows;
    columns sharing an index array are summed before the gather."""
    names = [*encoder.numeric, *encoder.categorical]
    absent = [c for c in names if c not in columns]
    if absent:
        raise ValueError(f"the factored frame lacks the model's columns {absent}")
    start = {name: i for i, name in enumerate(encoder.numeric)}
    offset = len(encoder.numeric)
    for name, cats in encoder.categorical.items():
        start[name] = offset
        offset += len(cats)
    by_index: dict[tuple[int, int], tuple[npt.NDArray[np.int64], FloatArray]] = {}
    for name in names:
        values, index = columns[name]
        if name in encoder.categorical:
            cats = encoder.categorical[name]
            spec: dict[str, Any] = {"numeric": [], "median": [], "scale": []}
            spec["categorical"] = {name: cats}
            block = weights[start[name] : start[name] + len(cats)]
        else:
            i = encoder.numeric.index(name)
            spec = {"numeric": [name], "median": [encoder.median[i]], "scale": [encoder.scale[i]]}
            spec["categorical"] = {}
            block = weights[start[name] : start[name] + 1]
        domain = pd.DataFrame({name: values})
        part = Encoder(spec).encode(domain, standardise=True) @ block  # distinct values × m
        key = (id(index), len(part))
        if key in by_index:
            by_index[key] = (index, by_index[key][1] + part)
        else:
            by_index[key] = (index, part)
    out = np.zeros((n_rows, weights.shape[1]))
    for index, part in by_index.values():
        out += part[np.asarray(index)]
    return out
