"""Benchmark: scoring with one fitted 20-variable card through OptBinning, LoanPilot and bare numpy.

    .venv/bin/python bench/scoring.py                 # 1,000,000 rows scored, 100,000 to fit
    .venv/bin/python bench/scoring.py --quick         # smoke run (50,000 / 20,000 rows)
    .venv/bin/python bench/scoring.py --pandas 2      # both sides on pandas 2 (throwaway venvs)
    .venv/bin/python bench/scoring.py --rows 2000000 --json /tmp/scoring.json
    PYTHONPATH=/tmp/patched/src .venv/bin/python bench/scoring.py   # try a patched kernel

What one run does (issue 4, "Figures"):

1. Generates a seeded synthetic training set (``--train-rows``, 14 numeric + 6 categorical
   columns, some missing, a logistic bad flag) with numpy.
2. In the peers' venv (``bench/peers.py``): fits ``optbinning.Scorecard`` (``BinningProcess`` with
   default settings, ``LogisticRegression()``, 600 points at odds 50, PDO 20; best of
   ``--fit-repeat`` fits) and exports that
   fitted card as JSON: split points (``BinningProcess.get_binned_variable(name).splits``), the
   category groups and the points of every bin from ``Scorecard.table(style="detailed")``.
3. Generates the scoring set (``--rows``) from the same model with a fresh seed, plus a few exact
   split values (to test the bin-boundary side), a few categories never seen in training, and
   missing values. OptBinning scores it with ``Scorecard.score`` (best of ``--repeat``), and scores
   single applicants (1-row DataFrames); peak RSS of that process.
4. In a fresh child of our venv: builds a ``CompiledCard`` (``NumericVar`` / ``CategoricalVar``)
   from the JSON with identical points, scores the same rows with ``CompiledCard.score`` and with
   a hand-written bare numpy lookup of the same card (per variable one ``np.searchsorted`` into
   the edges, or one hash lookup of the category, then ``take`` of the points, summed); compares
   every score with OptBinning's bit for bit; scores one applicant (a dict of scalars) 20,000
   times for p50/p95/p99 and checks that one row scores exactly as in the batch; peak RSS.
5. In another fresh child: fits ``loanpilot.analytics.scorecard.Scorecard()`` on the same
   training rows for the fit-time comparison (best of ``--fit-repeat``; skipped with a message
   when it cannot be imported), and its AUC on the scoring rows beside the OptBinning card's.

Timing: batch calls of ours and of the bare lookup alternate (so both see the same machine load),
each call after the previous result was dropped; the best of ``--repeat`` is reported. Peak RSS
is ``ru_maxrss`` of the scoring process after its first batch call, shown beside the RSS with the
frame loaded (the difference is what scoring itself holds: for us mostly the n x 20 float64
points matrix of ``ScoreResult``, kept for reason codes).

Why our scores equal OptBinning's bit for bit, and the conventions that had to agree:

* Numeric bins. OptBinning assigns ``np.digitize(x, splits, right=False)``, i.e. bin i holds
  ``splits[i-1] <= x < splits[i]`` ([lo, hi)); our kernel uses ``searchsorted(edges, x,
  side="right")``, the same [lo, hi) convention, so ``edges = splits`` with no conversion. The
  scoring set contains values equal to split points to prove it.
* Missing. OptBinning's ``score`` uses ``metric_missing="empirical"``: NaN/None scores the points of
  the table's "Missing" row; the card's ``missing_points`` is that row. (The "Special" row is
  unused: no special codes.)
* Unseen categories. ``Scorecard.score`` transforms with ``metric="indices"``, an unseen category
  gets index -1, and ``points[-1]`` is the "Missing" row: OptBinning scores an unseen category
  exactly like a missing one. The card built here sets ``unseen_points`` to that value to
  reproduce it (our own ``Scorecard`` chooses differently: see its docstring), and our kernel
  counts them in ``unseen_counts``.
* No rounding: ``rounding=False`` (OptBinning's default), so the points are float64 as fitted and
  travel through JSON exactly (``repr`` round-trips a float64).
* Summation order: OptBinning adds each variable's points to zeros in ``get_support`` order and
  then its ``intercept_`` (0.0 unless ``intercept_based=True``); the card keeps that order with
  ``base = 0.0``. With ``intercept_based=True`` the intercept would be added last by OptBinning and
  first by us, which could differ in the last bit (about 1e-13).

Numbers are printed as a Markdown table at the end (and written with ``--json``). Working files
(data, the pickled OptBinning card, the venvs) live under ``${LOANPILOT_BENCH_DIR:-/tmp/
loanpilot-bench}``, never in the repository.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from peers import bench_dir, ensure_venv, peer_versions, run_peer, run_python

ROOT = Path(__file__).resolve().parent.parent
SEED_TRAIN = 20261201
SEED_SCORE = 20261202

_NUMERIC_NAMES = (
    "age monthly_income debt_to_income history_months open_accounts inquiries_6m utilisation "
    "max_dpd_12m loan_amount term_months years_employed years_at_address savings dependants"
)
NUMERIC: tuple[str, ...] = tuple(_NUMERIC_NAMES.split())
INTEGER = frozenset({"age", "history_months"})  # int64 columns without missing values
CATEGORICAL: dict[str, tuple[str, ...]] = {
    name: tuple(labels.split())
    for name, labels in {
        "occupation": "civil_servant teacher doctor engineer clerk sales worker driver farmer "
        "self_employed student retired",
        "education": "primary secondary vocational bachelor master_plus",
        "marital_status": "single married divorced widowed",
        "housing": "owner_no_mortgage owner_mortgage renter with_family",
        "region": "zhejiang jiangsu shanghai guangdong fujian shandong henan hubei hunan sichuan "
        "anhui jiangxi hebei beijing chongqing",
        "channel": "branch mobile_app online partner_auto partner_ecommerce referral",
    }.items()
}


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.split())


CAT_PROBS: dict[str, tuple[float, ...]] = {
    "occupation": (0.08, 0.08, 0.04, 0.1, 0.14, 0.12, 0.16, 0.07, 0.05, 0.1, 0.03, 0.03),
    "education": (0.08, 0.3, 0.22, 0.32, 0.08),
    "marital_status": (0.35, 0.55, 0.08, 0.02),
    "housing": (0.25, 0.3, 0.3, 0.15),
    "region": _floats("0.12 0.1 0.08 0.12 0.06 0.08 0.07 0.06 0.05 0.07 0.05 0.04 0.04 0.03 0.03"),
    "channel": (0.3, 0.3, 0.15, 0.08, 0.1, 0.07),
}
CAT_EFFECT: dict[str, tuple[float, ...]] = {
    "occupation": (-0.6, -0.5, -0.5, -0.3, 0.0, 0.2, 0.3, 0.35, 0.4, 0.5, 0.7, -0.1),
    "education": (0.4, 0.2, 0.1, -0.2, -0.4),
    "marital_status": (0.1, -0.15, 0.3, 0.2),
    "housing": (-0.4, -0.2, 0.25, 0.1),
    "region": _floats("-0.2 -0.15 -0.3 0.0 -0.05 0.05 0.15 0.1 0.1 0.05 0.12 0.2 0.1 -0.25 0.0"),
    "channel": (-0.2, 0.0, 0.25, 0.1, 0.35, -0.1),
}
MISSING_SHARE = {
    "monthly_income": 0.03,
    "inquiries_6m": 0.05,
    "utilisation": 0.02,
    "years_employed": 0.04,
    "occupation": 0.02,
    "marital_status": 0.01,
}
UNSEEN_SHARE = 0.0005  # scoring set only: categories the card never saw
SPLIT_HIT_SHARE = 0.001  # scoring set only: values exactly on a split point (float columns)
N_DISTINCT_SINGLE = 1000  # distinct applicants cycled through in the one-row timings


# ---------------------------------------------------------------------------------------------
# data (shared by both sides: this file also runs inside the peers' venv)
# ---------------------------------------------------------------------------------------------


def generate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` applicants: numeric matrix (n x 14, float64, NaN = missing), category codes (n x 6,
    int16, -1 = missing) and the bad flag (int8, 1 = bad)."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 71, n).astype(np.float64)
    income = np.round(rng.lognormal(9.0, 0.6, n), 2)
    dti = np.clip(rng.beta(2.0, 5.0, n) * 1.5, 0.0, 1.5)
    history = np.minimum(rng.integers(0, 361, n), (age - 18) * 12).astype(np.float64)
    open_acc = rng.poisson(4.0, n).astype(np.float64)
    inquiries = rng.poisson(1.5, n).astype(np.float64)
    util = rng.uniform(0.0, 1.2, n)
    dpd = np.where(rng.random(n) < 0.85, 0, rng.integers(1, 120, n)).astype(np.float64)
    loan = np.round(rng.lognormal(11.0, 0.7, n), -2)
    term = rng.choice(np.array([6.0, 12.0, 24.0, 36.0, 60.0]), n)
    years_emp = np.round(rng.exponential(5.0, n), 1)
    years_addr = np.round(rng.exponential(7.0, n), 1)
    savings = np.round(np.where(rng.random(n) < 0.3, 0.0, rng.lognormal(10.0, 1.2, n)), 2)
    dependants = rng.poisson(1.0, n).astype(np.float64)
    first = [age, income, dti, history, open_acc, inquiries, util]
    num = np.column_stack([*first, dpd, loan, term, years_emp, years_addr, savings, dependants])
    cat = np.empty((n, len(CATEGORICAL)), dtype=np.int16)
    z = (
        -2.2
        + 0.8 * (age < 25)
        + 0.3 * (age > 60)
        - 0.5 * np.log(income / 8000.0)
        + 1.6 * (dti - 0.4)
        - 0.004 * history
        + 0.06 * open_acc
        + 0.25 * inquiries
        + 1.2 * (util > 0.9)
        + 0.4 * util
        + 0.015 * np.minimum(dpd, 90.0)
        + 0.1 * np.log(loan / 60000.0)
        + 0.006 * (term - 24.0)
        - 0.05 * np.minimum(years_emp, 10.0)
        - 0.02 * np.minimum(years_addr, 15.0)
        - 0.08 * np.log1p(savings / 1000.0)
        + 0.05 * dependants
    )
    for j, name in enumerate(CATEGORICAL):
        codes = rng.choice(len(CATEGORICAL[name]), n, p=np.array(CAT_PROBS[name]))
        cat[:, j] = codes
        z += np.array(CAT_EFFECT[name])[codes]
    for name, share in MISSING_SHARE.items():
        hole = rng.random(n) < share
        z += 0.3 * hole  # missingness carries some risk, as in real applications
        if name in CATEGORICAL:
            cat[hole, list(CATEGORICAL).index(name)] = -1
        else:
            num[hole, NUMERIC.index(name)] = np.nan
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-z))).astype(np.int8)
    return np.asfortranarray(num), np.asfortranarray(cat), y


def unseen_label(name: str) -> str:
    return f"new_{name}"


def build_frame(num: np.ndarray, cat: np.ndarray) -> pd.DataFrame:
    """The applicants as a bank hands them over: numbers (two int64 columns), text categories with
    ``None`` for missing (pandas 3 infers its ``str`` dtype, where missing is NaN)."""
    data: dict[str, Any] = {}
    for j, name in enumerate(NUMERIC):
        col = np.ascontiguousarray(num[:, j])
        data[name] = col.astype(np.int64) if name in INTEGER else col
    for j, name in enumerate(CATEGORICAL):
        labels = np.array([*CATEGORICAL[name], unseen_label(name)], dtype=object)
        codes = cat[:, j]
        col = labels[np.maximum(codes, 0)]
        col[codes < 0] = None
        data[name] = col
    return pd.DataFrame(data)


def single_rows(frame: pd.DataFrame, k: int) -> list[dict[str, Any]]:
    """The first ``k`` rows as an API receives them: dicts of Python scalars, ``None`` = missing."""
    out: list[dict[str, Any]] = []
    for rec in frame.iloc[:k].to_dict("records"):
        row: dict[str, Any] = {}
        for key, v in rec.items():
            missing = v is None or (isinstance(v, float) and math.isnan(v))
            if missing:
                row[str(key)] = None
            elif isinstance(v, np.generic):
                row[str(key)] = v.item()
            else:
                row[str(key)] = v
        out.append(row)
    return out


def save_set(workdir: Path, tag: str, num: np.ndarray, cat: np.ndarray, y: np.ndarray) -> None:
    np.save(workdir / f"{tag}_num.npy", num)
    np.save(workdir / f"{tag}_cat.npy", cat)
    np.save(workdir / f"{tag}_y.npy", y)


def load_set(workdir: Path, tag: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.load(workdir / f"{tag}_num.npy"),
        np.load(workdir / f"{tag}_cat.npy"),
        np.load(workdir / f"{tag}_y.npy"),
    )


def rss_mib() -> float:
    """Current resident set size of this process in MiB."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far in MiB (Linux: ru_maxrss is KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Wall times of ``repeat`` calls and the last result (the previous result is dropped before
    each call, so no call pays for page faults of memory its predecessor still holds)."""
    times: list[float] = []
    out: Any = None
    for _ in range(repeat):
        out = None
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def timed_pair(
    first: Callable[[], Any], second: Callable[[], Any], repeat: int
) -> tuple[list[float], Any, list[float], Any]:
    """``timed`` for two contenders, alternating calls so that both see the same machine load."""
    t1: list[float] = []
    t2: list[float] = []
    out1: Any = None
    out2: Any = None
    for _ in range(repeat):
        more, out1 = timed(first, 1)
        t1 += more
        more, out2 = timed(second, 1)
        t2 += more
    return t1, out1, t2, out2


def percentiles_us(ns: Sequence[int]) -> dict[str, float]:
    p50, p95, p99 = np.percentile(np.asarray(ns, dtype=np.float64) / 1000.0, [50, 95, 99])
    return {"p50": float(p50), "p95": float(p95), "p99": float(p99), "n": len(ns)}


# ---------------------------------------------------------------------------------------------
# the peer side (runs in the peers' venv)
# ---------------------------------------------------------------------------------------------


def peer_fit(workdir: Path) -> dict[str, Any]:
    """Fit OptBinning's Scorecard on the training set; export the fitted card as JSON."""
    import pickle

    import optbinning
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    num, cat, y = load_set(workdir, "train")
    X = build_frame(num, cat)
    names = [*NUMERIC, *CATEGORICAL]
    rss0 = rss_mib()

    def fit() -> Any:
        card = Scorecard(
            binning_process=BinningProcess(names, categorical_variables=[*CATEGORICAL]),
            estimator=LogisticRegression(),
            scaling_method="pdo_odds",
            scaling_method_params={"pdo": 20.0, "odds": 50.0, "scorecard_points": 600.0},
        )
        return card.fit(X, y)

    cfg = json.loads((workdir / "config.json").read_text())
    fit_times, card = timed(fit, cfg["fit_repeat"])
    table = card.table(style="detailed")
    selected = [str(v) for v in card.binning_process_.get_support(names=True)]
    variables: list[dict[str, Any]] = []
    for name in selected:
        rows = table[table["Variable"] == name]
        bins = list(rows["Bin"])
        points = [float(p) for p in rows["Points"]]
        if bins[-2:] != ["Special", "Missing"]:
            raise RuntimeError(f"{name}: unexpected table rows {bins[-3:]!r}")
        n_bins = len(bins) - 2
        binned = card.binning_process_.get_binned_variable(name)
        if binned.dtype == "numerical":
            splits = [float(s) for s in binned.splits]
            if len(splits) + 1 != n_bins:
                raise RuntimeError(f"{name}: {len(splits)} splits but {n_bins} bins")
            variables.append({"name": name, "kind": "numeric", "splits": splits, "points": points})
        else:
            groups = [[str(c) for c in group] for group in bins[:n_bins]]
            variables.append(
                {"name": name, "kind": "categorical", "groups": groups, "points": points}
            )
    export = {
        "source": f"optbinning {optbinning.__version__} Scorecard.table(style='detailed')",
        "intercept": float(card.intercept_),
        "variables": variables,
    }
    (workdir / "card.json").write_text(json.dumps(export))
    with (workdir / "optbinning_card.pkl").open("wb") as fh:
        pickle.dump(card, fh)
    return {
        "fit_s": min(fit_times),
        "fit_times": fit_times,
        "n_vars": len(selected),
        "n_bins": sum(len(v["points"]) - 2 for v in variables),
        "rss_before_mib": rss0,
        "peak_rss_mib": peak_rss_mib(),
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "optbinning": optbinning.__version__,
    }


