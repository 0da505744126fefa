"""Benchmark: scorecard quality (test AUC, KS, Gini) of LoanPilot against the peers (issue 4).

    OMP_NUM_THREADS=1 .venv/bin/python bench/scorecard.py              # full: 11 splits, 20,000 demo rows
    OMP_NUM_THREADS=1 .venv/bin/python bench/scorecard.py --quick      # smoke: 2 splits, 4,000 demo rows
    .venv/bin/python bench/scorecard.py --datasets german --tools ours,lr
    .venv/bin/python bench/scorecard.py --datasets demo --ours '{"max_bins": 8}' --json /tmp/sc.json

What one run does, per dataset:

* **German Credit** (``../shared/data/german_credit.csv``, target ``creditability``, ``bad`` = 1)
  and the **demo bank** (``loanpilot.demo.development_sample.development_sample(20000,
  seed=20261129)``, y = 1 bad) are written to ``${LOANPILOT_BENCH_DIR:-/tmp/loanpilot-bench}/
  scorecard/<dataset>.csv`` (features + a 0/1 column ``bad``). Every tool, ours included, reads
  that same CSV, so all of them see identical values.
* Eleven stratified 70/30 splits (``train_test_split(stratify=y, random_state=0..9 and 42)``) are
  drawn here and passed to the peers as row indices (``<dataset>.splits.json``), with the list of
  categorical columns (the non-numeric dtypes), so every tool fits on and predicts the same rows.
* Each tool fits its recommended default workflow on the training part and returns P(bad) for the
  test part; **every metric is computed here with the same code** (``loanpilot.analytics.metrics``:
  ``auc``, ``ks``, ``gini``). Fit time is the wall time from the training DataFrame to the fitted
  model (card included), without imports and without predicting; the table shows the median over
  the splits (the first fit in a process pays one-off costs).

The tools:

``ours``
    ``loanpilot.analytics.scorecard.Scorecard()`` with default parameters; ``predict_proba``.
``lr``
    Plain logistic regression (our venv): median-imputed, standardised numerics and one-hot
    categoricals (``handle_unknown="ignore"``), ``LogisticRegression()`` with sklearn's defaults.
``optbinning``
    ``BinningProcess(variables, categorical_variables=...)`` with default settings +
    ``Scorecard(estimator=LogisticRegression(), scaling_method="min_max", 300..850)``;
    ``Scorecard.predict_proba``.
``optbinning-sel``
    The same with the selection criteria of OptBinning's scorecard tutorial
    (``{"iv": {"min": 0.02, "max": 1}, "quality_score": {"min": 0.01}}``).
``scorecardpy``
    Its README workflow, fitted on the training part only (the README bins the whole data set
    before splitting): ``var_filter`` -> ``woebin`` (tree, defaults) -> ``woebin_ply`` ->
    ``LogisticRegression(penalty="l1", C=0.9, solver="saga")`` -> ``scorecard``;
    P(bad) = ``lr.predict_proba`` of the test WoE, as the README evaluates it.
``toad``
    Its tutorial: ``toad.selection.select(empty=0.5, iv=0.05, corr=0.7)`` -> ``Combiner`` chi-merge
    (``min_samples=0.05``) -> ``WOETransformer`` -> ``stepwise(estimator="ols",
    direction="both", criterion="aic")`` -> ``LogisticRegression()`` -> ``toad.ScoreCard``;
    P(bad) = ``lr.predict_proba`` of the test WoE, as the tutorial evaluates it.

The peers run in their own venvs (``bench/peers.py``: OptBinning and toad beside pandas 3,
scorecardpy beside pandas 2, which it needs), one subprocess per peer and dataset, this file being
the peer script (``--_peer``); their predictions come back as JSON.

Target (issue 4): on every dataset our mean test AUC is at least the best peer's and at least plain
logistic regression's; the script prints ``target met: yes/no`` per dataset.

``--ours JSON`` (repeatable) adds rows for ``Scorecard(**params)``: the experiments behind
suggested defaults are reproducible with this script.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from peers import PeerError, bench_dir, peer_versions, run_peer

ROOT = Path(__file__).resolve().parent.parent
GERMAN_CSV = ROOT.parent / "shared" / "data" / "german_credit.csv"
TARGET = "bad"
SEEDS: tuple[int, ...] = (*range(10), 42)
QUICK_SEEDS: tuple[int, ...] = (0, 42)
TEST_SIZE = 0.3
DEMO_SEED = 20261129
DEMO_ROWS = 20_000
DEMO_QUICK_ROWS = 4_000
DATASETS: tuple[str, ...] = ("german", "demo")
#: tool -> the peer venv it runs in (None: our venv)
TOOLS: dict[str, str | None] = {
    "ours": None,
    "lr": None,
    "optbinning": "optbinning",
    "optbinning-sel": "optbinning",
    "scorecardpy": "scorecardpy",
    "toad": "toad",
}
PEER_TOOLS = tuple(t for t, p in TOOLS.items() if p is not None)
OPTBINNING_TUTORIAL_SELECTION = {"iv": {"min": 0.02, "max": 1}, "quality_score": {"min": 0.01}}

Predict = Callable[[pd.DataFrame], np.ndarray]
Fitted = tuple[Predict, int]


def _say(msg: str) -> None:
    print(f"[scorecard] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the workflows
# Each takes the training frame (features + TARGET) and the categorical columns and returns
# (predict P(bad) of a frame, number of variables in the model). The peer ones run in the
# peers' venvs and may import only numpy, pandas, scikit-learn and the peer.


def _xy(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    return frame.drop(columns=TARGET), frame[TARGET].to_numpy(dtype=np.int64)


def fit_optbinning(train: pd.DataFrame, cats: list[str], *, tutorial: bool = False) -> Fitted:
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    X, y = _xy(train)
    extra = {"selection_criteria": OPTBINNING_TUTORIAL_SELECTION} if tutorial else {}
    process = BinningProcess(list(X.columns), categorical_variables=cats, **extra)
    card = Scorecard(
        binning_process=process,
        estimator=LogisticRegression(),
        scaling_method="min_max",
        scaling_method_params={"min": 300, "max": 850},
    ).fit(X, y)
    n_vars = int(np.asarray(card.binning_process_.get_support()).sum())
    return (lambda t: card.predict_proba(t.drop(columns=TARGET))[:, 1]), n_vars


def fit_scorecardpy(train: pd.DataFrame, cats: list[str]) -> Fitted:
    import scorecardpy as sc
    from sklearn.linear_model import LogisticRegression

    kept = sc.var_filter(train, y=TARGET)
    bins = sc.woebin(kept, y=TARGET, no_cores=1)
    train_woe = sc.woebin_ply(kept, bins, no_cores=1)
    X, y = _xy(train_woe)
    cols = list(X.columns)
    lr = LogisticRegression(penalty="l1", C=0.9, solver="saga").fit(X, y)
    sc.scorecard(bins, lr, cols)  # the card, as the README builds it (part of the fit)

    def predict(test: pd.DataFrame) -> np.ndarray:
        woe = sc.woebin_ply(test[kept.columns], bins, no_cores=1)
        return lr.predict_proba(woe[cols])[:, 1]

    n_vars = int(np.count_nonzero(lr.coef_[0]))
    return predict, n_vars


def fit_toad(train: pd.DataFrame, cats: list[str]) -> Fitted:
    import toad
    from sklearn.linear_model import LogisticRegression

    selected, _dropped = toad.selection.select(
        train, target=TARGET, empty=0.5, iv=0.05, corr=0.7, return_drop=True
    )
    combiner = toad.transform.Combiner()
    combiner.fit(selected, y=TARGET, method="chi", min_samples=0.05)
    transer = toad.transform.WOETransformer()
    train_woe = transer.fit_transform(
        combiner.transform(selected), selected[TARGET], exclude=[TARGET]
    )
    final = toad.selection.stepwise(
        train_woe, target=TARGET, estimator="ols", direction="both", criterion="aic"
    )
    cols = [c for c in final.columns if c != TARGET]
    lr = LogisticRegression().fit(final[cols], final[TARGET])
    toad.ScoreCard(combiner=combiner, transer=transer).fit(final[cols], final[TARGET])

    def predict(test: pd.DataFrame) -> np.ndarray:
        woe = transer.transform(combiner.transform(test[selected.columns]))
        return lr.predict_proba(woe[cols])[:, 1]

    return predict, len(cols)


def fit_plain_lr(train: pd.DataFrame, cats: list[str]) -> Fitted:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, y = _xy(train)
    nums = [c for c in X.columns if c not in cats]
    prep = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), nums),
            ("cat", OneHotEncoder(handle_unknown="ignore"), cats),
        ]
    )
    model = make_pipeline(prep, LogisticRegression()).fit(X, y)
    return (lambda t: model.predict_proba(t.drop(columns=TARGET))[:, 1]), X.shape[1]


def fit_ours(train: pd.DataFrame, cats: list[str], params: dict[str, Any] | None = None) -> Fitted:
    from loanpilot.analytics.scorecard import Scorecard

    X, y = _xy(train)
    card = Scorecard(**(params or {})).fit(X, y)
    return (lambda t: card.predict_proba(t.drop(columns=TARGET))[:, 1]), len(card.variables_)


PEER_WORKFLOWS: dict[str, Callable[[pd.DataFrame, list[str]], Fitted]] = {
    "optbinning": fit_optbinning,
    "optbinning-sel": lambda t, c: fit_optbinning(t, c, tutorial=True),
    "scorecardpy": fit_scorecardpy,
    "toad": fit_toad,
}


def run_splits(
    fit: Callable[[pd.DataFrame, list[str]], Fitted],
    frame: pd.DataFrame,
    splits: dict[str, Any],
    label: str,
) -> list[dict[str, Any]]:
    """Fit ``fit`` on every split's training rows; the test predictions, fit time and size."""
    out: list[dict[str, Any]] = []
    cats = list(splits["categorical"])
    for seed, tr, te in zip(splits["seeds"], splits["train"], splits["test"], strict=True):
        train = frame.iloc[tr].reset_index(drop=True)
        test = frame.iloc[te].reset_index(drop=True)
        row: dict[str, Any] = {"seed": seed}
        try:
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                t0 = time.perf_counter()
                predict, n_vars = fit(train, cats)
                row["fit_s"] = time.perf_counter() - t0
                pred = np.asarray(predict(test), dtype=np.float64)
        except Exception as exc:  # noqa: BLE001 - one failed split is reported, not fatal
            row["error"] = f"{type(exc).__name__}: {exc}"[:500]
            _say(f"{label} split {seed}: {row['error']}")
        else:
            if pred.shape != (len(te),) or not np.isfinite(pred).all():
                row["error"] = (
                    f"bad predictions: shape {pred.shape}, finite {np.isfinite(pred).all()}"
                )
            else:
                row["pred"] = pred.tolist()
                row["n_vars"] = int(n_vars)
        out.append(row)
        _say(f"{label} split {seed}: " + (f"{row['fit_s']:.2f} s" if "pred" in row else "failed"))
    return out


