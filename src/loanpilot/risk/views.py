"""Read-only views for the risk console and API.

The model page shows, beyond the registry row: the bins of each kept variable
(label, count, bad rate, WoE, points) read from the artefact's binners and card, every candidate
variable with its IV and why a dropped one was dropped, and the population stability index (PSI)
of each month's decision scores against the development sample's score distribution
(``artefact["metrics"]["score_bins"]``, written by ``risk.modelling.score_bins``).

A month's scores are binned exactly as the baseline was (``np.searchsorted(edges, s,
side="right")``), so the two count vectors share their bins. Months are the bank's calendar months
(``Settings.tz``).

The review page shows every decision of an application, newest first (``decisions_of``); the
policy editor and API refuse a draft whose model has no champion (``policy_model_problems``).
Nothing here writes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.orm import Session

from loanpilot.analytics.binning import NumericBinner
from loanpilot.analytics.scorecard import Scorecard
from loanpilot.analytics.scorecard_vars import CategoricalVar
from loanpilot.analytics.stability import psi_band, psi_from_counts
from loanpilot.kit.errors import FieldProblem, NotFoundError
from loanpilot.lending.models import Application
from loanpilot.risk import registry, repository
from loanpilot.risk.models import Decision

#: Most categories spelled out in one bin's label (the rest are counted).
MAX_CATEGORIES_SHOWN = 8
#: Months of decisions the stability table reads (the newest ones).
PSI_MONTHS = 36


@dataclass(frozen=True)
class BinRow:
    label: str
    count: int | None  # development rows in the bin (None: the unseen-category fallback)
    share: float | None
    bad_rate: float | None
    woe: float | None
    points: float


@dataclass(frozen=True)
class VariableBins:
    name: str
    kind: str  # numeric | categorical
    iv: float
    coef: float | None
    manual: bool
    rows: tuple[BinRow, ...]


@dataclass(frozen=True)
class Candidate:
    name: str
    kind: str | None
    iv: float | None
    kept: bool
    reason: str


@dataclass(frozen=True)
class MonthPsi:
    month: str  # YYYY-MM
    n: int
    psi: float
    band: str  # stable | watch | shift (analytics.stability.psi_band)


def _number(v: float) -> str:
    return format(v, ".8g")


def interval(lower: float, upper: float) -> str:
    """``[a, b)``, with infinite ends as ``(-∞`` and ``+∞)``."""
    left = "(-∞" if math.isinf(lower) else f"[{_number(lower)}"
    right = "+∞)" if math.isinf(upper) else f"{_number(upper)})"
    return f"{left}, {right}"


def _same(_name: str, value: str) -> str:
    return value


def _labels(
    binner: Any,
    *,
    missing: str,
    other: str,
    fallback: str,
    category: Callable[[str, str], str] = _same,
) -> list[str]:
    """The label of each bin of ``binner``, the missing-value bin last."""
    if isinstance(binner, NumericBinner):
        bounds = [-math.inf, *binner.edges_.tolist(), math.inf]
        return [*(interval(a, b) for a, b in itertools.pairwise(bounds)), missing]
    labels = []
    for g, group in enumerate(binner.groups_):
        cats = [
            other if c == binner.other_label else category(str(binner.name_), str(c)) for c in group
        ]
        shown = cats[:MAX_CATEGORIES_SHOWN]
        text = ", ".join(shown) + (
            f" … (+{len(cats) - len(shown)})" if len(cats) > len(shown) else ""
        )
        if g == binner.fallback_bin_:
            text += f" ({fallback})"
        labels.append(text)
    return [*labels, missing]


def variable_bins(
    card: Scorecard,
    *,
    missing: str,
    other: str,
    fallback: str,
    unseen: str,
    category: Callable[[str, str], str] = _same,
) -> list[VariableBins]:
    """The bins of every variable of the card, in the card's order. The labels of the special
    bins are given in the page's language, and ``category(variable, value)`` names a category."""
    out: list[VariableBins] = []
    for var in card.card_.variables:
        binner = card.binners_[var.name]
        counts = np.asarray(binner.counts_)
        total = int(counts[:, 0].sum()) or 1
        points = [*np.asarray(var.points).tolist(), float(var.missing_points)]
        labels = _labels(binner, missing=missing, other=other, fallback=fallback, category=category)
        rows = [
            BinRow(
                label=label,
                count=int(counts[i, 0]),
                share=float(counts[i, 0]) / total,
                bad_rate=float(binner.event_rate_[i]) if counts[i, 0] else None,
                woe=float(binner.woe_[i]),
                points=float(points[i]),
            )
            for i, label in enumerate(labels)
        ]
        if isinstance(var, CategoricalVar):
            rows.append(BinRow(unseen, None, None, None, None, float(var.unseen_points)))
        out.append(
            VariableBins(
                name=var.name,
                kind=card.kinds_.get(var.name, "numeric"),
                iv=float(binner.iv_),
                coef=card.coef_.get(var.name),
                manual=bool(getattr(binner, "manual_", False)),
                rows=tuple(rows),
            )
        )
    return out


