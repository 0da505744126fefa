"""Uplift targeting on the demo bank, whose true response and default models are known.

Fits our uplift learners on the bank's campaign history (every campaign with a randomised control
group), then for every contactable customer × product type × channel option computes

    estimated incremental profit = estimated uplift × value(estimated PD) − contact cost

and chooses at most one option per customer under a budget. Three lists, one budget:

* ours      — estimated uplift (the learner the service registers: ``campaigns.uplift.
              DEFAULT_LEARNER``, or ``--learner``) and estimated PD;
* oracle    — the TRUE uplift (``demo.truth.response_probability`` treated − untreated) and the
              TRUE PD (``demo.truth.pd12``);
* response  — targeting by response: estimated P(respond | contacted) × value − cost (the same
              value, PD, solver and budget; only uplift is replaced by response).

Each list is then scored with the TRUE parameters (true uplift × true value − cost), where the true
uplift of targeting is the demo's reach rate of the channel (``demo.channel_tests.REACH``) × (p
treated − p untreated): a target the contact never reaches is not moved, and is paid for. Value is
``products.offer_rules.risk_adjusted_value`` (net interest and fees over the expected life minus
PD × LGD × EAD) of the typical loan of each product type (median principal, term and rate of the
bank's booked loans of that type; funding rate 2.0 %; LGD of the truth, a policy parameter).
Our PD is the PD the next-best-offer run uses: the champion application scorecard's PD
(``risk.registry``) on the offer run's pre-screen row of each customer × product at that product's
typical loan (``products.offers_inputs.run_inputs`` + ``chunk_inputs``, i.e.
``offer_kernel.card_approval``), averaged over the products of each type weighted by their booked
loans. Diagnostics: the card's PD at the type's median booked loan (the loan the value is of), and
the former small PD model (a logistic ``PropensityModel`` on the bank's seasoned booked loans, 90+
DPD within 12 months, marketing features + product type). Contact policy:
marketing consent, not opted out, not blacklisted. Choice: ``analytics.optimize.solve`` when it is
installed, else a greedy by profit per fen of cost.

    OMP_NUM_THREADS=1 .venv/bin/python bench/uplift.py [--db /tmp/d6/demo.db] [--customers 20000]
        [--budget-yuan 100000] [--seed 0] [--var-dir DIR] [--learner sparse_effect|...|best]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

import loanpilot.db.models  # noqa: F401  (every mapper)
from loanpilot.analytics.uplift import TwoModelUplift, arm_column
from loanpilot.campaigns import uplift as svc
from loanpilot.customers.features import marketing_frame
from loanpilot.db.session import make_engine, make_session_factory
from loanpilot.demo.campaign_plans import CONTACT_COST_FEN
from loanpilot.demo.channel_tests import reach_probability
from loanpilot.demo.truth import DefaultModel, ResponseModel, pd12, response_probability
from loanpilot.lending.models import Loan
from loanpilot.products.models import LoanProduct
from loanpilot.products.offer_rules import instalment_fen, risk_adjusted_value

CHANNELS = tuple(CONTACT_COST_FEN)
FUNDING_RATE = 0.02
TARGET_SHARE = 0.90


def build_bank(customers: int, seed: int, as_of: date, tmp: Path) -> str:
    from loanpilot.db import migrate
    from loanpilot.demo import builder
    from loanpilot.kit.crypto import FieldCipher, generate_key

    url = f"sqlite:///{tmp / 'uplift.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    builder.build(
        engine,
        n_customers=customers,
        seed=seed,
        as_of=as_of,
        cipher=FieldCipher(generate_key()),
        truth_dir=tmp,
        reset=True,
    )
    engine.dispose()
    return url


def loan_terms(session: Any) -> pd.DataFrame:
    """Median principal, term and rate of the booked loans of each product type."""
    rows = session.execute(
        select(
            LoanProduct.product_type,
            Loan.principal_fen,
            Loan.term_months,
            Loan.annual_rate,
            Loan.customer_id,
            Loan.disbursed_on,
            Loan.first_dpd90_on,
            Loan.product_id,
        )
        .join(LoanProduct, LoanProduct.id == Loan.product_id)
        .where(Loan.parent_loan_id.is_(None))
    ).all()
    frame = pd.DataFrame(
        rows,
        columns=["ptype", "principal", "term", "rate", "customer_id", "on", "dpd90", "product_id"],
    )
    frame["ptype"] = frame["ptype"].map(lambda v: str(getattr(v, "value", v)))
    frame["rate"] = frame["rate"].astype(float)
    return frame


def estimated_pd(session: Any, loans: pd.DataFrame, as_of: date, features: pd.DataFrame) -> Any:
    """Our PD: a logistic PropensityModel on booked loans (90+ DPD within 12 months)."""
    from loanpilot.analytics.propensity import PropensityModel

    on = pd.to_datetime(loans["on"])
    seasoned = loans[on <= pd.Timestamp(as_of - timedelta(days=365))].copy()
    dpd90 = pd.to_datetime(seasoned["dpd90"])
    seasoned["bad"] = (
        dpd90.notna() & (dpd90 <= pd.to_datetime(seasoned["on"]) + pd.Timedelta(days=365))
    ).astype(int)
    cols = [c for c in svc.FEATURES if c not in svc.CONTEXT_FEATURES + svc.CROSS_FEATURES]
    X = features.loc[seasoned["customer_id"].to_numpy(), cols].reset_index(drop=True)
    X["product_type"] = seasoned["ptype"].to_numpy()
    model = PropensityModel(candidates=("logistic",), cv=3, random_state=0)
    model.fit(X, seasoned["bad"].to_numpy())
    return model, cols, float(seasoned["bad"].mean()), len(seasoned)


def card_pd(
    session: Any,
    as_of: date,
    settings: Any,
    ids: np.ndarray,
    loans: pd.DataFrame,
    terms: pd.DataFrame,
    chunk: int = 2_000,
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The offer run's PD (champion card) per customer (``ids``) × product type, two ways:
    averaged over the type's products at their typical loans (weights: booked loans), and at the
    type's median booked loan (``terms``: amount, term, rate per type)."""
    from dataclasses import replace

    from loanpilot.products import offer_kernel, offers_inputs
    from loanpilot.risk.features import application_features

    inputs = offers_inputs.run_inputs(session, as_of, settings)
    if inputs.card is None:
        raise SystemExit("the bank has no champion application scorecard: no offer-run PD")
    arrays = inputs.arrays
    types = arrays.type_names
    booked = loans["product_id"].value_counts()
    weight = np.array([float(booked.get(p.id, 0)) for p in inputs.products])
    mix = np.zeros((len(inputs.products), len(types)))
    for t in range(len(types)):
        of = arrays.type_code == t
        w = weight * of
        mix[:, t] = w / w.sum() if w.sum() > 0 else of / of.sum()
    median = replace(
        arrays,
        type_code=np.arange(len(types), dtype=np.int64),
        amount_fen=terms.loc[list(types), "amount"].to_numpy(float),
        term_months=terms.loc[list(types), "term"].to_numpy(float),
        annual_rate=terms.loc[list(types), "rate"].to_numpy(float),
    )
    by_mix, at_median = [], []
    for start in range(0, len(ids), chunk):
        part = offers_inputs.chunk_inputs(
            session, as_of, [int(i) for i in ids[start : start + chunk]], inputs
        )
        _, pd12 = part.approve(arrays)  # n × P: exactly the offer run's PD12
        by_mix.append(pd.DataFrame(pd12 @ mix, index=part.ids, columns=list(types)))
        c = part.customers
        approve = offer_kernel.card_approval(
            inputs.card,
            application_features(offers_inputs._application_raw(part.frame)),
            monthly_income_fen=c.monthly_income_fen,
            monthly_debt_fen=c.monthly_debt_fen,
            approve_from=inputs.cutoffs[0],
            decline_below=inputs.cutoffs[1],
            policy_ok=np.ones((c.size, len(types)), dtype=bool),
        )
        at_median.append(pd.DataFrame(approve(median)[1], index=part.ids, columns=list(types)))
    return (
        pd.concat(by_mix).reindex(ids),
        pd.concat(at_median).reindex(ids),
        str(inputs.card_label),
    )


