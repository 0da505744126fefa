"""Uplift models of the bank's contacts (issue 6): who is moved by which contact.

Training data are the targets of every campaign with a randomised control group. The treatment
of a target is the channel it was (or, in the control group, would have been) contacted through:
treated rows carry their channel, control rows are labelled ``control``. (``campaign_targets.arm``
is a per-campaign letter — "A", "B" of an A/B test of two offers through one channel — so it is
not a treatment that means the same across campaigns; the A/B report compares those arms.) Features are ``customers.features.marketing_frame``
as of the day before the campaign started (so the campaign's own responses never leak into
them), plus the offered product's type and the campaign's channel (the context: a control row
records what its campaign would have offered, and the control model learns how the baseline
response differs between contexts).

``fit_uplift`` splits the rows 70/30, stratified by arm × group × outcome, fits the
sparse-effect, two-model and class-transformation learners, scores the hold-out (each row by the
predicted uplift of the arm it was offered), computes the Qini coefficient, AUUC and uplift at
10/20/30 % (see ``analytics.uplift_metrics`` for the normalisation), refits the chosen learner
(``DEFAULT_LEARNER`` unless told otherwise; "best" = the better hold-out Qini) on all rows and
registers it as the active ``contact-uplift`` model. ``predict_uplift`` scores (customer, product
type, channel) options for next-best-offer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from loanpilot.analytics import uplift_metrics as um
from loanpilot.analytics.uplift import (
    ClassTransformationUplift,
    TwoModelUplift,
    arm_column,
    uplift_model_from_dict,
)
from loanpilot.analytics.uplift_sparse import SparseEffectUplift
from loanpilot.campaigns import repository_uplift as repo
from loanpilot.customers.features import (
    CATEGORICAL_FEATURES,
    FLAG_FEATURES,
    NUMERIC_FEATURES,
    marketing_frame,
)
from loanpilot.kit.errors import FieldProblem, NotFoundError, ValidationError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from loanpilot.products.models_offers import MarketingModel

MODEL_NAME = "contact-uplift"
CONTROL = "control"
TARGET = "responded"
CONTEXT_FEATURES = ("product_type", "channel")
#: who the customer is × what is offered: each categorical feature crossed with the product type,
#: so the baseline response may differ by product for each kind of customer (main-effect models
#: cannot say that students rarely want a mortgage but often a consumer loan)
CROSS_FEATURES = tuple(f"{c}*product_type" for c in CATEGORICAL_FEATURES)
FEATURES = (
    NUMERIC_FEATURES + CATEGORICAL_FEATURES + FLAG_FEATURES + CONTEXT_FEATURES + CROSS_FEATURES
)
LEARNERS = ("sparse_effect", "two_model", "class_transformation")
#: registered unless told otherwise ("best" = the better hold-out Qini, which cannot tell these
#: learners apart); its lists reach 92–93 % of the oracle's profit on the demo bank against 87 %
#: for two_model (bench/uplift.py, two seeds; docs/uplift.md)
DEFAULT_LEARNER = "sparse_effect"
#: the effect modifiers of ``sparse_effect``: who the customer is and how they like to be reached
#: (traits that make a channel work for them); balances, bureau and product crosses stay in the
#: shared baseline, where they say how likely the customer is to apply at all
EFFECT_FEATURES = (
    *("age", "occupation", "gender", "education", "marital_status", "preferred_channel"),
)
TOP_K = (0.1, 0.2, 0.3)
MIN_ROWS = 40
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class UpliftData:
    """The experiments' rows: features, the arm each row was offered, treated or not, outcome."""

    X: pd.DataFrame
    arm: np.ndarray[Any, Any]  # the treatment: the channel of the row's contact
    treated: np.ndarray[Any, Any]  # bool
    y: np.ndarray[Any, Any]  # 0/1
    campaign: np.ndarray[Any, Any]  # campaign id (the stratum)
    sha256: str

    @property
    def labels(self) -> np.ndarray[Any, Any]:
        """Treatment labels for the learners: the arm for treated rows, ``control`` otherwise."""
        return np.where(self.treated, self.arm, CONTROL)


@dataclass(frozen=True)
class UpliftFit:
    model: MarketingModel
    metrics: dict[str, Any]


