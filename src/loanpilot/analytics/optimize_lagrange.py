"""The presolved offer-assignment problem and its Lagrangian method (``analytics.optimize``).

Pure numpy / scipy; imports nothing of ours. ``optimize.solve`` builds a :class:`Problem` (options
sorted by customer, compact dtypes, unusable options dropped) and calls :func:`solve_lagrangian`
for lists too large for the exact MILP.

Relaxing every coupling row ``j`` (budget, channel capacities, product caps as ``<=``; segment
minimums as ``-count <= -minimum``) with a price ``y_j >= 0`` leaves one independent choice per
customer: the option of largest *reduced profit* ``r_o = v_o - lam*c_o - mu[ch]*u_o - nu[prod]
+ rho[seg]``, or none when every ``r_o <= 0``. The dual function
``D(y) = sum_i max(0, max_o r_o) + y . b`` is an upper bound of the best list for every ``y >= 0``,
and its minimum equals the LP bound (each customer's choice set is a simplex, whose LP is integral).

Dual search: (1) the LP of a random sample of customers (coupling right-hand sides scaled to the
sample) solved by HiGHS gives starting prices; (2) a trust-region cutting-plane (bundle) method on
the whole list refines them: each evaluation of ``D`` gives a cut ``D(y_k) + g_k . (y - y_k)``
with subgradient ``g = b - A x(y)``; the next point minimises the cuts in a box around the best
point (a tiny LP), which grows on a good step and shrinks on a poor one. Primal: the argmax list at
the best prices, repaired (the weakest options by reduced profit per unit of the overused resource
are dropped, never below a segment minimum while another can go) and filled (the slack is spent on
the best remaining options, in batches whose running totals fit every constraint at once).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linprog

Arr = npt.NDArray[np.float64]
IntArr = npt.NDArray[np.int64]
AnyArr = npt.NDArray[Any]


@dataclass
class Problem:
    """Presolved options sorted by customer (``oc`` = index of the active customer)."""

    oc: npt.NDArray[np.int32]
    val: AnyArr
    cost: AnyArr
    ch: npt.NDArray[np.int16]
    prod: npt.NDArray[np.int16]
    use: AnyArr
    orig: npt.NDArray[np.int64]
    starts: IntArr
    counts: IntArr
    seg: IntArr  # per active customer: index into seg_keys, or -1
    budget: float | None
    ch_keys: IntArr  # capped channel codes
    ch_cap: Arr
    prod_keys: IntArr  # capped product codes
    prod_cap: Arr
    seg_keys: IntArr  # segment codes with a minimum
    seg_min: Arr
    n_ch: int
    n_prod: int
    code: AnyArr | None = None  # channel * n_prod + product, when cost and usage follow from it
    code_cost: Arr | None = None
    code_use: Arr | None = None
    keys: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.keys = (
            (["budget"] if self.budget is not None else [])
            + [f"channel_capacity[{k}]" for k in self.ch_keys.tolist()]
            + [f"product_cap[{p}]" for p in self.prod_keys.tolist()]
            + [f"segment_min[{s}]" for s in self.seg_keys.tolist()]
        )

    @property
    def m(self) -> int:
        return int(self.val.shape[0])

    @property
    def d(self) -> int:
        return len(self.keys)

    def rhs(self) -> Arr:
        """``b`` of the coupling rows in ``<=`` form (segment rows negated)."""
        head = [self.budget] if self.budget is not None else []
        return np.concatenate([np.asarray(head, float), self.ch_cap, self.prod_cap, -self.seg_min])

    def unpack(self, y: Arr) -> tuple[float, Arr, Arr, Arr]:
        """Prices: budget ``lam``; per channel code ``mu``; per product code ``nu``; ``rho`` per
        segment index plus a trailing 0 for customers of no segment."""
        i = 0
        lam = 0.0
        if self.budget is not None:
            lam, i = float(y[0]), 1
        mu = np.zeros(self.n_ch)
        mu[self.ch_keys] = y[i : i + self.ch_keys.size]
        i += self.ch_keys.size
        nu = np.zeros(self.n_prod)
        nu[self.prod_keys] = y[i : i + self.prod_keys.size]
        i += self.prod_keys.size
        rho = np.append(y[i:], 0.0)
        return lam, mu, nu, rho

    def usage(self, opts: IntArr, cust: IntArr | None = None) -> Arr:
        """``A x`` of the coupling rows for the chosen compact option indices (``cust``: their
        customers, when the caller has them)."""
        cost = [float(self.cost[opts].sum(dtype=np.float64))] if self.budget is not None else []
        ch = self.ch[opts]
        if self.ch_keys.size:
            chu = np.bincount(ch, self.use[opts], self.n_ch)[self.ch_keys].astype(np.float64)
        else:
            chu = np.zeros(0)
        prc = np.bincount(self.prod[opts], minlength=self.n_prod)[self.prod_keys]
        if self.seg_keys.size:
            seg = self.seg[self.oc[opts] if cust is None else cust]
            sgc: Arr = np.bincount(seg[seg >= 0], minlength=self.seg_keys.size).astype(np.float64)
        else:
            sgc = np.zeros(0)
        return np.concatenate([cost, chu, prc.astype(np.float64), -sgc])

    def coupling_matrix(self, opts: IntArr) -> sparse.csr_matrix:
        """The coupling rows (``<=`` form) restricted to the columns ``opts``."""
        k = opts.size
        cols = np.arange(k)
        blocks = []
        if self.budget is not None:
            blocks.append(sparse.csr_matrix(self.cost[opts].astype(np.float64)[None, :]))
        for keys, code, coef in (
            (self.ch_keys, self.ch[opts], self.use[opts].astype(np.float64)),
            (self.prod_keys, self.prod[opts], np.ones(k)),
        ):
            row = np.full(max(self.n_ch, self.n_prod), -1)
            row[keys] = np.arange(keys.size)
            r = row[code]
            sel = r >= 0
            blocks.append(sparse.csr_matrix((coef[sel], (r[sel], cols[sel])), shape=(keys.size, k)))
        s = self.seg[self.oc[opts]]
        sel = s >= 0
        blocks.append(
            sparse.csr_matrix(
                (-np.ones(int(sel.sum())), (s[sel], cols[sel])), shape=(self.seg_keys.size, k)
            )
        )
        return sparse.csr_matrix(sparse.vstack(blocks, format="csr"))

    def assignment_matrix(self, opts: IntArr) -> tuple[sparse.csr_matrix, IntArr]:
        """One ``<= 1`` row per customer present in ``opts`` (which must be sorted)."""
        c = self.oc[opts]
        first = np.r_[True, c[1:] != c[:-1]] if c.size else np.zeros(0, bool)
        indptr = np.r_[np.flatnonzero(first), c.size]
        mat = sparse.csr_matrix(
            (np.ones(c.size), np.arange(c.size), indptr), shape=(indptr.size - 1, c.size)
        )
        return mat, c[first].astype(np.int64)


def lp_relaxation(
    p: Problem, opts: IntArr, b: Arr, time_limit: float | None = None
) -> tuple[float, Arr] | None:
    """LP relaxation over the columns ``opts`` with coupling right-hand side ``b``: (value, prices),
    or ``None`` when infeasible or unsolved."""
    assign, _ = p.assignment_matrix(opts)
    a = sparse.vstack([p.coupling_matrix(opts), assign], format="csr")
    rhs = np.concatenate([b, np.ones(assign.shape[0])])
    options = {"time_limit": time_limit} if time_limit else {}
    res = linprog(
        -p.val[opts].astype(np.float64), A_ub=a, b_ub=rhs, bounds=(0, 1), method="highs-ipm",
        options=options,
    )  # fmt: skip
    if res.status != 0:
        return None
    prices = np.maximum(-np.asarray(res.ineqlin.marginals[: p.d], float), 0.0)
    return -float(res.fun), prices


def reduced_profit(p: Problem, lam: float, mu: Arr, nu: Arr) -> AnyArr:
    """``v - lam*c - mu[ch]*u - nu[prod]`` in the problem's float dtype (no segment term). When
    cost and usage depend only on (channel, product), one lookup of a per-code table does it."""
    dt = p.val.dtype
    if p.code is not None and p.code_cost is not None and p.code_use is not None:
        ch_of, pr_of = np.divmod(np.arange(p.code_cost.size), p.n_prod)
        pen = lam * p.code_cost + mu[ch_of] * p.code_use + nu[pr_of]
        r = pen.astype(dt)[p.code]
        np.subtract(p.val, r, out=r)
        return r
    r = p.val.copy()
    if lam:
        r -= dt.type(lam) * p.cost
    if mu.any():
        tmp = mu.astype(dt)[p.ch]
        tmp *= p.use
        r -= tmp
        del tmp
    if nu.any():
        r -= nu.astype(dt)[p.prod]
    return r


def dual_eval(p: Problem, y: Arr, want_r: bool = False) -> tuple[float, IntArr, AnyArr | None]:
    """``D(y)``, the argmax choice per active customer (compact option index or -1) and, with
    ``want_r``, the reduced profit of every option including its segment's price."""
    lam, mu, nu, rho = p.unpack(y)
    r = reduced_profit(p, lam, mu, nu)
    cmax = np.maximum.reduceat(r, p.starts)
    z = cmax.astype(np.float64) + rho[p.seg]
    pos = z > 0
    value = float(z[pos].sum()) + float(y @ p.rhs())
    idx = np.flatnonzero(r == np.repeat(cmax, p.counts))
    c = p.oc[idx]
    idx = idx[np.r_[True, c[1:] != c[:-1]]]
    choice = np.where(pos, idx, -1)
    if not want_r:
        return value, choice, None
    if p.seg_keys.size and rho.any():
        r += np.repeat(rho[p.seg].astype(r.dtype), p.counts)
    return value, choice, r