def peer_main(tools: Sequence[str], workdir: Path, dataset: str) -> dict[str, Any]:
    """The peer side (``--_peer``): run ``tools`` on ``dataset`` and return their predictions."""
    frame = pd.read_csv(workdir / f"{dataset}.csv")
    splits = json.loads((workdir / f"{dataset}.splits.json").read_text())
    return {t: run_splits(PEER_WORKFLOWS[t], frame, splits, f"{dataset}/{t}") for t in tools}


# --------------------------------------------------------------------------- data and splits


def german_frame() -> pd.DataFrame:
    raw = pd.read_csv(GERMAN_CSV)
    target = raw.pop("creditability").astype(str).str.strip()
    if not set(target) <= {"good", "bad"}:
        raise ValueError(f"creditability must be good/bad; got {sorted(set(target))}")
    raw[TARGET] = (target == "bad").astype(np.int64)
    return raw


def demo_frame(rows: int) -> pd.DataFrame:
    from loanpilot.demo.development_sample import development_sample

    X, y = development_sample(rows, seed=DEMO_SEED)
    frame = X.copy()
    frame[TARGET] = np.asarray(y, dtype=np.int64)
    return frame


def prepare(dataset: str, workdir: Path, seeds: Sequence[int], demo_rows: int) -> pd.DataFrame:
    """Write ``<dataset>.csv`` and ``<dataset>.splits.json``; return the frame read back from
    the CSV (what every tool sees)."""
    from sklearn.model_selection import train_test_split

    frame = german_frame() if dataset == "german" else demo_frame(demo_rows)
    path = workdir / f"{dataset}.csv"
    frame.to_csv(path, index=False)
    frame = pd.read_csv(path)
    y = frame[TARGET].to_numpy()
    cats = [
        str(c)
        for c in frame.columns
        if c != TARGET and not pd.api.types.is_numeric_dtype(frame[c].dtype)
    ]
    idx = np.arange(len(frame))
    train, test = [], []
    for seed in seeds:
        tr, te = train_test_split(idx, test_size=TEST_SIZE, stratify=y, random_state=seed)
        train.append(sorted(int(i) for i in tr))
        test.append(sorted(int(i) for i in te))
    splits = {"seeds": list(seeds), "train": train, "test": test, "categorical": cats}
    (workdir / f"{dataset}.splits.json").write_text(json.dumps(splits))
    _say(
        f"{dataset}: {len(frame)} rows, {frame.shape[1] - 1} features ({len(cats)} categorical), "
        f"bad rate {y.mean():.3f}; {len(seeds)} splits -> {path}"
    )
    return frame