def true_pd(features: pd.DataFrame, ptype: np.ndarray, instalment: np.ndarray) -> np.ndarray:
    income = features["monthly_income_yuan"].to_numpy() * 100.0
    debt = np.nan_to_num(features["monthly_debt_payment_yuan"].to_numpy()) * 100.0
    return pd12(
        DefaultModel(),
        monthly_income_fen=income,
        dti=(debt + instalment) / np.maximum(income, 1.0),
        occupation=features["occupation"].to_numpy(),
        delinquent_accounts=np.nan_to_num(features["delinquent_accounts"].to_numpy()),
        max_dpd_24m=np.nan_to_num(features["max_dpd_24m"].to_numpy()),
        inquiries_6m=np.nan_to_num(features["inquiries_6m"].to_numpy()),
        age=features["age"].to_numpy(),
        card_utilisation=np.nan_to_num(features["card_utilisation"].to_numpy()),
        product_type=ptype,
    )


def choose(
    customer: np.ndarray, profit: np.ndarray, cost: np.ndarray, budget: float, solver: str
) -> tuple[np.ndarray, str]:
    """At most one option per customer, total cost ≤ budget, maximising estimated profit."""
    try:
        from loanpilot.analytics import optimize
    except ImportError:
        optimize = None
    keep = np.flatnonzero(profit > 0)
    if solver == "optimize" and optimize is not None and hasattr(optimize, "solve"):
        _, codes = np.unique(customer[keep], return_inverse=True)
        options = optimize.Options(
            customer=codes,
            value=profit[keep],
            cost=cost[keep],
            channel=np.zeros(len(keep), dtype=int),
            product=np.zeros(len(keep), dtype=int),
            channel_usage=np.ones(len(keep)),
        )
        constraints = optimize.Constraints(
            budget=budget, channel_capacity={}, segment_min={}, product_cap={}
        )
        sol = optimize.solve(options, constraints, method="lagrangian", time_limit=60.0)
        return keep[
            np.asarray(sol.chosen, dtype=int)
        ], f"optimize.solve ({sol.method}, gap {sol.gap:.2%})"
    return _lagrangian(customer[keep], profit[keep], cost[keep], budget, keep)


