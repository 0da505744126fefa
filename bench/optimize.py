"""Benchmark: budget and offer optimisation (``loanpilot.analytics.optimize.solve``).

    .venv/bin/python bench/optimize.py                      # 1,000,000 customers, 10,000 sample
    .venv/bin/python bench/optimize.py --customers 200000   # smaller full instance
    .venv/bin/python bench/optimize.py --milp-limit 120     # cap scipy's MILP reference at 120 s

What one run does (issue 6, item 4):

1. Generates a seeded synthetic instance: ``--customers`` customers x 20 products x 4 channels
   (sms, call, branch, mobile), every (customer, product, channel) an option (80 per customer),
   customer-major. Expected incremental profit = profit of a take-up (product base, lognormal)
   x uplift (customer affinity x product appeal x channel effect x noise, all lognormal: a skewed
   value with a long tail) - contact cost; a quarter of (customer, product) pairs are ineligible
   (value -1 fen) and most low-uplift options are negative. Contact cost and capacity units:
   sms 0.08 yuan / 1 message, call 3.5 / 1 call, branch 25 / 0.5 staff hours, mobile 0.02 / 1 push.
   Limits that bind: the budget, the capacity of every channel, caps on 5 of the 20 products, and
   minimum coverage of 3 low-affinity segments (of 6).
2. Solves it with our ``solve`` (method ``auto``: the Lagrangian method at this size): wall time,
   peak traced memory of the solve (``tracemalloc``: numpy registers its buffers) and the process
   peak RSS, objective, Lagrangian bound, gap, binding limits.
3. On a random 10,000-customer sample (limits scaled by the sample share): scipy's ``milp``
   (HiGHS) on the MILP built here directly from the options (options of value <= 0 dropped unless
   their customer is in a segment with a minimum: they cannot improve a list), as the exactness
   reference, beside our ``solve`` with method ``lagrangian``, ``auto`` and ``milp`` (ours:
   reduced-cost fixing, then HiGHS): objective, ratio to the reference and time.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from loanpilot.analytics.optimize import Constraints, Options, solve

CHANNELS = ("sms", "call", "branch", "mobile")
COST_FEN = np.array([8.0, 350.0, 2500.0, 2.0], np.float32)
USAGE = np.array([1.0, 1.0, 0.5, 1.0], np.float32)
EFFECT = np.array([0.35, 1.0, 2.6, 0.15], np.float32)
N_PROD = 20
N_SEG = 6


def instance(n: int, seed: int) -> tuple[Options, Constraints, np.ndarray]:
    rng = np.random.default_rng(seed)
    seg = rng.choice(N_SEG, size=n, p=[0.3, 0.25, 0.2, 0.12, 0.08, 0.05]).astype(np.int16)
    affinity = (
        rng.lognormal(0.0, 0.9, n).astype(np.float32)
        * np.array([1.0, 1.2, 0.9, 0.7, 0.35, 0.3], np.float32)[seg]
    )
    profit = rng.lognormal(np.log(150_000), 0.6, N_PROD).astype(np.float32)  # fen per take-up
    appeal = rng.lognormal(0.0, 0.5, N_PROD).astype(np.float32)
    k = N_PROD * 4
    m = n * k
    customer = np.repeat(np.arange(n, dtype=np.int32), k)
    product = np.tile(np.repeat(np.arange(N_PROD, dtype=np.int8), 4), n)
    channel = np.tile(np.arange(4, dtype=np.int8), n * N_PROD)
    value = rng.lognormal(0.0, 0.6, m).astype(np.float32)  # noise
    value *= np.repeat(affinity, k)
    value *= np.tile(np.repeat(appeal * profit * 0.0016, 4), n)
    value *= EFFECT[channel]
    value -= COST_FEN[channel]
    eligible = rng.random(n * N_PROD) < 0.75
    value[~np.repeat(eligible, 4)] = -1.0
    cost = COST_FEN[channel]
    usage = USAGE[channel]
    s = n / 1_000_000
    constraints = Constraints(
        budget=50_000_000 * s,  # ¥500,000 per million customers
        channel_capacity={0: 400_000 * s, 1: 60_000 * s, 2: 8_000 * s, 3: 450_000 * s},
        segment_min={3: int(40_000 * s), 4: int(60_000 * s), 5: int(40_000 * s)},
        product_cap={p: int(25_000 * s) for p in range(5)},
    )
    opts = Options(customer, value, cost, channel, product, usage, n_customers=n)
    return opts, constraints, seg


def sample(opts: Options, c: Constraints, seg: np.ndarray, k: int, seed: int):
    n = int(opts.n_customers or 0)
    rng = np.random.default_rng(seed + 1)
    cust = np.sort(rng.choice(n, size=k, replace=False))
    per = 4 * N_PROD
    idx = (cust[:, None] * per + np.arange(per)[None, :]).ravel()
    s = k / n
    sub = Options(
        np.repeat(np.arange(k, dtype=np.int32), per), np.asarray(opts.value)[idx],
        np.asarray(opts.cost)[idx], np.asarray(opts.channel)[idx],
        np.asarray(opts.product)[idx], np.asarray(opts.channel_usage)[idx], n_customers=k,
    )  # fmt: skip
    cs = Constraints(
        budget=None if c.budget is None else c.budget * s,
        channel_capacity={ch: v * s for ch, v in c.channel_capacity.items()},
        segment_min={g: int(v * s) for g, v in c.segment_min.items()},
        product_cap={p: int(v * s) for p, v in c.product_cap.items()},
    )
    return sub, cs, seg[cust]


def scipy_reference(o: Options, c: Constraints, seg: np.ndarray, limit: float):
    """The MILP written out directly for scipy's milp (HiGHS)."""
    cust = np.asarray(o.customer).astype(np.int64)
    val = np.asarray(o.value, float)
    ch = np.asarray(o.channel).astype(np.int64)
    pr = np.asarray(o.product).astype(np.int64)
    use = np.asarray(o.channel_usage, float)
    cost = np.asarray(o.cost, float)
    mins = dict(c.segment_min)
    keep = np.flatnonzero((val > 0) | np.isin(seg[cust], list(mins)))
    cust, val, ch, pr, use, cost = cust[keep], val[keep], ch[keep], pr[keep], use[keep], cost[keep]
    m, n = keep.size, int(o.n_customers or 0)
    col = np.arange(m)
    rows = [sparse.csr_matrix((np.ones(m), (cust, col)), shape=(n, m))]
    lo, hi = [np.full(n, -np.inf)], [np.ones(n)]
    rows.append(sparse.csr_matrix(cost[None, :]))
    lo.append([-np.inf])
    hi.append([c.budget])
    for k, cap in c.channel_capacity.items():
        rows.append(sparse.csr_matrix(np.where(ch == k, use, 0.0)[None, :]))
        lo.append([-np.inf])
        hi.append([cap])
    for p, cap in c.product_cap.items():
        rows.append(sparse.csr_matrix((pr == p).astype(float)[None, :]))
        lo.append([-np.inf])
        hi.append([cap])
    for g, lim in mins.items():
        rows.append(sparse.csr_matrix((seg[cust] == g).astype(float)[None, :]))
        lo.append([lim])
        hi.append([np.inf])
    a = sparse.vstack(rows, format="csr")
    t = time.perf_counter()
    res = milp(
        -val, integrality=np.ones(m), bounds=Bounds(0, 1),
        constraints=LinearConstraint(a, np.concatenate(lo), np.concatenate(hi)),
        options={"time_limit": limit, "disp": False},
    )  # fmt: skip
    secs = time.perf_counter() - t
    obj = -float(res.fun) if res.x is not None else float("nan")
    bound = -float(getattr(res, "mip_dual_bound", None) or np.nan)
    return obj, bound, secs, res.message, m


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--milp-limit", type=float, default=600.0)
    args = ap.parse_args()

    t = time.perf_counter()
    opts, cons, seg = instance(args.customers, args.seed)
    m = np.asarray(opts.value).size
    print(
        f"instance: {args.customers:,} customers x {N_PROD} products x 4 channels = {m:,} options"
        f" ({(np.asarray(opts.value) > 0).mean():.1%} of positive value), built in"
        f" {time.perf_counter() - t:.1f} s"
    )
    print(
        f"limits: budget ¥{cons.budget / 100:,.0f}; capacity {cons.channel_capacity};"
        f" product caps {cons.product_cap}; segment minimums {cons.segment_min}"
    )

    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    t = time.perf_counter()
    sol = solve(opts, cons, seg)
    secs = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print("\n## full instance: our solve (method auto)")
    print(
        f"method {sol.method}, status {sol.status}; time {secs:.1f} s; peak memory of the solve"
        f" {peak / 1024**3:.2f} GiB (process peak RSS {rss:.2f} GiB incl. the instance)"
    )
    print(
        f"objective ¥{sol.objective / 100:,.2f}; Lagrangian bound ¥{sol.bound / 100:,.2f};"
        f" gap {sol.gap:.4%}; LP bound {sol.lp_bound}"
    )
    print(f"chosen {sol.chosen.size:,} customers; binding: {', '.join(sol.binding)}")
    print("usage: " + "; ".join(f"{k} {u:,.0f}/{lim:,.0f}" for k, (u, lim) in sol.usage.items()))
    print("stats: " + ", ".join(f"{k} {v:,.2f}" for k, v in sol.stats.items()))

    sub, cs, sseg = sample(opts, cons, seg, args.sample, args.seed)
    del opts
    print(f"\n## {args.sample:,}-customer sample (limits x {args.sample / args.customers:g})")
    ref, ref_bound, ref_secs, msg, ref_m = scipy_reference(sub, cs, sseg, args.milp_limit)
    print(
        f"scipy milp (HiGHS) reference: {ref_m:,} columns; objective ¥{ref / 100:,.2f};"
        f" dual bound ¥{ref_bound / 100:,.2f}; {ref_secs:.1f} s; {msg}"
    )
    print("| method | objective (¥) | / scipy milp | bound (¥) | gap | time (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| scipy milp | {ref / 100:,.2f} | 1.00000 | {ref_bound / 100:,.2f} | - | {ref_secs:.2f} |"
    )
    for method in ("lagrangian", "auto", "milp"):
        t = time.perf_counter()
        s = solve(sub, cs, sseg, method=method, time_limit=args.milp_limit)  # type: ignore[arg-type]
        sec = time.perf_counter() - t
        print(
            f"| ours {method} ({s.method}) | {s.objective / 100:,.2f} | {s.objective / ref:.5f} |"
            f" {s.bound / 100:,.2f} | {s.gap:.4%} | {sec:.2f} |"
        )


if __name__ == "__main__":
    main()
