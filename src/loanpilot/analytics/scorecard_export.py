"""Exports of a compiled scorecard: a JSON-safe dict (and back), one SQL ``CASE`` expression that
scores inside the bank's database, and the points table for the credit committee. Conventions:
the module docstring of ``analytics.scorecard_kernel``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from loanpilot.analytics.scorecard_kernel import CompiledCard
from loanpilot.analytics.scorecard_vars import CategoricalVar, NumericVar, Var

FORMAT = "loanpilot.compiled_scorecard"
FORMAT_VERSION = 1


def _ident(name: str) -> str:
    if "\x00" in name:
        raise ValueError(f"an SQL identifier cannot hold NUL, got {name!r}")
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _num(x: float) -> str:
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


def card_to_dict(card: CompiledCard) -> dict[str, Any]:
    """A JSON-safe description (floats round-trip exactly through ``json``)."""
    out: list[dict[str, Any]] = []
    for v in card.variables:
        if isinstance(v, NumericVar):
            rng = None if v.train_range is None else list(v.train_range)
            out.append(
                {
                    "kind": "numeric",
                    "name": v.name,
                    "edges": v.edges.tolist(),
                    "points": v.points.tolist(),
                    "missing_points": v.missing_points,
                    "train_range": rng,
                }
            )
        else:
            out.append(
                {
                    "kind": "categorical",
                    "name": v.name,
                    "categories": list(v.categories),
                    "bin_of_category": v.bin_of_category.tolist(),
                    "points": v.points.tolist(),
                    "missing_points": v.missing_points,
                    "unseen_points": v.unseen_points,
                }
            )
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "offset": card.offset,
        "factor": card.factor,
        "base": card.base,
        "variables": out,
    }


def card_from_dict(data: Mapping[str, Any]) -> CompiledCard:
    """Rebuild a card from ``to_dict`` output, validating every field."""
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise ValueError(f"data must be a {FORMAT!r} mapping, got {str(data)[:80]!r}")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"format_version must be {FORMAT_VERSION} (this version reads only it), got {version!r}"
        )
    try:
        variables: list[Var] = []
        for d in data["variables"]:
            if d["kind"] == "numeric":
                rng = d.get("train_range")
                variables.append(
                    NumericVar(
                        d["name"],
                        d["edges"],
                        d["points"],
                        d["missing_points"],
                        None if rng is None else (rng[0], rng[1]),
                    )
                )
            elif d["kind"] == "categorical":
                variables.append(
                    CategoricalVar(
                        d["name"],
                        tuple(d["categories"]),
                        d["bin_of_category"],
                        d["points"],
                        d["missing_points"],
                        d["unseen_points"],
                    )
                )
            else:
                raise ValueError(
                    f"variable kind must be 'numeric' or 'categorical', got {d['kind']!r}"
                )
        return CompiledCard(tuple(variables), data["offset"], data["factor"], data["base"])
    except KeyError as exc:
        raise ValueError(f"card data lacks the field {exc.args[0]!r}") from None


def sql_case(card: CompiledCard, table_alias: str | None = "t") -> str:
    """One SQL expression computing the score: ``base + (CASE ... END) + ...`` in card
    order (the kernel's order). Identifiers are double-quoted and string literals
    single-quoted, embedded quotes doubled. A categorical column is compared as text."""
    prefix = "" if not table_alias else _ident(table_alias) + "."
    terms = [_num(card.base)]
    for v in card.variables:
        col = prefix + _ident(v.name)
        whens = [f"WHEN {col} IS NULL THEN {_num(v.missing_points)}"]
        if isinstance(v, NumericVar):
            for edge, pts in zip(v.edges.tolist(), v.points.tolist(), strict=False):
                whens.append(f"WHEN {col} < {_num(edge)} THEN {_num(pts)}")
            other = float(v.points[-1])
        else:
            for b in range(v.n_bins):
                cats = [c for c, k in zip(v.categories, v.bin_of_category, strict=True) if k == b]
                if cats:
                    lits = ", ".join(_literal(c) for c in cats)
                    whens.append(f"WHEN {col} IN ({lits}) THEN {_num(v.points[b])}")
            other = v.unseen_points
        terms.append(f"(CASE {' '.join(whens)} ELSE {_num(other)} END)")
    return "(" + " + ".join(terms) + ")"


def points_table(card: CompiledCard) -> pd.DataFrame:
    """Points per bin (variable, kind, bin code, label, points) for CSV/Excel export; a
    ``(base)`` row is added when the card has base points."""
    rows: list[tuple[str, str, int, str, float]] = []
    if card.base != 0.0:
        rows.append(("(base)", "base", -1, "all rows", card.base))
    for v in card.variables:
        if isinstance(v, NumericVar):
            bounds = ["-inf", *(repr(e) for e in v.edges.tolist()), "inf"]
            for b in range(v.n_bins):
                left = "(" if b == 0 else "["
                label = f"{left}{bounds[b]}, {bounds[b + 1]})"
                rows.append((v.name, "numeric", b, label, float(v.points[b])))
            rows.append((v.name, "numeric", v.n_bins, "missing", v.missing_points))
        else:
            for b in range(v.n_bins):
                cats = [c for c, k in zip(v.categories, v.bin_of_category, strict=True) if k == b]
                label = ", ".join(cats) if cats else "(no category)"
                rows.append((v.name, "categorical", b, label, float(v.points[b])))
            rows.append((v.name, "categorical", v.n_bins, "missing", v.missing_points))
            rows.append((v.name, "categorical", v.n_bins + 1, "unseen", v.unseen_points))
    return pd.DataFrame(rows, columns=["variable", "kind", "bin", "label", "points"])
