"""Charts of the generated work plan as inline SVG, drawn on the server (no script, no library):
grouped bars, lines and a pie. The PDF printer (headless Chromium) then needs no JavaScript.

Pure: strings and numbers in, an SVG string out. Geometry is in SVG user units inside a
``WIDTH`` x ``HEIGHT`` view box; the plot area of bars and lines is ``[X0, X1] x [Y0, Y1]`` (y
grows downwards). The value axis starts at zero (or below it when a value is negative) and ends at
a "nice" top (1, 2, 2.5 or 5 times a power of ten). A missing value (None) draws nothing.
Every text is escaped; colours are presentation attributes, so they survive printing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

WIDTH, HEIGHT = 640, 300
X0, X1, Y0, Y1 = 64.0, 624.0, 24.0, 236.0
PIE_CX, PIE_CY, PIE_R = 150.0, 150.0, 110.0
TICKS = 5
PALETTE: tuple[str, ...] = (
    "#1f5fa8", "#d9822b", "#2e8b57", "#b03a2e", "#7d5ba6", "#148f9c", "#8c6d1f", "#5d6d7e",
)  # fmt: skip
FONT = "font-family=\"'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC',sans-serif\""

Number = float | int | None
Formatter = Callable[[float], str]


def _plain(value: float) -> str:
    return f"{value:,.4g}"


def nice_step(span: float, ticks: int = TICKS) -> float:
    """The tick step: 1, 2, 2.5 or 5 times a power of ten, so ``ticks`` steps cover ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * power * (1 + 1e-12):
            return float(factor * power)
    return float(10.0 * power)  # pragma: no cover - the loop always returns


def axis_range(values: Sequence[Number]) -> tuple[float, float, float]:
    """(low, high, step) of the value axis: zero included, both ends on a tick."""
    known = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    low, high = min([0.0, *known]), max([0.0, *known])
    if high - low < 1e-9:  # nothing to scale (all zero, or below any printed precision)
        high = low + 1.0
    step = nice_step(high - low)
    bottom = math.floor(low / step + 1e-9) * step
    top = math.ceil(high / step - 1e-9) * step
    # the 1e-9 step tolerance absorbs float noise, but on a wide axis it can swallow a small real
    # value (0.0005 beside -1,250,000 would be drawn above the top): widen by a step then
    noise = 4 * math.ulp(max(1.0, abs(low), abs(high)))
    if low - bottom < -noise:
        bottom -= step
    if high - top > noise:
        top += step
    return bottom, top, step


def _y(value: float, low: float, high: float) -> float:
    return Y1 - (value - low) / (high - low) * (Y1 - Y0)


