"""The HTML model report of a fitted scorecard (``loanpilot scorecard report``; issue 4, item 2).

``build_report(card, artefact, X, y)`` returns one complete, self-contained HTML page: no script,
no stylesheet, font or image to fetch, and a ``Content-Security-Policy`` of ``default-src 'none'``
that says so. Charts are inline SVG whose geometry is computed in Python
(``risk.scorecard_report_charts.Chart``) and drawn by one macro of the template
(``risk/templates/scorecard_report.html.j2``), so the page opens offline, prints well and passes a
strict CSP. Jinja2's
autoescape is on and nothing is marked safe: every string from the data or the artefact (column
names, categories, reasons) is escaped.

Sections: 1 summary (model, training sample, scaling, AUC / Gini / KS on the data given, rows and
fallbacks scored, grade distribution); 2 charts (ROC, KS, score distribution of goods and bads,
calibration by grade with its binomial test, gains and lift by decile); 3 stability (score PSI
against ``baseline``, per-variable CSI of the card's bins against the artefact's training counts);
4 variables (the bins of every kept variable, the IV of every candidate with the reason each
dropped one was dropped, warnings); 5 the points table and the coefficients; 6 a challenger's
figures (e.g. a LightGBM PD model's ``{"auc": .., "ks": ..}``) beside the scorecard's.

Scores are points (higher = safer): metrics are called with ``higher_is_riskier=False``. With
``y=None`` (data without outcomes) only what needs no outcome is shown, and the page says so.
Labels are Chinese by default, English with ``lang="en"`` (``risk.scorecard_report_text``);
numbers are formatted by the template's filters (``whole`` 1,234; ``num`` 0.7812; ``signed``
+0.0123; ``pct`` 7.43%; ``pval``), a missing figure as a dash.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import numpy.typing as npt
import pandas as pd

from loanpilot.analytics import metrics, stability
from loanpilot.analytics.binning import NumericBinner
from loanpilot.analytics.binning_categorical import CategoricalBinner
from loanpilot.analytics.scorecard import Scorecard
from loanpilot.analytics.scorecard_export import points_table
from loanpilot.analytics.scorecard_kernel import ScoreResult
from loanpilot.analytics.scorecard_vars import CategoricalVar
from loanpilot.risk.scorecard_report_charts import (
    BAD,
    NEUTRAL,
    bar_chart,
    num_label,
    report_charts,
)
from loanpilot.risk.scorecard_report_text import Text

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE = "scorecard_report.html.j2"
MAX_CATEGORIES_SHOWN = 12
IV_STRENGTH = ((0.02, "iv_useless"), (0.1, "iv_weak"), (0.3, "iv_medium"), (0.5, "iv_strong"))


def build_report(
    card: Scorecard,
    artefact: Mapping[str, Any],
    X: pd.DataFrame,  # noqa: N803 - scikit-learn's X
    y: npt.ArrayLike | None,
    *,
    lang: str = "zh",
    title: str | None = None,
    baseline: tuple[pd.DataFrame, npt.ArrayLike | None] | None = None,
    challenger: Mapping[str, float] | None = None,
) -> str:
    """The report of ``card`` on ``X`` (and outcomes ``y``, 1 = bad, or None) as an HTML page."""
    t = Text(lang)
    if not hasattr(card, "card_"):
        raise ValueError("card is not fitted; fit it or load it from its artefact first")
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame; got {type(X).__name__}")
    if len(X) == 0:
        raise ValueError("X has no rows: there is nothing to report on")
    yv = _outcome(y, len(X), "y")
    result = card.card_.score(X)
    disc = _discrimination(yv, result.score)
    calibration = _calibration(card, result, yv)
    gains = None if yv is None or disc is None else _gains(yv, result.score)
    base_result: ScoreResult | None = None
    base_disc = None
    if baseline is not None:
        bx, by = baseline
        if not isinstance(bx, pd.DataFrame) or len(bx) == 0:
            raise ValueError("baseline must be (a DataFrame with at least one row, its y or None)")
        base_result = card.card_.score(bx)
        base_disc = _discrimination(_outcome(by, len(bx), "baseline y"), base_result.score)
    model = dict(artefact.get("model") or {})
    name = f"{model.get('name', '?')}@{model.get('version', '?')}"
    csi_rows, now_counts = _csi(card, artefact, result, t)
    ks = None if disc is None else (disc["ks"], disc["ks_at"])
    context: dict[str, Any] = {
        "t": t,
        "lang": t.html_lang,
        "title": title or f"{t('report')} · {name}",
        "model_name": name,
        "summary": _summary(card, artefact, len(X), yv, t),
        "disc": disc,
        "base": base_disc,
        "outcome": "none" if yv is None else ("single" if disc is None else "both"),
        "fallbacks": _fallbacks(result, len(X)),
        "grades": _grades(card, result, yv),
        "charts": report_charts(result.score, yv, t, ks=ks, calibration=calibration, gains=gains),
        "calibration": calibration,
        "gains": gains,
        "score_psi": None if base_result is None else _score_psi(base_result, result, t),
        "csi": csi_rows,
        "variables": [_variable(card, j, now_counts[j], t) for j in range(len(card.variables_))],
        "iv_rows": _iv_rows(card, t),
        "warnings": list(card.warnings_),
        "points": _points(card, t),
        "coefs": _coefs(card),
        "intercept": card.intercept_,
        "challenger": None if challenger is None else _challenger(challenger, disc, artefact),
    }
    return _template().render(**context)


# --------------------------------------------------------------------------- inputs and metrics


def _outcome(y: npt.ArrayLike | None, n: int, name: str) -> IntArray | None:
    if y is None:
        return None
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.size != n:
        raise ValueError(f"{name} must be 1-D with one value per row ({n}); got shape {arr.shape}")
    if arr.dtype.kind not in "biuf" or not np.isin(arr, (0, 1)).all():
        raise ValueError(f"{name} must hold only 0 (good) and 1 (bad)")
    return arr.astype(np.int64)


def _discrimination(y: IntArray | None, score: FloatArray) -> dict[str, Any] | None:
    if y is None or y.min() == y.max():
        return None
    auc = metrics.auc(y, score, higher_is_riskier=False)
    ks = metrics.ks(y, score, higher_is_riskier=False)
    return {
        "rows": int(y.size),
        "bads": int(y.sum()),
        "bad_rate": float(y.mean()),
        "auc": auc,
        "gini": 2.0 * auc - 1.0,
        "ks": ks.statistic,
        "ks_at": ks.threshold,
    }


def _summary(
    card: Scorecard, artefact: Mapping[str, Any], n: int, y: IntArray | None, t: Text
) -> dict[str, Any]:
    training = dict(artefact.get("training") or {})
    rows, bads = int(training.get("rows", card.n_rows_)), int(training.get("bads", card.n_bad_))
    return {
        "trained_at": str(training.get("trained_at", "—")),
        "data_hash": str(training.get("data_sha256", "—"))[:12],
        "train_rows": rows,
        "train_bads": bads,
        "train_bad_rate": bads / rows if rows else None,
        "variables": list(card.variables_),
        "scaling": t("scaling_value").format(
            p=num_label(card.base_points), o=num_label(card.base_odds), d=num_label(card.pdo)
        ),
        "rows": n,
        "bads": None if y is None else int(y.sum()),
    }


def _fallbacks(result: ScoreResult, n: int) -> list[dict[str, Any]]:
    return [
        {
            "name": v,
            "missing": result.missing_counts[v],
            "unseen": result.unseen_counts[v],
            "out_of_range": result.out_of_range_counts[v],
            "share": (
                result.missing_counts[v] + result.unseen_counts[v] + result.out_of_range_counts[v]
            )
            / n,
        }
        for v in result.variables
    ]


def _grades(card: Scorecard, result: ScoreResult, y: IntArray | None) -> list[dict[str, Any]]:
    scale = card.grades_
    grade = scale.of(result.score)
    rows = []
    for g, max_pd, low in zip(scale.names, scale.max_pd, scale.min_scores, strict=True):
        hit = grade == g
        count = int(hit.sum())
        rows.append(
            {
                "grade": g,
                "min_score": None if math.isinf(low) else low,
                "max_pd": max_pd,
                "count": count,
                "share": count / grade.size,
                "bad_rate": None if y is None or not count else float(y[hit].mean()),
            }
        )
    return rows


def _calibration(
    card: Scorecard, result: ScoreResult, y: IntArray | None
) -> list[dict[str, Any]] | None:
    if y is None:
        return None
    grade = pd.Categorical(card.grades_.of(result.score), categories=list(card.grades_.names))
    return _records(metrics.calibration_by_grade(y, result.pd, grade))


def _gains(y: IntArray, score: FloatArray) -> list[dict[str, Any]]:
    n_bins = min(10, int(y.size))
    return _records(metrics.gains_table(y, score, n_bins, higher_is_riskier=False))


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in table.to_dict("records")]


# --------------------------------------------------------------------------- stability


def _band(value: float, t: Text) -> dict[str, Any]:
    band = stability.psi_band(value)
    return {"value": value, "band": band, "text": t("band_" + band)}


def _score_psi(base: ScoreResult, now: ScoreResult, t: Text) -> dict[str, Any]:
    res = stability.psi(base.score, now.score, bins=10)
    rows = [
        {
            "label": _interval(float(r["lower"]), float(r["upper"]), 1),
            "expected": r["expected_share"],
            "actual": r["actual_share"],
            "psi": r["psi"],
        }
        for r in _records(res.table)
    ]
    chart = bar_chart(
        t("psi_chart"),
        t("score"),
        t("share"),
        [r["label"] for r in rows],
        [
            (t("baseline"), NEUTRAL, [float(r["expected"]) for r in rows]),
            (t("this_data"), BAD, [float(r["actual"]) for r in rows]),
        ],
        label_every=2,
    )
    return {**_band(res.value, t), "rows": rows, "chart": chart}


def _training_counts(card: Scorecard, artefact: Mapping[str, Any], name: str) -> IntArray:
    stored = dict(artefact.get("variables") or {}).get(name)
    counts = card.binners_[name].counts_ if stored is None else stored["counts"]
    return np.asarray(counts, dtype=np.int64).reshape(-1, 3)[:, 0]


def _csi(
    card: Scorecard, artefact: Mapping[str, Any], result: ScoreResult, t: Text
) -> tuple[list[dict[str, Any]], list[IntArray]]:
    """CSI of each card variable: the artefact's training counts per bin against this data's
    (a categorical variable gets one more bin, unseen categories, empty in training)."""
    rows, now = [], []
    for j, var in enumerate(card.card_.variables):
        train = _training_counts(card, artefact, var.name)
        size = train.size + (1 if isinstance(var, CategoricalVar) else 0)
        actual = np.bincount(result.bins[:, j].astype(np.int64), minlength=size)
        expected = np.r_[train, np.zeros(actual.size - train.size, dtype=np.int64)]
        now.append(actual)
        value = stability.psi_from_counts(expected, actual)
        kind = "categorical" if isinstance(var, CategoricalVar) else "numeric"
        rows.append(
            {"name": var.name, "kind": t(kind), "bins": int(actual.size), **_band(value, t)}
        )
    rows.sort(key=lambda r: (-r["value"], r["name"]))
    return rows, now


# --------------------------------------------------------------------------- variables


def _interval(lower: float, upper: float, decimals: int | None = None) -> str:
    """``[a, b)`` with infinite ends as ``(-∞`` / ``+∞)``; a missing bin (NaN bounds) is ``—``."""
    if math.isnan(lower):
        return "—"

    def fmt(v: float) -> str:
        return num_label(v) if decimals is None else f"{v:.{decimals}f}"

    left = "(-∞" if math.isinf(lower) else "[" + fmt(lower)
    right = "+∞)" if math.isinf(upper) else fmt(upper) + ")"
    return f"{left}, {right}"


def _bin_labels(binner: NumericBinner | CategoricalBinner, t: Text) -> list[tuple[str, str]]:
    """(label, full text) of each bin, the missing bin last."""
    if isinstance(binner, NumericBinner):
        bounds = [-math.inf, *binner.edges_.tolist(), math.inf]
        labels = [(_interval(a, b), "") for a, b in itertools.pairwise(bounds)]
    else:
        labels = []
        for g, group in enumerate(binner.groups_):
            cats = [t("other") if c == binner.other_label else c for c in group]
            shown = cats[:MAX_CATEGORIES_SHOWN]
            more = len(cats) - len(shown)
            text = ", ".join(shown) + (f" … (+{more})" if more else "")
            if g == binner.fallback_bin_:
                text += f" ({t('fallback_bin')})"
            labels.append((text, ", ".join(cats) if more else ""))
    return [*labels, (t("missing"), "")]


def _strength(iv: float | None, t: Text) -> str:
    if iv is None:
        return "—"
    return next((t(key) for bound, key in IV_STRENGTH if iv < bound), t("iv_suspicious"))


def _variable(card: Scorecard, j: int, now: IntArray, t: Text) -> dict[str, Any]:
    var = card.card_.variables[j]
    binner = card.binners_[var.name]
    counts = binner.counts_
    total = int(counts[:, 0].sum())
    points = [*var.points.tolist(), var.missing_points]
    rows = [
        {
            "label": label,
            "full": full,
            "count": int(counts[i, 0]),
            "share": counts[i, 0] / total,
            "bad_rate": float(binner.event_rate_[i]) if counts[i, 0] else None,
            "woe": float(binner.woe_[i]),
            "iv": float(binner.iv_bins_[i]),
            "points": points[i],
            "now": now[i] / now.sum(),
        }
        for i, (label, full) in enumerate(_bin_labels(binner, t))
    ]
    if isinstance(var, CategoricalVar):
        rows.append(
            {"label": t("unseen"), "full": "", "count": None, "points": var.unseen_points}
            | {"share": None, "bad_rate": None, "woe": None, "iv": None, "now": now[-1] / now.sum()}
        )
    return {
        "name": var.name,
        "kind": t(card.kinds_[var.name]),
        "iv": binner.iv_,
        "strength": _strength(binner.iv_, t),
        "coef": card.coef_[var.name],
        "manual": bool(getattr(binner, "manual_", False)),
        "rows": rows,
    }


def _iv_rows(card: Scorecard, t: Text) -> list[dict[str, Any]]:
    names = [*card.iv_, *(n for n in card.dropped_ if n not in card.iv_)]
    rows: list[dict[str, Any]] = [
        {
            "name": n,
            "kind": t(card.kinds_[n]) if n in card.kinds_ else "—",
            "iv": card.iv_.get(n),
            "strength": _strength(card.iv_.get(n), t),
            "kept": n in card.variables_,
            "reason": card.dropped_.get(n, ""),
        }
        for n in names
    ]
    rows.sort(key=lambda r: (r["iv"] is None, -(r["iv"] or 0.0)))
    return rows


def _points(card: Scorecard, t: Text) -> list[dict[str, Any]]:
    special = {"missing": t("missing"), "unseen": t("unseen"), "all rows": t("all_rows")}
    table = points_table(card.card_)
    kinds = {"numeric": t("numeric"), "categorical": t("categorical")}
    return [
        {
            **r,
            "kind": kinds.get(str(r["kind"]), str(r["kind"])),
            "label": special.get(str(r["label"]), str(r["label"])),
        }
        for r in _records(table)
    ]


def _coefs(card: Scorecard) -> list[dict[str, Any]]:
    out = []
    for var in card.card_.variables:
        pts = np.r_[var.points, var.missing_points]
        out.append(
            {
                "name": var.name,
                "coef": card.coef_[var.name],
                "iv": card.iv_[var.name],
                "min": float(pts.min()),
                "max": float(pts.max()),
            }
        )
    return out


def _challenger(
    figures: Mapping[str, float], disc: Mapping[str, Any] | None, artefact: Mapping[str, Any]
) -> dict[str, Any]:
    """The challenger's figures beside the scorecard's on this data and, when the artefact
    records them, on its hold-out (where a challenger fitted with it was measured). The
    difference uses the hold-out figure when there is one, else this data's."""
    known = ("auc", "gini", "ks")
    ours = {} if disc is None else {k: disc[k] for k in known}
    stored = dict(artefact.get("metrics") or {}).get("holdout")
    held = {k: float(v) for k, v in dict(stored or {}).items() if k in known}
    rows = []
    for key, value in figures.items():
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise ValueError(f"challenger[{key!r}] must be a number; got {value!r}")
        k = str(key).lower()
        mine, mine_held = ours.get(k), held.get(k)
        ref = mine_held if mine_held is not None else mine
        rows.append(
            {
                "metric": {"auc": "AUC", "gini": "Gini", "ks": "KS"}.get(k, str(key)),
                "ours": mine,
                "held": mine_held,
                "theirs": float(value),
                "diff": None if ref is None else ref - float(value),
            }
        )
    return {"rows": rows, "has_holdout": bool(held)}


# --------------------------------------------------------------------------- rendering


def _dash(fn: Callable[..., str]) -> Callable[..., str]:
    """A number format that shows None, NaN and infinity as a dash."""

    def wrapped(value: Any, *args: Any) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "—"
        return str(fn(value, *args))

    return wrapped


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["whole"] = _dash(lambda v: f"{int(v):,}")
    env.filters["num"] = _dash(lambda v, d=2: f"{float(v):,.{d}f}")
    env.filters["signed"] = _dash(lambda v, d=4: f"{float(v):+,.{d}f}")
    env.filters["pct"] = _dash(lambda v, d=2: f"{100.0 * float(v):.{d}f}%")
    env.filters["pval"] = _dash(lambda v: "< 0.0001" if v < 1e-4 else f"{float(v):.4f}")
    return env.get_template(TEMPLATE)
