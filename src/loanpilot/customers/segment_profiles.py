"""The profile of each segment of a run, computed column-wise from the marketing frame and the
customers' activity (no session here: ``customers.segments`` reads, this module aggregates).

A profile (``segments.profile``, JSON; money in integer fen, rates as fractions):

* ``size``, ``share`` of all customers in the run; ``age.median``;
* ``income``: monthly income ``median_fen`` and ``mean_fen``;
* ``holdings``: deposits (``deposit_median_fen``, ``deposit_mean_fen``), wealth products
  (``wealth_mean_fen``, ``wealth_holders`` share), credit card (``card_holders`` share,
  ``card_limit_mean_fen`` and ``card_utilisation_mean`` of holders), loans (``borrowers`` share,
  ``open_loans_mean``, ``loan_balance_mean_fen``);
* ``channel``: preferred-channel shares ``digital`` (online, mobile, WeChat), ``branch`` and
  ``other``, and ``by_age``: the same per age band;
* ``reachable``: the share that may be marketed to (consent, not opted out, not blacklisted);
* ``response``: treatment-group campaign ``targets``, how many ``responded``, ``rate``;
* ``approval``: final credit decisions (``decided``), ``approved``, ``rate``;
* ``needs``: ``types`` (product types) and ``products`` (top five), each with ``applications``
  submitted and ``loans`` taken, largest first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from loanpilot.customers.segment_rules import Band, assign_bands

DIGITAL = ("online", "mobile", "wechat")
TOP_PRODUCTS = 5


def _num(value: Any, places: int = 4) -> float | None:
    v = float(value)
    return None if math.isnan(v) else round(v, places)


def _fen(yuan: Any) -> int | None:
    v = float(yuan)
    return None if math.isnan(v) else round(v * 100)


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 6) if whole else None


def profiles(
    frame: pd.DataFrame,
    codes: pd.Series,
    *,
    responses: pd.DataFrame,
    decisions: pd.DataFrame,
    uptake: pd.DataFrame,
    products: pd.DataFrame,
    age_bands: Sequence[Band],
) -> dict[str, dict[str, Any]]:
    """The profile of each segment code (``codes``: the code of each customer of ``frame``)."""
    codes = codes.reindex(frame.index)
    total = len(frame)
    f = pd.DataFrame(index=frame.index)
    f["code"] = codes.to_numpy()
    for col in ("monthly_income_yuan", "age", "deposit_balance_yuan", "wealth_balance_yuan",
                "open_loans", "loan_balance_yuan"):  # fmt: skip
        f[col] = frame[col].to_numpy(dtype=float)
    f["wealth_holder"] = (frame["wealth_balance_yuan"].fillna(0) > 0).astype(float)
    holder = frame["card_limit_yuan"].fillna(0) > 0
    f["card_holder"] = holder.astype(float)
    f["card_limit_h"] = frame["card_limit_yuan"].where(holder)
    f["card_util_h"] = frame["card_utilisation"].where(holder)
    f["borrower"] = (frame["open_loans"].fillna(0) > 0).astype(float)
    channel = frame["preferred_channel"].astype(str)
    f["digital"] = channel.isin(DIGITAL).astype(float)
    f["branch"] = (channel == "branch").astype(float)
    f["reachable"] = (
        frame["marketing_consent"].astype(bool) & ~frame["opted_out"].astype(bool)
        & ~frame["is_blacklisted"].astype(bool)
    ).astype(float)  # fmt: skip
    f = f.join(responses).join(decisions)
    for col in ("targets", "responded", "decided", "approved"):
        f[col] = f[col].fillna(0.0) if col in f else 0.0
    g = f.groupby("code", sort=True)
    means = g.mean(numeric_only=True)
    medians = g[["monthly_income_yuan", "age", "deposit_balance_yuan"]].median()
    sums = g[["targets", "responded", "decided", "approved"]].sum()
    sizes = g.size()
    age_index = assign_bands(frame["age"].to_numpy(dtype=float), age_bands)
    f["age_band"] = np.where(age_index >= 0, age_index, len(age_bands))
    by_age = f.groupby(["code", "age_band"])[["digital", "branch"]].agg(["mean", "size"])
    needs = _needs(uptake, f["code"], products)
    out: dict[str, dict[str, Any]] = {}
    for code in sizes.index:
        m, md, s = means.loc[code], medians.loc[code], sums.loc[code]
        ages = []
        if code in by_age.index.get_level_values(0):
            for band_i, row in by_age.loc[code].iterrows():  # at most a few bands per segment
                band = age_bands[int(band_i)] if int(band_i) < len(age_bands) else None
                ages.append({
                    "band": band.code if band else "unknown",
                    "label_zh": band.label_zh if band else "未知", "label_en": band.label_en if band else "Unknown",
                    "customers": int(row[("digital", "size")]),
                    "digital": _num(row[("digital", "mean")]), "branch": _num(row[("branch", "mean")]),
                })  # fmt: skip
        out[str(code)] = {
            "size": int(sizes[code]), "share": round(int(sizes[code]) / total, 6) if total else None,
            "age": {"median": _num(md["age"], 1)},
            "income": {"median_fen": _fen(md["monthly_income_yuan"]), "mean_fen": _fen(m["monthly_income_yuan"])},
            "holdings": {
                "deposit_median_fen": _fen(md["deposit_balance_yuan"]),
                "deposit_mean_fen": _fen(m["deposit_balance_yuan"]),
                "wealth_mean_fen": _fen(m["wealth_balance_yuan"]), "wealth_holders": _num(m["wealth_holder"]),
                "card_holders": _num(m["card_holder"]), "card_limit_mean_fen": _fen(m["card_limit_h"]),
                "card_utilisation_mean": _num(m["card_util_h"]),
                "borrowers": _num(m["borrower"]), "open_loans_mean": _num(m["open_loans"]),
                "loan_balance_mean_fen": _fen(m["loan_balance_yuan"]),
            },
            "channel": {
                "digital": _num(m["digital"]), "branch": _num(m["branch"]),
                "other": _num(1.0 - m["digital"] - m["branch"]), "by_age": ages,
            },
            "reachable": _num(m["reachable"]),
            "response": {"targets": int(s["targets"]), "responded": int(s["responded"]),
                         "rate": _rate(s["responded"], s["targets"])},
            "approval": {"decided": int(s["decided"]), "approved": int(s["approved"]),
                         "rate": _rate(s["approved"], s["decided"])},
            "needs": needs.get(str(code), {"types": [], "products": []}),
        }  # fmt: skip
    return out


def _needs(uptake: pd.DataFrame, codes: pd.Series, products: pd.DataFrame) -> dict[str, Any]:
    """Per segment: applications and loans by product type and by product, largest first."""
    if uptake.empty:
        return {}
    u = uptake.merge(codes.rename("code"), left_on="customer_id", right_index=True, how="inner")
    u = u.join(products[["product_type"]], on="product_id")
    u["weight"] = u["applications"] + u["loans"]
    out: dict[str, Any] = {}
    types = u.groupby(["code", "product_type"])[["applications", "loans", "weight"]].sum()
    prods = u.groupby(["code", "product_id"])[["applications", "loans", "weight"]].sum()
    for code in u["code"].unique():
        t = types.loc[code].sort_values(["weight", "applications"], ascending=False)
        p = (
            prods.loc[code]
            .sort_values(["weight", "applications"], ascending=False)
            .head(TOP_PRODUCTS)
        )
        out[str(code)] = {
            "types": [{"code": str(k), "applications": int(r["applications"]), "loans": int(r["loans"])}
                      for k, r in t.iterrows()],
            "products": [{"id": int(k), "code": str(products.at[k, "code"]),
                          "name_zh": str(products.at[k, "name_zh"]), "name_en": str(products.at[k, "name_en"]),
                          "applications": int(r["applications"]), "loans": int(r["loans"])}
                         for k, r in p.iterrows()],
        }  # fmt: skip
    return out
