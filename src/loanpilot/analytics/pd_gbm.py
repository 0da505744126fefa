"""LightGBM challenger PD model with per-decision contributions, offered beside the scorecard.

* ``y`` is binary, 1 = bad, both classes present; ``predict_proba`` is n x 2, column 1 = P(bad).
* Column kinds are fixed at fit: numeric dtypes (bool too) are numeric, ``category`` dtype is
  categorical; an object/string column is numeric if all its values read as numbers (``"12"``),
  categorical if most do not, and an error naming the column and the text if most do but some do
  not. ``categorical=[...]`` overrides this: listed columns categorical, all others numeric.
  An all-missing column is an error; a constant one is allowed (it never splits).
* Categories are matched by text (integral numbers as ``"3"``), fixed (sorted) at fit and given to
  LightGBM as integer codes; missing and unseen values become NaN, LightGBM's missing.
* ``contributions`` is LightGBM's ``pred_contrib`` (TreeSHAP) in log-odds of bad: one column per
  feature plus ``bias``; each row sums to the raw log-odds ``logit(P(bad))``. ``reasons`` gives
  per row the features with the largest positive contributions (pushing the PD up), largest
  first, ties in feature order; short rows are padded with ``""`` and 0.0.
* Deterministic: one thread, ``deterministic=True``, seeds from ``random_state``. With
  ``validation_fraction`` a stratified share is held out to choose the number of trees by early
  stopping on log-loss; the model is then refitted on all rows with that many trees.
* ``to_dict`` is JSON-safe: LightGBM's text model (never a pickle) and its SHA-256, features,
  kinds, categories, params and training metadata (with a hash of the encoded data). The fitted
  booster is itself rebuilt from that text, so a reloaded model predicts bit-for-bit the same.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.model_selection import train_test_split

FORMAT = "loanpilot.gbm_pd"
FORMAT_VERSION = 1

FloatArray = npt.NDArray[np.float64]
_NUMERIC, _CATEGORICAL = "numeric", "categorical"
_SCHEMA = ("features", "kinds", "categories")
_PARAMS = (
    *("n_estimators", "learning_rate", "num_leaves", "min_child_samples", "max_depth"),
    *("reg_lambda", "subsample", "colsample_bytree", "monotone_constraints", "categorical"),
    *("validation_fraction", "early_stopping_rounds", "random_state"),
)
_FIXED = {"objective": "binary", "metric": "binary_logloss", "verbosity": -1, "num_threads": 1}
_FIXED |= {"deterministic": True, "force_col_wise": True, "min_data_per_group": 20}
_LGB_NAMES = {k: k for k in ("learning_rate", "num_leaves", "max_depth", "reg_lambda")}
_LGB_NAMES |= {"min_child_samples": "min_child_samples"}
_LGB_NAMES |= {"subsample": "bagging_fraction", "colsample_bytree": "feature_fraction"}
_INT_MIN = {"n_estimators": 1, "num_leaves": 2, "min_child_samples": 1, "max_depth": -1}
_INT_MIN |= {"early_stopping_rounds": 1, "random_state": 0}
_REAL_SPAN: dict[str, tuple[str, Callable[[float], bool]]] = {
    "learning_rate": ("(0, 1]", lambda v: 0 < v <= 1),
    "subsample": ("(0, 1]", lambda v: 0 < v <= 1),
    "colsample_bytree": ("(0, 1]", lambda v: 0 < v <= 1),
    "reg_lambda": ("[0, inf)", lambda v: v >= 0),
    "validation_fraction": ("(0, 0.5) or None", lambda v: 0 < v < 0.5),
}


def _ok_feature(name: object, kind: object, cats: object) -> bool:
    cats_ok = isinstance(cats, list) and all(isinstance(c, str) for c in cats)
    return isinstance(name, str) and (
        cats is None if kind == _NUMERIC else kind == _CATEGORICAL and cats_ok
    )


def _labels(s: pd.Series) -> pd.Series:
    """Non-missing values as text (integral numbers as ``"3"``); missing stays NA."""
    miss = s.isna().to_numpy()
    vals = s.to_numpy(dtype=object)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        f = s.to_numpy(dtype=np.float64, na_value=np.nan)
        whole = ~miss & (f == np.round(f)) & (np.abs(f) < 2.0**53)
        vals = np.where(whole, np.where(whole, f, 0).astype(np.int64).astype(str), vals)
    out = pd.Series(vals, index=s.index, dtype=object).astype(str)
    return out.where(~miss, None)


def _numbers(s: pd.Series) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """(float values, mask of non-missing text that is not a number)."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
        return s.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(s), dtype=bool)
    obj = s.astype(object)
    num = pd.to_numeric(obj, errors="coerce")
    text = (obj.notna() & num.isna()).to_numpy()
    return num.to_numpy(dtype=np.float64, na_value=np.nan), text


