"""Charts of the scorecard report: line and bar charts as plain data (``Chart``) that the report
template draws as inline SVG, so the page needs no script and no chart library; and the report's
charts (``report_charts``: ROC, KS, score distribution, calibration by grade, gains, lift).

Coordinates are SVG user units in a ``WIDTH`` x ``HEIGHT`` view box; the plot area is
``[X0, X1] x [Y0, Y1]`` (y grows downwards). Axes get "nice" ticks (1, 2, 2.5 or 5 times a power
of ten). Curves are thinned to at most ``MAX_POINTS`` vertices (evenly by index, ends kept), so a
chart of a million rows stays a few kilobytes. Colours are presentation attributes, not CSS, so a
chart keeps them when printed or when styles are blocked. Text is escaped by the template.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from loanpilot.risk.scorecard_report_text import Text

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
WIDTH, HEIGHT = 560, 300
X0, X1, Y0, Y1 = 60.0, 544.0, 34.0, 250.0
MAX_POINTS = 400
BAD, GOOD, NEUTRAL, PRED = "#c0392b", "#2471a3", "#7f8c8d", "#d68910"

#: (pixel position, text)
Tick = tuple[float, str]
#: (legend text, colour, x values, y values, dashed); an empty text stays out of the legend
LineSeries = tuple[str, str, FloatArray, FloatArray, bool]
#: (legend text, colour, one value per category)
BarSeries = tuple[str, str, Sequence[float]]


@dataclass(frozen=True)
class Line:
    points: str
    color: str
    dashed: bool
    dots: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    color: str
    tip: str


@dataclass(frozen=True)
class Key:
    x: float
    label: str
    color: str


@dataclass(frozen=True)
class Chart:
    """One chart, ready to draw; see the module docstring for the coordinates."""

    title: str
    x_label: str
    y_label: str
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    lines: tuple[Line, ...] = ()
    bars: tuple[Bar, ...] = ()
    marks: tuple[Tick, ...] = ()
    legend: tuple[Key, ...] = ()
    width: int = WIDTH
    height: int = HEIGHT
    x0: float = X0
    x1: float = X1
    y0: float = Y0
    y1: float = Y1


def num_label(value: float, digits: int = 6) -> str:
    """A number with at most ``digits`` significant digits, no exponent, no trailing zeros."""
    text = np.format_float_positional(
        float(value), precision=digits, unique=True, fractional=False, trim="-"
    )
    return "0" if text == "-0" else text


def nice_range(lo: float, hi: float, n: int = 5) -> tuple[float, float, list[float]]:
    """``(low, high, ticks)``: the range widened to about ``n`` nice steps that cover it."""
    if not hi > lo:
        pad = abs(lo) * 0.05 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / n
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * mag >= raw * (1 - 1e-9))
    low = math.floor(lo / step + 1e-9) * step
    high = math.ceil(hi / step - 1e-9) * step
    count = round((high - low) / step)
    return low, high, [low + i * step for i in range(count + 1)]


def _scale(v: FloatArray, lo: float, hi: float, a: float, b: float) -> FloatArray:
    out: FloatArray = a + (v - lo) / (hi - lo) * (b - a)
    return out


def _px(v: float, lo: float, hi: float, a: float, b: float) -> float:
    return round(a + (float(v) - lo) / (hi - lo) * (b - a), 1)


def _thin(xs: FloatArray, ys: FloatArray) -> tuple[FloatArray, FloatArray]:
    if xs.size <= MAX_POINTS:
        return xs, ys
    keep = np.unique(np.linspace(0, xs.size - 1, MAX_POINTS).round().astype(np.int64))
    return xs[keep], ys[keep]


def _width(text: str) -> float:
    """Approximate width at font size 11: CJK characters are wide."""
    return sum(11.0 if ord(ch) >= 0x2E80 else 6.4 for ch in text)


def _legend(items: Sequence[tuple[str, str]]) -> tuple[Key, ...]:
    keys, x = [], X0
    for label, color in items:
        if label:
            keys.append(Key(round(x, 1), label, color))
            x += 16.0 + _width(label) + 14.0
    return tuple(keys)


def _pct(v: float) -> str:
    return f"{num_label(100.0 * v, 4)}%"


def line_chart(
    title: str,
    x_label: str,
    y_label: str,
    series: Sequence[LineSeries],
    *,
    x_range: tuple[float, float] | None = None,
    x_pct: bool = False,
    marks: Sequence[tuple[float, str]] = (),
    dots: bool = False,
) -> Chart:
    """Lines on a shared x axis (``x_range``, else the data's) and a 0..100 % y axis."""
    if x_range is None:
        x_range = (
            min(float(s[2].min()) for s in series),
            max(float(s[2].max()) for s in series),
        )
    xlo, xhi, xt = nice_range(*x_range)
    ylo, yhi, yt = nice_range(0.0, 1.0)
    lines = []
    for _, color, xs, ys, dashed in series:
        px = _scale(np.asarray(xs, dtype=np.float64), xlo, xhi, X0, X1)
        py = _scale(np.asarray(ys, dtype=np.float64), ylo, yhi, Y1, Y0)
        tx, ty = _thin(px, py)
        text = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(tx.tolist(), ty.tolist(), strict=True))
        pts = tuple(zip(px.round(1).tolist(), py.round(1).tolist(), strict=True))
        lines.append(Line(text, color, dashed, pts if dots and not dashed else ()))
    return Chart(
        title,
        x_label,
        y_label,
        x_ticks=tuple(
            (
                _px(v, xlo, xhi, X0, X1),
                _pct(v) if x_pct else num_label(v),
            )
            for v in xt
        ),
        y_ticks=tuple((_px(v, ylo, yhi, Y1, Y0), _pct(v)) for v in yt),
        lines=tuple(lines),
        marks=tuple((_px(x, xlo, xhi, X0, X1), text) for x, text in marks),
        legend=_legend([(s[0], s[1]) for s in series]),
    )


