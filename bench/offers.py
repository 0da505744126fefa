"""End-to-end next-best-offer benchmark (issue 6): 1,000,000 customers × 20 products × 4 channels
through eligibility, the contact policy, the take-up propensity model, the uplift model, P(approve)
from the champion scorecard under the credit policy, the risk-adjusted value and the budget
optimiser — in under 120 s and 8 GiB — with the gap to the LP bound (target < 1 %), beside scipy's
``milp`` (HiGHS) on a 10,000-customer sample as the exactness reference.

The models are the bank's own: a demo bank is built first (``loanpilot demo build``, its
marketing step fits the take-up and uplift models and the demo's champion card decides), and its
products and policy are read with ``products.offers_inputs.run_inputs``. The catalogue's 14
products are widened to 20 with six seasonal variants (a lower rate). The million customers are
the demo's 20,000 customers resampled with replacement and jittered (income, debts, deposits ±20 %,
age ±2 years), so every model sees realistic rows; the contact-policy facts are resampled with
them. Customers are scored in chunks of 50,000 with ``offer_kernel.score_chunk(by_pair=True)``
(each customer's 8 best (product, channel) pairs become the optimiser's options), then
``analytics.optimize.solve`` chooses at most one option per customer under the total budget,
per-channel capacities (SMS volume, call-centre calls, branch staff hours at 0.5 h a contact,
app pushes), a minimum coverage per age segment and a cap per product.

    OMP_NUM_THREADS=1 .venv/bin/python bench/offers.py [--db PATH --var DIR] [--customers 1000000]

Building the demo bank takes about a minute and is not counted; ``--db`` reuses one.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import fields, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 50_000
PAIRS_PER_CUSTOMER = 8
BRANCH_HOURS_PER_CONTACT = 0.5


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _build_bank(workdir: Path, customers: int) -> tuple[str, Path]:
    db, var = workdir / "bench-offers.db", workdir / "var"
    env = dict(
        os.environ,
        LOANPILOT_DATABASE_URL=f"sqlite:///{db}",
        LOANPILOT_VAR_DIR=str(var),
        OMP_NUM_THREADS="1",
    )
    cli = [sys.executable, "-c", "from loanpilot.cli import main; main()"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    print(f"building a {customers:,}-customer demo bank (not timed) ...", flush=True)
    subprocess.run(
        [*cli, "demo", "build", "-n", str(customers)], env=env, check=True, capture_output=True
    )
    return f"sqlite:///{db}", var


def _take(table: Any, idx: np.ndarray[Any, Any]) -> Any:
    """An eligibility table (or any dataclass of per-product arrays) restricted to ``idx``."""
    out = {}
    for f in fields(table):
        value = getattr(table, f.name)
        out[f.name] = value[idx] if isinstance(value, np.ndarray) else value
    return type(table)(**out)


def widen(inputs: Any, n_products: int) -> Any:
    """The run's products widened to ``n_products``: extra seasonal variants of the consumer and
    business products at a rate 0.3 percentage points lower (same rules)."""
    p = inputs.arrays.size
    if n_products <= p:
        return inputs
    names = inputs.arrays.type_names
    pool = [i for i in range(p) if names[inputs.arrays.type_code[i]] in ("consumer", "business")]
    extra = [pool[i % len(pool)] for i in range(n_products - p)]
    idx = np.array(list(range(p)) + extra)
    arrays = _take(inputs.arrays, idx)
    rate = arrays.annual_rate.copy()
    rate[p:] = np.maximum(rate[p:] - 0.003, 0.0)
    arrays = replace(arrays, annual_rate=rate, eligibility=_take(inputs.arrays.eligibility, idx))
    return replace(
        inputs,
        products=tuple(inputs.products[i] for i in idx),
        arrays=arrays,
        policy_table=_take(inputs.policy_table, idx),
        scenario_amounts=inputs.scenario_amounts[:, idx],
        scenario_policy=tuple(_take(t, idx) for t in inputs.scenario_policy),
    )


def synthetic_customers(
    frame: pd.DataFrame, facts: pd.DataFrame, n: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(frame), n)
    big = frame.iloc[pick].reset_index(drop=True)
    for column in (
        "monthly_income_yuan",
        "monthly_debt_payment_yuan",
        "total_debt_yuan",
        "deposit_balance_yuan",
        "avg_deposit_6m_yuan",
        "card_spend_monthly_yuan",
    ):
        big[column] = big[column] * rng.uniform(0.8, 1.2, n)
    big["age"] = np.clip(big["age"] + rng.integers(-2, 3, n), 18, 80).astype(float)
    big.index = pd.RangeIndex(1, n + 1, name="customer_id")
    small = facts.iloc[pick].reset_index(drop=True)
    small.index = big.index
    return big, small


def score_all(
    frame: pd.DataFrame, facts: pd.DataFrame, inputs: Any
) -> tuple[dict[str, np.ndarray[Any, Any]], dict[str, float]]:
    from loanpilot.products import offer_kernel as kernel
    from loanpilot.products import offers_inputs as oi
    from loanpilot.products.offers import MIN_PROFIT_FEN

    parts: dict[str, list[np.ndarray[Any, Any]]] = {
        k: [] for k in ("customer", "value", "cost", "channel", "product")
    }
    seconds = {"bind": 0.0, "score": 0.0}
    eligible_pairs = 0
    for start in range(0, len(frame), CHUNK):
        t0 = time.perf_counter()
        bound = oi.bind_chunk(
            frame.iloc[start : start + CHUNK], facts.iloc[start : start + CHUNK], inputs
        )
        t1 = time.perf_counter()
        res = kernel.score_chunk(
            bound.customers, inputs.arrays, inputs.cost_fen, take=bound.take,
            approve=bound.approve, uplift=bound.uplift, funding_rate=inputs.funding_rate,
            top_n=PAIRS_PER_CUSTOMER, min_profit_fen=MIN_PROFIT_FEN, by_pair=True,
        )  # fmt: skip
        seconds["bind"] += t1 - t0
        seconds["score"] += time.perf_counter() - t1
        eligible_pairs += res.eligible_pairs
        parts["customer"].append(res.row + start)
        parts["value"].append(res.profit_fen)
        parts["cost"].append(res.cost_fen)
        parts["channel"].append(res.channel)
        parts["product"].append(res.product)
        done = min(start + CHUNK, len(frame))
        print(f"\r  scored {done:,} / {len(frame):,} customers", end="", flush=True)
    print()
    out = {k: np.concatenate(v) for k, v in parts.items()}
    seconds["eligible_pairs"] = float(eligible_pairs)
    return out, seconds


def constraints_for(
    options: dict[str, np.ndarray[Any, Any]], n_customers: int, channels: tuple[str, ...]
) -> tuple[Any, np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Limits that bind, scaled with the number of customers (so the 10k sample is the same
    problem in miniature): a budget of ¥0.15 a customer, capacities per channel, 1 % coverage of
    each age segment, at most 4 % of customers per product."""
    from loanpilot.analytics.optimize import Constraints

    scale = n_customers / 1_000_000
    usage = np.where(
        np.array(channels)[options["channel"]] == "branch", BRANCH_HOURS_PER_CONTACT, 1.0
    )
    capacity_of = {
        "sms": 150_000,
        "call_center": 20_000,
        "branch": 2_500,  # staff hours
        "mobile": 200_000,
    }
    capacity = {i: capacity_of[name] * scale for i, name in enumerate(channels)}
    products = int(options["product"].max()) + 1 if options["product"].size else 0
    constraints = Constraints(
        budget=15_000_000 * scale,  # fen: ¥150,000 for a million customers
        channel_capacity=capacity,
        segment_min={s: int(10_000 * scale) for s in range(3)},
        product_cap={p: int(40_000 * scale) for p in range(products)},
    )
    return constraints, usage, np.array(channels)


