"""General propensity model: P(flag) for any binary target (response, take-up, attrition...).

``PropensityModel`` takes a DataFrame of numeric and categorical (object) columns as it comes from
a file (see ``propensity_features`` for how columns are read and encoded) and:

1. scores each candidate learner by stratified ``cv``-fold cross-validated AUC (the encodings
   are fitted inside each fold):
   * ``logistic``: L2-regularised logistic regression on the standardised design (median impute
     + missing flags, clipped numbers, one-hot with rare levels pooled); ``C`` is chosen from
     ``Cs`` by an inner stratified ``inner_cv``-fold AUC;
   * ``lightgbm``: small, regularised trees on the raw numbers and category codes, the number of
     trees chosen by early stopping on a stratified ``validation_fraction`` of the training rows;
     one thread, ``deterministic=True``, seeded from ``random_state``;
   * ``blend``: ``sigmoid(w · logit(p_logistic) + (1 − w) · logit(p_lightgbm))``, ``w =
     blend_weight``, fitted as its two parts;
2. keeps the candidate with the highest mean fold AUC (ties: the earlier in ``candidates``) and
   refits it on all rows;
3. calibrates its probabilities on the out-of-fold predictions of that candidate
   (``propensity_calibration``: Platt or isotonic).

Fitted attributes: ``chosen_``, ``cv_scores_`` (per candidate: fold AUCs, mean, std),
``feature_names_``, ``columns_`` (the column schema), ``calibration_``, ``training_`` and
``oof_proba_`` (the calibrated out-of-fold probabilities of the training rows, for honest lift
and gains tables; not part of the artefact).
``predict_proba(X)`` returns the calibrated P(positive) as a 1-D array; ``predict_raw`` the
uncalibrated one. ``to_dict()`` is JSON-safe (coefficients as floats, LightGBM's text model,
never a pickle); the fitted booster is itself rebuilt from that text, and the logistic score is
our own numpy kernel, so a model reloaded by ``from_dict`` scores bit-for-bit the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd
import sklearn
from sklearn.model_selection import StratifiedKFold

from loanpilot.analytics.metrics import auc
from loanpilot.analytics.propensity_calibration import (
    METHODS,
    apply_calibration,
    fit_calibration,
    logit,
    sigmoid,
)
from loanpilot.analytics.propensity_features import ColumnSchema
from loanpilot.analytics.propensity_grid import grid_scores
from loanpilot.analytics.propensity_learners import (
    LGB_FIXED,
    fit_lightgbm,
    fit_logistic,
    lightgbm_kernel,
    logistic_kernel,
)

FORMAT = "loanpilot.propensity"
FORMAT_VERSION = 1
CANDIDATES = ("logistic", "lightgbm", "blend")
DEFAULT_CS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)

FloatArray = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int8]

_INTS = {"cv": 2, "inner_cv": 2, "random_state": 0, "min_category_count": 1}
_INTS |= {"max_categories": 1, "n_estimators": 1, "num_leaves": 2, "min_child_samples": 1}
_INTS |= {"early_stopping_rounds": 1}
_REALS: dict[str, tuple[str, float, float, bool]] = {  # name: (shown, low, high, low inclusive)
    "learning_rate": ("(0, 1]", 0.0, 1.0, False),
    "subsample": ("(0, 1]", 0.0, 1.0, False),
    "colsample_bytree": ("(0, 1]", 0.0, 1.0, False),
    "reg_lambda": ("[0, inf)", 0.0, np.inf, True),
    "validation_fraction": ("(0, 0.5)", 0.0, 0.5, False),
    "blend_weight": ("[0, 1]", 0.0, 1.0, True),
}
_PARAMS = ("candidates", "calibration", "Cs", *_INTS, *_REALS)


class PropensityModel:
    """Cross-validated choice of logistic regression / LightGBM / blend, calibrated."""

    def __init__(
        self,
        candidates: Sequence[str] = ("logistic", "lightgbm"),
        cv: int = 5,
        random_state: int = 0,
        calibration: str = "auto",
        Cs: Sequence[float] = DEFAULT_CS,
        inner_cv: int = 3,
        min_category_count: int = 20,
        max_categories: int = 50,
        n_estimators: int = 600,
        learning_rate: float = 0.03,
        num_leaves: int = 15,
        min_child_samples: int = 40,
        reg_lambda: float = 5.0,
        subsample: float = 0.8,
        colsample_bytree: float = 0.7,
        validation_fraction: float = 0.2,
        early_stopping_rounds: int = 60,
        blend_weight: float = 0.5,
    ) -> None:
        self.candidates = candidates
        self.cv = cv
        self.random_state = random_state
        self.calibration = calibration
        self.Cs = Cs
        self.inner_cv = inner_cv
        self.min_category_count = min_category_count
        self.max_categories = max_categories
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.validation_fraction = validation_fraction
        self.early_stopping_rounds = early_stopping_rounds
        self.blend_weight = blend_weight

    def get_params(self) -> dict[str, Any]:
        """Parameters as JSON-safe values."""
        out = {name: getattr(self, name) for name in _PARAMS}
        out["candidates"] = [str(c) for c in self.candidates]
        out["Cs"] = [float(c) for c in self.Cs]
        return out

    def _check_params(self) -> None:
        cands = self.candidates
        if (
            isinstance(cands, str)
            or not isinstance(cands, Sequence)
            or not cands
            or any(c not in CANDIDATES for c in cands)
            or len(set(cands)) != len(cands)
        ):
            raise ValueError(
                f"candidates must be a non-empty list of distinct names from {list(CANDIDATES)}, "
                f"got {cands!r}"
            )
        if self.calibration not in METHODS:
            raise ValueError(
                f"calibration must be one of {list(METHODS)}, got {self.calibration!r}"
            )
        for name, lo in _INTS.items():
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo:
                raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
        for name, (shown, low, hi, lo_in) in _REALS.items():
            v = getattr(self, name)
            ok = isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v)
            ok = (
                ok
                and (low <= v if lo_in else low < v)
                and v <= hi
                and not (name == "validation_fraction" and v >= hi)
            )
            if not ok:
                raise ValueError(f"{name} must be a number in {shown}, got {v!r}")
        cs = self.Cs
        ok = isinstance(cs, Sequence) and not isinstance(cs, str) and len(cs) > 0
        if not ok or not all(
            isinstance(c, int | float) and not isinstance(c, bool) and c > 0 and np.isfinite(c)
            for c in cs
        ):
            raise ValueError(f"Cs must be a non-empty list of positive numbers, got {cs!r}")

    # -- fitting -------------------------------------------------------------------------------

    def fit(self, X: pd.DataFrame, y: npt.ArrayLike) -> PropensityModel:
        """Validate, choose the learner by cross-validated AUC, refit it, calibrate."""
        self._check_params()
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
        names = [str(c) for c in X.columns]
        if len(set(names)) != len(names):
            raise ValueError(
                f"X has duplicate column names: {sorted({n for n in names if names.count(n) > 1})}"
            )
        yv = _check_y(y, len(X), int(self.cv))
        ColumnSchema.fit(
            X, min_count=int(self.min_category_count), max_categories=int(self.max_categories)
        )  # column errors before CV
        cands = list(self.candidates)
        need = _learners(cands)
        oof = {c: np.zeros(len(yv)) for c in cands}
        folds: dict[str, list[float]] = {c: [] for c in cands}
        splitter = StratifiedKFold(int(self.cv), shuffle=True, random_state=int(self.random_state))
        for train, test in splitter.split(np.zeros(len(yv)), yv):
            Xt, Xv = X.iloc[train], X.iloc[test]
            fitted = self._fit_parts(Xt, yv[train], need)
            preds = self._combine(fitted, Xv, cands)
            for c in cands:
                oof[c][test] = preds[c]
                folds[c].append(auc(yv[test], preds[c]))
        self.cv_scores_ = {
            c: {
                "folds": folds[c],
                "mean": float(np.mean(folds[c])),
                "std": float(np.std(folds[c])),
                "oof_auc": auc(yv, oof[c]),
            }
            for c in cands
        }
        self.chosen_ = max(cands, key=lambda c: (self.cv_scores_[c]["mean"], -cands.index(c)))
        self.parts_ = self._fit_parts(X, yv, _learners([self.chosen_]))
        self.columns_ = self.parts_["columns"]
        self.feature_names_ = list(self.columns_.features)
        self.calibration_ = fit_calibration(oof[self.chosen_], yv, str(self.calibration))
        self.oof_proba_ = apply_calibration(self.calibration_, oof[self.chosen_])
        digest = hashlib.sha256(
            pd.util.hash_pandas_object(X.astype(str), index=False).to_numpy().tobytes()
        )
        digest.update(yv.tobytes())
        self.training_ = {
            "n_rows": len(yv),
            "n_positive": int(yv.sum()),
            "dropped_columns": list(self.columns_.dropped),
            "data_sha256": digest.hexdigest(),
            "lightgbm_version": lgb.__version__,
            "sklearn_version": sklearn.__version__,
        }
        return self

    def _fit_parts(self, X: pd.DataFrame, y: Labels, need: set[str]) -> dict[str, Any]:
        cols = ColumnSchema.fit(
            X, min_count=int(self.min_category_count), max_categories=int(self.max_categories)
        )
        out: dict[str, Any] = {"columns": cols}
        if "logistic" in need:
            out["logistic"] = self._compute_logistic(cols.encode_lr(X), y)
        if "lightgbm" in need:
            out["lightgbm"] = self._compute_lightgbm(
                cols.encode_tree(X), y, cols.categorical_positions()
            )
        return out

    def _compute_logistic(self, Z: FloatArray, y: Labels) -> dict[str, Any]:
        return fit_logistic(Z, y, self.Cs, int(self.inner_cv), int(self.random_state))

    def _compute_lightgbm(self, M: FloatArray, y: Labels, cats: list[int]) -> dict[str, Any]:
        params = {
            **LGB_FIXED,
            "learning_rate": float(self.learning_rate),
            "num_leaves": int(self.num_leaves),
            "min_child_samples": int(self.min_child_samples),
            "reg_lambda": float(self.reg_lambda),
            "bagging_fraction": float(self.subsample),
            "feature_fraction": float(self.colsample_bytree),
            "seed": int(self.random_state),
        }
        return fit_lightgbm(
            M,
            y,
            cats,
            params,
            n_estimators=int(self.n_estimators),
            validation_fraction=float(self.validation_fraction),
            early_stopping_rounds=int(self.early_stopping_rounds),
            seed=int(self.random_state),
        )

    # -- prediction ----------------------------------------------------------------------------

    def _combine(
        self, parts: Mapping[str, Any], X: pd.DataFrame, wanted: Sequence[str]
    ) -> dict[str, FloatArray]:
        cols: ColumnSchema = parts["columns"]
        out: dict[str, FloatArray] = {}
        if "logistic" in parts:
            out["logistic"] = logistic_kernel(parts["logistic"], cols.encode_lr(X))
        if "lightgbm" in parts:
            out["lightgbm"] = lightgbm_kernel(parts["lightgbm"], cols.encode_tree(X))
        if "blend" in wanted:
            w = float(self.blend_weight)
            out["blend"] = sigmoid(w * logit(out["logistic"]) + (1.0 - w) * logit(out["lightgbm"]))
        return {c: out[c] for c in wanted}

    def predict_raw(self, X: pd.DataFrame) -> FloatArray:
        """Uncalibrated P(positive) of the chosen learner, one per row of ``X``."""
        if not hasattr(self, "chosen_"):
            raise RuntimeError("this PropensityModel is not fitted yet; call fit(X, y) first")
        return self._combine(self.parts_, X, [self.chosen_])[self.chosen_]

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """Calibrated P(positive), one per row of ``X`` (1-D)."""
        raw = self.predict_raw(X)
        return apply_calibration(self.calibration_, raw)

    def predict_proba_grid(self, X: pd.DataFrame, offers: pd.DataFrame) -> FloatArray:
        """Calibrated P(positive) of every row of ``X`` with every row of ``offers`` (two frames
        of disjoint columns that together are the model's), n × g: ``predict_proba`` of their
        cross join, bit for bit, without building it (``propensity_grid``)."""
        if not hasattr(self, "chosen_"):
            raise RuntimeError("this PropensityModel is not fitted yet; call fit(X, y) first")
        raw = grid_scores(self.parts_, X, offers, [self.chosen_], float(self.blend_weight))
        p = raw[self.chosen_]
        return apply_calibration(self.calibration_, p.reshape(-1)).reshape(p.shape)

    # -- artefact ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe artefact (see the module docstring)."""
        if not hasattr(self, "chosen_"):
            raise RuntimeError("this PropensityModel is not fitted yet; call fit(X, y) first")
        parts: dict[str, Any] = {}
        if "logistic" in self.parts_:
            lr = self.parts_["logistic"]
            parts["logistic"] = {
                "C": lr["C"],
                "coef": list(lr["coef"]),
                "intercept": lr["intercept"],
                "names": self.columns_.lr_names(),
            }
        if "lightgbm" in self.parts_:
            text = self.parts_["lightgbm"]["model"]
            parts["lightgbm"] = {
                "n_trees": self.parts_["lightgbm"]["n_trees"],
                "model": text,
                "model_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            }
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "params": self.get_params(),
            "chosen": self.chosen_,
            "cv_scores": self.cv_scores_,
            "columns": self.columns_.to_dict(),
            "parts": parts,
            "calibration": dict(self.calibration_),
            "training": dict(self.training_),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PropensityModel:
        """Rebuild from ``to_dict`` output; refuses other formats, newer versions, tampering."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ValueError(f"data must be a {FORMAT!r} artefact, got {str(data)[:80]!r}")
        version = data.get("format_version")
        if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
            raise ValueError(
                f"artefact format_version {version} is newer than this LoanPilot reads ({FORMAT_VERSION}); upgrade LoanPilot to load it"
            )
        if version != FORMAT_VERSION:
            raise ValueError(f"format_version must be {FORMAT_VERSION}, got {version!r}")
        params = data.get("params")
        if not isinstance(params, Mapping) or sorted(set(params) - set(_PARAMS)):
            raise ValueError(
                f"artefact 'params' must be a mapping of the parameters {list(_PARAMS)}"
            )
        model = cls(**params)
        model._check_params()
        chosen = data.get("chosen")
        if chosen not in CANDIDATES:
            raise ValueError(f"artefact 'chosen' must be one of {list(CANDIDATES)}, got {chosen!r}")
        cols = ColumnSchema.from_dict(data.get("columns") or {})
        raw_parts = data.get("parts") or {}
        parts: dict[str, Any] = {"columns": cols}
        for need in sorted(_learners([str(chosen)])):
            if need not in raw_parts:
                raise ValueError(
                    f"artefact 'parts' lacks the {need!r} learner of the chosen {chosen!r}"
                )
        if "logistic" in raw_parts:
            lr = raw_parts["logistic"]
            if len(lr.get("coef", [])) != len(cols.lr_names()):
                raise ValueError(
                    f"artefact logistic coefficients ({len(lr.get('coef', []))}) do not match its columns ({len(cols.lr_names())})"
                )
            parts["logistic"] = {
                "C": float(lr["C"]),
                "coef": [float(v) for v in lr["coef"]],
                "intercept": float(lr["intercept"]),
            }
        if "lightgbm" in raw_parts:
            gb = raw_parts["lightgbm"]
            text = gb.get("model")
            if not isinstance(text, str) or hashlib.sha256(
                text.encode("utf-8")
            ).hexdigest() != gb.get("model_sha256"):
                raise ValueError(
                    "artefact LightGBM model text does not match its model_sha256 (tampered?)"
                )
            booster = lgb.Booster(model_str=text)
            if booster.num_feature() != len(cols.features):
                raise ValueError(
                    f"artefact lists {len(cols.features)} columns, its LightGBM model has {booster.num_feature()}"
                )
            parts["lightgbm"] = {"n_trees": int(gb["n_trees"]), "model": text, "booster": booster}
        calib = data.get("calibration")
        if not isinstance(calib, Mapping) or calib.get("method") not in (
            "platt",
            "isotonic",
            "none",
        ):
            raise ValueError(
                f"artefact 'calibration' must name platt, isotonic or none, got {calib!r}"
            )
        model.chosen_ = str(chosen)
        model.cv_scores_ = dict(data.get("cv_scores") or {})
        model.parts_, model.columns_ = parts, cols
        model.feature_names_ = list(cols.features)
        model.calibration_ = dict(calib)
        model.training_ = dict(data.get("training") or {})
        return model


def _learners(cands: Sequence[str]) -> set[str]:
    need = {c for c in cands if c != "blend"}
    return need | ({"logistic", "lightgbm"} if "blend" in cands else set())


def _check_y(y: npt.ArrayLike, n: int, cv: int) -> Labels:
    arr = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y)
    if arr.ndim != 1 or arr.size != n:
        raise ValueError(f"y must be 1-D with one value per row of X ({n}), got shape {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"y must be binary 0/1 (1 = positive), got dtype {arr.dtype}")
    odd = np.unique(arr[~np.isin(arr, (0, 1))])[:5].tolist()
    if odd:
        raise ValueError(f"y must be binary 0/1 (1 = positive), got values {odd}")
    n_pos = int(arr.sum())
    if n_pos in (0, n):
        raise ValueError(f"y has a single class ({n_pos} positive of {n}); need both 0 and 1")
    if min(n_pos, n - n_pos) < cv:
        raise ValueError(
            f"y has {min(n_pos, n - n_pos)} rows of its rarer class; cv={cv} needs at least {cv}"
        )
    return arr.astype(np.int8)