def bar_chart(
    title: str,
    x_label: str,
    y_label: str,
    categories: Sequence[str],
    series: Sequence[BarSeries],
    *,
    pct: bool = True,
    label_every: int | None = None,
) -> Chart:
    """Grouped bars: one group per category, one bar per series, from a zero baseline."""
    n, k = len(categories), max(len(series), 1)
    top = max((float(v) for s in series for v in s[2]), default=0.0)
    _, yhi, yt = nice_range(0.0, top if top > 0 else 1.0)
    slot = (X1 - X0) / max(n, 1)
    width = slot * 0.8 / k
    fmt = _pct if pct else (lambda v: num_label(v, 4))
    bars = []
    for j, (label, color, values) in enumerate(series):
        for i, (cat, v) in enumerate(zip(categories, values, strict=True)):
            y = _px(float(v), 0.0, yhi, Y1, Y0)
            x = X0 + i * slot + slot * 0.1 + j * width
            tip = f"{label} {cat}: {fmt(float(v))}"
            bars.append(
                Bar(round(x, 1), round(y, 1), round(width, 1), round(Y1 - y, 1), color, tip)
            )
    every = label_every or max(1, math.ceil(n / 10))
    return Chart(
        title,
        x_label,
        y_label,
        x_ticks=tuple(
            (round(X0 + (i + 0.5) * slot, 1), cat)
            for i, cat in enumerate(categories)
            if i % every == 0
        ),
        y_ticks=tuple((_px(v, 0.0, yhi, Y1, Y0), fmt(v)) for v in yt),
        bars=tuple(bars),
        legend=_legend([(s[0], s[1]) for s in series]),
    )


# --------------------------------------------------------------------------- the report's charts


