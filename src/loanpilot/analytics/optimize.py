"""Budget and offer optimisation: for each customer at most one option (offer x channel) or none.

Pure numpy / scipy; imports nothing of ours but ``analytics.optimize_lagrange``.

Problem
-------
Binary ``x_o`` per option ``o`` (a customer, a product, a channel)::

    maximise    sum_o value_o x_o                      (expected incremental profit, fen)
    subject to  sum_{o of customer i} x_o <= 1         (at most one option per customer)
                sum_o cost_o x_o <= budget             ("budget", fen)
                sum_{o: channel k} usage_o x_o <= cap_k    ("channel_capacity[k]": contacts,
                                                        SMS volume or staff hours)
                sum_{o: product p} x_o <= cap_p        ("product_cap[p]")
                #{i in segment s with an option} >= min_s  ("segment_min[s]")

Methods: ``"milp"`` is exact (scipy ``milp``, HiGHS branch and cut, sparse rows); ``"lagrangian"``
(``optimize_lagrange``) relaxes the coupling rows with prices, searches the prices and repairs the
per-customer argmax into a feasible list; ``"auto"`` takes the MILP when the presolved list has at
most ``exact_max_options`` options. Every :class:`Solution` carries ``bound``, an upper bound of the
best list: for the MILP the LP relaxation, for the Lagrangian method the best dual value found
(which tends to the LP bound), and ``gap = (bound - objective) / bound``.

Presolve: an option that cannot be chosen alone (cost above the budget, usage above its channel's
capacity, product capped at 0) is dropped, and so is an option of value <= 0 unless its customer is
in a segment with a minimum. Before solving, limits that cannot be met together are explained in
words (:class:`Infeasible`); an infeasible MILP is explained by a smallest set of constraints found
by a deletion filter.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from loanpilot.analytics import optimize_lagrange as lg
from loanpilot.analytics.optimize_checks import Infeasible, check_feasible, explain_infeasible
from loanpilot.analytics.optimize_lagrange import Problem

Method = Literal["auto", "milp", "lagrangian"]
METHODS: tuple[str, ...] = ("auto", "milp", "lagrangian")
EXACT_MAX_OPTIONS = 200_000
LP_MAX_OPTIONS = 50_000
_MAX_CODE = 32_767

__all__ = [
    "EXACT_MAX_OPTIONS",
    "METHODS",
    "Constraints",
    "Infeasible",
    "Options",
    "Solution",
    "solve",
]


@dataclass(frozen=True)
class Options:
    """One row per option: customer index (0..n_customers-1), expected incremental profit (fen),
    contact cost (fen), channel code, product code and the units of its channel's capacity used."""

    customer: npt.ArrayLike
    value: npt.ArrayLike
    cost: npt.ArrayLike
    channel: npt.ArrayLike
    product: npt.ArrayLike
    channel_usage: npt.ArrayLike
    n_customers: int | None = None


@dataclass(frozen=True)
class Constraints:
    """Limits; a channel or product without an entry is unlimited, ``budget=None`` likewise."""

    budget: float | None = None
    channel_capacity: Mapping[int, float] = field(default_factory=dict)
    segment_min: Mapping[int, int] = field(default_factory=dict)
    product_cap: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Solution:
    """``chosen``: indices into the options, at most one per customer; ``binding``: keys of the
    limits used up (no remaining option fits); ``usage``: key -> (used, limit)."""

    chosen: npt.NDArray[np.int64]
    objective: float
    bound: float
    gap: float
    method: str
    status: str
    binding: list[str]
    usage: dict[str, tuple[float, float]] = field(default_factory=dict)
    lp_bound: float | None = None
    seconds: float = 0.0
    stats: dict[str, float] = field(default_factory=dict)


def _array(name: str, data: npt.ArrayLike, kind: str, m: int | None) -> npt.NDArray[Any]:
    arr = np.asarray(data)
    if arr.ndim != 1:
        raise ValueError(f"options.{name} must be a 1-D array; got {arr.ndim} dimensions")
    if m is not None and arr.shape[0] != m:
        raise ValueError(f"options.{name} must have one entry per option ({m}); got {arr.shape[0]}")
    if kind == "int" and arr.size and arr.dtype.kind not in "iu":
        raise ValueError(f"options.{name} must hold integers; got dtype {arr.dtype}")
    if kind == "float":
        if arr.dtype.kind not in "iuf":
            raise ValueError(f"options.{name} must be numeric; got dtype {arr.dtype}")
        if arr.size and not np.isfinite(arr).all():
            raise ValueError(f"options.{name} must be finite; got NaN or infinity")
    return arr