def peer_score(workdir: Path) -> dict[str, Any]:
    """Score the scoring set with the pickled OptBinning card; then one applicant at a time."""
    import pickle

    cfg = json.loads((workdir / "config.json").read_text())
    with (workdir / "optbinning_card.pkl").open("rb") as fh:
        card = pickle.load(fh)
    num, cat, _ = load_set(workdir, "score")
    frame = build_frame(num, cat)
    del num, cat
    gc.collect()
    rss0 = rss_mib()
    times, scores = timed(lambda: card.score(frame), cfg["repeat"])
    peak = peak_rss_mib()
    np.save(workdir / "optbinning_scores.npy", np.asarray(scores, dtype=np.float64))
    # One applicant: a 1-row DataFrame built beforehand from a dict of scalars, as an API would.
    k = min(cfg["peer_single"], len(frame))
    frames = [pd.DataFrame([row]) for row in single_rows(frame, k)]
    for f in frames[:5]:
        card.score(f)
    lat: list[int] = []
    one = np.full(k, np.nan)
    errors: list[str] = []
    for i, f in enumerate(frames):
        t0 = time.perf_counter_ns()
        try:
            value = card.score(f)
        except Exception as exc:  # noqa: BLE001 -- a peer failure is a finding, reported below
            errors.append(f"row {i}: {type(exc).__name__}: {exc}"[:300])
            continue
        lat.append(time.perf_counter_ns() - t0)
        one[i] = value[0]
    ok = ~np.isnan(one)
    diff = np.abs(one[ok] - scores[:k][ok])
    return {
        "batch_s": times,
        "rows": len(frame),
        "rss_before_mib": rss0,
        "peak_rss_mib": peak,
        "single": percentiles_us(lat) if lat else None,
        "single_errors": len(errors),
        "single_error_first": errors[0] if errors else None,
        "single_vs_batch_max_abs": float(diff.max()) if diff.size else None,
        "single_vs_batch_unequal": int(np.count_nonzero(diff != 0)),
    }