def _prices_scale(p: Problem) -> Arr:
    """A typical size of each price (for the trust region): median value per unit of the row."""
    v = np.abs(p.val[: min(p.m, 200_000)].astype(np.float64))
    typical = float(np.median(v)) if v.size else 1.0
    typical = typical or 1.0
    out = []
    if p.budget is not None:
        c = p.cost[: v.size].astype(np.float64)
        out.append(float(np.median(v[c > 0] / c[c > 0])) if (c > 0).any() else 1.0)
    ch = p.ch[: v.size]
    u = p.use[: v.size].astype(np.float64)
    for k in p.ch_keys.tolist():
        sel = (ch == k) & (u > 0)
        out.append(float(np.median(v[sel] / u[sel])) if sel.any() else typical)
    out += [typical] * (p.prod_keys.size + p.seg_keys.size)
    scale: Arr = np.maximum(np.asarray(out, float), 1e-9)
    return scale


def subproblem(p: Problem, cust: IntArr) -> Problem:
    """The customers ``cust`` (sorted active indices) with every limit scaled to their share
    (segment minimums to the sample's share of the segment)."""
    na = p.starts.size
    sel = np.zeros(na, bool)
    sel[cust] = True
    opts = np.flatnonzero(sel[p.oc])
    new = np.cumsum(sel) - 1
    frac = cust.size / na
    ns = p.seg_keys.size
    pop = np.bincount(p.seg[p.seg >= 0], minlength=ns).astype(float)
    got = np.bincount(p.seg[cust][p.seg[cust] >= 0], minlength=ns).astype(float)
    return Problem(
        oc=new[p.oc[opts]].astype(np.int32), val=p.val[opts], cost=p.cost[opts], ch=p.ch[opts],
        prod=p.prod[opts], use=p.use[opts], orig=opts.astype(np.int64),
        starts=np.cumsum(p.counts[cust]) - p.counts[cust],
        counts=p.counts[cust], seg=p.seg[cust],
        budget=None if p.budget is None else p.budget * frac, ch_keys=p.ch_keys,
        ch_cap=p.ch_cap * frac, prod_keys=p.prod_keys, prod_cap=p.prod_cap * frac,
        seg_keys=p.seg_keys, seg_min=p.seg_min * np.divide(got, pop, out=np.zeros(ns), where=pop > 0),
        n_ch=p.n_ch, n_prod=p.n_prod, code=None if p.code is None else p.code[opts],
        code_cost=p.code_cost, code_use=p.code_use,
    )  # fmt: skip