def cumulative_shares(y: IntArray, score: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Distinct scores ascending (riskiest first; points: higher = safer) and the shares of all
    bads and of all goods scoring at or below each: the KS curves, and the ROC curve (goods on
    x, bads on y). Needs both classes."""
    order = np.argsort(score, kind="stable")
    s, yb = score[order], y[order]
    cum_bad = np.cumsum(yb)
    cum_good = np.arange(1, s.size + 1) - cum_bad
    last = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    bad = (cum_bad[last] / cum_bad[-1]).astype(np.float64)
    good = (cum_good[last] / cum_good[-1]).astype(np.float64)
    return s[last], bad, good


def distribution_chart(score: FloatArray, y: IntArray | None, t: Text) -> Chart:
    """Histogram of the score on nice edges: goods and bads as shares of their class, or all rows."""
    _, _, ticks = nice_range(float(score.min()), float(score.max()), 20)
    edges = np.asarray(ticks, dtype=np.float64)
    groups = [(t("all_rows"), NEUTRAL, score)]
    if y is not None:
        groups = [(t("goods"), GOOD, score[y == 0]), (t("bads"), BAD, score[y == 1])]
    series: list[BarSeries] = []
    for label, color, part in groups:
        if part.size:
            counts, _ = np.histogram(part, bins=edges)
            series.append((label, color, (counts / part.size).tolist()))
    y_label = t("share") if y is None else t("share_of_class")
    cats = [num_label(e) for e in edges[:-1]]
    return bar_chart(t("dist"), t("score"), y_label, cats, series)


def report_charts(
    score: FloatArray,
    y: IntArray | None,
    t: Text,
    *,
    ks: tuple[float, float] | None,
    calibration: Sequence[Mapping[str, Any]] | None,
    gains: Sequence[Mapping[str, Any]] | None,
) -> list[Chart]:
    """The charts of section 2. ``ks`` (statistic, threshold) and ``gains`` are None unless ``y``
    has both classes; ``calibration`` is None without ``y``."""
    diagonal = (t("random"), NEUTRAL, np.array([0.0, 1.0]), np.array([0.0, 1.0]), True)
    charts: list[Chart] = []
    if y is not None and ks is not None:
        s, cb, cg = cumulative_shares(y, score)
        roc = (t("model_curve"), BAD, np.r_[0.0, cg], np.r_[0.0, cb], False)
        charts.append(
            line_chart(t("roc"), t("fpr"), t("tpr"), [diagonal, roc], x_range=(0, 1), x_pct=True)
        )
        curves = [(t("cum_bad"), BAD, s, cb, False), (t("cum_good"), GOOD, s, cg, False)]
        mark = (ks[1], f"KS {ks[0]:.3f} @ {ks[1]:.1f}")
        charts.append(line_chart(t("ks_curve"), t("score"), t("cum_share"), curves, marks=[mark]))
    charts.append(distribution_chart(score, y, t))
    if calibration:
        observed = [float(r["bad_rate"]) for r in calibration]
        predicted = [float(r["mean_pd"]) for r in calibration]
        charts.append(
            bar_chart(
                t("calibration"),
                t("grade"),
                t("bad_rate"),
                [str(r["grade"]) for r in calibration],
                [(t("observed"), BAD, observed), (t("predicted"), PRED, predicted)],
            )
        )
    if gains:
        xs = np.r_[0.0, [float(r["cum_count_share"]) for r in gains]]
        ys = np.r_[0.0, [float(r["cum_bad_share"]) for r in gains]]
        model = (t("model_curve"), BAD, xs, ys, False)
        charts.append(
            line_chart(
                t("gains"),
                t("pop_share"),
                t("capture"),
                [diagonal, model],
                x_range=(0, 1),
                x_pct=True,
                dots=True,
            )
        )
        lift = [float(r["lift"]) for r in gains]
        deciles = [str(r["bin"]) for r in gains]
        charts.append(
            bar_chart(
                t("lift_chart"),
                t("decile"),
                t("lift"),
                deciles,
                [(t("lift"), BAD, lift)],
                pct=False,
            )
        )
    return charts