# ---------------------------------------------------------------------------------------------
# our side (runs in our venv, in fresh child processes)
# ---------------------------------------------------------------------------------------------


def card_from_export(export: dict[str, Any], train_num: np.ndarray) -> Any:
    """A ``CompiledCard`` with exactly OptBinning's bins and points (module docstring)."""
    from loanpilot.analytics.scorecard_kernel import CompiledCard, scaling
    from loanpilot.analytics.scorecard_vars import CategoricalVar, NumericVar

    variables: list[Any] = []
    for v in export["variables"]:
        points = np.array(v["points"], dtype=np.float64)
        missing = float(points[-1])  # the "Missing" row; points[-2] is "Special" (unused)
        if v["kind"] == "numeric":
            x = train_num[:, NUMERIC.index(v["name"])]
            rng = (float(np.nanmin(x)), float(np.nanmax(x)))
            variables.append(
                NumericVar(v["name"], np.array(v["splits"]), points[:-2], missing, rng)
            )
        else:
            cats = [c for group in v["groups"] for c in group]
            bins = [i for i, group in enumerate(v["groups"]) for _ in group]
            # OptBinning scores an unseen category with points[-1] (the Missing row).
            variables.append(
                CategoricalVar(
                    v["name"], tuple(cats), np.array(bins), points[:-2], missing, missing
                )
            )
    offset, factor = scaling(600.0, 50.0, 20.0)
    # OptBinning adds intercept_ (0.0 unless intercept_based=True) after the variables.
    return CompiledCard(tuple(variables), offset, factor, base=float(export["intercept"]))