def run(args: argparse.Namespace) -> None:
    from sqlalchemy.orm import Session

    from loanpilot.analytics.optimize import Options, solve
    from loanpilot.config import get_settings
    from loanpilot.customers.features import marketing_frame
    from loanpilot.db.session import make_engine
    from loanpilot.products import offers_inputs as oi
    from loanpilot.products import repository_offers as repo_offers

    with tempfile.TemporaryDirectory() as tmp:
        if args.db:
            url, var = f"sqlite:///{args.db}", Path(args.var or Path(args.db).parent / "var")
        else:
            url, var = _build_bank(Path(tmp), 20_000)
        settings = get_settings(environment="test", var_dir=var, database_url=url)
        engine = make_engine(url)
        as_of = date.fromisoformat(args.as_of) if args.as_of else None
        with Session(engine) as session:
            from sqlalchemy import func, select

            from loanpilot.products.models_offers import OfferRun

            if as_of is None:
                as_of = session.scalar(select(func.max(OfferRun.as_of)))
            assert as_of is not None, "the bank has no offer run: build it with the demo"
            inputs = widen(oi.run_inputs(session, as_of, settings), args.products)
            frame = marketing_frame(session, as_of)
            ids = [int(i) for i in frame.index]
            facts = repo_offers.policy_facts(session, ids, as_of, inputs.policy.window_days)
            facts = facts.reindex(frame.index)
        engine.dispose()
    print(
        f"models: take-up {inputs.take_label}, uplift {inputs.uplift_label}, card "
        f"{inputs.card_label}; {inputs.arrays.size} products × {len(inputs.channels)} channels"
    )
    big, big_facts = synthetic_customers(frame, facts, args.customers, seed=7)
    del frame, facts
    # the age segment of each customer (young < 35 ≤ middle < 55 ≤ senior, the rule bands)
    segment = np.digitize(big["age"].to_numpy(), [35, 55]).astype(np.int64)

    started = time.perf_counter()
    options, seconds = score_all(big, big_facts, inputs)
    scored = time.perf_counter()
    constraints, usage, channels = constraints_for(options, args.customers, inputs.channels)
    problem = Options(
        customer=options["customer"], value=options["value"], cost=options["cost"],
        channel=options["channel"], product=options["product"], channel_usage=usage,
        n_customers=args.customers,
    )  # fmt: skip
    solution = solve(problem, constraints, segment, method="auto")
    ended = time.perf_counter()
    n_options = int(options["customer"].size)
    print(f"\n== end to end, {args.customers:,} customers ==")
    print(f"eligible (customer, product) pairs × channels: {seconds['eligible_pairs']:,.0f}")
    print(f"options kept (best {PAIRS_PER_CUSTOMER} pairs a customer, profit > 0): {n_options:,}")
    print(
        f"scoring {scored - started:.1f} s (binding models {seconds['bind']:.1f} s, kernel "
        f"{seconds['score']:.1f} s); optimiser {ended - scored:.1f} s ({solution.method}); "
        f"total {ended - started:.1f} s (target < 120 s)"
    )
    print(f"peak RSS {_peak_gib():.2f} GiB (target < 8 GiB)")
    print(
        f"chosen {solution.chosen.size:,}; expected incremental profit ¥{solution.objective / 100:,.0f}; "
        f"bound ¥{solution.bound / 100:,.0f}; gap {solution.gap:.4%} (target < 1 %)"
    )
    if solution.lp_bound is not None:
        print(f"LP bound (linprog) ¥{solution.lp_bound / 100:,.0f}")
    chosen = solution.chosen
    by_channel = np.bincount(options["channel"][chosen], minlength=len(channels))
    print(
        "by channel: " + ", ".join(f"{c} {k:,}" for c, k in zip(channels, by_channel, strict=True))
    )
    print(f"binding: {', '.join(solution.binding) or 'none'}")

    # exactness reference: the first 10,000 customers, limits scaled, milp vs ours
    n_small = args.sample
    keep = options["customer"] < n_small
    small = {k: v[keep] for k, v in options.items()}
    c_small, u_small, _ = constraints_for(small, n_small, inputs.channels)
    small_problem = Options(
        customer=small["customer"], value=small["value"], cost=small["cost"],
        channel=small["channel"], product=small["product"], channel_usage=u_small,
        n_customers=n_small,
    )  # fmt: skip
    seg_small = segment[:n_small]
    print(f"\n== exactness, {n_small:,}-customer sample, {int(keep.sum()):,} options ==")
    t0 = time.perf_counter()
    reference, status = plain_milp(small, u_small, c_small, seg_small, n_small)
    print(f"scipy milp (plain, HiGHS) objective ¥{reference / 100:,.2f} ({status}) "
          f"in {time.perf_counter() - t0:.2f} s")  # fmt: skip
    for method in ("lagrangian", "auto", "milp"):
        t0 = time.perf_counter()
        result = solve(small_problem, c_small, seg_small, method=method, time_limit=300)
        print(
            f"ours {method:<10} objective ¥{result.objective / 100:,.2f} bound "
            f"¥{result.bound / 100:,.2f} = {result.objective / reference:.5f} of scipy milp, "
            f"in {time.perf_counter() - t0:.2f} s"
        )