def _n(value: float) -> str:
    """A coordinate with at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _open(title: str, height: int = HEIGHT) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}" {FONT} '
        'font-size="11">',
        f"<title>{escape(title)}</title>",
    ]


def _value_axis(low: float, high: float, step: float, fmt: Formatter) -> list[str]:
    parts = []
    count = round((high - low) / step)
    for i in range(count + 1):
        value = low + i * step
        y = _n(_y(value, low, high))
        parts.append(
            f'<line x1="{_n(X0)}" y1="{y}" x2="{_n(X1)}" y2="{y}" stroke="#e3e6ea" '
            'stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{_n(X0 - 6)}" y="{y}" text-anchor="end" dominant-baseline="middle" '
            f'fill="#555">{escape(fmt(value))}</text>'
        )
    return parts


def label_room(slot: float) -> int:
    """How many CJK characters of a category label fit under its slot (a CJK character is about
    11 units wide at the chart's font size); at least two."""
    return max(2, int(slot // 11))


def text_width(text: str) -> float:
    """The drawn width of ``text`` in CJK characters (a Latin letter or digit is about half)."""
    return sum(1.0 if ord(c) > 0x2E80 else 0.55 for c in text)


def _cut(text: str, room: float) -> tuple[str, str]:
    """The longest head of ``text`` that fits ``room`` (in CJK widths), and the rest."""
    used = 0.0
    for i, c in enumerate(text):
        used += text_width(c)
        if used > room:
            return text[:i], text[i:]
    return text, ""


def wrap_label(name: str, room: float, lines: int = 2) -> list[str]:
    """A category label on up to ``lines`` lines of ``room`` CJK widths each, broken at a space or
    a ``·`` where one is near, the last line ending in "…" when the name is longer still."""
    out: list[str] = []
    rest = name.strip()
    while rest and len(out) < lines:
        head, tail = _cut(rest, room)
        if tail and len(out) < lines - 1:
            for mark in (" ", "·", "/", "-"):
                at = head.rfind(mark)
                if at >= max(1, len(head) // 2):
                    head, tail = head[: at + (mark != " ")], head[at + 1 :] + tail
                    break
        out.append(head.strip())
        rest = tail.strip().lstrip("·/")
    if rest:
        last, _ = _cut(out[-1], max(room - 1, 1))
        out[-1] = last.rstrip() + "…"
    return out


def _category_labels(categories: Sequence[str], slot: float) -> list[str]:
    parts = []
    room = max(2.0, slot / 11 - 0.2)
    for i, name in enumerate(categories):
        x = _n(X0 + slot * (i + 0.5))
        lines = wrap_label(name, room)
        spans = "".join(
            f'<tspan x="{x}" dy="{0 if j == 0 else 12}">{escape(line)}</tspan>'
            for j, line in enumerate(lines)
        )
        parts.append(
            f'<text x="{x}" y="{_n(Y1 + 15)}" text-anchor="middle" fill="#333" '
            f'font-size="{10 if len(lines) > 1 else 11}">{spans}</text>'
        )
    return parts


def _legend(names: Sequence[str], y: float) -> list[str]:
    if len(names) < 2:
        return []
    parts, x = [], X0
    for i, name in enumerate(names):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{_n(x)}" y="{_n(y - 8)}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{_n(x + 14)}" y="{_n(y + 1)}" fill="#333">{escape(name)}</text>')
        x += 24 + 12 * len(name) if any(ord(c) > 0x2E80 for c in name) else 24 + 7 * len(name)
    return parts


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[Number]]],
    fmt: Formatter = _plain,
) -> str:
    """Grouped vertical bars: one group per category, one colour per series (legend when two or
    more), the value printed above each bar."""
    low, high, step = axis_range([v for _, values in series for v in values])
    slot = (X1 - X0) / max(len(categories), 1)
    width = slot * 0.7 / max(len(series), 1)
    parts = _open(title) + _value_axis(low, high, step, fmt)
    zero = _y(0.0, low, high)
    for s, (_name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        for i, value in enumerate(values):
            if value is None or not math.isfinite(float(value)):
                continue
            x = X0 + slot * i + slot * 0.15 + width * s
            top = _y(float(value), low, high)
            y, h = min(top, zero), abs(zero - top)
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(h)}" '
                f'fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{_n(x + width / 2)}" y="{_n(y - 3)}" text-anchor="middle" '
                f'font-size="9" fill="#333">{escape(fmt(float(value)))}</text>'
            )
    parts += _category_labels(categories, slot)
    parts += _legend([name for name, _ in series], HEIGHT - 12)
    parts.append(
        f'<line x1="{_n(X0)}" y1="{_n(zero)}" x2="{_n(X1)}" y2="{_n(zero)}" stroke="#888"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[Number]]],
    fmt: Formatter = _plain,
) -> str:
    """Lines over the categories (points at the slot centres), a dot on each known value; a
    missing value breaks the line."""
    low, high, step = axis_range([v for _, values in series for v in values])
    slot = (X1 - X0) / max(len(categories), 1)
    parts = _open(title) + _value_axis(low, high, step, fmt)
    for s, (_name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(values):
            if value is None or not math.isfinite(float(value)):
                runs.append([])
                continue
            runs[-1].append((X0 + slot * (i + 0.5), _y(float(value), low, high)))
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{_n(x)},{_n(y)}" for x, y in run)
                parts.append(
                    f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
                )
            parts += [f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3" fill="{colour}"/>' for x, y in run]
    parts += _category_labels(categories, slot)
    parts += _legend([name for name, _ in series], HEIGHT - 12)
    parts.append("</svg>")
    return "".join(parts)


def pie_slices(values: Sequence[Number]) -> list[tuple[float, float]]:
    """(start, end) angles in degrees, clockwise from 12 o'clock, of each value's slice; a
    missing, negative or zero value gets an empty slice."""
    clean = [
        max(float(v), 0.0) if v is not None and math.isfinite(float(v)) else 0.0 for v in values
    ]
    total = sum(clean)
    out, angle = [], 0.0
    for value in clean:
        sweep = 360.0 * value / total if total > 0 else 0.0
        out.append((angle, angle + sweep))
        angle += sweep
    return out


def _point(angle: float) -> tuple[float, float]:
    rad = math.radians(angle - 90.0)
    return PIE_CX + PIE_R * math.cos(rad), PIE_CY + PIE_R * math.sin(rad)


def pie_chart(
    title: str, categories: Sequence[str], values: Sequence[Number], fmt: Formatter = _plain
) -> str:
    """A pie, slices clockwise from 12 o'clock in the order given, with a legend of each
    category, its value and share on the right."""
    parts = _open(title)
    slices = pie_slices(values)
    total = sum(b - a for a, b in slices)
    for i, (start, end) in enumerate(slices):
        colour = PALETTE[i % len(PALETTE)]
        if end - start <= 0:
            continue
        if end - start >= 359.999:
            parts.append(
                f'<circle cx="{_n(PIE_CX)}" cy="{_n(PIE_CY)}" r="{_n(PIE_R)}" fill="{colour}"/>'
            )
            continue
        (x1, y1), (x2, y2) = _point(start), _point(end)
        large = 1 if end - start > 180 else 0
        parts.append(
            f'<path d="M{_n(PIE_CX)},{_n(PIE_CY)} L{_n(x1)},{_n(y1)} '
            f'A{_n(PIE_R)},{_n(PIE_R)} 0 {large} 1 {_n(x2)},{_n(y2)} Z" fill="{colour}" '
            'stroke="#fff" stroke-width="1"/>'
        )
    for i, name in enumerate(categories):
        colour = PALETTE[i % len(PALETTE)]
        y = 40 + 22 * i
        value = values[i] if i < len(values) else None
        share = (slices[i][1] - slices[i][0]) / total if total > 0 and i < len(slices) else 0.0
        shown = "—" if value is None else f"{fmt(float(value))} ({share * 100:.1f}%)"
        parts.append(f'<rect x="300" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="316" y="{y}" fill="#333">{escape(name)}: {escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)