class BareCard:
    """The hand-written limit: per variable one lookup and one ``take``, summed in card order."""

    def __init__(self, export: dict[str, Any]) -> None:
        self.parts: list[tuple[str, bool, Any, np.ndarray]] = []
        for v in export["variables"]:
            points = np.array(v["points"], dtype=np.float64)
            missing = points[-1]
            if v["kind"] == "numeric":
                search = np.append(np.array(v["splits"], dtype=np.float64), np.nan)  # NaN last
                lookup = np.append(points[:-2], missing)
                self.parts.append((v["name"], True, search, lookup))
            else:
                cats = [c for group in v["groups"] for c in group]
                bins = [i for i, group in enumerate(v["groups"]) for _ in group]
                # NaN and None both match their own slot; -1 (unseen) takes the last entry.
                index = pd.Index([*cats, np.nan, None], dtype=object)
                lookup = np.concatenate([points[bins], [missing, missing, missing]])
                self.parts.append((v["name"], False, index, lookup))

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        total = np.zeros(len(frame))
        for name, numeric, finder, lookup in self.parts:
            col = frame[name]
            if numeric:
                pos = finder.searchsorted(np.asarray(col, dtype=np.float64), side="right")
            else:
                pos = finder.get_indexer(col)
            total += lookup[pos]
        return total