def uplift_data(session: Session, as_of: date, progress: Progress | None = None) -> UpliftData:
    """Every experiment row up to ``as_of`` with its features as of its campaign's eve."""
    targets = repo.experiment_targets(session, as_of)
    if targets.empty:
        raise ValidationError(
            "uplift.no_experiments",
            "no campaign with a randomised control group started before "
            f"{as_of.isoformat()}: an uplift model needs treated and control targets",
        )
    parts: list[pd.DataFrame] = []
    groups = list(targets.groupby("starts_on", sort=True))
    for i, (start, rows) in enumerate(groups, 1):
        eve = date.fromisoformat(str(start)) - timedelta(days=1)
        frame = marketing_frame(session, eve, rows["customer_id"].tolist())
        parts.append(frame.reindex(rows["customer_id"].to_numpy()).set_index(rows.index))
        if progress is not None:
            progress("features", i, len(groups))
    features = pd.concat(parts).loc[targets.index]
    # marketing_frame reads loans as they stand today: restate them as of each campaign's eve,
    # or loans booked later (often from the campaign's own responders) would leak the outcome
    eves = pd.to_datetime(targets["starts_on"]) - pd.Timedelta(days=1)
    held = repo.loans_as_of(session, targets[["customer_id"]].assign(as_of=eves.dt.date))
    features[list(held.columns)] = held.loc[features.index].to_numpy()
    x = features[list(NUMERIC_FEATURES + CATEGORICAL_FEATURES + FLAG_FEATURES)].copy()
    x["product_type"] = targets["product_type"].astype(str).to_numpy()
    x["channel"] = targets["channel"].astype(str).to_numpy()
    x = with_crosses(x.reset_index(drop=True))
    arm = targets["channel"].astype(str).to_numpy()
    treated = (targets["group"] == "treatment").to_numpy()
    y = targets["responded"].to_numpy(dtype=int)
    digest = hashlib.sha256(pd.util.hash_pandas_object(x, index=False).to_numpy().tobytes())
    digest.update(np.ascontiguousarray(y).tobytes())
    digest.update("|".join(np.where(treated, arm, CONTROL)).encode())
    campaign = targets["campaign_id"].to_numpy()
    return UpliftData(x, arm, treated, y, campaign, digest.hexdigest())


def make_learner(name: str, base: str, seed: int) -> TwoModelUplift | ClassTransformationUplift:
    """A fresh learner of ``name`` (``LEARNERS``) over the ``base`` classifier (for
    ``sparse_effect``, the baseline's; its arm models are lasso logistic regressions)."""
    if name == "sparse_effect":
        return SparseEffectUplift(base=base, effect_features=EFFECT_FEATURES, random_state=seed)
    if name == "two_model":
        return TwoModelUplift(base=base, random_state=seed)
    if name == "class_transformation":
        return ClassTransformationUplift(base=base, random_state=seed)
    raise ValueError(f"learner must be one of {LEARNERS}, got {name!r}")


def _fit(
    learner: TwoModelUplift | ClassTransformationUplift, data: UpliftData, rows: Any
) -> TwoModelUplift | ClassTransformationUplift:
    x, labels = data.X.iloc[rows], data.labels[rows]
    if isinstance(learner, ClassTransformationUplift):
        return learner.fit(x, labels, data.y[rows], CONTROL, strata=data.campaign[rows])
    return learner.fit(x, labels, data.y[rows], CONTROL)


def own_arm_scores(
    learner: TwoModelUplift | ClassTransformationUplift, x: pd.DataFrame, arm: Sequence[str]
) -> np.ndarray[Any, Any]:
    """Each row's predicted uplift for the arm it was offered (0 for an arm the model lacks)."""
    uplift = learner.predict_uplift(x)
    col = arm_column(learner, arm)
    out = uplift[np.arange(len(col)), np.maximum(col, 0)] if uplift.shape[1] else np.zeros(len(col))
    return np.where(col >= 0, out, 0.0)


def score_metrics(
    y: np.ndarray[Any, Any], treated: np.ndarray[Any, Any], score: np.ndarray[Any, Any]
) -> dict[str, Any]:
    """Qini coefficient (three scales), AUUC, uplift at k and the curves of one ranking."""
    t = treated.astype(int)
    k, q = um.qini_curve(y, score, t)
    ku, u = um.uplift_curve(y, score, t)
    pk, pq = um.perfect_qini_curve(y, t)
    return {
        "qini": um.qini_coefficient(y, score, t),
        "qini_gain": um.qini_coefficient(y, score, t, normalization="gain"),
        "qini_raw": um.qini_coefficient(y, score, t, normalization="none"),
        "auuc": um.auuc(y, score, t),
        "uplift_at": {f"{int(a * 100)}": um.uplift_at_k(y, score, t, a) for a in TOP_K},
        "qini_curve": um.curve_points(k, q) | {"perfect": um.curve_points(pk, pq)["value"]},
        "uplift_curve": um.curve_points(ku, u),
    }