def _text_problem(name: str, s: pd.Series, text: npt.NDArray[np.bool_]) -> str:
    row = int(np.flatnonzero(text)[0])
    return (
        f"column {name!r} is numeric but holds text {s.iloc[row]!r} (row {row}, "
        f"{int(text.sum())} such values); fix the data or list the column in categorical"
    )


class GbmPD:
    """Gradient-boosted PD model (LightGBM), scikit-learn style; see the module docstring."""

    def __init__(
        self,
        n_estimators: int = 400,
        learning_rate: float = 0.02,
        num_leaves: int = 6,
        min_child_samples: int = 20,
        max_depth: int = 3,
        reg_lambda: float = 5.0,
        subsample: float = 0.8,
        colsample_bytree: float = 0.6,
        monotone_constraints: Mapping[str, int] | None = None,
        categorical: Sequence[str] | None = None,
        validation_fraction: float | None = 0.2,
        early_stopping_rounds: int = 50,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.max_depth = max_depth
        self.reg_lambda = reg_lambda
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.monotone_constraints = monotone_constraints
        self.categorical = categorical
        self.validation_fraction = validation_fraction
        self.early_stopping_rounds = early_stopping_rounds
        self.random_state = random_state

    def get_params(self) -> dict[str, Any]:
        """Parameters as JSON-safe values."""
        out = {name: getattr(self, name) for name in _PARAMS}
        if self.monotone_constraints is not None:
            out["monotone_constraints"] = {
                str(k): int(v) for k, v in self.monotone_constraints.items()
            }
        if self.categorical is not None:
            out["categorical"] = [str(c) for c in self.categorical]
        return out

    def _check_params(self) -> None:
        for name, lo in _INT_MIN.items():
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo:
                raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
        if self.max_depth == 0:
            raise ValueError("max_depth must be -1 (no limit) or an integer >= 1, got 0")
        for name, (span, inside) in _REAL_SPAN.items():
            v = getattr(self, name)
            if name == "validation_fraction" and v is None:
                continue
            ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            if not (ok and inside(float(v))):
                raise ValueError(f"{name} must be a number in {span}, got {v!r}")
        for key, val in (self.monotone_constraints or {}).items():
            if isinstance(val, bool) or val not in (-1, 0, 1):
                msg = f"monotone_constraints[{key!r}] must be -1, 0 or +1 (+1: PD rises with it)"
                raise ValueError(f"{msg}, got {val!r}")

    # -- fitting -------------------------------------------------------------------------------

    def fit(self, X: pd.DataFrame, y: npt.ArrayLike) -> GbmPD:
        """Validate ``X`` and ``y`` (1 = bad), fix column kinds and categories, train."""
        self._check_params()
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
        if X.shape[1] == 0 or X.shape[0] < 2:
            raise ValueError(f"X must have at least one column and two rows, got shape {X.shape}")
        names = [str(c) for c in X.columns]
        if len(set(names)) != len(names):
            dups = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"X has duplicate column names: {dups}")
        yv = self._check_y(y, len(X))
        cat_set = None if self.categorical is None else {str(c) for c in self.categorical}
        if cat_set is not None and not cat_set <= set(names):
            raise ValueError(f"categorical names columns not in X: {sorted(cat_set - set(names))}")
        kinds, categories, problems = [], [], []  # every column problem, raised once
        for col, name in zip(X.columns, names, strict=True):
            if X[col].isna().all():
                problems.append(f"column {name!r} is all missing; it cannot inform the model")
                continue
            kind, problem = self._infer_kind(name, X[col], cat_set)
            kinds.append(kind)
            problems += [problem] if problem else []
            cat = sorted(set(_labels(X[col]).dropna())) if kind == _CATEGORICAL else None
            categories.append(cat)
        if problems:
            raise ValueError("; ".join(problems))
        mono = dict(self.monotone_constraints or {})
        for key, sign in mono.items():
            if key not in names:
                raise ValueError(f"monotone_constraints names a column not in X: {key!r}")
            if kinds[names.index(key)] == _CATEGORICAL and sign != 0:
                raise ValueError(f"monotone_constraints[{key!r}]: column {key!r} is categorical")
        self.feature_names_, self.feature_kinds_, self.categories_ = names, kinds, categories
        matrix = self._encode(X)
        self.booster_, meta = self._compute_train(matrix, yv, [mono.get(n, 0) for n in names])
        digest = hashlib.sha256(np.ascontiguousarray(matrix).tobytes())
        digest.update(yv.tobytes())
        self.training_ = {"n_rows": len(yv), "n_bad": int(yv.sum()), **meta}
        self.training_ |= {"data_sha256": digest.hexdigest(), "lightgbm_version": lgb.__version__}
        return self

    @staticmethod
    def _check_y(y: npt.ArrayLike, n: int) -> npt.NDArray[np.int8]:
        arr = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y)
        if arr.ndim != 1 or arr.size != n:
            raise ValueError(f"y must be 1-D with one value per row of X ({n}), got {arr.shape}")
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"y must be binary 0/1 (1 = bad), got dtype {arr.dtype}")
        odd = np.unique(arr[~np.isin(arr, (0, 1))])[:5].tolist()
        if odd:
            raise ValueError(f"y must be binary 0/1 (1 = bad), got values {odd}")
        n_bad = int(arr.sum())
        if n_bad in (0, n):
            raise ValueError(f"y has a single class ({n_bad} bad of {n}); need both 0 and 1")
        return arr.astype(np.int8)

    @staticmethod
    def _infer_kind(name: str, s: pd.Series, cat_set: set[str] | None) -> tuple[str, str]:
        """(kind, problem or "") of a column; see the module docstring."""
        if (name in cat_set) if cat_set is not None else isinstance(s.dtype, pd.CategoricalDtype):
            return _CATEGORICAL, ""
        _, text = _numbers(s)
        if not text.any():
            return _NUMERIC, ""
        if cat_set is not None or 2 * int(text.sum()) < int(s.notna().sum()):  # mostly numbers
            return _NUMERIC, _text_problem(name, s, text)
        return _CATEGORICAL, ""

    def _encode(self, X: pd.DataFrame) -> FloatArray:
        """n x features float matrix: numbers, or category codes with NaN for missing/unseen."""
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
        by_name = {str(c): c for c in X.columns}
        absent = [n for n in self.feature_names_ if n not in by_name]
        if absent:
            raise ValueError(f"X lacks the model's columns {absent}")
        out = np.empty((len(X), len(self.feature_names_)), dtype=np.float64)
        for j, (name, kind) in enumerate(
            zip(self.feature_names_, self.feature_kinds_, strict=True)
        ):
            s = X[by_name[name]]
            if kind == _NUMERIC:
                vals, text = _numbers(s)
                if text.any():
                    raise ValueError(_text_problem(name, s, text))
                out[:, j] = vals
            else:
                lookup = {c: float(i) for i, c in enumerate(self.categories_[j] or [])}
                out[:, j] = _labels(s).map(lookup).to_numpy(dtype=np.float64, na_value=np.nan)
        return out

    def _compute_train(
        self, matrix: FloatArray, y: npt.NDArray[np.int8], mono: list[int]
    ) -> tuple[lgb.Booster, dict[str, Any]]:
        seed = int(self.random_state)
        params = {lgb_name: getattr(self, ours) for ours, lgb_name in _LGB_NAMES.items()}
        params |= {**_FIXED, "bagging_freq": int(self.subsample < 1.0), "seed": seed}
        params |= {"monotone_constraints": mono} if any(mono) else {}
        cats = [j for j, k in enumerate(self.feature_kinds_) if k == _CATEGORICAL]
        fnames = [f"f{j}" for j in range(matrix.shape[1])]

        def dataset(
            m: FloatArray, t: npt.NDArray[np.int8], ref: lgb.Dataset | None = None
        ) -> lgb.Dataset:
            return lgb.Dataset(
                m, t, reference=ref, feature_name=fnames, categorical_feature=cats, params=params
            )

        n_trees = int(self.n_estimators)
        meta: dict[str, Any] = {"n_trees": n_trees, "n_valid": 0, "valid_logloss": None}
        if self.validation_fraction is not None:
            split = train_test_split(
                np.arange(len(y)), test_size=self.validation_fraction, stratify=y, random_state=seed
            )
            fit_set = dataset(matrix[split[0]], y[split[0]])
            valid = [dataset(matrix[split[1]], y[split[1]], fit_set)]
            stop: list[Callable[..., Any]] = [
                lgb.early_stopping(int(self.early_stopping_rounds), verbose=False)
            ]
            probe = lgb.train(params, fit_set, n_trees, valid_sets=valid, callbacks=stop)
            n_trees = max(int(probe.best_iteration), 1)
            loss = float(probe.best_score["valid_0"]["binary_logloss"])
            meta = {"n_trees": n_trees, "n_valid": len(split[1]), "valid_logloss": loss}
        booster = lgb.train(params, dataset(matrix, y), num_boost_round=n_trees)
        return lgb.Booster(model_str=booster.model_to_string()), meta

    # -- prediction ----------------------------------------------------------------------------

    def _predict(self, X: pd.DataFrame, **kwargs: bool) -> FloatArray:
        if not hasattr(self, "booster_"):
            raise RuntimeError("this GbmPD is not fitted yet; call fit(X, y) first")
        out = self.booster_.predict(self._encode(X), num_threads=1, **kwargs)
        return np.asarray(out, dtype=np.float64)

    def raw_log_odds(self, X: pd.DataFrame) -> FloatArray:
        """Raw score: log-odds of bad per row."""
        return self._predict(X, raw_score=True)

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """n x 2: column 0 = P(good), column 1 = P(bad)."""
        p = self._predict(X)
        return np.column_stack([1.0 - p, p])

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per-feature contributions in log-odds of bad plus ``bias``; rows sum to the log-odds."""
        values = self._predict(X, pred_contrib=True)
        return pd.DataFrame(values, index=X.index, columns=[*self.feature_names_, "bias"])

    def reasons(self, X: pd.DataFrame, top: int = 3) -> pd.DataFrame:
        """Per row the ``top`` features pushing the PD up most: ``reason_i`` / ``contribution_i``."""
        if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
            raise ValueError(f"top must be an integer >= 1, got {top!r}")
        contrib = self.contributions(X).to_numpy()[:, :-1]
        k = min(int(top), contrib.shape[1])
        order = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
        vals = np.take_along_axis(contrib, order, axis=1)
        none = ~(vals > 0)
        names = np.array(self.feature_names_, dtype=object)[order]
        names[none] = ""
        vals = np.where(none, 0.0, vals)
        out = pd.DataFrame(index=X.index)
        for i in range(k):
            out[f"reason_{i + 1}"] = names[:, i]
            out[f"contribution_{i + 1}"] = vals[:, i]
        return out

    # -- artefact ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe artefact: LightGBM's text model, features, categories, params, metadata."""
        if not hasattr(self, "booster_"):
            raise RuntimeError("this GbmPD is not fitted yet; call fit(X, y) first")
        text = self.booster_.model_to_string()
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "params": self.get_params(),
            "features": list(self.feature_names_),
            "kinds": list(self.feature_kinds_),
            "categories": [None if c is None else list(c) for c in self.categories_],
            "training": dict(self.training_),
            "model_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "model": text,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GbmPD:
        """Rebuild from ``to_dict`` output; refuses other formats, newer versions, tampering."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ValueError(f"data must be a {FORMAT!r} artefact, got {str(data)[:80]!r}")
        version = data.get("format_version")
        if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
            msg = f"artefact format_version {version} is newer than this LoanPilot reads"
            raise ValueError(f"{msg} ({FORMAT_VERSION}); upgrade LoanPilot to load it")
        if version != FORMAT_VERSION:
            raise ValueError(f"format_version must be {FORMAT_VERSION}, got {version!r}")
        text = data.get("model")
        if not isinstance(text, str):
            raise ValueError("artefact 'model' must be LightGBM's model text")
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != data.get("model_sha256"):
            raise ValueError("artefact model text does not match its model_sha256 (tampered?)")
        fields: list[Any] = [data.get(k) for k in ("params", *_SCHEMA)]
        params, names, kinds, cats = fields
        ok = all(isinstance(v, list) for v in (names, kinds, cats)) and isinstance(params, Mapping)
        ok = (
            ok
            and len(names) == len(kinds) == len(cats) > 0
            and all(map(_ok_feature, names, kinds, cats))
        )
        if not ok:
            raise ValueError(
                "artefact needs 'params' (a mapping) and equal-length lists 'features' (names), "
                "'kinds' ('numeric'/'categorical') and 'categories' (a list of text per "
                "categorical feature, null per numeric one)"
            )
        unknown = sorted(set(params) - set(_PARAMS))
        if unknown:
            raise ValueError(f"artefact params holds unknown parameters {unknown}")
        model = cls(**params)
        model._check_params()
        booster = lgb.Booster(model_str=text)
        if booster.num_feature() != len(names):
            raise ValueError(
                f"artefact lists {len(names)} features, its model has {booster.num_feature()}"
            )
        model.feature_names_, model.feature_kinds_, model.categories_ = names, kinds, cats
        model.booster_, model.training_ = booster, dict(data.get("training") or {})
        return model
