"""Why an offer optimisation cannot be solved, in words (``analytics.optimize``).

Pure numpy; imports nothing of ours but ``analytics.optimize_lagrange``. Without a segment minimum
the empty list is always feasible, so every conflict involves at least one ``segment_min[s]``.
:func:`check_feasible` tests, before solving, the necessary conditions a manager can read:
enough customers with an eligible option, the cheapest covering within the budget, and enough room
in the product caps and channel capacities; :func:`explain_infeasible` names a smallest set of
constraints that cannot hold together (deletion filter over the constraint keys).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from loanpilot.analytics.optimize_lagrange import Problem

__all__ = ["Infeasible", "check_feasible", "explain_infeasible", "yuan"]


class Infeasible(ValueError):  # noqa: N818 -- the name the interface fixes
    """No list meets the constraints; ``constraint`` is the key of the one that cannot be met
    (``budget``, ``channel_capacity[k]``, ``product_cap[p]``, ``segment_min[s]``), ``constraints``
    every key of the conflicting set, ``details`` the figures behind the message."""

    def __init__(
        self, constraint: str, message: str, *, constraints: tuple[str, ...] = (),
        details: Mapping[str, Any] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.constraint = constraint
        self.constraints = constraints or (constraint,)
        self.details = dict(details or {})


def yuan(fen: float) -> str:
    """``¥1,234.56`` from an amount in fen."""
    return f"¥{fen / 100:,.2f}"


def _room(p: Problem, opts: npt.NDArray[np.int64]) -> tuple[float, str, float, str]:
    """Most selections the product caps and the channel capacities allow among ``opts``:
    (by product caps, their keys, by channel capacities, their keys); inf when not all capped."""
    prods = np.unique(p.prod[opts]).astype(np.int64)
    chans = np.unique(p.ch[opts]).astype(np.int64)
    by_p, by_c = np.inf, np.inf
    if np.isin(prods, p.prod_keys).all():
        by_p = float(sum(p.prod_cap[np.searchsorted(p.prod_keys, prods)]))
    if np.isin(chans, p.ch_keys).all():
        by_c = 0.0
        for k in chans.tolist():
            u = float(p.use[opts][p.ch[opts] == k].min())
            cap = float(p.ch_cap[np.searchsorted(p.ch_keys, k)])
            by_c += np.inf if u <= 0 else np.floor(cap / u + 1e-9)
    pk = ", ".join(f"product_cap[{k}]" for k in prods.tolist())
    ck = ", ".join(f"channel_capacity[{k}]" for k in chans.tolist())
    return by_p, pk, by_c, ck


def check_feasible(p: Problem, info: Mapping[str, Any], exc: type[Infeasible] = Infeasible) -> None:
    """Raise ``exc`` for the first necessary condition the segment minimums break."""
    ns = p.seg_keys.size
    if ns == 0:
        return
    seg_of = np.asarray(info["seg_of"])
    pop = np.bincount(seg_of[seg_of >= 0], minlength=ns)
    elig = np.bincount(p.seg[p.seg >= 0], minlength=ns)
    keys = [f"segment_min[{s}]" for s in p.seg_keys.tolist()]
    for j, s in enumerate(p.seg_keys.tolist()):
        need = int(p.seg_min[j])
        if elig[j] < need:
            raise exc(
                keys[j],
                f"segment {s} needs {need} customers covered but only {int(elig[j])} of its "
                f"{int(pop[j])} customers have an eligible option within the limits",
                details={
                    "segment": s,
                    "minimum": need,
                    "eligible": int(elig[j]),
                    "size": int(pop[j]),
                },
            )
    min_cost = np.minimum.reduceat(p.cost.astype(np.float64), p.starts)
    total = 0.0
    for j in range(ns):
        costs = np.sort(min_cost[p.seg == j])
        total += float(costs[: int(p.seg_min[j])].sum())
    if p.budget is not None and total > p.budget + 1e-6:
        raise exc(
            "budget",
            f"covering the segment minimums costs at least {yuan(total)}, more than the budget "
            f"{yuan(p.budget)}",
            constraints=("budget", *keys),
            details={"minimum_cost_fen": total, "budget_fen": p.budget},
        )
    seg_opt = p.seg[p.oc]
    for j, s in enumerate(p.seg_keys.tolist()):
        need = int(p.seg_min[j])
        by_p, pk, by_c, ck = _room(p, np.flatnonzero(seg_opt == j))
        for room, what, ks in (
            (by_p, "caps of the products", pk),
            (by_c, "capacities of the channels", ck),
        ):
            if room < need:
                raise exc(
                    keys[j],
                    f"segment {s} needs {need} customers covered but the {what} offered to it "
                    f"({ks}) allow at most {int(room)}",
                    constraints=(keys[j], *ks.split(", ")),
                    details={"segment": s, "minimum": need, "room": int(room)},
                )
    need_all = int(p.seg_min.sum())
    by_p, pk, by_c, ck = _room(p, np.flatnonzero(seg_opt >= 0))
    for room, what, ks in ((by_p, "product caps", pk), (by_c, "channel capacities", ck)):
        if room < need_all:
            raise exc(
                keys[0],
                f"the segment minimums need {need_all} customers covered but the {what} "
                f"({ks}) allow at most {int(room)}",
                constraints=(*keys, *ks.split(", ")),
                details={"minimum": need_all, "room": int(room)},
            )


def _describe(p: Problem, key: str) -> str:
    j = p.keys.index(key)
    b = float(p.rhs()[j])
    if key == "budget":
        return f"the budget of {yuan(b)}"
    if key.startswith("channel"):
        return f"channel {key[17:-1]} capacity of {b:g} units"
    if key.startswith("product"):
        return f"product {key[12:-1]} cap of {int(b)} offers"
    return f"segment {key[12:-1]} minimum of {int(-b)} customers"


def explain_infeasible(
    p: Problem,
    feasible: Callable[[npt.NDArray[np.bool_]], bool],
    exc: type[Infeasible] = Infeasible,
) -> Infeasible:
    """Deletion filter: drop each constraint whose removal keeps the rest infeasible; what is left
    is a smallest conflicting set (``feasible(keep)`` solves with only the rows ``keep``)."""
    keep = np.ones(p.d, bool)
    for j in range(p.d):
        keep[j] = False
        if feasible(keep):
            keep[j] = True
    conflict = [k for k, kept in zip(p.keys, keep, strict=True) if kept]
    main = next(
        (k for k in conflict if k.startswith("segment_min")), conflict[0] if conflict else ""
    )
    words = "; ".join(_describe(p, k) for k in conflict)
    return exc(
        main,
        f"these constraints cannot all be met together: {words}; relax one of them",
        constraints=tuple(conflict),
    )
