"""Explaining appraisal scores (pure): the sentence of each score line, the curve's name and
the score distribution by band. No session or clock (house rule 2)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Final

from loanpilot.team.appraisal_rules import Curve, Line, cents, pct_text

_HUNDRED: Final = Decimal(100)


# --- explaining -----------------------------------------------------------------------------------

_CURVE_ZH: Final = {"linear": "线性", "linear_inverse": "反向线性", "rating": "评分"}
_CURVE_EN: Final = {"linear": "linear", "linear_inverse": "inverse linear", "rating": "rating"}


def curve_text(curve: Curve, lang: str) -> str:
    """``线性（下限 0，上限 120）`` / ``linear (floor 0, cap 120)``; a rating names its scale."""
    f, c = pct_text(curve.floor), pct_text(curve.cap)
    lo, hi = pct_text(curve.scale_min), pct_text(curve.scale_max)
    if lang == "zh":
        name = _CURVE_ZH.get(curve.type, curve.type)
        scale = f"，量表 {lo}–{hi}" if curve.type == "rating" else ""
        return f"{name}（下限 {f}，上限 {c}{scale}）"
    name = _CURVE_EN.get(curve.type, curve.type)
    scale = f", scale {lo}-{hi}" if curve.type == "rating" else ""
    return f"{name} (floor {f}, cap {c}{scale})"


def explain(line: Line, lang: str, rater: str | None = None) -> str:
    """One sentence saying how the line's points came about."""
    ind = line.indicator
    weight = pct_text(cents(ind.weight * _HUNDRED))
    target = "—" if ind.target is None else pct_text(ind.target)
    actual = "—" if line.actual is None else pct_text(line.actual)
    curve = curve_text(ind.curve, lang)
    if lang == "zh":
        head = (
            f"{ind.name}：无数据，按基准分 {pct_text(line.score)} 计"
            if line.missing
            else f"{ind.name}：实际 {actual}，目标 {target}，{curve} → {pct_text(line.score)} 分"
        )
        who = f"（评分人：{rater}）" if rater else ""
        return f"{head} × 权重 {weight}% = {pct_text(line.weighted)}{who}"
    head = (
        f"{ind.name}: no data, scored the baseline {pct_text(line.score)}"
        if line.missing
        else f"{ind.name}: actual {actual}, target {target}, {curve} → {pct_text(line.score)} points"
    )
    who = f" (rated by {rater})" if rater else ""
    return f"{head} × weight {weight}% = {pct_text(line.weighted)}{who}"


#: Bands of the score distribution (lower bound inclusive), in points.
BANDS: Final[tuple[tuple[str, Decimal | None, Decimal | None], ...]] = (
    ("<60", None, Decimal(60)),
    ("60-70", Decimal(60), Decimal(70)),
    ("70-80", Decimal(70), Decimal(80)),
    ("80-90", Decimal(80), Decimal(90)),
    ("90-100", Decimal(90), Decimal(100)),
    ("100-110", Decimal(100), Decimal(110)),
    (">=110", Decimal(110), None),
)


def distribution(totals: Iterable[Decimal]) -> dict[str, int]:
    """How many totals fall in each band of :data:`BANDS` (every band listed, in order)."""
    out = {label: 0 for label, _, _ in BANDS}
    for total in totals:
        for label, low, high in BANDS:
            if (low is None or total >= low) and (high is None or total < high):
                out[label] += 1
                break
    return out
