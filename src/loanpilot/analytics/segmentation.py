"""Data-driven customer segments: k-means on mixed numeric and categorical features.

``SegmentClusterer`` follows scikit-learn's contract (parameters in ``__init__``, ``fit`` validates
and returns self, fitted attributes end in ``_``) and is saved as a JSON artefact (``to_dict`` /
``from_dict``), never a pickle.

The design matrix (``transform``):

* numeric columns: money amounts (``log_features``) become ``log1p(max(x, 0))``; every numeric
  column is then clipped to its ``clip`` / ``1 - clip`` quantiles of the training data (outliers do
  not pull a centre), a missing value is the training median, and the column is standardised
  (mean 0, standard deviation 1; a constant column is 0);
* categorical columns: one-hot over the ``max_categories`` most frequent training categories
  (others share an ``"other"`` column), each column scaled by ``1 / sqrt(1 - sum(p_j^2))`` (``p_j``
  the training shares) so that the whole block's variance is 1: **each categorical feature weighs
  as much as one numeric feature** in the squared distance, however many categories it has.

The number of clusters (``k="auto"``) is chosen by a stated criterion: for each ``k`` of
``k_range`` k-means is fitted on a fixed-seed sample of ``fit_sample`` rows and scored by the mean
silhouette on a fixed-seed sub-sample of ``score_sample`` rows; candidates whose smallest cluster
holds less than ``min_share`` of the sample are not eligible; the eligible ``k`` with the highest
silhouette wins (ties: the smaller ``k``); when none is eligible, the ``k`` with the largest smallest
share. ``k_scores_`` keeps every candidate's silhouette and smallest share. The chosen ``k`` is then
refitted on every row, started from the sample's centres. Clusters are numbered by size, largest
first, so the same data gives the same labels.

``contrasts_`` say what makes each cluster distinctive against the whole population: for a numeric
feature the cluster's mean in standard deviations (the centre's coordinate), for a category the
difference between its share in the cluster and in the population.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
OTHER = "other"


def _check_number(
    name: str, value: object, lo: float, hi: float, allowed: str, *, integer: bool
) -> None:
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok:
        raise TypeError(f"{name} must be {allowed}; got {value!r}")
    v = float(value)  # type: ignore[arg-type]
    if not (math.isfinite(v) and lo <= v <= hi):
        raise ValueError(f"{name} must be {allowed}; got {value!r}")


def _nearest(Z: FloatArray, centers: FloatArray) -> IntArray:
    """Index of the nearest centre of each row (squared Euclidean), vectorised."""
    d = (
        (Z * Z).sum(axis=1)[:, None]
        - 2.0 * Z @ centers.T
        + (centers * centers).sum(axis=1)[None, :]
    )
    return np.asarray(d.argmin(axis=1), dtype=np.int64)


class SegmentClusterer:
    """k-means segments of customers on mixed numeric and categorical features (module docstring)."""

    numeric_: list[str]
    categorical_: list[str]
    log_features_: list[str]
    medians_: FloatArray
    lower_: FloatArray
    upper_: FloatArray
    means_: FloatArray
    scales_: FloatArray
    categories_: dict[str, list[str]]
    category_weights_: dict[str, float]
    category_shares_: dict[str, list[float]]
    feature_names_: list[str]
    cluster_centers_: FloatArray
    k_: int
    k_scores_: dict[int, dict[str, float]]
    sizes_: list[int]
    contrasts_: list[dict[str, float]]
    n_features_in_: int

    def __init__(
        self,
        numeric: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        log_features: Sequence[str] = (),
        k: int | str = "auto",
        k_range: tuple[int, int] = (3, 8),
        min_share: float = 0.03,
        clip: float = 0.01,
        max_categories: int = 12,
        fit_sample: int = 20_000,
        score_sample: int = 4_000,
        n_init: int = 3,
        max_iter: int = 100,
        random_state: int = 0,
    ) -> None:
        self.numeric = numeric
        self.categorical = categorical
        self.log_features = log_features
        self.k = k
        self.k_range = k_range
        self.min_share = min_share
        self.clip = clip
        self.max_categories = max_categories
        self.fit_sample = fit_sample
        self.score_sample = score_sample
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    # --- parameters and input ---------------------------------------------------------------------

    def _check_params(self) -> None:
        if not (isinstance(self.k, str) and self.k == "auto"):
            _check_number("k", self.k, 2, 100, "'auto' or an integer in [2, 100]", integer=True)
        lo_hi = self.k_range
        if (
            not isinstance(lo_hi, tuple | list)
            or len(lo_hi) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in lo_hi)
            or not 2 <= lo_hi[0] <= lo_hi[1] <= 100
        ):
            raise ValueError(
                f"k_range must be (low, high) integers with 2 <= low <= high <= 100; got {lo_hi!r}"
            )
        _check_number("min_share", self.min_share, 0.0, 0.5, "a number in [0, 0.5]", integer=False)
        _check_number("clip", self.clip, 0.0, 0.25, "a number in [0, 0.25]", integer=False)
        _check_number(
            "max_categories", self.max_categories, 1, 1000, "an integer in [1, 1000]", integer=True
        )
        _check_number("fit_sample", self.fit_sample, 100, 10**9, "an integer >= 100", integer=True)
        _check_number(
            "score_sample", self.score_sample, 100, 10**9, "an integer >= 100", integer=True
        )
        _check_number("n_init", self.n_init, 1, 100, "an integer in [1, 100]", integer=True)
        _check_number(
            "max_iter", self.max_iter, 1, 10_000, "an integer in [1, 10000]", integer=True
        )
        _check_number(
            "random_state",
            self.random_state,
            0,
            2**32 - 1,
            "an integer in [0, 2**32 - 1]",
            integer=True,
        )

    def _columns(self, X: pd.DataFrame) -> tuple[list[str], list[str]]:
        if self.numeric is None:
            numeric = [str(c) for c in X.columns if X[c].dtype.kind in "biuf"]
        else:
            numeric = [str(c) for c in self.numeric]
        if self.categorical is None:
            categorical = [
                str(c)
                for c in X.columns
                if X[c].dtype.kind in "OSUb" or str(X[c].dtype) in ("category", "string")
            ]
            categorical = [c for c in categorical if c not in numeric]
        else:
            categorical = [str(c) for c in self.categorical]
        missing = [c for c in (*numeric, *categorical) if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks the column(s) {missing}")
        unknown_log = [c for c in self.log_features if c not in numeric]
        if unknown_log:
            raise ValueError(f"log_features must be numeric features; got {unknown_log}")
        if not numeric and not categorical:
            raise ValueError("X has no numeric or categorical feature to cluster on")
        return numeric, categorical

    def _numeric_raw(self, X: pd.DataFrame) -> FloatArray:
        if not self.numeric_:
            return np.zeros((len(X), 0))
        frame = X[self.numeric_]
        bad = [c for c in self.numeric_ if frame[c].dtype.kind not in "biuf"]
        if bad:
            raise TypeError(
                f"numeric feature(s) {bad} must be numbers; got {[str(frame[c].dtype) for c in bad]}"
            )
        A = frame.to_numpy(dtype=np.float64, copy=True)
        if np.isinf(A).any():
            raise ValueError("X holds infinite values; use NaN for missing")
        logged = [self.numeric_.index(c) for c in self.log_features_]
        if logged:
            A[:, logged] = np.log1p(np.clip(A[:, logged], 0.0, None))
        return A

    # --- fitting ----------------------------------------------------------------------------------

    def fit(self, X: pd.DataFrame, y: object = None) -> SegmentClusterer:
        """Learn the scaling, choose ``k`` and fit the centres."""
        self._check_params()
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame; got {type(X).__name__}")
        numeric, categorical = self._columns(X)
        k_low = int(self.k) if not isinstance(self.k, str) else int(self.k_range[0])
        if len(X) < max(k_low * 2, 10):
            raise ValueError(f"X must have at least {max(k_low * 2, 10)} rows; got {len(X)}")
        self.numeric_, self.categorical_ = numeric, categorical
        self.log_features_ = [str(c) for c in self.log_features]
        self.n_features_in_ = len(numeric) + len(categorical)
        self._fit_scaling(X)
        Z = self.transform(X)
        rng = np.random.default_rng(self.random_state)
        n = len(Z)
        sample = np.sort(rng.choice(n, size=min(n, self.fit_sample), replace=False))
        S = Z[sample]
        scored = np.sort(rng.choice(len(S), size=min(len(S), self.score_sample), replace=False))
        candidates = (
            [int(self.k)]
            if not isinstance(self.k, str)
            else list(range(self.k_range[0], self.k_range[1] + 1))
        )
        self.k_scores_ = {}
        centres: dict[int, FloatArray] = {}
        for k in candidates:
            if k >= len(S):
                continue
            model = KMeans(
                n_clusters=k,
                n_init=self.n_init,
                max_iter=self.max_iter,
                random_state=self.random_state,
            )
            labels = model.fit_predict(S)
            shares = np.bincount(labels, minlength=k) / len(S)
            used = np.unique(labels[scored])
            sil = float(silhouette_score(S[scored], labels[scored])) if used.size > 1 else -1.0
            self.k_scores_[k] = {
                "silhouette": sil,
                "min_share": float(shares.min()),
                "eligible": float(shares.min() >= self.min_share),
            }
            centres[k] = np.asarray(model.cluster_centers_, dtype=np.float64)
        if not centres:
            raise ValueError(f"no candidate k fits {len(S)} rows; lower k or k_range")
        self.k_ = self._choose_k()
        final = KMeans(
            n_clusters=self.k_,
            init=centres[self.k_],
            n_init=1,
            max_iter=self.max_iter,
            random_state=self.random_state,
        )
        labels = np.asarray(final.fit_predict(Z), dtype=np.int64)
        centers = np.asarray(final.cluster_centers_, dtype=np.float64)
        sizes = np.bincount(labels, minlength=self.k_)
        order = np.lexsort((np.arange(self.k_), -sizes))  # largest first; ties by original index
        self.cluster_centers_ = centers[order]
        self.sizes_ = [int(s) for s in sizes[order]]
        self._fit_contrasts()
        return self

    def _choose_k(self) -> int:
        scores = self.k_scores_
        eligible = [k for k, s in scores.items() if s["eligible"] > 0]
        if eligible:
            return min(eligible, key=lambda k: (-scores[k]["silhouette"], k))
        return min(scores, key=lambda k: (-scores[k]["min_share"], k))

    def _fit_scaling(self, X: pd.DataFrame) -> None:
        A = self._numeric_raw(X)
        width = A.shape[1]
        if width:
            all_missing = [c for i, c in enumerate(self.numeric_) if np.isnan(A[:, i]).all()]
            if all_missing:
                raise ValueError(f"numeric feature(s) {all_missing} are all missing")
            self.lower_ = np.nanquantile(A, self.clip, axis=0)
            self.upper_ = np.nanquantile(A, 1.0 - self.clip, axis=0)
            self.medians_ = np.nanmedian(np.clip(A, self.lower_, self.upper_), axis=0)
            filled = np.where(np.isnan(A), self.medians_, np.clip(A, self.lower_, self.upper_))
            self.means_ = filled.mean(axis=0)
            std = filled.std(axis=0)
            self.scales_ = np.where(std > 1e-12, std, 1.0)
        else:
            self.lower_ = self.upper_ = self.medians_ = self.means_ = self.scales_ = np.zeros(0)
        self.categories_, self.category_weights_, self.category_shares_ = {}, {}, {}
        for c in self.categorical_:
            values = X[c].astype(object).where(X[c].notna(), "unknown").astype(str)
            counts = values.value_counts(sort=True)
            top = sorted(
                counts.index[: self.max_categories].tolist(), key=lambda v: (-int(counts[v]), v)
            )
            if len(counts) > len(top):
                top.append(OTHER)
            cats = pd.Categorical(values.where(values.isin(top), OTHER), categories=top)
            shares = np.bincount(cats.codes, minlength=len(top)) / len(values)
            gini = 1.0 - float((shares**2).sum())
            self.categories_[c] = [str(v) for v in top]
            self.category_shares_[c] = [float(s) for s in shares]
            self.category_weights_[c] = 1.0 / math.sqrt(gini) if gini > 1e-12 else 0.0
        self.feature_names_ = list(self.numeric_) + [
            f"{c}={v}" for c in self.categorical_ for v in self.categories_[c]
        ]

    def _fit_contrasts(self) -> None:
        width = len(self.numeric_)
        self.contrasts_ = []
        for centre in self.cluster_centers_:
            item = {name: float(centre[i]) for i, name in enumerate(self.numeric_)}
            offset = width
            for c in self.categorical_:
                weight = self.category_weights_[c]
                for j, value in enumerate(self.categories_[c]):
                    share = (
                        float(centre[offset + j]) / weight
                        if weight > 0
                        else self.category_shares_[c][j]
                    )
                    item[f"{c}={value}"] = share - self.category_shares_[c][j]
                offset += len(self.categories_[c])
            self.contrasts_.append(item)

    # --- using the fitted model -------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "cluster_centers_") and not hasattr(self, "feature_names_"):
            raise ValueError("this SegmentClusterer is not fitted yet; call fit first")

    def transform(self, X: pd.DataFrame) -> FloatArray:
        """The scaled design matrix (rows of X × ``feature_names_``)."""
        self._check_fitted()
        A = self._numeric_raw(X)
        if A.shape[1]:
            A = np.where(np.isnan(A), self.medians_, np.clip(A, self.lower_, self.upper_))
            A = (A - self.means_) / self.scales_
        blocks = [A]
        for c in self.categorical_:
            if c not in X.columns:
                raise ValueError(f"X lacks the column(s) {[c]}")
            cats = self.categories_[c]
            values = X[c].astype(object).where(X[c].notna(), "unknown").astype(str)
            fallback = OTHER if OTHER in cats else None
            codes = pd.Index(cats).get_indexer(pd.Index(values)).astype(np.int64)
            if fallback is not None:
                codes = np.where(codes < 0, cats.index(OTHER), codes)
            block = np.zeros((len(X), len(cats)))
            known = codes >= 0
            block[np.flatnonzero(known), codes[known]] = self.category_weights_[c]
            blocks.append(block)
        return np.hstack(blocks) if len(blocks) > 1 else A

    def predict(self, X: pd.DataFrame) -> IntArray:
        """The cluster of each row (0 is the largest training cluster)."""
        if not hasattr(self, "cluster_centers_"):
            raise ValueError("this SegmentClusterer is not fitted yet; call fit first")
        return _nearest(self.transform(X), self.cluster_centers_)

    def fit_predict(self, X: pd.DataFrame, y: object = None) -> IntArray:
        return self.fit(X).predict(X)

    # --- the JSON artefact ------------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        return {
            "numeric": None if self.numeric is None else list(self.numeric),
            "categorical": None if self.categorical is None else list(self.categorical),
            "log_features": list(self.log_features), "k": self.k, "k_range": list(self.k_range),
            "min_share": self.min_share, "clip": self.clip, "max_categories": self.max_categories,
            "fit_sample": self.fit_sample, "score_sample": self.score_sample, "n_init": self.n_init,
            "max_iter": self.max_iter, "random_state": self.random_state,
        }  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """The fitted model as plain JSON-safe data."""
        if not hasattr(self, "cluster_centers_"):
            raise ValueError("this SegmentClusterer is not fitted yet; call fit first")
        return {
            "kind": "segment_kmeans", "format": 1, "params": self.get_params(),
            "numeric": self.numeric_, "categorical": self.categorical_, "log_features": self.log_features_,
            "medians": self.medians_.tolist(), "lower": self.lower_.tolist(), "upper": self.upper_.tolist(),
            "means": self.means_.tolist(), "scales": self.scales_.tolist(),
            "categories": self.categories_, "category_weights": self.category_weights_,
            "category_shares": self.category_shares_, "centers": self.cluster_centers_.tolist(),
            "k": self.k_, "k_scores": {str(k): v for k, v in self.k_scores_.items()},
            "sizes": self.sizes_, "feature_names": self.feature_names_,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SegmentClusterer:
        """A fitted model from ``to_dict``'s data."""
        if d.get("kind") != "segment_kmeans":
            raise ValueError(f"kind must be 'segment_kmeans'; got {d.get('kind')!r}")
        params = dict(d["params"])
        params["k_range"] = tuple(params["k_range"])
        model = cls(**params)
        model.numeric_, model.categorical_ = list(d["numeric"]), list(d["categorical"])
        model.log_features_ = list(d["log_features"])
        for name in ("medians", "lower", "upper", "means", "scales"):
            setattr(model, f"{name}_", np.asarray(d[name], dtype=np.float64))
        model.categories_ = {k: list(v) for k, v in d["categories"].items()}
        model.category_weights_ = {k: float(v) for k, v in d["category_weights"].items()}
        model.category_shares_ = {k: [float(s) for s in v] for k, v in d["category_shares"].items()}
        model.cluster_centers_ = np.asarray(d["centers"], dtype=np.float64)
        model.k_ = int(d["k"])
        model.k_scores_ = {int(k): dict(v) for k, v in d["k_scores"].items()}
        model.sizes_ = [int(s) for s in d["sizes"]]
        model.feature_names_ = list(d["feature_names"])
        model.n_features_in_ = len(model.numeric_) + len(model.categorical_)
        width = len(model.feature_names_)
        if model.cluster_centers_.shape != (model.k_, width):
            raise ValueError(
                f"centers must have shape ({model.k_}, {width}); got {model.cluster_centers_.shape}"
            )
        model._fit_contrasts()
        return model