def sample_prices(p: Problem, sample_customers: int, seed: int, max_iter: int = 80) -> Arr:
    """Starting prices: the dual search run to convergence on a random sample of customers."""
    na = p.starts.size
    if p.d == 0 or na <= sample_customers:
        return np.zeros(p.d)
    rng = np.random.default_rng(seed)
    cust = np.sort(rng.choice(na, size=sample_customers, replace=False))
    sub = subproblem(p, cust)
    y, _, _ = refine_prices(sub, np.zeros(p.d), max_iter=max_iter, deadline=time.monotonic() + 60)
    return y


def _cut_step(cuts_g: Arr, cuts_c: Arr, lo: Arr, hi: Arr) -> tuple[Arr, float] | None:
    """Minimise ``max_k (g_k . y + c_k)`` over the box ``lo <= y <= hi``."""
    d = lo.size
    obj = np.r_[np.zeros(d), 1.0]
    a = np.hstack([cuts_g, -np.ones((cuts_g.shape[0], 1))])
    bounds = [*zip(lo.tolist(), hi.tolist(), strict=True), (None, None)]
    res = linprog(obj, A_ub=a, b_ub=-cuts_c, bounds=bounds, method="highs")
    if res.status != 0:
        return None
    return np.asarray(res.x[:d], float), float(res.fun)


