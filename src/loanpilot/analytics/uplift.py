"""Multi-treatment uplift learners: who is moved by a contact, for each kind of contact.

Both learners take ``fit(X, treatment, y, control="control")``: ``X`` a DataFrame (numeric and
bool columns are numbers, object / string / category columns are categories), ``treatment`` one
arm label per row (e.g. ``"sms"``, ``"branch"``, ``"CL-GEN@mobile"``; rows labelled ``control``
are the randomised hold-out), ``y`` 0/1. ``treatments_`` are the other labels, sorted, and
``predict_uplift(X)`` is n × len(treatments_): the estimated P(y = 1 | x, arm) − P(y = 1 | x,
control) of each row for each arm.

* ``TwoModelUplift`` (the "T-learner"): one classifier per arm and one for the control;
  uplift = P_arm(x) − P_control(x). Put the context an arm ran in (its channel, the offered product
  type) into ``X`` and the control model learns how the baseline differs between contexts. With
  ``baseline_offset=True`` (default) each arm's classifier is fitted with the control model's
  log-odds as offset, so it learns only the arm's effect on the log-odds and the baseline (which
  every row, treated or not, informs) is shared: an arm never seen with some product still gets
  that product's baseline; ``effect_C`` (logistic base) is the arm models' own, usually stronger,
  regularisation: effects are small and rarely observed, so they are shrunk towards a constant
  shift. ``baseline_offset=False`` is the textbook independent T-learner.
* ``ClassTransformationUplift`` (Jaskowski & Jaroszewicz 2012, generalised): for each arm a, on
  that arm's rows and the control rows, the class variable Z = y for treated and 1 − y for control
  rows is fitted with weights 1 / (2·e) for treated and 1 / (2·(1 − e)) for control rows, where e
  is the share of treated among the arm's and control rows (propensity of assignment). With those
  weights the arms are balanced whatever their sizes, and uplift_a(x) = 2·P_w(Z = 1 | x) − 1.
  ``strata`` (optional, e.g. the campaign of each row) restricts arm a to the control rows of the
  strata arm a ran in and computes e within each stratum, so a control group is only compared
  with the treated of its own experiment.

Base learners (``base``): ``"logistic"`` — L2-regularised logistic regression on standardised
numbers (missing → the fit median) and one-hot categories (unseen → all zeros); ``"lightgbm"`` —
LightGBM with one thread and a fixed seed on raw numbers (missing stays missing) and one-hot
categories. An arm whose outcome has one class gets a constant model. ``to_dict()`` is JSON
(coefficients, or LightGBM's text model — never a pickle); ``uplift_model_from_dict`` rebuilds it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit, log_expit
from sklearn.model_selection import StratifiedKFold

from loanpilot.analytics.uplift_base import Encoder, FloatArray, fit_base, log_odds

#: the arm models' regularisation grid (the two-model learner picks one per arm by CV log-loss)
EFFECT_C_GRID = (0.0003, 0.001, 0.003, 0.01)
FORMAT = "loanpilot.uplift"
FORMAT_VERSION = 1
BASES = ("logistic", "lightgbm")
_PARAM_NAMES = (
    *("base", "C", "n_estimators", "learning_rate", "num_leaves"),
    *("min_child_samples", "reg_lambda", "random_state"),
)
_SPANS: tuple[tuple[str, Callable[[float], bool], str], ...] = (
    ("C", lambda v: v > 0, "(0, inf)"),
    ("learning_rate", lambda v: 0 < v <= 1, "(0, 1]"),
    ("reg_lambda", lambda v: v >= 0, "[0, inf)"),
)


class _UpliftBase:
    """Parameters, validation and persistence shared by the two learners."""

    method = ""
    control_: str
    treatments_: list[str]
    feature_names_: list[str]
    encoder_: Encoder
    models_: dict[str, dict[str, Any]]
    training_: dict[str, Any]

    def __init__(
        self,
        base: str = "logistic",
        C: float = 0.3,
        n_estimators: int = 150,
        learning_rate: float = 0.05,
        num_leaves: int = 8,
        min_child_samples: int = 40,
        reg_lambda: float = 5.0,
        random_state: int = 0,
    ) -> None:
        self.base = base
        self.C = C
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.random_state = random_state

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _PARAM_NAMES}

    def _check_params(self) -> None:
        problems: list[str] = []
        if self.base not in BASES:
            problems.append(f"base must be one of {BASES}, got {self.base!r}")
        for name, lo in (("n_estimators", 1), ("num_leaves", 2), ("min_child_samples", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo:
                problems.append(f"{name} must be an integer >= {lo}, got {v!r}")
        for name, ok, span in _SPANS:
            v = getattr(self, name)
            good = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            if not (good and ok(float(v))):
                problems.append(f"{name} must be a number in {span}, got {v!r}")
        rs = self.random_state
        if isinstance(rs, bool) or not isinstance(rs, int | np.integer) or rs < 0:
            problems.append(f"random_state must be an integer >= 0, got {rs!r}")
        if problems:
            raise ValueError("; ".join(problems))

    def _check_data(
        self, X: pd.DataFrame, treatment: npt.ArrayLike, y: npt.ArrayLike, control: str
    ) -> tuple[npt.NDArray[np.str_], FloatArray]:
        return check_uplift_data(X, treatment, y, control)

    def _prepare(self, X: pd.DataFrame) -> None:
        self.encoder_ = Encoder.fit(X)
        self.feature_names_ = [str(c) for c in X.columns]

    def _matrix(self, X: pd.DataFrame) -> FloatArray:
        return self.encoder_.encode(X, standardise=self.base == "logistic")

    def _log_odds(self, model: Mapping[str, Any], matrix: FloatArray) -> FloatArray:
        cache: dict[int, Any] = self.__dict__.setdefault("_boosters", {})
        return log_odds(model, matrix, cache)

    def predict_uplift(self, X: pd.DataFrame) -> FloatArray:
        """n × len(treatments_): estimated uplift of each arm for each row."""
        if not hasattr(self, "models_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit first")
        return self._compute_uplift(self._matrix(X))

    def _compute_uplift(self, matrix: FloatArray) -> FloatArray:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe artefact (no pickle)."""
        if not hasattr(self, "models_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit first")
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "method": self.method,
            "params": self.get_params(),
            "control": self.control_,
            "treatments": list(self.treatments_),
            "features": self.feature_names_,
            "encoder": self.encoder_.to_dict(),
            "models": self.models_,
            "training": self.training_,
        }