def plain_milp(
    options: dict[str, np.ndarray[Any, Any]],
    usage: np.ndarray[Any, Any],
    constraints: Any,
    segment_of_customer: np.ndarray[Any, Any],
    n_customers: int,
) -> tuple[float, str]:
    """The same problem written directly for scipy's ``milp`` (independent of our solver)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_array, vstack

    m = options["customer"].size
    cols = np.arange(m)
    rows: list[Any] = []
    lower: list[float] = []
    upper: list[float] = []

    def add(
        matrix: Any, lo: float | np.ndarray[Any, Any], hi: float | np.ndarray[Any, Any]
    ) -> None:
        rows.append(matrix)
        k = matrix.shape[0]
        lower.extend(np.broadcast_to(lo, (k,)).tolist())
        upper.extend(np.broadcast_to(hi, (k,)).tolist())

    ones = np.ones(m)
    add(csr_array((ones, (options["customer"], cols)), shape=(n_customers, m)), -np.inf, 1.0)
    if constraints.budget is not None:
        add(csr_array(options["cost"][None, :]), -np.inf, constraints.budget)
    for code, cap in constraints.channel_capacity.items():
        row = np.where(options["channel"] == code, usage, 0.0)
        add(csr_array(row[None, :]), -np.inf, cap)
    seg = segment_of_customer[options["customer"]]
    for code, minimum in constraints.segment_min.items():
        add(csr_array((seg == code).astype(float)[None, :]), minimum, np.inf)
    for code, cap in constraints.product_cap.items():
        add(csr_array((options["product"] == code).astype(float)[None, :]), -np.inf, cap)
    a = vstack(rows).tocsr()
    result = milp(
        -options["value"],
        constraints=LinearConstraint(a, np.array(lower), np.array(upper)),
        integrality=np.ones(m),
        bounds=Bounds(0, 1),
        options={"time_limit": 600, "mip_rel_gap": 1e-6},
    )
    if result.x is None:
        return float("nan"), result.message
    return float(-result.fun), f"{result.message.strip()}, gap {getattr(result, 'mip_gap', 0):.2e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="an existing demo bank (SQLite file) with its offer run")
    parser.add_argument("--var", help="that bank's var directory (default: beside the file)")
    parser.add_argument("--as-of", help="the business date (default: the latest offer run's)")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--sample", type=int, default=10_000)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
