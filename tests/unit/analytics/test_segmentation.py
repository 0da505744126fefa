# ruff: noqa: N806  (scikit-learn's X and Z)
"""SegmentClusterer: scaling known answers, choosing k, the JSON artefact, parameter errors."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loanpilot.analytics.segmentation import SegmentClusterer


def blobs(n_per: int = 200, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """Three well-separated groups in two numeric features and one categorical."""
    rng = np.random.default_rng(seed)
    centres = [(0.0, 0.0, "a"), (10.0, 0.0, "b"), (0.0, 10.0, "c")]
    parts, truth = [], []
    for g, (x, y, cat) in enumerate(centres):
        parts.append(pd.DataFrame({
            "x": rng.normal(x, 0.5, n_per), "y": rng.normal(y, 0.5, n_per), "kind": cat,
        }))  # fmt: skip
        truth += [g] * n_per
    return pd.concat(parts, ignore_index=True), np.array(truth)


def test_auto_k_finds_the_three_groups_and_labels_them_by_size() -> None:
    X, truth = blobs()
    X = pd.concat([X, X.iloc[:100]], ignore_index=True)  # group 0 is now the largest
    truth = np.concatenate([truth, truth[:100]])
    model = SegmentClusterer(k_range=(2, 6), random_state=0).fit(X)
    assert model.k_ == 3
    assert set(model.k_scores_) == {2, 3, 4, 5, 6}
    assert model.k_scores_[3]["silhouette"] == max(
        s["silhouette"] for s in model.k_scores_.values()
    )
    labels = model.predict(X)
    for g in range(3):  # each true group is one cluster
        assert len(set(labels[truth == g])) == 1
    assert model.sizes_ == [300, 200, 200]
    assert labels[0] == 0  # the largest group is cluster 0


def test_min_share_excludes_a_k_with_a_tiny_cluster() -> None:
    X, _ = blobs(n_per=200)
    outliers = pd.DataFrame({"x": [50.0, 51.0, 50.5], "y": [50.0, 50.5, 51.0], "kind": "a"})
    X = pd.concat([X, outliers], ignore_index=True)
    free = SegmentClusterer(k_range=(3, 4), min_share=0.0, clip=0.0).fit(X)
    strict = SegmentClusterer(k_range=(3, 4), min_share=0.05, clip=0.0).fit(X)
    assert free.k_scores_[4]["min_share"] < 0.05
    assert strict.k_scores_[4]["eligible"] == 0.0
    assert strict.k_ == 3


def test_scaling_known_answers() -> None:
    X = pd.DataFrame({
        "money": [0.0, math.e - 1, math.e**2 - 1, np.nan, -5.0] * 4,
        "kind": ["a", "a", "b", "b", "a"] * 4,
    })  # fmt: skip
    model = SegmentClusterer(log_features=["money"], k=2, clip=0.0).fit(X)
    # log1p: 0, 1, 2, (missing → median), max(-5, 0) → 0; median of [0, 1, 2, 0] is 0.5
    assert model.medians_[0] == pytest.approx(0.5)
    filled = np.array([0.0, 1.0, 2.0, 0.5, 0.0])
    Z = model.transform(X.iloc[:5])
    assert Z[:, 0] == pytest.approx((filled - filled.mean()) / filled.std())
    # kind: shares 0.6 / 0.4 → weight 1 / sqrt(1 - 0.36 - 0.16)
    weight = 1 / math.sqrt(1 - 0.6**2 - 0.4**2)
    assert model.category_weights_["kind"] == pytest.approx(weight)
    assert Z[0, 1:] == pytest.approx([weight, 0.0])
    # the categorical block has total variance 1, like one standardised numeric feature
    full = model.transform(X)
    assert full[:, 1:].var(axis=0).sum() == pytest.approx(1.0)
    assert full[:, 0].var() == pytest.approx(1.0)


def test_clipping_keeps_an_outlier_from_pulling_the_scale() -> None:
    X = pd.DataFrame({"v": np.r_[np.arange(99.0), 1e9]})
    model = SegmentClusterer(k=2, clip=0.05).fit(X)
    assert model.upper_[0] == pytest.approx(np.quantile(np.r_[np.arange(99.0), 1e9], 0.95))
    assert model.transform(pd.DataFrame({"v": [1e12]}))[0, 0] == pytest.approx(
        model.transform(pd.DataFrame({"v": [model.upper_[0]]}))[0, 0]
    )


def test_json_artefact_round_trip_predicts_the_same() -> None:
    X, _ = blobs()
    model = SegmentClusterer(k="auto", k_range=(2, 4)).fit(X)
    again = SegmentClusterer.from_dict(json.loads(json.dumps(model.to_dict())))
    assert (again.predict(X) == model.predict(X)).all()
    assert again.k_ == model.k_
    assert again.k_scores_ == model.k_scores_
    for a, b in zip(again.contrasts_, model.contrasts_, strict=True):
        assert a == pytest.approx(b)


def test_unseen_category_and_rare_categories_fall_in_other() -> None:
    X = pd.DataFrame(
        {"v": np.arange(40.0), "c": ["a"] * 20 + ["b"] * 15 + ["c", "d", "e", "f", "g"]}
    )
    model = SegmentClusterer(k=2, max_categories=2).fit(X)
    assert model.categories_["c"] == ["a", "b", "other"]
    Z = model.transform(pd.DataFrame({"v": [1.0], "c": ["zzz"]}))
    assert Z[0, 3] == pytest.approx(model.category_weights_["c"])


def test_contrasts_describe_clusters_against_the_population() -> None:
    X, _ = blobs()
    model = SegmentClusterer(k=3).fit(X)
    for centre, contrast in zip(model.cluster_centers_, model.contrasts_, strict=True):
        assert contrast["x"] == pytest.approx(centre[0])
        assert sum(v for k, v in contrast.items() if k.startswith("kind=")) == pytest.approx(
            0.0, abs=1e-9
        )
    assert max(contrast["kind=a"] for contrast in model.contrasts_) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"k": 1}, "k must be 'auto' or an integer in [2, 100]; got 1"),
        ({"k": "many"}, "k must be"),
        ({"k_range": (5, 3)}, "k_range must be"),
        ({"min_share": 0.9}, "min_share must be a number in [0, 0.5]; got 0.9"),
        ({"clip": -1.0}, "clip must be"),
        ({"n_init": 0}, "n_init must be"),
    ],
)
def test_parameter_errors_name_parameter_allowed_and_given(
    params: dict[str, object], word: str
) -> None:
    X, _ = blobs()
    with pytest.raises((ValueError, TypeError), match=re.escape(word)):
        SegmentClusterer(**params).fit(X)  # type: ignore[arg-type]


def test_input_errors() -> None:
    with pytest.raises(TypeError, match="DataFrame"):
        SegmentClusterer().fit(np.zeros((20, 2)))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lacks the column"):
        SegmentClusterer(numeric=["nope"]).fit(pd.DataFrame({"v": np.arange(20.0)}))
    with pytest.raises(ValueError, match="all missing"):
        SegmentClusterer(k=2).fit(pd.DataFrame({"v": [np.nan] * 20, "w": np.arange(20.0)}))
    with pytest.raises(ValueError, match="not fitted"):
        SegmentClusterer().predict(pd.DataFrame({"v": [1.0]}))


@settings(max_examples=25, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.floats(-1e6, 1e6), st.sampled_from("pqr")), min_size=12, max_size=60
    ),
    k=st.integers(2, 4),
)
def test_every_row_goes_to_its_nearest_centre(data: list[tuple[float, str]], k: int) -> None:
    X = pd.DataFrame(data, columns=["v", "c"])
    model = SegmentClusterer(k=k, n_init=1).fit(X)
    Z = model.transform(X)
    labels = model.predict(X)
    d = ((Z[:, None, :] - model.cluster_centers_[None, :, :]) ** 2).sum(axis=2)
    assert (d[np.arange(len(Z)), labels] <= d.min(axis=1) + 1e-9).all()
    assert labels.min() >= 0
    assert labels.max() < model.k_