def _check_params(
    c: Constraints, method: str, exact_max_options: int, time_limit: float | None
) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if not isinstance(exact_max_options, int) or exact_max_options < 0:
        raise ValueError(f"exact_max_options must be an integer >= 0; got {exact_max_options!r}")
    if time_limit is not None and not time_limit > 0:
        raise ValueError(f"time_limit must be > 0 seconds or None; got {time_limit!r}")
    if c.budget is not None and not (np.isfinite(c.budget) and c.budget >= 0):
        raise ValueError(
            f"constraints.budget must be a finite amount >= 0 or None; got {c.budget!r}"
        )
    for name, table, integral in (
        ("channel_capacity", c.channel_capacity, False),
        ("segment_min", c.segment_min, True),
        ("product_cap", c.product_cap, True),
    ):
        for key, lim in table.items():
            ok_key = isinstance(key, int | np.integer) and (
                name == "segment_min" or 0 <= key <= _MAX_CODE
            )
            if not ok_key:
                raise ValueError(f"constraints.{name} keys must be integer codes; got {key!r}")
            ok = np.isfinite(lim) and lim >= 0 and (not integral or float(lim).is_integer())
            if not ok:
                kind = "an integer >= 0" if integral else "a finite number >= 0"
                raise ValueError(f"constraints.{name}[{key}] must be {kind}; got {lim!r}")