# --------------------------------------------------------------------------- scoring


def summarise(frame: pd.DataFrame, splits: dict[str, Any], runs: list[dict[str, Any]]) -> dict:
    """Mean and sd of AUC, KS and Gini over the splits, all computed with our metrics."""
    from loanpilot.analytics.metrics import auc, gini, ks

    y = frame[TARGET].to_numpy(dtype=np.int64)
    per: dict[str, list[float]] = {"auc": [], "ks": [], "gini": [], "fit_s": [], "n_vars": []}
    errors = []
    for run, te in zip(runs, splits["test"], strict=True):
        if "pred" not in run:
            errors.append(f"split {run['seed']}: {run.get('error', 'no predictions')}")
            continue
        yt, p = y[te], np.asarray(run["pred"], dtype=np.float64)
        per["auc"].append(auc(yt, p))
        per["ks"].append(ks(yt, p).statistic)
        per["gini"].append(gini(yt, p))
        per["fit_s"].append(float(run["fit_s"]))
        per["n_vars"].append(float(run["n_vars"]))
    out: dict[str, Any] = {
        "splits_ok": len(per["auc"]),
        "errors": errors,
        "seeds": [r["seed"] for r in runs if "pred" in r],
        "auc_by_split": per["auc"],
        "fit_s_by_split": per["fit_s"],
    }
    for key, vals in per.items():
        out[key] = statistics.fmean(vals) if vals else math.nan
        out[f"{key}_sd"] = statistics.stdev(vals) if len(vals) > 1 else math.nan
    # the first fit of a process pays one-off costs (lazy imports, JIT, caches): the median
    out["fit_s_median"] = statistics.median(per["fit_s"]) if per["fit_s"] else math.nan
    return out