def _lagrangian(
    customer: np.ndarray, profit: np.ndarray, cost: np.ndarray, budget: float, index: np.ndarray
) -> tuple[np.ndarray, str]:
    """Fallback while helper D's solver is not installed: price the budget at λ per fen; each
    customer takes the option of highest profit − λ·cost if positive; bisect λ to the budget,
    then fill what is left greedily by profit per fen."""

    def pick(lam: float) -> np.ndarray:
        score = profit - lam * cost
        order = np.lexsort((-score, customer))
        first = order[np.r_[True, customer[order][1:] != customer[order][:-1]]]
        return first[score[first] > 0]

    lo, hi = 0.0, float(np.max(profit / np.maximum(cost, 1e-9))) + 1.0
    if cost[pick(0.0)].sum() <= budget:
        return index[pick(0.0)], "Lagrangian (budget not binding)"
    for _ in range(60):
        mid = (lo + hi) / 2.0
        lo, hi = (lo, mid) if cost[pick(mid)].sum() <= budget else (mid, hi)
    chosen = pick(hi)
    spent, taken = float(cost[chosen].sum()), set(customer[chosen].tolist())
    rest = np.flatnonzero(~np.isin(customer, list(taken)))
    rest = rest[np.argsort(-profit[rest] / np.maximum(cost[rest], 1e-9), kind="mergesort")]
    extra: list[int] = []
    for i in rest:  # fill the budget left by the last λ step
        if customer[i] not in taken and spent + cost[i] <= budget:
            taken.add(int(customer[i]))
            extra.append(int(i))
            spent += float(cost[i])
    return index[
        np.r_[chosen, np.asarray(extra, dtype=int)]
    ], f"Lagrangian + greedy fill (λ {hi:.3g})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="", help="an existing demo bank (SQLite file); read only")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--as-of", default="2026-11-29")
    parser.add_argument("--budget-yuan", type=float, default=100_000.0)
    parser.add_argument(
        "--var-dir", default="", help="the bank's var dir (settings); default a temporary one"
    )
    parser.add_argument("--base", default="logistic", choices=("logistic", "lightgbm"))
    parser.add_argument(
        "--learner",
        default=svc.DEFAULT_LEARNER,
        choices=(*svc.LEARNERS, "best"),
        help="our list's learner (default: the service's default; best = better hold-out Qini)",
    )
    parser.add_argument(
        "--solver",
        default="optimize",
        choices=("optimize", "local"),
        help="analytics.optimize.solve, or the local Lagrangian of this script",
    )
    args = parser.parse_args()
    as_of = date.fromisoformat(args.as_of)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        url = (
            f"sqlite:///{Path(args.db).resolve()}"
            if args.db
            else build_bank(args.customers, args.seed, as_of, Path(tmp))
        )
        built = time.perf_counter() - started
        factory = make_session_factory(make_engine(url))
        with factory() as session:
            data = svc.uplift_data(session, as_of)
            features = marketing_frame(session, as_of)
            loans = loan_terms(session)
            pd_model, pd_cols, bad_rate, n_pd = estimated_pd(session, loans, as_of, features)
            from loanpilot.config import get_settings

            settings = get_settings(var_dir=Path(args.var_dir or tmp), database_url=url)
            ok = (
                features["marketing_consent"].astype(bool)
                & ~features["opted_out"].astype(bool)
                & ~features["is_blacklisted"].astype(bool)
            )
            terms = loans.groupby("ptype").agg(
                amount=("principal", "median"), term=("term", "median"), rate=("rate", "median")
            )
            t0 = time.perf_counter()
            pd_card, pd_card_median, card_label = card_pd(
                session, as_of, settings, features.index[ok.to_numpy()].to_numpy(), loans, terms
            )
            card_s = time.perf_counter() - t0
    print(
        f"demo bank: {len(features):,} customers ({'given' if args.db else f'built in {built:.0f} s'}), "
        f"{len(data.y):,} experiment rows from {len(set(data.campaign.tolist()))} campaigns"
    )

    # -- learners: hold-out Qini of each, then the better one refitted on all rows ------------------
    from sklearn.model_selection import train_test_split

    strata = np.char.add(data.labels.astype(str), data.y.astype(str))
    train, test = train_test_split(
        np.arange(len(data.y)), test_size=0.3, stratify=strata, random_state=0
    )
    ptype_rows = data.X["product_type"].to_numpy()
    truth_rows = response_probability(
        ResponseModel(),
        channel=data.X["channel"].to_numpy(),
        occupation=data.X["occupation"].to_numpy(),
        product_type=ptype_rows,
        age=data.X["age"].to_numpy(),
        treated=np.ones(len(data.y)),
    )
    truth_rows = truth_rows - response_probability(
        ResponseModel(),
        channel=data.X["channel"].to_numpy(),
        occupation=data.X["occupation"].to_numpy(),
        product_type=ptype_rows,
        age=data.X["age"].to_numpy(),
        treated=np.zeros(len(data.y)),
    )
    yt, tt = data.y[test], data.treated[test]
    print(
        f"\nhold-out ({len(test):,} rows, 30 % stratified): Qini coefficient (ours = scikit-uplift scale; causalml scale)"
    )
    qinis: dict[str, float] = {}
    variants = [(n, b, True) for b in ("logistic", "lightgbm") for n in svc.LEARNERS]
    variants += [("two_model", b, False) for b in ("logistic", "lightgbm")]
    for name, base, offset in variants:
        learner = svc.make_learner(name, base, 0)
        if isinstance(learner, TwoModelUplift):
            learner.baseline_offset = offset
        learner = svc._fit(learner, data, train)
        m = svc.score_metrics(
            yt, tt, svc.own_arm_scores(learner, data.X.iloc[test], data.arm[test])
        )
        if offset:
            qinis[f"{name}/{base}"] = m["qini"]
        label = name if offset or name != "two_model" else "two_model (no offset)"
        if True:
            print(
                f"  {label:<22} {base:<9} Qini {m['qini']:+.4f}  causalml {m['qini_gain']:+.4f}  "
                f"AUUC {m['auuc']:+.4f}  uplift@10% {m['uplift_at']['10']:+.4f}  @30% {m['uplift_at']['30']:+.4f}"
            )
    m = svc.score_metrics(yt, tt, truth_rows[test])
    print(
        f"  {'true uplift (oracle)':<32} Qini {m['qini']:+.4f}  causalml {m['qini_gain']:+.4f}  AUUC {m['auuc']:+.4f}"
    )
    best = max((k for k in qinis if k.endswith(args.base)), key=lambda k: qinis[k])
    # the learner the service registers by default (campaigns.uplift.DEFAULT_LEARNER: the
    # hold-out Qini cannot tell the learners apart), or --learner
    name = best.split("/")[0] if args.learner == "best" else args.learner
    print(f"  better hold-out Qini: {best}; used: {name}/{args.base}")
    learner = svc._fit(svc.make_learner(name, args.base, 0), data, np.arange(len(data.y)))
    response_model = svc._fit(
        svc.make_learner("two_model", args.base, 0), data, np.arange(len(data.y))
    )
    assert isinstance(response_model, TwoModelUplift)

    # -- options: contactable customers × product types × channels -------------------------------
    f = features[ok]
    ptypes = sorted(loans["ptype"].unique())
    n_c, n_p, n_ch = len(f), len(ptypes), len(CHANNELS)
    cust = np.repeat(np.arange(n_c), n_p * n_ch)
    ptype = np.tile(np.repeat(np.array(ptypes), n_ch), n_c)
    channel = np.tile(np.array(CHANNELS), n_c * n_p)
    X = svc.option_frame(f, f.index.to_numpy()[cust], ptype, channel)
    amount, term, rate = (
        terms.loc[ptype, k].to_numpy(dtype=float) for k in ("amount", "term", "rate")
    )
    lgd = np.array([DefaultModel().lgd[p] for p in ptype])
    cost = np.array([CONTACT_COST_FEN[c] for c in channel], dtype=float)
    fr = f.iloc[cust]
    pd_true = true_pd(fr, ptype, instalment_fen(amount, rate, term))
    Xpd = fr[pd_cols].reset_index(drop=True)
    Xpd["product_type"] = ptype
    pd_small = pd_model.predict_proba(Xpd)
    pd_ours = pd_card.to_numpy()[cust, pd_card.columns.get_indexer(ptype)]
    pd_median = pd_card_median.to_numpy()[cust, pd_card_median.columns.get_indexer(ptype)]
    value_true = risk_adjusted_value(amount, rate, term, pd_true, lgd, FUNDING_RATE)
    value_ours = risk_adjusted_value(amount, rate, term, pd_ours, lgd, FUNDING_RATE)
    value_small = risk_adjusted_value(amount, rate, term, pd_small, lgd, FUNDING_RATE)
    value_median = risk_adjusted_value(amount, rate, term, pd_median, lgd, FUNDING_RATE)
    treated = {
        k: response_probability(
            ResponseModel(),
            channel=channel,
            occupation=fr["occupation"].to_numpy(),
            product_type=ptype,
            age=fr["age"].to_numpy(),
            treated=np.full(len(channel), k),
        )
        for k in (0.0, 1.0)
    }
    # the true effect of targeting: reached with the demo's reach rate, then moved by the contact
    uplift_true = reach_probability(channel) * (treated[1.0] - treated[0.0])
    col = arm_column(learner, channel)
    uplift_ours = np.where(
        col >= 0, learner.predict_uplift(X)[np.arange(len(col)), np.maximum(col, 0)], 0.0
    )
    rcol = np.maximum(arm_column(response_model, channel), 0)
    response_ours = response_model.predict_response(X)[np.arange(len(rcol)), rcol]
    true_profit = uplift_true * value_true - cost
    budget = args.budget_yuan * 100.0
    lists = {
        "ours (uplift)": uplift_ours * value_ours - cost,
        "oracle (true uplift, true PD)": true_profit,
        "response targeting": response_ours * value_ours - cost,
        "  diagnostic: our uplift, true PD": uplift_ours * value_true - cost,
        "  diagnostic: true uplift, our PD": uplift_true * value_ours - cost,
        "  diagnostic: our uplift, card PD at type median": uplift_ours * value_median - cost,
        "  diagnostic: our uplift, small PD model": uplift_ours * value_small - cost,
        "  diagnostic: true uplift, small PD model": uplift_true * value_small - cost,
    }
    print(
        f"\noptions: {n_c:,} contactable customers × {n_p} product types × {n_ch} channels = {len(cust):,}; "
        f"budget ¥{args.budget_yuan:,.0f}; chosen learner {name}/{args.base}\n"
        f"our PD: champion card {card_label} as the offer run scores it ({card_s:.0f} s); "
        f"small PD model (diagnostic) on {n_pd:,} seasoned loans (bad rate {bad_rate:.2%})"
    )
    pds = pd.DataFrame(
        {"true": pd_true, "card (ours)": pd_ours, "card @ median": pd_median, "small": pd_small}
    )
    print("mean PD12 over contactable customers by product type, and rank correlation with true:")
    means = pds.groupby(ptype).mean()
    corr = {
        k: pds[["true", k]].groupby(ptype).corr(method="spearman").xs(k, level=1)["true"]
        for k in pds.columns[1:]
    }
    for t in means.index:
        print(
            f"  {t:<16} "
            + "  ".join(f"{k} {means.loc[t, k]:.2%}" for k in pds.columns)
            + "   ρ "
            + "  ".join(f"{k} {corr[k][t]:+.2f}" for k in corr)
        )
    results: dict[str, float] = {}
    for label, est in lists.items():
        t0 = time.perf_counter()
        chosen, how = choose(cust, est, cost, budget, args.solver)
        how += f", {time.perf_counter() - t0:.1f} s"
        results[label] = float(true_profit[chosen].sum())
        mix = pd.Series(channel[chosen]).value_counts().head(3).to_dict()
        print(
            f"  {label:<48} contacts {len(chosen):>6,}  spend ¥{cost[chosen].sum() / 100:>10,.0f}  "
            f"true incremental profit ¥{results[label] / 100:>14,.0f}   [{how}; top channels {mix}]"
        )
    oracle = results["oracle (true uplift, true PD)"]
    ours = results["ours (uplift)"]
    resp = results["response targeting"]
    share = ours / oracle
    print(
        f"\nours / oracle = {share:.1%} (target ≥ {TARGET_SHARE:.0%}: {'MET' if share >= TARGET_SHARE else 'MISSED'})"
    )
    print(
        f"ours vs response targeting: +¥{(ours - resp) / 100:,.0f} ({ours / resp - 1:+.1%}); response targeting / oracle = {resp / oracle:.1%}"
    )
    print(f"wall {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