def check_uplift_data(
    X: pd.DataFrame, treatment: npt.ArrayLike, y: npt.ArrayLike, control: str
) -> tuple[npt.NDArray[np.str_], FloatArray]:
    """Validate a learner's training data; the arm labels as strings and y as floats."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
    arms = np.asarray(treatment).astype(str)
    yv = np.asarray(y)
    problems: list[str] = []
    if arms.ndim != 1 or len(arms) != len(X):
        problems.append(
            f"treatment must be 1-D with one label per row ({len(X)}), got {arms.shape}"
        )
    if yv.ndim != 1 or len(yv) != len(X):
        problems.append(f"y must be 1-D with one value per row ({len(X)}), got {yv.shape}")
    elif not np.isin(yv, (0, 1)).all():
        problems.append("y must hold only 0 and 1 (or booleans)")
    if not problems:
        if not (arms == control).any():
            problems.append(f"no control rows: no treatment label equals control={control!r}")
        if (arms == control).all():
            problems.append("no treated rows: every treatment label is the control label")
    if problems:
        raise ValueError("; ".join(problems))
    return arms, yv.astype(float)


class TwoModelUplift(_UpliftBase):
    """One classifier per arm and one for the control; uplift = P_arm − P_control."""

    method = "two_model"
    effect_c_: dict[str, float]

    def __init__(
        self,
        base: str = "logistic",
        baseline_offset: bool = True,
        effect_C: float | Sequence[float] | None = EFFECT_C_GRID,
        pooled_baseline: bool = True,
        cv: int = 3,
        **params: Any,
    ) -> None:
        super().__init__(base=base, **params)
        self.baseline_offset = baseline_offset
        self.effect_C = effect_C
        self.pooled_baseline = pooled_baseline
        self.cv = cv

    def get_params(self) -> dict[str, Any]:
        effect = self.effect_C
        if effect is not None and not isinstance(effect, int | float):
            effect = [float(v) for v in effect]
        extra = {"baseline_offset": self.baseline_offset, "effect_C": effect, "cv": self.cv}
        return super().get_params() | extra | {"pooled_baseline": self.pooled_baseline}

    def _check_params(self) -> None:
        super()._check_params()
        for name in ("baseline_offset", "pooled_baseline"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        v = self.effect_C
        values = [] if v is None else [v] if isinstance(v, int | float | str) else list(v)
        if (v is not None and not values) or not all(
            isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c) and c > 0
            for c in values
        ):
            raise ValueError(
                "effect_C must be a number in (0, inf), a non-empty sequence of such numbers "
                f"(chosen by cross-validation) or None, got {v!r}"
            )
        cv = self.cv
        if isinstance(cv, bool) or not isinstance(cv, int | np.integer) or cv < 2:
            raise ValueError(f"cv must be an integer >= 2, got {cv!r}")

    def fit(
        self,
        X: pd.DataFrame,
        treatment: npt.ArrayLike,
        y: npt.ArrayLike,
        control: str = "control",
    ) -> TwoModelUplift:
        self._check_params()
        arms, yv = self._check_data(X, treatment, y, control)
        self._prepare(X)
        matrix = self._matrix(X)
        self.control_ = control
        self.treatments_ = sorted(set(arms.tolist()) - {control})
        params = self.get_params()
        rows = arms == control
        counts = {control: {"rows": int(rows.sum()), "positives": int(yv[rows].sum())}}
        pooled = self.baseline_offset and self.pooled_baseline
        if pooled:  # the baseline from every row, with one indicator per arm
            onehot = (arms[:, None] == np.asarray(self.treatments_)[None, :]).astype(float)
            self.models_ = {control: fit_base(params, np.hstack([matrix, onehot]), yv)}
        else:
            self.models_ = {control: fit_base(params, matrix[rows], yv[rows])}
        base = self._arm_bases(matrix) if self.baseline_offset else None
        self.effect_c_ = {}
        for j, label in enumerate(self.treatments_):
            rows = arms == label
            offset = None if base is None else base[j + 1][rows]
            arm_params = params
            if offset is not None and self.effect_C is not None:
                c = self._choose_effect_c(matrix[rows], yv[rows], offset)
                arm_params, self.effect_c_[label] = params | {"C": c}, c
            self.models_[label] = fit_base(arm_params, matrix[rows], yv[rows], offset=offset)
            counts[label] = {"rows": int(rows.sum()), "positives": int(yv[rows].sum())}
        self.training_ = {"n_rows": len(yv), "arms": counts, "effect_C": self.effect_c_}
        return self

    def _choose_effect_c(self, matrix: FloatArray, y: FloatArray, offset: FloatArray) -> float:
        """The arm model's C: the one value given, or the grid value with the least
        ``cv``-fold cross-validated log-loss on the arm's rows (folds stratified by outcome)."""
        v = self.effect_C
        grid = [float(v)] if isinstance(v, int | float) else [float(c) for c in v or ()]
        n_pos = int(y.sum())
        folds = min(self.cv, n_pos, len(y) - n_pos)
        if len(grid) == 1 or folds < 2 or self.base != "logistic":
            return grid[0]
        splits = list(
            StratifiedKFold(folds, shuffle=True, random_state=self.random_state).split(matrix, y)
        )
        losses = []
        for c in grid:
            loss = 0.0
            for train, test in splits:
                model = fit_base(
                    {"base": "logistic", "C": c}, matrix[train], y[train], offset=offset[train]
                )
                z = offset[test] + self._log_odds(model, matrix[test])
                loss -= float(np.sum(y[test] * log_expit(z) + (1 - y[test]) * log_expit(-z)))
            losses.append(loss)
        return grid[int(np.argmin(losses))]

    def _arm_bases(self, matrix: FloatArray) -> list[FloatArray]:
        """Baseline log-odds of the control, then of each arm (the pooled model's arm effect)."""
        control = self.models_[self.control_]
        if not (self.baseline_offset and self.pooled_baseline):
            return [self._log_odds(control, matrix)] * (len(self.treatments_) + 1)
        n_arms = len(self.treatments_)
        if control["kind"] == "logistic":  # linear: the arm's one-hot only adds its coefficient
            coef = np.asarray(control["coef"], dtype=float)
            width = matrix.shape[1]
            z = matrix @ coef[:width] + float(control["intercept"])
            return [z, *(z + coef[width + j] for j in range(n_arms))]
        out = []
        for j in range(-1, n_arms):
            onehot = np.zeros((len(matrix), n_arms))
            if j >= 0:
                onehot[:, j] = 1.0
            out.append(self._log_odds(control, np.hstack([matrix, onehot])))
        return out

    def _arm_log_odds(self, matrix: FloatArray) -> tuple[FloatArray, list[FloatArray]]:
        bases = self._arm_bases(matrix)
        own = [self._log_odds(self.models_[t], matrix) for t in self.treatments_]
        if not self.baseline_offset:
            return bases[0], own
        return bases[0], [b + g for b, g in zip(bases[1:], own, strict=True)]

    def predict_response(self, X: pd.DataFrame) -> FloatArray:
        """n × len(treatments_): estimated P(y = 1 | x, arm) — the response propensity if
        contacted through each arm (what targeting "by response" ranks on)."""
        if not hasattr(self, "models_"):
            raise RuntimeError("this TwoModelUplift is not fitted yet; call fit first")
        _, arms = self._arm_log_odds(self._matrix(X))
        return np.column_stack([expit(a) for a in arms]) if arms else np.zeros((len(X), 0))

    def _compute_uplift(self, matrix: FloatArray) -> FloatArray:
        base, arms = self._arm_log_odds(matrix)
        cols = [expit(a) - expit(base) for a in arms]
        return np.column_stack(cols) if cols else np.zeros((len(matrix), 0))


