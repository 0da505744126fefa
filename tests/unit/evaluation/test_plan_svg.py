"""The work plan's SVG charts: known geometry of bars, lines and pies, nice axes, escaping."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.evaluation import plan_svg as svg


@pytest.mark.parametrize(
    ("span", "step"),
    [(10, 2.0), (1, 0.2), (7, 2.0), (100, 20.0), (0.05, 0.01), (12, 2.5), (0, 1.0)],
)
def test_nice_step(span: float, step: float) -> None:
    assert svg.nice_step(span) == pytest.approx(step)


def test_axis_includes_zero_and_ends_on_ticks() -> None:
    assert svg.axis_range([3, 7, None]) == (0.0, 8.0, 2.0)
    low, high, step = svg.axis_range([-3, 7])
    assert low == -4.0
    assert high == 8.0
    assert step == 2.0
    assert svg.axis_range([]) == (0.0, 1.0, 0.2)
    assert svg.axis_range([5e-324]) == (0.0, 1.0, 0.2)  # a subnormal float is no span


def test_a_small_value_beside_a_large_one_is_inside_the_axis() -> None:
    low, high, _step = svg.axis_range([0.0005, -1250000.0])  # found by hypothesis
    assert low <= -1250000.0
    assert high >= 0.0005


@given(st.lists(st.floats(min_value=-1e9, max_value=1e9), min_size=1, max_size=20))
def test_axis_covers_every_value(values: list[float]) -> None:
    low, high, step = svg.axis_range(values)
    assert low <= min([0.0, *values]) + 1e-6
    assert high >= max([0.0, *values]) - 1e-6
    assert step > 0
    assert round((high - low) / step) <= 2 * svg.TICKS + 1


def _rects(text: str) -> list[dict[str, float]]:
    found = re.findall(
        r'<rect x="([\d.-]+)" y="([\d.-]+)" width="([\d.-]+)" height="([\d.-]+)" fill', text
    )
    return [dict(zip(("x", "y", "w", "h"), map(float, r), strict=True)) for r in found]


def test_bar_geometry() -> None:
    out = svg.bar_chart("t", ["a", "b"], [("s", [5, 10])])
    bars = _rects(out)
    assert len(bars) == 2
    plot = svg.Y1 - svg.Y0  # axis 0..10: the taller bar fills the plot, the other half of it
    assert bars[1]["h"] == pytest.approx(plot, abs=0.01)
    assert bars[0]["h"] == pytest.approx(plot / 2, abs=0.01)
    assert bars[1]["y"] == pytest.approx(svg.Y0, abs=0.01)
    slot = (svg.X1 - svg.X0) / 2
    assert bars[0]["x"] == pytest.approx(svg.X0 + slot * 0.15, abs=0.01)
    assert bars[0]["w"] == pytest.approx(slot * 0.7, abs=0.01)
    assert out.startswith("<svg")
    assert out.endswith("</svg>")


def test_negative_bar_hangs_below_zero_and_missing_values_draw_nothing() -> None:
    bars = _rects(svg.bar_chart("t", ["a", "b", "c"], [("s", [-5, 10, None])]))
    assert len(bars) == 2
    assert svg.axis_range([-5, 10]) == (-5.0, 10.0, 5.0)
    plot = svg.Y1 - svg.Y0
    zero = svg.Y1 - plot / 3  # zero is a third of the way up
    assert bars[0]["y"] == pytest.approx(zero, abs=0.01)  # the negative bar starts at zero...
    assert bars[0]["h"] == pytest.approx(plot / 3, abs=0.01)  # ...and hangs down to -5
    assert bars[1]["y"] + bars[1]["h"] == pytest.approx(zero, abs=0.01)


def test_line_breaks_at_missing_values() -> None:
    out = svg.line_chart("t", ["1", "2", "3", "4"], [("s", [1, 2, None, 4])])
    assert out.count("<polyline") == 1  # 1-2 joined; 4 stands alone
    assert out.count("<circle") == 3


def test_pie_slices_and_full_circle() -> None:
    assert svg.pie_slices([1, 1, 2]) == [(0.0, 90.0), (90.0, 180.0), (180.0, 360.0)]
    assert svg.pie_slices([0, None, -1]) == [(0.0, 0.0)] * 3
    half = svg.pie_chart("t", ["a", "b"], [1, 1])
    # the first half ends at 6 o'clock: straight below the centre
    assert f"{svg.PIE_CX:g},{svg.PIE_CY + svg.PIE_R:g} Z" in half
    whole = svg.pie_chart("t", ["a", "b"], [5, 0])
    assert "<circle" in whole
    assert "<path" not in whole
    assert "50.0%" in half


def test_text_is_escaped() -> None:
    out = svg.bar_chart("<b>&", ["<i>"], [("<s>", [1])])
    assert "<b>" not in out
    assert "<i>" not in out
    assert "&lt;b&gt;&amp;" in out


def test_long_category_labels_are_cut_to_their_slot() -> None:
    names = [f"很长很长的客群名称第{i}号" for i in range(10)]
    out = svg.bar_chart("t", names, [("s", list(range(10)))])
    room = svg.label_room((svg.X1 - svg.X0) / 10)
    assert room == 5
    assert ">很长很长</tspan>" in out  # two lines of 4.8 CJK widths, the second cut with "…"
    assert ">的客群…</tspan>" in out
    assert names[0] not in out


def test_labels_wrap_at_a_separator_and_latin_letters_are_narrow() -> None:
    assert svg.wrap_label("2025-12", 4) == ["2025-12"]  # months fit a twelfth of the width
    assert svg.wrap_label("中年白领·中收入", 4) == ["中年白领", "中收入"]
    assert svg.wrap_label("Young office workers", 6) == ["Young", "office wo…"]