def _choice_usage(p: Problem, choice: IntArr) -> Arr:
    cust = np.flatnonzero(choice >= 0)
    return p.usage(choice[cust], cust)


def refine_prices(
    p: Problem, y0: Arr, *, max_iter: int, deadline: float, tol: float = 1e-6, radius: float = 2.0
) -> tuple[Arr, float, int]:
    """Trust-region cutting-plane descent of ``D`` from ``y0``: (best prices, best D, evaluations)."""
    b = p.rhs()
    best_y = np.maximum(y0, 0.0)
    best_d, choice, _ = dual_eval(p, best_y)
    if p.d == 0:
        return best_y, best_d, 1
    scale = _prices_scale(p)
    g = b - _choice_usage(p, choice)
    cg, cc = [g], [best_d - g @ best_y]
    evals = 1
    while evals < max_iter and time.monotonic() < deadline:
        width = radius * np.maximum(best_y, scale)
        step = _cut_step(np.vstack(cg), np.asarray(cc), np.maximum(best_y - width, 0.0),
                         best_y + width)  # fmt: skip
        if step is None:
            break
        y, model = step
        predicted = best_d - model
        if predicted <= tol * max(abs(best_d), 1.0):
            break
        d_y, choice, _ = dual_eval(p, y)
        evals += 1
        g = b - _choice_usage(p, choice)
        cg.append(g)
        cc.append(d_y - g @ y)
        if d_y <= best_d - 0.1 * predicted:
            best_y, best_d = y, d_y
            radius = min(radius * 1.5, 4.0)
        else:
            radius *= 0.4
    return best_y, best_d, evals


def _group_scan(groups: IntArr, w: Arr) -> Arr:
    """Running sum of ``w`` within each group, in array order."""
    if groups.size == 0:
        return np.zeros(0)
    order = np.argsort(groups, kind="stable")
    g, ws = groups[order], w[order]
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    cs = np.cumsum(ws)
    base = np.repeat(cs[start] - ws[start], np.diff(np.r_[start, g.size]))
    out = np.empty(g.size)
    out[order] = cs - base
    return out


def _slacks(p: Problem, choice: IntArr) -> tuple[float, Arr, Arr, Arr]:
    """Remaining budget, capacity per channel code, cap per product code, and per segment index
    the number still to cover (negative: the surplus above the minimum)."""
    opts = choice[choice >= 0]
    u = p.usage(opts)
    i = 0
    budget = np.inf
    if p.budget is not None:
        budget, i = p.budget - u[0], 1
    ch = np.full(p.n_ch, np.inf)
    ch[p.ch_keys] = p.ch_cap - u[i : i + p.ch_keys.size]
    i += p.ch_keys.size
    pr = np.full(p.n_prod, np.inf)
    pr[p.prod_keys] = p.prod_cap - u[i : i + p.prod_keys.size]
    i += p.prod_keys.size
    return budget, ch, pr, p.seg_min + u[i:]