def ours_score(workdir: Path) -> dict[str, Any]:
    cfg = json.loads((workdir / "config.json").read_text())
    export = json.loads((workdir / "card.json").read_text())
    train_num, _, _ = load_set(workdir, "train")
    card = card_from_export(export, train_num)
    del train_num
    bare = BareCard(export)
    num, cat, y = load_set(workdir, "score")
    frame = build_frame(num, cat)
    del num, cat
    gc.collect()
    rss0 = rss_mib()
    times, result = timed(lambda: card.score(frame), 1)
    peak = peak_rss_mib()  # before the bare lookup runs: our batch scoring alone
    result = None
    more, result, bare_times, bare_scores = timed_pair(
        lambda: card.score(frame), lambda: bare.score(frame), cfg["repeat"]
    )
    times += more
    ours = result.score
    peer = np.load(workdir / "optbinning_scores.npy")
    d_peer = np.abs(ours - peer)
    d_bare = np.abs(ours - bare_scores)
    # One applicant: a dict of scalars, cycling through N_DISTINCT_SINGLE distinct rows.
    rows = single_rows(frame, min(N_DISTINCT_SINGLE, len(frame)))
    one = np.array([card.score(r).score[0] for r in rows])
    batch_part = ours[: len(rows)]
    same_bits = bool(np.array_equal(one.view(np.int64), batch_part.view(np.int64)))
    lat: list[int] = []
    n_rows = len(rows)
    gc.collect()
    for i in range(cfg["single"]):
        row = rows[i % n_rows]
        t0 = time.perf_counter_ns()
        card.score(row)
        lat.append(time.perf_counter_ns() - t0)
    from sklearn.metrics import roc_auc_score

    import loanpilot.analytics.scorecard_kernel as kernel

    return {
        "kernel": str(Path(kernel.__file__).resolve().parent),
        "batch_s": times,
        "bare_s": bare_times,
        "rows": len(frame),
        "rss_before_mib": rss0,
        "peak_rss_mib": peak,
        "vs_optbinning_max_abs": float(d_peer.max()),
        "vs_optbinning_unequal": int(np.count_nonzero(ours != peer)),
        "vs_bare_max_abs": float(d_bare.max()),
        "single": percentiles_us(lat),
        "single_equals_batch": same_bits,
        "single_checked": len(rows),
        "missing": int(sum(result.missing_counts.values())),
        "unseen": int(sum(result.unseen_counts.values())),
        "out_of_range": int(sum(result.out_of_range_counts.values())),
        "holdout_auc_optbinning_card": float(roc_auc_score(y, -peer)),
    }