class ClassTransformationUplift(_UpliftBase):
    """Weighted class-variable transformation, one model per arm; see the module docstring."""

    method = "class_transformation"

    def fit(
        self,
        X: pd.DataFrame,
        treatment: npt.ArrayLike,
        y: npt.ArrayLike,
        control: str = "control",
        strata: npt.ArrayLike | None = None,
    ) -> ClassTransformationUplift:
        self._check_params()
        arms, yv = self._check_data(X, treatment, y, control)
        groups = (
            np.zeros(len(arms), dtype=str) if strata is None else np.asarray(strata).astype(str)
        )
        if groups.shape != arms.shape:
            raise ValueError(
                f"strata must have one label per row ({len(arms)}), got {groups.shape}"
            )
        self._prepare(X)
        matrix = self._matrix(X)
        self.control_ = control
        self.treatments_ = sorted(set(arms.tolist()) - {control})
        params = self.get_params()
        self.models_ = {}
        counts: dict[str, dict[str, int]] = {}
        is_control = arms == control
        for label in self.treatments_:
            treated = arms == label
            rows = treated | (is_control & np.isin(groups, np.unique(groups[treated])))
            weight = _assignment_weights(treated[rows], groups[rows])
            z = np.where(treated[rows], yv[rows], 1.0 - yv[rows])
            self.models_[label] = fit_base(params, matrix[rows], z, weight)
            counts[label] = {
                "treated": int(treated.sum()),
                "control": int((rows & is_control).sum()),
                "positives": int(yv[treated].sum()),
            }
        self.training_ = {"n_rows": len(yv), "arms": counts, "stratified": strata is not None}
        return self

    def _compute_uplift(self, matrix: FloatArray) -> FloatArray:
        cols = [
            2.0 * expit(self._log_odds(self.models_[t], matrix)) - 1.0 for t in self.treatments_
        ]
        return np.column_stack(cols) if cols else np.zeros((len(matrix), 0))