def _presolve(
    options: Options, c: Constraints, segment_of_customer: npt.ArrayLike | None
) -> tuple[Problem, dict[str, Any]]:
    cust = _array("customer", options.customer, "int", None)
    m = int(cust.shape[0])
    value = _array("value", options.value, "float", m)
    cost = _array("cost", options.cost, "float", m)
    ch = _array("channel", options.channel, "int", m)
    prod = _array("product", options.product, "int", m)
    use = _array("channel_usage", options.channel_usage, "float", m)
    for name, arr, hi in (
        ("customer", cust, None),
        ("channel", ch, _MAX_CODE),
        ("product", prod, _MAX_CODE),
    ):
        if m and (arr.min() < 0 or (hi is not None and arr.max() > hi)):
            top = "" if hi is None else f" and <= {hi}"
            raise ValueError(f"options.{name} must be >= 0{top}; got {arr.min()}..{arr.max()}")
    for name, arr in (("cost", cost), ("channel_usage", use)):
        if m and arr.min() < 0:
            raise ValueError(f"options.{name} must be >= 0; got {arr.min()}")
    seg_all = None if segment_of_customer is None else np.asarray(segment_of_customer)
    n = options.n_customers
    if n is None:
        n = seg_all.shape[0] if seg_all is not None else (int(cust.max()) + 1 if m else 0)
    if m and cust.max() >= n:
        raise ValueError(f"options.customer must be < n_customers ({n}); got {cust.max()}")
    if c.segment_min and seg_all is None:
        raise ValueError("segment_of_customer is required when constraints.segment_min is given")
    if seg_all is not None and (
        seg_all.ndim != 1 or seg_all.shape[0] != n or seg_all.dtype.kind not in "iu"
    ):
        raise ValueError(
            f"segment_of_customer must be 1-D integer codes, one per customer ({n}); got shape {seg_all.shape}, dtype {seg_all.dtype}"
        )

    n_ch = int(max(ch.max() if m else 0, *c.channel_capacity, 0)) + 1
    n_prod = int(max(prod.max() if m else 0, *c.product_cap, 0)) + 1
    ch_keys = np.array(sorted(int(k) for k in c.channel_capacity), np.int64)
    prod_keys = np.array(sorted(int(k) for k in c.product_cap), np.int64)
    seg_keys = np.array(sorted(int(k) for k in c.segment_min if c.segment_min[k] > 0), np.int64)
    ch_lim = np.full(n_ch, np.inf)
    ch_lim[ch_keys] = [float(c.channel_capacity[k]) for k in ch_keys.tolist()]
    pr_lim = np.full(n_prod, np.inf)
    pr_lim[prod_keys] = [float(c.product_cap[k]) for k in prod_keys.tolist()]
    seg_of = np.full(n, -1, np.int64)
    if seg_keys.size and seg_all is not None:
        pos = np.searchsorted(seg_keys, seg_all).clip(0, seg_keys.size - 1)
        seg_of = np.where(seg_keys[pos] == seg_all, pos, -1)
    # unusable alone: cost above the budget, usage above the channel's capacity, product capped at 0
    keep = value > 0
    if seg_keys.size:
        keep |= (seg_of >= 0)[cust]
    if c.budget is not None:
        keep &= cost <= c.budget
    if m and (ch_lim < float(use.max())).any():
        keep &= use <= ch_lim[ch]
    if (pr_lim < 1).any():
        keep &= pr_lim[prod] >= 1
    in_order = m < 2 or bool((cust[1:] >= cust[:-1]).all())
    orig = np.flatnonzero(keep)
    del keep
    if not in_order:
        orig = orig[np.argsort(cust[orig], kind="stable")]
    dt = np.float64 if orig.size <= 4_000_000 else np.float32

    def pick(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return np.take(a, orig)

    def up(a: npt.NDArray[Any]) -> npt.NDArray[Any]:  # round limits' coefficients up, never down
        a = pick(a)
        b = a.astype(dt)
        if np.dtype(dt).itemsize < a.dtype.itemsize:
            low = b < a
            b[low] = np.nextafter(b[low], dt(np.inf))
        return b

    oc_orig = pick(cust)
    first = np.r_[True, oc_orig[1:] != oc_orig[:-1]] if orig.size else np.zeros(0, bool)
    starts = np.flatnonzero(first)
    cust_ids = oc_orig[starts].astype(np.int64)
    del oc_orig
    oc = np.cumsum(first, dtype=np.int32) - 1
    del first
    p = Problem(
        oc=oc, val=pick(value).astype(dt, copy=False), cost=up(cost),
        ch=pick(ch).astype(np.int16, copy=False), prod=pick(prod).astype(np.int16, copy=False),
        use=up(use), orig=orig.astype(np.int64), starts=starts,
        counts=np.diff(np.r_[starts, orig.size]), seg=seg_of[cust_ids], budget=c.budget if c.budget is None else float(c.budget),
        ch_keys=ch_keys, ch_cap=ch_lim[ch_keys], prod_keys=prod_keys, prod_cap=pr_lim[prod_keys],
        seg_keys=seg_keys, seg_min=np.array([float(c.segment_min[k]) for k in seg_keys.tolist()]),
        n_ch=n_ch, n_prod=n_prod,
    )  # fmt: skip
    _code_tables(p)
    info = {"n_customers": n, "seg_of": seg_of, "cust_ids": cust_ids, "options_in": m}
    return p, info


def _code_tables(p: Problem) -> None:
    """Detect cost and usage that depend only on (channel, product) (one lookup per evaluation)."""
    n_code = p.n_ch * p.n_prod
    if n_code > 1_000_000 or p.m == 0:
        return
    code = p.ch.astype(np.int32)
    code *= p.n_prod
    code += p.prod
    tables = []
    for arr in (p.cost, p.use):
        table = np.zeros(n_code)
        table[code] = arr
        if not (table.astype(arr.dtype)[code] == arr).all():
            return
        tables.append(table)
    p.code = code.astype(np.int16) if n_code <= _MAX_CODE else code
    p.code_cost, p.code_use = tables


#: Without a ``time_limit`` the MILP still stops here (seconds) and keeps its best list: HiGHS can
#: spend many minutes proving the last 0.001 % on a knapsack of near-identical options.
MILP_DEFAULT_SECONDS = 30.0
#: The MILP stops at this relative gap to its own bound (0.001 %).
MILP_REL_GAP = 1e-5


def _milp(
    p: Problem,
    b: npt.NDArray[np.float64],
    time_limit: float | None,
    *,
    objective: bool = True,
    cols: npt.NDArray[np.int64] | None = None,
) -> tuple[int, npt.NDArray[np.int64]]:
    """HiGHS MILP over the options ``cols`` (all by default): (scipy status, chosen compact
    indices). HiGHS's own presolve is off: on this structure it costs more than it saves."""
    opts = np.arange(p.m) if cols is None else cols
    assign, _ = p.assignment_matrix(opts)
    a = sparse.vstack([p.coupling_matrix(opts), assign], format="csr")
    ub = np.concatenate([b, np.ones(assign.shape[0])])
    settings: dict[str, Any] = {"disp": False, "mip_rel_gap": MILP_REL_GAP, "presolve": False}
    if time_limit:
        settings["time_limit"] = time_limit
    cvec = -p.val[opts].astype(np.float64) if objective else np.zeros(opts.size)
    res = milp(
        cvec, integrality=np.ones(opts.size), bounds=Bounds(0, 1),
        constraints=LinearConstraint(a, -np.inf, ub), options=settings,
    )  # fmt: skip
    if res.x is None:
        return int(res.status), np.zeros(0, np.int64)
    return int(res.status), opts[np.flatnonzero(res.x > 0.5)].astype(np.int64)


def _lagrangian(
    p: Problem, deadline: float, max_dual_iter: int, sample_customers: int, seed: int
) -> tuple[npt.NDArray[np.float64], float, npt.NDArray[np.int64] | None, dict[str, float]]:
    """Prices, best dual value, the repaired list (None when a minimum was not met), timings."""
    t0 = time.monotonic()
    y0 = lg.sample_prices(p, sample_customers, seed)
    t1 = time.monotonic()
    sampled = p.starts.size > sample_customers
    y, bound, evals = lg.refine_prices(
        p,
        y0,
        max_iter=max_dual_iter if sampled else max(max_dual_iter, 80),
        deadline=deadline,
        radius=0.1 if sampled else 2.0,
    )
    t2 = time.monotonic()
    _, choice, r = lg.dual_eval(p, y, want_r=True)
    assert r is not None
    ok = lg.repair_and_fill(p, choice, r)
    del r
    stats = {"sample_seconds": t1 - t0, "dual_seconds": t2 - t1, "dual_evals": float(evals),
             "repair_seconds": time.monotonic() - t2}  # fmt: skip
    return y, bound, (np.sort(choice[choice >= 0]) if ok else None), stats


def _fixed_columns(
    p: Problem, y: npt.NDArray[np.float64], bound: float, incumbent: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Reduced-cost fixing: with ``pi_i = max(0, max_o r_o)``, a list containing option ``o`` is
    worth at most ``D(y) - (pi_i - r_o)`` and a list leaving customer ``i`` out at most
    ``D(y) - pi_i``; options (and "none") losing more than ``D(y) - incumbent`` are in no better
    list. Returns (free columns for the MILP, options fixed to 1: the one option left to a
    customer who must get one)."""
    _, _, r = lg.dual_eval(p, y, want_r=True)
    assert r is not None
    pi = np.maximum(np.maximum.reduceat(r, p.starts), 0).astype(np.float64)
    slack = bound - incumbent + 1e-7 * max(abs(bound), 1.0) + 1e-6
    keep = np.repeat(pi, p.counts) - r <= slack
    n_keep = np.bincount(p.oc[keep], minlength=p.starts.size)
    fixed_cust = (pi > slack) & (n_keep == 1)
    fixed = keep & fixed_cust[p.oc]
    return np.flatnonzero(keep & ~fixed).astype(np.int64), np.flatnonzero(fixed).astype(np.int64)


def _report(
    p: Problem, chosen: npt.NDArray[np.int64]
) -> tuple[list[str], dict[str, tuple[float, float]]]:
    """(used, limit) per constraint key, and the binding keys: a limit is binding when its slack
    is below the smallest requirement of any option on it (a minimum: when met exactly)."""
    used = p.usage(chosen)
    b = p.rhs()
    ns = p.seg_keys.size
    binding: list[str] = []
    usage: dict[str, tuple[float, float]] = {}
    for j, key in enumerate(p.keys):
        if j >= p.d - ns:
            usage[key] = (float(-used[j]), float(-b[j]))
            if -used[j] <= -b[j]:
                binding.append(key)
            continue
        usage[key] = (float(used[j]), float(b[j]))
        if key == "budget":
            req = p.cost[p.cost > 0]
            smallest = float(req.min()) if req.size else np.inf
        elif key.startswith("channel"):
            mask = p.ch == int(key[17:-1])
            req = p.use[mask & (p.use > 0)]
            smallest = float(req.min()) if req.size else np.inf
        else:
            smallest = 1.0
        if b[j] - used[j] < smallest - 1e-9:
            binding.append(key)
    return binding, usage


def solve(
    options: Options,
    constraints: Constraints,
    segment_of_customer: npt.ArrayLike | None = None,
    *,
    method: Method = "auto",
    exact_max_options: int = EXACT_MAX_OPTIONS,
    time_limit: float | None = None,
    lp_max_options: int = LP_MAX_OPTIONS,
    max_dual_iter: int = 10,
    sample_customers: int = 20_000,
    seed: int = 0,
) -> Solution:
    """Choose at most one option per customer maximising the total value within the limits.

    ``"milp"`` first runs the Lagrangian method for an incumbent and prices, then solves the MILP
    over the options that reduced-cost fixing keeps (exact: no better list uses another option).
    ``time_limit`` (seconds) bounds the MILP and the dual search; ``lp_max_options`` is the size up
    to which the exact LP bound (``lp_bound``) is also computed; ``seed`` draws the customer sample
    whose LP starts the price search. Raises :class:`Infeasible` when no list meets the
    constraints and ``ValueError`` naming a bad parameter.
    """
    t0 = time.monotonic()
    _check_params(constraints, method, exact_max_options, time_limit)
    for name, val in (
        ("max_dual_iter", max_dual_iter),
        ("sample_customers", sample_customers),
        ("lp_max_options", lp_max_options),
    ):
        if not isinstance(val, int) or val < (0 if name == "lp_max_options" else 1):
            raise ValueError(
                f"{name} must be an integer >= {0 if name == 'lp_max_options' else 1}; got {val!r}"
            )
    p, info = _presolve(options, constraints, segment_of_customer)
    check_feasible(p, info, Infeasible)
    use_milp = method == "milp" or (method == "auto" and p.m <= exact_max_options)
    b = p.rhs()
    stats: dict[str, float] = {"options": float(info["options_in"]), "options_kept": float(p.m)}
    lp_bound: float | None = None
    if p.m == 0:
        chosen = np.zeros(0, np.int64)
        bound, status, name = 0.0, "optimal", "presolve"
    else:
        deadline = t0 + (time_limit or 1e9)
        y, bound, chosen_h, lag_stats = _lagrangian(
            p, deadline, max_dual_iter, sample_customers, seed
        )
        stats |= lag_stats
        if p.m <= lp_max_options:
            t_lp = time.monotonic()
            lp = lg.lp_relaxation(p, np.arange(p.m), b)
            lp_bound = lp[0] if lp is not None else None
            stats["lp_seconds"] = time.monotonic() - t_lp
        status, name = "feasible", "lagrangian"
        if use_milp:
            chosen_h, status, name = _exact(p, b, y, bound, chosen_h, deadline, stats)
        if chosen_h is None:
            raise Infeasible(
                next(k for k in p.keys if k.startswith("segment_min")),
                "the optimiser found no list meeting every segment minimum within the budget and "
                "capacities; lower the minimums or raise the limits",
                constraints=tuple(k for k in p.keys if k.startswith("segment_min")),
            )
        chosen = chosen_h
        if name == "milp" and lp_bound is not None:
            bound = lp_bound
    objective = float(p.val[chosen].astype(np.float64).sum())
    bound = max(bound, objective)
    binding, usage = _report(p, chosen)
    gap = (bound - objective) / bound if bound > 0 else 0.0
    orig = np.sort(p.orig[chosen])
    stats["customers_chosen"] = float(orig.size)
    return Solution(
        chosen=orig, objective=objective, bound=float(bound), gap=float(gap), method=name,
        status=status, binding=binding, usage=usage, lp_bound=lp_bound,
        seconds=time.monotonic() - t0, stats=stats,
    )  # fmt: skip


def _exact(
    p: Problem,
    b: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    bound: float,
    heuristic: npt.NDArray[np.int64] | None,
    deadline: float,
    stats: dict[str, float],
) -> tuple[npt.NDArray[np.int64] | None, str, str]:
    """MILP after reduced-cost fixing around the heuristic list (on all options without one)."""
    left = max(deadline - time.monotonic(), 1.0) if deadline < 1e8 else MILP_DEFAULT_SECONDS
    incumbent = float(p.val[heuristic].astype(np.float64).sum()) if heuristic is not None else None
    cols, fixed = None, np.zeros(0, np.int64)
    if incumbent is not None:
        cols, fixed = _fixed_columns(p, y, bound, incumbent)
    stats["milp_options"] = float(p.m if cols is None else cols.size)
    stats["milp_fixed"] = float(fixed.size)
    t_milp = time.monotonic()
    if cols is not None and cols.size == 0:
        st, chosen = 0, np.zeros(0, np.int64)
    else:
        st, chosen = _milp(p, b - p.usage(fixed), left, cols=cols)
    stats["milp_seconds"] = time.monotonic() - t_milp
    chosen = np.sort(np.concatenate([chosen, fixed])) if st == 0 or chosen.size else chosen
    if st == 2 and cols is None:
        raise explain_infeasible(
            p, lambda keep: _milp(p, np.where(keep, b, np.inf), 30.0, objective=False)[0] != 2,
            Infeasible,
        )  # fmt: skip
    if chosen.size == 0 and st not in (0, 2):
        return heuristic, "time_limit", "lagrangian"
    found = st == 0 or chosen.size > 0
    value = float(p.val[chosen].astype(np.float64).sum())
    better = found and (incumbent is None or value >= incumbent)
    result = chosen if better else heuristic
    return result, ("optimal" if st in (0, 2) else "time_limit"), "milp"