def candidates(artefact: Mapping[str, Any]) -> list[Candidate]:
    """Every candidate variable, highest IV first: kept or dropped, and why."""
    iv: Mapping[str, float] = artefact.get("iv") or {}
    dropped: Mapping[str, str] = artefact.get("dropped") or {}
    kinds: Mapping[str, str] = artefact.get("kinds") or {}
    selected = set(artefact.get("selected") or ())
    names = [*iv, *(n for n in dropped if n not in iv)]
    rows = [
        Candidate(
            name=n,
            kind=kinds.get(n),
            iv=None if iv.get(n) is None else float(iv[n]),
            kept=n in selected,
            reason=str(dropped.get(n, "")),
        )
        for n in names
    ]
    rows.sort(key=lambda c: (not c.kept, c.iv is None, -(c.iv or 0.0)))
    return rows


def baseline_of(artefact: Mapping[str, Any]) -> tuple[list[float], list[float]] | None:
    """The development score distribution (edges, counts), or None for an artefact without it."""
    bins = (artefact.get("metrics") or {}).get("score_bins")
    if not isinstance(bins, Mapping):
        return None
    edges, counts = bins.get("edges"), bins.get("counts")
    if not isinstance(edges, list) or not isinstance(counts, list):
        return None
    if len(counts) != len(edges) + 1 or not counts or sum(counts) <= 0:
        return None
    return [float(e) for e in edges], [float(c) for c in counts]


def month_psi(
    scores_by_month: Mapping[str, Sequence[float]],
    edges: Sequence[float],
    counts: Sequence[float],
) -> list[MonthPsi]:
    """The PSI of each month's scores against the baseline ``counts`` over ``edges``."""
    cut = np.asarray(edges, dtype=np.float64)
    out = []
    for month in sorted(scores_by_month):
        s = np.asarray(scores_by_month[month], dtype=np.float64)
        if s.size == 0:
            continue
        actual = np.bincount(np.searchsorted(cut, s, side="right"), minlength=cut.size + 1)
        value = psi_from_counts(counts, actual)
        out.append(MonthPsi(month, int(s.size), value, psi_band(value)))
    return out


def scores_by_month(
    session: Session, label: str, tz: ZoneInfo, now: datetime | None = None
) -> dict[str, list[float]]:
    """The scores of the decisions made with model ``label``, by the bank's calendar month (the
    newest ``PSI_MONTHS`` months; only those are read when ``now`` is given)."""
    since = None if now is None else now - timedelta(days=31 * PSI_MONTHS)
    rows = repository.scores_of_model(session, label, since)
    months: dict[str, list[float]] = {}
    for at, score in rows:
        if score is None:
            continue
        moment = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        months.setdefault(moment.astimezone(tz).strftime("%Y-%m"), []).append(float(score))
    keep = sorted(months)[-PSI_MONTHS:]
    return {m: months[m] for m in keep}


def psi_by_month(
    session: Session,
    label: str,
    artefact: Mapping[str, Any],
    tz: ZoneInfo,
    now: datetime | None = None,
) -> list[MonthPsi] | None:
    """The monthly PSI of model ``label``'s decision scores; None when the artefact has no
    baseline distribution."""
    baseline = baseline_of(artefact)
    if baseline is None:
        return None
    return month_psi(scores_by_month(session, label, tz, now), *baseline)


def hours_since(at: datetime | None, now: datetime) -> float | None:
    """Hours from ``at`` to ``now`` (None when ``at`` is unknown): a referral's waiting time."""
    if at is None:
        return None
    start = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return max(0.0, (now - start).total_seconds() / 3600)


def decisions_of(session: Session, application_id: int) -> list[Decision]:
    """Every decision on an application, newest first (automatic, then any manual review)."""
    return repository.decisions_of(session, application_id)


def application(session: Session, application_id: int) -> Application:
    """The application with this id (NotFoundError otherwise)."""
    row = session.get(Application, application_id)
    if row is None:
        raise NotFoundError("application.not_found", f"No application with id {application_id}")
    return row


def policy_model_problems(session: Session, body: Mapping[str, Any]) -> list[FieldProblem]:
    """A policy naming a model that has no champion would decide every application unscored
    (all referred): say so before it is drafted."""
    name = str(body.get("model") or "").strip()
    if name and registry.champion(session, name) is None:
        return [FieldProblem("model", f"no champion model named {name!r}")]
    return []