def ours_fit(workdir: Path) -> dict[str, Any]:
    try:
        from loanpilot.analytics.scorecard import Scorecard
    except ImportError as exc:
        return {"skipped": f"loanpilot.analytics.scorecard.Scorecard cannot be imported: {exc}"}
    num, cat, y = load_set(workdir, "train")
    X = build_frame(num, cat)
    del num, cat
    gc.collect()
    rss0 = rss_mib()
    cfg = json.loads((workdir / "config.json").read_text())
    fit_times, model = timed(lambda: Scorecard().fit(X, y), cfg["fit_repeat"])
    out: dict[str, Any] = {
        "fit_s": min(fit_times),
        "fit_times": fit_times,
        "rss_before_mib": rss0,
        "peak_rss_mib": peak_rss_mib(),
    }
    card = getattr(model, "card_", None)
    if card is not None:
        out["n_vars"] = len(card.variables)
    snum, scat, sy = load_set(workdir, "score")
    try:
        scores = np.asarray(model.score(build_frame(snum, scat)), dtype=np.float64)
    except (AttributeError, TypeError, ValueError) as exc:
        out["holdout_auc"] = None
        out["holdout_error"] = f"{type(exc).__name__}: {exc}"
    else:
        from sklearn.metrics import roc_auc_score

        out["holdout_auc"] = float(roc_auc_score(sy, -scores))
    return out


# ---------------------------------------------------------------------------------------------
# orchestration (our venv)
# ---------------------------------------------------------------------------------------------


def inject_split_hits(num: np.ndarray, export: dict[str, Any], seed: int) -> int:
    """Put exact split values into a few rows of each float column; return how many."""
    rng = np.random.default_rng(seed)
    hits = 0
    for v in export["variables"]:
        if v["kind"] != "numeric" or not v["splits"] or v["name"] in INTEGER:
            continue
        j = NUMERIC.index(v["name"])
        rows = np.flatnonzero(rng.random(num.shape[0]) < SPLIT_HIT_SHARE)
        num[rows, j] = rng.choice(np.array(v["splits"]), rows.size)
        hits += rows.size
    return hits


def inject_unseen(cat: np.ndarray, seed: int) -> int:
    rng = np.random.default_rng(seed)
    hits = 0
    for j, name in enumerate(CATEGORICAL):
        rows = np.flatnonzero(rng.random(cat.shape[0]) < UNSEEN_SHARE)
        cat[rows, j] = len(CATEGORICAL[name])  # the label unseen_label(name)
        hits += rows.size
    return hits


def _say(msg: str) -> None:
    print(f"[scoring] {msg}", file=sys.stderr, flush=True)


def _req_name(req: str) -> str:
    for stop in "<>=!~[ ;":
        req = req.split(stop, maxsplit=1)[0]
    return req.strip().lower()


def _pythonpath() -> str:
    """An inherited PYTHONPATH first (to try a patched copy of ``src``), then our ``src``."""
    paths = (os.environ.get("PYTHONPATH", ""), str(ROOT / "src"))
    return os.pathsep.join(p for p in paths if p)


def reexec_with_pandas(major: int, argv: Sequence[str]) -> int:
    """Run this script again in ``ours-pandas{major}``: the project's dependencies from
    pyproject.toml with pandas pinned, our code from ``src`` via PYTHONPATH (nothing installed
    from, or written into, the repository)."""
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pin = "pandas>=2.2,<3" if major == 2 else f"pandas>={major},<{major + 1}"
    reqs = [pin if _req_name(d) == "pandas" else d for d in deps]
    python = ensure_venv(f"ours-pandas{major}", reqs, imports=["numpy", "pandas", "sklearn"])
    env = {
        **os.environ,
        "PYTHONPATH": _pythonpath(),
        "OMP_NUM_THREADS": "1",
    }
    _say(f"re-running with {python} (pandas {major}.x)")
    return subprocess.run(
        [str(python), str(Path(__file__).resolve()), *argv, "--_reexec"], env=env, check=False
    ).returncode


def _fmt_rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds / 1e6:.2f} M rows/s ({seconds:.3f} s)"