def _drop(p: Problem, choice: IntArr, r: AnyArr, kind: str, protect: bool) -> None:
    """Drop the weakest chosen options (least reduced profit per unit) of every overused row of
    ``kind`` until it fits; with ``protect`` never below a segment minimum."""
    budget, chs, prs, need = _slacks(p, choice)
    cust = np.flatnonzero(choice >= 0)
    o = choice[cust]
    if kind == "budget":
        excess, g, a = np.array([-budget]), np.zeros(o.size, np.int64), p.cost[o]
    elif kind == "channel":
        excess, g, a = -chs, p.ch[o].astype(np.int64), p.use[o]
    else:
        excess, g, a = -prs, p.prod[o].astype(np.int64), np.ones(o.size)
    a = a.astype(np.float64)
    cand = (excess[g] > 1e-9) & (a > 0)
    if not cand.any():
        return
    cust, o, g, a = cust[cand], o[cand], g[cand], a[cand]
    order = np.argsort(r[o].astype(np.float64) / a, kind="stable")
    cust, o, g, a = cust[order], o[order], g[order], a[order]
    allowed = np.ones(o.size, bool)
    if protect and p.seg_keys.size:
        s = p.seg[cust]
        surplus = np.append(np.maximum(-need, 0), np.inf)
        rank = _group_scan(s, np.ones(s.size))
        allowed = rank <= surplus[s]
    w = np.where(allowed, a, 0.0)
    before = _group_scan(g, w) - w
    drop = allowed & (before < excess[g] - 1e-9)
    choice[cust[drop]] = -1


def _add(p: Problem, choice: IntArr, r: AnyArr, cover: bool, rounds: int = 12) -> None:
    """Give options to customers without one, best reduced profit first, in batches whose running
    totals fit every remaining limit; ``cover`` fills only segments below their minimum (any
    value), otherwise any customer (positive value only)."""
    pool: IntArr | None = None
    for _ in range(rounds):
        budget, chs, prs, need = _slacks(p, choice)
        free = choice < 0
        if cover:
            short = np.append(need > 0, False)
            free &= short[p.seg]
            if not free.any():
                return
        if pool is None:
            keep = free[p.oc] if cover else free[p.oc] & (p.val > 0)
            pool = np.flatnonzero(keep)
        else:
            pool = pool[free[p.oc[pool]]]
        fits = (p.cost[pool] <= budget + 1e-9) & (p.use[pool] <= chs[p.ch[pool]] + 1e-9)
        pool = pool[fits & (prs[p.prod[pool]] >= 1)]
        if pool.size == 0:
            return
        c = p.oc[pool]
        first = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
        key = r[pool]
        best = np.maximum.reduceat(key, first)
        hit = np.flatnonzero(key == np.repeat(best, np.diff(np.r_[first, pool.size])))
        hit = hit[np.r_[True, c[hit][1:] != c[hit][:-1]]]
        o = pool[hit][np.argsort(-key[hit].astype(np.float64), kind="stable")]
        cust = p.oc[o].astype(np.int64)
        ok = np.ones(o.size, bool)
        if cover:
            s = p.seg[cust]
            ok = _group_scan(s, np.ones(s.size)) <= np.append(need, 0)[s]
            o, cust = o[ok], cust[ok]
        ok = np.cumsum(p.cost[o].astype(np.float64)) <= budget + 1e-9
        ok &= _group_scan(p.ch[o].astype(np.int64), p.use[o].astype(np.float64)) <= (
            chs[p.ch[o]] + 1e-9
        )
        ok &= _group_scan(p.prod[o].astype(np.int64), np.ones(o.size)) <= prs[p.prod[o]]
        if not ok.any():
            return
        choice[cust[ok]] = o[ok]


def repair_and_fill(p: Problem, choice: IntArr, r: AnyArr) -> bool:
    """Make the argmax list ``choice`` (modified in place) meet every limit, then spend the slack;
    False when a segment minimum could not be met."""
    for protect in (True, False):
        for kind in ("product", "channel", "budget"):
            _drop(p, choice, r, kind, protect)
        _add(p, choice, r, cover=True)
    _add(p, choice, r, cover=False)
    budget, chs, prs, need = _slacks(p, choice)
    if budget < -1e-6 or (chs < -1e-6).any() or (prs < 0).any():
        raise AssertionError("repair left a limit exceeded")
    return not bool((need > 0).any())