def _assignment_weights(treated: npt.NDArray[np.bool_], groups: npt.NDArray[np.str_]) -> FloatArray:
    """1/(2e) for treated and 1/(2(1−e)) for control rows, e = treated share of the row's stratum;
    a stratum with one group only gets weight 0 (it cannot inform the contrast)."""
    _, inverse = np.unique(groups, return_inverse=True)
    n = np.bincount(inverse).astype(float)
    e = np.bincount(inverse, weights=treated.astype(float)) / n
    e_row = e[inverse]
    both = (e_row > 0) & (e_row < 1)
    safe = np.where(both, e_row, 0.5)
    weight = np.where(treated, 0.5 / safe, 0.5 / (1.0 - safe))
    return np.where(both, weight, 0.0)


UpliftLearner = TwoModelUplift | ClassTransformationUplift


_CLASSES: dict[str, type[_UpliftBase]] = {
    "two_model": TwoModelUplift,
    "class_transformation": ClassTransformationUplift,
}  # and "sparse_effect" (analytics.uplift_sparse), looked up when an artefact names it


def uplift_model_from_dict(data: Mapping[str, Any]) -> UpliftLearner:
    """Rebuild a learner from ``to_dict()``; errors name what is wrong with the artefact."""
    if data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"not an uplift artefact: format {data.get('format')!r} version "
            f"{data.get('format_version')!r}, expected {FORMAT!r} version {FORMAT_VERSION}"
        )
    method = data.get("method")
    classes = dict(_CLASSES)
    if method == "sparse_effect":  # its own module, which builds on TwoModelUplift
        from loanpilot.analytics.uplift_sparse import SparseEffectUplift

        classes["sparse_effect"] = SparseEffectUplift
    if method not in classes:
        raise ValueError(f"method must be one of {sorted(classes)}, got {method!r}")
    model = classes[str(method)](**dict(data["params"]))
    model._check_params()
    model.control_ = str(data["control"])
    model.treatments_ = [str(t) for t in data["treatments"]]
    model.feature_names_ = [str(f) for f in data["features"]]
    model.encoder_ = Encoder(data["encoder"])
    model.models_ = {str(k): dict(v) for k, v in data["models"].items()}
    model.training_ = dict(data["training"])
    if isinstance(model, TwoModelUplift):
        model.effect_c_ = {str(k): float(v) for k, v in model.training_.get("effect_C", {}).items()}
    if method == "sparse_effect":  # the arm models' own encoder
        model.effect_encoder_ = Encoder(data["effect_encoder"])  # type: ignore[attr-defined]
    return model  # type: ignore[return-value]


def arm_column(model: Any, arms: Sequence[str]) -> npt.NDArray[np.int64]:
    """Column index of each arm label in ``predict_uplift`` (−1 where the model lacks the arm)."""
    lookup = {t: i for i, t in enumerate(model.treatments_)}
    return np.array([lookup.get(str(a), -1) for a in arms], dtype=np.int64)