def _fmt_lat(d: dict[str, Any] | None) -> str:
    if not d:
        return "—"
    return f"{d['p50']:,.1f} / {d['p95']:,.1f} / {d['p99']:,.1f}"


def report(res: dict[str, Any]) -> str:
    n = res["ours"]["rows"]
    ob_s = min(res["peer_score"]["batch_s"])
    our_s = min(res["ours"]["batch_s"])
    bare_s = min(res["ours"]["bare_s"])
    ours = res["ours"]
    peer = res["peer_score"]
    fit = res["ours_fit"]
    vs_ob = ob_s / our_s
    vs_bare = bare_s / our_s
    p95 = ours["single"]["p95"]
    lines = [
        f"Scoring benchmark: {res['n_vars']}-variable card ({res['n_bins']} bins) fitted by "
        f"OptBinning on {res['train_rows']:,} rows, {n:,} rows scored; best of {res['repeat']}.",
        f"ours: python {res['python']}, numpy {res['numpy']}, pandas {res['pandas']}; "
        f"peer: optbinning {res['peer_fit']['optbinning']}, numpy {res['peer_fit']['numpy']}, "
        f"pandas {res['peer_fit']['pandas']}; our kernel from {ours['kernel']}",
        "",
        "| measure | OptBinning | LoanPilot | bare numpy lookup | ratio | target | met? |",
        "|---|---|---|---|---|---|---|",
        f"| batch scoring, {n:,} rows | {_fmt_rate(n, ob_s)} | {_fmt_rate(n, our_s)} | "
        f"{_fmt_rate(n, bare_s)} | ours/OptBinning {vs_ob:.2f}×, ours/bare {vs_bare:.2f} | "
        f"≥ 4× and ≥ 0.80 | {'yes' if vs_ob >= 4 and vs_bare >= 0.8 else '**no**'} |",
        f"| one applicant p50 / p95 / p99 µs | {_fmt_lat(peer['single'])} (1-row DataFrame, "
        f"{peer['single']['n'] if peer['single'] else 0} calls) | {_fmt_lat(ours['single'])} "
        f"(dict of scalars, {ours['single']['n']:,} calls) | — | "
        + (f"OptBinning/ours p95 {peer['single']['p95'] / p95:.0f}×" if peer["single"] else "—")
        + f" | p95 < 50 µs | {'yes' if p95 < 50 else '**no**'} |",
        f"| peak RSS of the scoring process (frame loaded) | {peer['peak_rss_mib']:,.0f} MiB "
        f"({peer['rss_before_mib']:,.0f}) | {ours['peak_rss_mib']:,.0f} MiB "
        f"({ours['rss_before_mib']:,.0f}) | — | scoring itself: OptBinning "
        f"+{peer['peak_rss_mib'] - peer['rss_before_mib']:,.0f}, ours "
        f"+{ours['peak_rss_mib'] - ours['rss_before_mib']:,.0f} MiB | — | — |",
    ]
    if "skipped" in fit:
        lines.append(
            f"| fit, {res['train_rows']:,} rows | {res['peer_fit']['fit_s']:.2f} s | skipped: "
            f"{fit['skipped']} | — | — | no slower | — |"
        )
    else:
        ok = fit["fit_s"] <= res["peer_fit"]["fit_s"]
        lines.append(
            f"| fit, {res['train_rows']:,} rows, 20 candidate variables, best of "
            f"{res['fit_repeat']} | "
            f"{res['peer_fit']['fit_s']:.2f} s (peak RSS {res['peer_fit']['peak_rss_mib']:,.0f} "
            f"MiB, {res['n_vars']} vars kept) | {fit['fit_s']:.2f} s (peak RSS "
            f"{fit['peak_rss_mib']:,.0f} MiB, {fit.get('n_vars', '?')} vars kept) | — | "
            f"ours/OptBinning time {fit['fit_s'] / res['peer_fit']['fit_s']:.2f} | no slower | "
            f"{'yes' if ok else '**no**'} |"
        )
        auc = fit.get("holdout_auc")
        lines.append(
            f"| AUC on the {n:,} scoring rows | {ours['holdout_auc_optbinning_card']:.4f} | "
            + (f"{auc:.4f}" if auc is not None else f"— ({fit.get('holdout_error')})")
            + " (our own fit) | — | — | — | — |"
        )
    lines += [
        "",
        f"Same card, same rows: |ours - OptBinning| max {ours['vs_optbinning_max_abs']:.3g}, "
        f"{ours['vs_optbinning_unequal']:,} of {n:,} scores differ in any bit; |ours - bare| max "
        f"{ours['vs_bare_max_abs']:.3g}. The rows include {res['split_hits']:,} values exactly on "
        f"a split, {ours['unseen']:,} unseen categories, {ours['missing']:,} missing values, "
        f"{ours['out_of_range']:,} values outside the training range (counted by our kernel).",
        f"One row = batch: our one-row scores of {ours['single_checked']:,} applicants equal their "
        f"batch scores bit for bit: {'yes' if ours['single_equals_batch'] else '**no**'}. "
        f"OptBinning on 1-row DataFrames: max |one-row - batch| "
        f"{peer['single_vs_batch_max_abs']}, {peer['single_vs_batch_unequal']} rows differ, "
        f"{peer['single_errors']} calls failed"
        + (f" (first: {peer['single_error_first']})" if peer["single_error_first"] else "")
        + ".",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw[:1] == ["--_peer"] or raw[:1] == ["--_child"]:
        what, workdir = raw[1], Path(raw[2])
        fn = {"fit": peer_fit, "score": peer_score, "ours": ours_score, "ours-fit": ours_fit}[what]
        print(json.dumps(fn(workdir)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows scored (1,000,000)")
    parser.add_argument("--train-rows", type=int, default=100_000, help="rows fitted (100,000)")
    parser.add_argument("--repeat", type=int, default=3, help="batch timings, best kept (3)")
    parser.add_argument("--fit-repeat", type=int, default=3, help="fits per tool, best kept")
    parser.add_argument("--single", type=int, default=20_000, help="one-row calls, ours (20,000)")
    parser.add_argument("--peer-single", type=int, default=300, help="one-row calls, OptBinning")
    parser.add_argument("--quick", action="store_true", help="smoke run: small sizes")
    parser.add_argument(
        "--pandas",
        type=int,
        choices=(2, 3),
        default=None,
        help="run both sides on this pandas line (throwaway venvs under the bench dir); "
        "default: our venv as it is, peers as pip resolves them",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--_reexec", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(raw)
    if args.quick:
        args.rows, args.train_rows = min(args.rows, 50_000), min(args.train_rows, 20_000)
        args.single, args.peer_single, args.repeat, args.fit_repeat = 2_000, 50, 2, 1
    ours_major = int(pd.__version__.split(".")[0])
    if args.pandas is not None and args.pandas != ours_major:
        if args._reexec:
            raise SystemExit(f"pandas {args.pandas} wanted but {pd.__version__} loaded")
        return reexec_with_pandas(args.pandas, [a for a in raw if a != "--_reexec"])
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    workdir = bench_dir() / f"scoring-pandas{ours_major}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    cfg = {
        "repeat": max(1, args.repeat),
        "single": args.single,
        "peer_single": args.peer_single,
        "fit_repeat": max(1, args.fit_repeat),
    }
    (workdir / "config.json").write_text(json.dumps(cfg))
    me = Path(__file__).resolve()
    peer_kw: dict[str, Any] = {"peer": "optbinning", "pandas_major": args.pandas}
    _say(f"peers' venv: {peer_versions('optbinning', pandas_major=args.pandas)}")

    _say(f"generating {args.train_rows:,} training rows")
    save_set(workdir, "train", *generate(args.train_rows, SEED_TRAIN))
    _say("fitting OptBinning's Scorecard (peers' venv)")
    peer_fit_res = run_peer(me, ["--_peer", "fit", str(workdir)], **peer_kw)
    export = json.loads((workdir / "card.json").read_text())

    _say(f"generating {args.rows:,} scoring rows")
    num, cat, y = generate(args.rows, SEED_SCORE)
    split_hits = inject_split_hits(num, export, SEED_SCORE + 1)
    inject_unseen(cat, SEED_SCORE + 2)
    save_set(workdir, "score", num, cat, y)
    del num, cat, y
    _say("scoring with OptBinning (peers' venv)")
    peer_score_res = run_peer(me, ["--_peer", "score", str(workdir)], **peer_kw)
    _say("scoring with LoanPilot and the bare lookup (fresh child)")
    child_env = {"PYTHONPATH": _pythonpath()}
    ours_res = run_python(
        Path(sys.executable), me, ["--_child", "ours", str(workdir)], env=child_env
    )
    _say("fitting LoanPilot's Scorecard (fresh child)")
    fit_res = run_python(
        Path(sys.executable), me, ["--_child", "ours-fit", str(workdir)], env=child_env
    )
    res = {
        "rows": args.rows,
        "train_rows": args.train_rows,
        "repeat": cfg["repeat"],
        "fit_repeat": cfg["fit_repeat"],
        "n_vars": peer_fit_res["n_vars"],
        "n_bins": peer_fit_res["n_bins"],
        "split_hits": split_hits,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "peer_fit": peer_fit_res,
        "peer_score": peer_score_res,
        "ours": ours_res,
        "ours_fit": fit_res,
    }
    text = report(res)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