def run_tool(
    tool: str,
    dataset: str,
    frame: pd.DataFrame,
    splits: dict[str, Any],
    params: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    label = f"{dataset}/{tool}"
    if tool == "lr":
        return run_splits(fit_plain_lr, frame, splits, label)
    if tool == "ours" or tool.startswith("ours"):
        return run_splits(lambda t, c: fit_ours(t, c, params), frame, splits, label)
    raise ValueError(f"unknown local tool {tool!r}")


def run_peers(
    tools: Sequence[str], dataset: str, workdir: Path
) -> dict[str, list[dict[str, Any]] | str]:
    """Run the peer ``tools`` on ``dataset``, one subprocess per peer venv; a failed peer maps
    to its error message."""
    by_peer: dict[str, list[str]] = {}
    for t in tools:
        by_peer.setdefault(str(TOOLS[t]), []).append(t)
    out: dict[str, list[dict[str, Any]] | str] = {}
    me = Path(__file__).resolve()
    for peer, names in by_peer.items():
        _say(f"{dataset}: {', '.join(names)} in the {peer} venv")
        try:
            res = run_peer(me, ["--_peer", ",".join(names), str(workdir), dataset], peer=peer)
        except PeerError as exc:
            msg = str(exc).strip().splitlines()
            for t in names:
                out[t] = f"peer failed: {' | '.join(msg[-3:])}"[:400]
            _say(f"{dataset}: {peer} failed: {exc}")
            continue
        for t in names:
            out[t] = res[t]
    return out


# --------------------------------------------------------------------------- report


def _f(v: float, digits: int = 3) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def table(results: dict[str, dict[str, Any]], n_splits: int) -> str:
    lines = [
        "| dataset | tool | mean AUC | sd AUC | mean KS | mean Gini | fit s | vars | splits |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for dataset, tools in results.items():
        for tool, s in tools.items():
            if isinstance(s, str):
                lines.append(f"| {dataset} | {tool} | {s} | | | | | | 0/{n_splits} |")
                continue
            lines.append(
                f"| {dataset} | {tool} | {_f(s['auc'], 4)} | {_f(s['auc_sd'], 4)} | "
                f"{_f(s['ks'], 4)} | {_f(s['gini'], 4)} | {_f(s['fit_s_median'], 3)} | "
                f"{_f(s['n_vars'], 1)} | {s['splits_ok']}/{n_splits} |"
            )
    return "\n".join(lines)


def verdict(dataset: str, tools: dict[str, Any]) -> tuple[bool | None, str]:
    """Our mean AUC against the best peer's and plain LR's on one dataset."""
    ours = tools.get("ours")
    if not isinstance(ours, dict) or not ours["splits_ok"]:
        return None, f"{dataset}: target met: n/a (ours did not run)"
    peers = {
        t: s["auc"]
        for t, s in tools.items()
        if t in PEER_TOOLS and isinstance(s, dict) and s["splits_ok"]
    }
    parts, ok = [], True
    if peers:
        best = max(peers, key=lambda t: peers[t])
        ok &= ours["auc"] >= peers[best]
        parts.append(f"best peer {best} {peers[best]:.4f}")
    missing = [t for t in PEER_TOOLS if t in tools and t not in peers]
    if missing:
        parts.append(f"peers without result: {', '.join(missing)}")
    lr = tools.get("lr")
    if isinstance(lr, dict) and lr["splits_ok"]:
        ok &= ours["auc"] >= lr["auc"]
        parts.append(f"plain LR {lr['auc']:.4f}")
    if not peers and not isinstance(lr, dict):
        return None, f"{dataset}: target met: n/a (no peer and no plain LR ran)"
    word = "yes" if ok else "no"
    return ok, f"{dataset}: ours {ours['auc']:.4f} vs {'; '.join(parts)} -> target met: {word}"


def paired(dataset: str, tools: dict[str, Any]) -> list[str]:
    """Per-split AUC differences of each row against the best peer (same splits, so paired)."""
    peers = {t: s for t, s in tools.items() if t in PEER_TOOLS and isinstance(s, dict)}
    peers = {t: s for t, s in peers.items() if s["splits_ok"]}
    if not peers:
        return []
    best = max(peers, key=lambda t: peers[t]["auc"])
    ref = dict(zip(peers[best]["seeds"], peers[best]["auc_by_split"], strict=True))
    lines = []
    for tool, s in tools.items():
        if tool == best or not isinstance(s, dict) or not s["splits_ok"]:
            continue
        d = [a - ref[k] for k, a in zip(s["seeds"], s["auc_by_split"], strict=True) if k in ref]
        if d:
            wins = sum(x > 0 for x in d)
            lines.append(
                f"{dataset}: {tool} - {best}: mean AUC difference {statistics.fmean(d):+.4f}, "
                f"higher on {wins}/{len(d)} splits"
            )
    return lines


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--quick", action="store_true", help="2 splits and 4,000 demo rows")
    p.add_argument("--datasets", default=",".join(DATASETS), help="comma list: german,demo")
    p.add_argument("--tools", default=",".join(TOOLS), help=f"comma list of {', '.join(TOOLS)}")
    p.add_argument("--demo-rows", type=int, default=None, help="demo sample size")
    p.add_argument(
        "--ours",
        action="append",
        default=[],
        metavar="JSON",
        help="extra row: Scorecard(**params), e.g. '{\"max_bins\": 8}' (repeatable)",
    )
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args(argv)
    args.datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    for d in args.datasets:
        if d not in DATASETS:
            p.error(f"--datasets: {d!r} is not one of {', '.join(DATASETS)}")
    for t in args.tools:
        if t not in TOOLS:
            p.error(f"--tools: {t!r} is not one of {', '.join(TOOLS)}")
    try:
        args.ours = [json.loads(o) for o in args.ours]
    except ValueError as exc:
        p.error(f"--ours must be a JSON object: {exc}")
    if not all(isinstance(o, dict) for o in args.ours):
        p.error("--ours must be a JSON object")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw[:1] == ["--_peer"]:
        tools, workdir, dataset = raw[1].split(","), Path(raw[2]), raw[3]
        print(json.dumps(peer_main(tools, workdir, dataset)))
        return 0
    if os.environ.get("OMP_NUM_THREADS") != "1":
        _say("OMP_NUM_THREADS is not 1 here: our side's fit times may use several threads")
    args = parse_args(raw)
    t_start = time.perf_counter()
    seeds = QUICK_SEEDS if args.quick else SEEDS
    demo_rows = args.demo_rows or (DEMO_QUICK_ROWS if args.quick else DEMO_ROWS)
    workdir = bench_dir() / "scorecard"
    workdir.mkdir(parents=True, exist_ok=True)
    local = [t for t in args.tools if TOOLS[t] is None]
    peers = [t for t in args.tools if TOOLS[t] is not None]
    variants = {"ours" + json.dumps(o, sort_keys=True): o for o in args.ours}

    results: dict[str, dict[str, Any]] = {}
    for dataset in args.datasets:
        frame = prepare(dataset, workdir, seeds, demo_rows)
        splits = json.loads((workdir / f"{dataset}.splits.json").read_text())
        runs: dict[str, list[dict[str, Any]] | str] = {}
        for tool in local:
            runs[tool] = run_tool(tool, dataset, frame, splits)
        for name, params in variants.items():
            runs[name] = run_tool(name, dataset, frame, splits, params)
        runs.update(run_peers(peers, dataset, workdir))
        results[dataset] = {
            t: (r if isinstance(r, str) else summarise(frame, splits, r)) for t, r in runs.items()
        }

    versions = {}
    for peer in dict.fromkeys(str(TOOLS[t]) for t in peers):
        try:
            versions[peer] = peer_versions(peer)
        except PeerError as exc:
            versions[peer] = {"error": str(exc)}
    import sklearn

    wall = time.perf_counter() - t_start
    print()
    print(
        f"Scorecard benchmark: {len(seeds)} stratified 70/30 splits (random_state "
        f"{', '.join(map(str, seeds))}), demo rows {demo_rows}; metrics on the test parts with "
        "loanpilot.analytics.metrics; fit s = median fit time per split (wall, one thread); vars = mean variables in the model"
    )
    print(
        f"ours: pandas {pd.__version__}, numpy {np.__version__}, scikit-learn {sklearn.__version__}"
    )
    for peer, v in versions.items():
        print(f"{peer}: " + ", ".join(f"{k} {val}" for k, val in v.items()))
    print()
    print(table(results, len(seeds)))
    print()
    verdicts = {}
    for dataset, tools in results.items():
        ok, line = verdict(dataset, tools)
        verdicts[dataset] = ok
        print(line)
    print()
    for dataset, tools in results.items():
        for line in paired(dataset, tools):
            print(line)
    print(f"\nwall time {wall:.1f} s")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "seeds": list(seeds),
                    "demo_rows": demo_rows,
                    "results": results,
                    "versions": versions,
                    "target_met": verdicts,
                    "wall_s": wall,
                },
                indent=1,
                default=str,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