def caused_share(
    y: np.ndarray[Any, Any], treated: np.ndarray[Any, Any], score: np.ndarray[Any, Any], k: float
) -> float:
    """Of the treated responders in the top k by ``score``, the share the contact caused:
    (treated rate − control rate) / treated rate among those rows (NaN if undefined)."""
    top = np.argsort(-score, kind="mergesort")[: max(int(np.ceil(k * len(y))), 1)]
    yt, tt = y[top], treated[top]
    if not tt.any() or tt.all() or yt[tt].mean() == 0:
        return float("nan")
    return float((yt[tt].mean() - yt[~tt].mean()) / yt[tt].mean())


def _clean(value: Any) -> Any:
    """JSON-safe: NaN → None, numpy scalars → Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    return value


def fit_uplift(
    session: Session,
    *,
    as_of: date,
    now: datetime,
    staff_id: int | None = None,
    base: str = "logistic",
    test_size: float = 0.3,
    seed: int = 0,
    learner: str = DEFAULT_LEARNER,
    progress: Progress | None = None,
) -> UpliftFit:
    """Fit every learner, compare them on the hold-out, register ``learner`` (one of
    ``LEARNERS``, or "best": the better hold-out Qini) refitted on all rows (flushes only)."""
    from loanpilot.products import marketing_models

    if learner not in (*LEARNERS, "best"):
        raise ValidationError(
            "uplift.learner",
            f"learner must be one of {(*LEARNERS, 'best')}, got {learner!r}",
            [FieldProblem("learner", f"unknown learner {learner!r}")],
        )
    data = uplift_data(session, as_of, progress)
    strata = np.char.add(np.char.add(data.labels.astype(str), "|"), data.y.astype(str))
    counts = pd.Series(strata).value_counts()
    problems = [
        FieldProblem("arm", f"arm {label!r} has {n} row(s); every arm needs {MIN_ROWS}")
        for label, n in pd.Series(data.labels).value_counts().items()
        if n < MIN_ROWS
    ]
    if problems:
        raise ValidationError("uplift.too_few_rows", "too few experiment rows to fit", problems)
    # a stratum of one row cannot be split: such rows join the largest stratum
    stratify = np.where(pd.Series(strata).map(counts).to_numpy() >= 2, strata, counts.index[0])
    train, test = train_test_split(
        np.arange(len(data.y)), test_size=test_size, stratify=stratify, random_state=seed
    )
    learners: dict[str, Any] = {}
    best, best_qini = LEARNERS[0], -np.inf
    for i, name in enumerate(LEARNERS, 1):
        fitted = _fit(make_learner(name, base, seed), data, train)
        score = own_arm_scores(fitted, data.X.iloc[test], data.arm[test].tolist())
        result = score_metrics(data.y[test], data.treated[test], score)
        result["caused_share"] = {
            f"{int(k * 100)}": caused_share(data.y[test], data.treated[test], score, k)
            for k in TOP_K
        }
        if isinstance(fitted, TwoModelUplift):
            response = fitted.predict_response(data.X.iloc[test])
            col = np.maximum(arm_column(fitted, data.arm[test]), 0)
            by_response = response[np.arange(len(col)), col]
            result["response_targeting"] = {
                "caused_share": {
                    f"{int(k * 100)}": caused_share(
                        data.y[test], data.treated[test], by_response, k
                    )
                    for k in TOP_K
                },
                "qini": um.qini_coefficient(data.y[test], by_response, data.treated[test]),
            }
        learners[name] = result
        if np.nan_to_num(result["qini"], nan=-np.inf) > best_qini:
            best, best_qini = name, float(np.nan_to_num(result["qini"], nan=-np.inf))
        if progress is not None:
            progress("learners", i, len(LEARNERS))
    chosen = best if learner == "best" else learner
    final = _fit(make_learner(chosen, base, seed), data, np.arange(len(data.y)))
    metrics = _clean(
        {
            "chosen": chosen,
            "choice": "the better hold-out Qini" if learner == "best" else "named",
            "best_qini": best,
            "base": base,
            "as_of": as_of.isoformat(),
            "rows": len(data.y),
            "train_rows": len(train),
            "test_rows": len(test),
            "treated_rows": int(data.treated.sum()),
            "arms": sorted(set(data.arm.tolist())),
            "campaigns": len(set(data.campaign.tolist())),
            "learners": learners,
        }
    )
    artefact = {
        "learner": final.to_dict(),
        "features": list(FEATURES),
        "as_of": as_of.isoformat(),
        "context": "features as of the eve of each campaign; product_type and channel = the offer",
    }
    model = marketing_models.register(
        session,
        kind="uplift",
        name=MODEL_NAME,
        target=TARGET,
        artefact=artefact,
        metrics=metrics,
        data_sha256=data.sha256,
        now=now,
        staff_id=staff_id,
        activate=True,
    )
    return UpliftFit(model, metrics)


def active_learner(
    session: Session,
) -> tuple[MarketingModel, TwoModelUplift | ClassTransformationUplift]:
    """The active ``contact-uplift`` model and its learner; NotFoundError if none was fitted."""
    from loanpilot.products import marketing_models

    model = marketing_models.active(session, MODEL_NAME)
    if model is None:
        raise NotFoundError(
            "uplift.no_model",
            f"no active uplift model {MODEL_NAME!r}: run `loanpilot uplift fit` first",
        )
    return model, uplift_model_from_dict(model.artefact["learner"])


def option_frame(
    features: pd.DataFrame,
    customer_ids: Sequence[int],
    product_types: Sequence[str],
    channels: Sequence[str],
) -> pd.DataFrame:
    """Model rows for (customer, product type, channel) options from a ``marketing_frame``."""
    ids = np.asarray(customer_ids, dtype=np.int64)
    missing = sorted(set(ids.tolist()) - set(features.index.tolist()))
    if missing:
        raise NotFoundError("uplift.unknown_customer", f"no such customer(s): {missing[:10]}")
    x = features.loc[ids, list(NUMERIC_FEATURES + CATEGORICAL_FEATURES + FLAG_FEATURES)]
    x = x.reset_index(drop=True)
    x["product_type"] = np.asarray(product_types, dtype=object).astype(str)
    x["channel"] = np.asarray(channels, dtype=object).astype(str)
    return with_crosses(x)


def with_crosses(x: pd.DataFrame) -> pd.DataFrame:
    """``x`` with the ``CROSS_FEATURES`` columns (category "*" product type)."""
    ptype = x["product_type"].astype(str)
    crosses = {f"{c}*product_type": x[c].astype(str) + "*" + ptype for c in CATEGORICAL_FEATURES}
    return x.assign(**crosses)


def predict_uplift(
    session: Session,
    customer_ids: Sequence[int],
    product_types: Sequence[str],
    channels: Sequence[str],
    as_of: date,
) -> np.ndarray[Any, Any]:
    """The active model's uplift of each option (elementwise: customer i offered product type i
    through channel i), NaN where the model has no arm for that channel."""
    n = len(customer_ids)
    if not (len(product_types) == len(channels) == n):
        raise ValidationError(
            "uplift.lengths",
            "customer_ids, product_types and channels must have the same length, got "
            f"{n}, {len(product_types)}, {len(channels)}",
        )
    if n == 0:
        return np.zeros(0)
    _, learner = active_learner(session)
    features = marketing_frame(session, as_of, sorted(set(map(int, customer_ids))))
    x = option_frame(features, customer_ids, product_types, channels)
    uplift = learner.predict_uplift(x)
    col = arm_column(learner, [str(c) for c in channels])
    picked = uplift[np.arange(n), np.maximum(col, 0)] if uplift.shape[1] else np.zeros(n)
    return np.where(col >= 0, picked, np.nan)


def evaluate_active(session: Session, as_of: date, since: date | None = None) -> dict[str, Any]:
    """The active model on the experiments that started from ``since`` (default: its training
    date, i.e. out of time) up to ``as_of``; the stored hold-out figures if there are none."""
    model, learner = active_learner(session)
    trained = date.fromisoformat(str(model.artefact.get("as_of", as_of.isoformat())))
    start = since or trained
    data = uplift_data(session, as_of)
    keep = np.isin(data.campaign, _campaigns_since(session, as_of, start))
    out: dict[str, Any] = {"model": f"{model.name}@{model.version}", "since": start.isoformat()}
    if keep.sum() < MIN_ROWS or data.treated[keep].all() or not data.treated[keep].any():
        return out | {"rows": int(keep.sum()), "holdout": model.metrics}
    score = own_arm_scores(learner, data.X[keep], data.arm[keep].tolist())
    result = score_metrics(data.y[keep], data.treated[keep], score)
    cleaned: dict[str, Any] = _clean(out | {"rows": int(keep.sum()), "metrics": result})
    return cleaned


def _campaigns_since(session: Session, as_of: date, since: date) -> list[int]:
    targets = repo.experiment_targets(session, as_of)
    return sorted(set(targets.loc[targets["starts_on"] >= since, "campaign_id"].tolist()))
