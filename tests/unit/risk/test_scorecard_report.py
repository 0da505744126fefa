"""The HTML scorecard report (``risk.scorecard_report``): its figures agree with ``analytics``,
every user string is escaped, the page needs nothing from outside, and it parses."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from loanpilot.analytics import metrics, stability
from loanpilot.analytics.scorecard import Scorecard
from loanpilot.analytics.scorecard_artefact import data_sha256, from_artefact, to_artefact
from loanpilot.risk.scorecard_report import build_report
from loanpilot.risk.scorecard_report_charts import (
    X0,
    X1,
    Y0,
    Y1,
    bar_chart,
    cumulative_shares,
    nice_range,
    num_label,
)

EVIL = "<script>alert(1)</script>"
EVIL_CATEGORY = '<img src=x onerror="alert(2)">'
Fitted = tuple[Scorecard, dict[str, Any], pd.DataFrame, npt.NDArray[np.int64]]
VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "source", "wbr"}


# --------------------------------------------------------------------------- fixtures


def _data(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 65, n).astype(float)
    income = rng.lognormal(9.0, 0.5, n)
    income[rng.random(n) < 0.05] = np.nan
    city = rng.choice(
        ["北京", "上海", EVIL_CATEGORY, "成都", "x"], n, p=[0.3, 0.3, 0.2, 0.15, 0.05]
    )
    z = (
        -2.5
        - 0.04 * (age - 40)
        - 0.6 * (np.log(np.nan_to_num(income, nan=8100.0)) - 9.0)
        + np.where(city == "成都", 0.8, 0.0)
        + np.where(city == EVIL_CATEGORY, -0.5, 0.0)
    )
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-z))).astype(np.int64)
    frame = pd.DataFrame(
        {"age": age, "income": income, EVIL: city, "noise": rng.normal(size=n), "flat": 1.0}
    )
    return frame, y


@pytest.fixture(scope="module")
def fitted() -> Fitted:
    frame, y = _data(3000, 0)
    card = Scorecard().fit(frame, y)
    artefact = to_artefact(
        card,
        name="零售卡",
        version="1.2",
        trained_at="2026-01-01T09:00:00+08:00",
        data_hash=data_sha256(frame, y),
    )
    return card, artefact, frame, y


@pytest.fixture(scope="module")
def report_zh(fitted: Fitted) -> str:
    card, artefact, frame, y = fitted
    return build_report(card, artefact, frame, y)


@pytest.fixture(scope="module")
def report_en(fitted: Fitted) -> str:
    card, artefact, frame, y = fitted
    return build_report(card, artefact, frame, y, lang="en")


@pytest.fixture(scope="module")
def report_no_y(fitted: Fitted) -> str:
    card, artefact, _, _ = fitted
    frame, _ = _data(800, 1)
    return build_report(card, artefact, frame, None, lang="en")


class _Page(HTMLParser):
    """Checks that elements nest and close; collects svg attributes and table cell texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.svgs: list[dict[str, str | None]] = []
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)
        if tag == "svg":
            self.svgs.append(dict(attrs))
        if tag == "table":
            self.tables.append([])
        if tag == "tr" and self.tables:
            self.tables[-1].append([])
        if tag in ("td", "th"):
            self._cell = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def _table(page: str, *headers: str) -> list[list[str]]:
    """The first table whose header row starts with these cells."""
    for table in _parse(page).tables:
        if table and table[0][: len(headers)] == list(headers):
            return table
    raise AssertionError(f"no table headed {headers!r}")


# --------------------------------------------------------------------------- the page


def test_renders_in_chinese_and_english(report_zh: str, report_en: str) -> None:
    assert report_zh.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in report_zh
    assert '<html lang="en">' in report_en
    for heading in ("1 概要", "2 区分能力、分布与校准", "3 稳定性", "4 变量", "5 分值表与系数"):
        assert heading in report_zh
    for heading in ("1 Summary", "3 Stability", "4 Variables", "5 Points table and coefficients"):
        assert heading in report_en
    assert "评分卡模型报告 · 零售卡@1.2" in report_zh
    assert "Scorecard model report · 零售卡@1.2" in report_en
    assert "6 Challenger" not in report_en  # only with a challenger


def test_summary_figures_agree_with_analytics(fitted: Fitted, report_zh: str) -> None:
    card, artefact, frame, y = fitted
    score = card.score(frame)
    auc = metrics.auc(y, score, higher_is_riskier=False)
    ks = metrics.ks(y, score, higher_is_riskier=False)
    table = _table(report_zh, "指标", "本数据")
    rows = {r[0]: r[1] for r in table[1:]}
    assert rows["AUC"] == f"{auc:.4f}"
    assert rows["Gini"] == f"{2 * auc - 1:.4f}"
    assert rows["KS"] == f"{ks.statistic:.4f}"
    assert rows["KS 对应分数（分数 ≤ 此值 vs 以上）"] == f"{ks.threshold:.2f}"
    assert rows["行数"] == "3,000"
    assert rows["坏样本"] == f"{int(y.sum()):,}"
    assert artefact["training"]["data_sha256"][:12] in report_zh
    assert "2026-01-01T09:00:00+08:00" in report_zh
    assert "好坏比 50:1 时 600 分，每 20 分（PDO）好坏比翻倍" in report_zh


def test_calibration_table_carries_the_binomial_test(fitted: Fitted, report_en: str) -> None:
    card, _, frame, y = fitted
    grade = pd.Categorical(card.grade(frame), categories=list(card.grades_.names))
    expected = metrics.calibration_by_grade(y, card.predict_proba(frame)[:, 1], grade)
    table = _table(report_en, "Grade", "Rows")
    assert [r[0] for r in table[1:]] == [str(g) for g in expected["grade"]]
    for row, p in zip(table[1:], expected["p_value"], strict=True):
        assert row[6] == ("< 0.0001" if p < 1e-4 else f"{p:.4f}")


def test_gains_table_is_the_decile_table(fitted: Fitted, report_en: str) -> None:
    card, _, frame, y = fitted
    gains = metrics.gains_table(y, card.score(frame), 10, higher_is_riskier=False)
    table = _table(report_en, "Decile", "Score range")
    assert len(table) == 11
    assert [r[8] for r in table[1:]] == [f"{v:,.2f}" for v in gains["cum_lift"]]
    assert table[-1][5] == "100.00%"  # every bad captured at the last decile


def test_every_kept_variable_has_its_bins_and_points(fitted: Fitted, report_en: str) -> None:
    card, _, _, _ = fitted
    assert EVIL in card.variables_  # the hostile column name is a real model variable here
    page = _parse(report_en)
    for name in card.variables_:
        assert f"<h3>{html.escape(name, quote=False)} <span" in report_en
    bins = [t for t in page.tables if t and t[0][:2] == ["Bin", "Training count"]]
    assert len(bins) == len(card.variables_)
    for table, name in zip(bins, card.variables_, strict=True):
        binner = card.binners_[name]
        extra = 1 if card.kinds_[name] == "categorical" else 0  # the unseen row
        assert len(table) - 1 == binner.counts_.shape[0] + extra
        assert [r[1] for r in table[1 : binner.counts_.shape[0] + 1]] == [
            f"{c:,}" for c in binner.counts_[:, 0]
        ]
        var = card.card_.variables[card.card_.names.index(name)]
        assert table[-1 - extra][6] == f"{var.missing_points:,.2f}"
    age = bins[card.variables_.index("age")]
    assert age[1][0].startswith("(-∞, ")
    assert age[-2][0].endswith(", +∞)")
    assert age[-1][0] == "missing"


def test_iv_summary_lists_every_candidate_with_the_reason(fitted: Fitted, report_en: str) -> None:
    card, _, _, _ = fitted
    table = _table(report_en, "Variable", "Kind", "IV")
    by_name = {r[0]: r for r in table[1:]}
    assert set(by_name) == set(card.iv_) | set(card.dropped_)
    for name, reason in card.dropped_.items():
        assert by_name[name][4] == "dropped"
        assert by_name[name][5] == reason
    for name in card.variables_:
        assert by_name[name][4] == "kept"
    assert "flat" in card.dropped_
    for warning in card.warnings_:
        assert str(escape(warning)) in report_en


def test_points_and_coefficients(fitted: Fitted, report_en: str) -> None:
    card, _, _, _ = fitted
    coefs = _table(report_en, "Variable", "Coefficient")
    assert coefs[1][:2] == ["Intercept", f"{card.intercept_:+,.4f}"]
    assert [r[0] for r in coefs[2:]] == list(card.variables_)
    points = card.card_.points_table()
    table = _table(report_en, "Variable", "Kind", "Bin", "Points")
    assert len(table) - 1 == len(points)
    assert [r[3] for r in table[1:]] == [f"{p:,.2f}" for p in points["points"]]


def test_hostile_strings_are_escaped(fitted: Fitted, report_zh: str, report_en: str) -> None:
    card, artefact, frame, y = fitted
    page = build_report(card, artefact, frame, y, title=EVIL, challenger={EVIL: 1.0})
    for text in (report_zh, report_en, page):
        assert "<script" not in text.lower()
        assert "<img" not in text.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in text
    assert f"<title>{html.escape(EVIL)}</title>" in page


def test_nothing_to_fetch_and_no_script(report_zh: str, report_en: str, report_no_y: str) -> None:
    fetching_tags = {"script", "link", "img", "image", "iframe", "object", "embed", "use", "audio"}
    fetching_attrs = {"src", "href", "xlink:href", "srcset", "action", "formaction", "poster"}
    for text in (report_zh, report_en, report_no_y):
        page = _parse(text)
        assert not page.tags & fetching_tags
        assert not page.attrs & fetching_attrs
        assert not any(a.startswith("on") for a in page.attrs)  # no inline handlers
        assert not re.search(r"https?://", text, flags=re.IGNORECASE)
        style = text[text.index("<style>") : text.index("</style>")]
        assert "url(" not in style
        assert "@import" not in style
        assert "content-security-policy" in text.lower()


def test_page_parses_and_every_svg_has_a_view_box(
    report_zh: str, report_en: str, report_no_y: str
) -> None:
    for text, n_charts in ((report_zh, 6), (report_en, 6), (report_no_y, 1)):
        page = _parse(text)
        assert page.errors == []
        assert page.stack == []
        assert len(page.svgs) == n_charts
        for svg in page.svgs:
            assert re.fullmatch(r"0 0 \d+ \d+", svg["viewbox"] or "")


def test_without_outcomes_only_what_needs_none(fitted: Fitted, report_no_y: str) -> None:
    card, artefact, _, _ = fitted
    assert "This data has no outcome" in report_no_y
    for absent in ("ROC curve", "KS curve", "Calibration by grade", "Gains curve", ">AUC<"):
        assert absent not in report_no_y
    for present in ("Score distribution", "Per-variable CSI", "Fallbacks", "Grade distribution"):
        assert present in report_no_y
    assert "The score PSI needs a baseline sample" in report_no_y
    frame, _ = _data(50, 2)
    zh = build_report(card, artefact, frame, None)
    assert "本数据不含结果变量" in zh


def test_single_class_outcome_says_so(fitted: Fitted) -> None:
    card, artefact, frame, _ = fitted
    page = build_report(card, artefact, frame.iloc[:200], np.zeros(200, dtype=np.int64), lang="en")
    assert "single class" in page
    assert "ROC curve" not in page
    assert "Calibration by grade" in page  # defined with one class
    assert _parse(page).errors == []


# --------------------------------------------------------------------------- stability


def test_score_psi_with_a_baseline(fitted: Fitted) -> None:
    card, artefact, frame, y = fitted
    recent = frame[frame["age"] > 35]
    expected = stability.psi(card.score(frame), card.score(recent), bins=10)
    page = build_report(card, artefact, recent, None, lang="en", baseline=(frame, y))
    assert f"PSI = <strong>{expected.value:.4f}</strong>" in page
    band = stability.psi_band(expected.value)
    assert f'<span class="band-{band}">{band}</span>' in page
    same = build_report(card, artefact, frame, y, lang="en", baseline=(frame, y))
    assert "PSI = <strong>0.0000</strong>" in same
    assert "needs a baseline" not in same


def test_csi_from_the_artefacts_training_counts(fitted: Fitted) -> None:
    card, artefact, frame, y = fitted
    same = _table(build_report(card, artefact, frame, y, lang="en"), "Variable", "Kind", "Bins")
    assert {r[0]: r[3] for r in same[1:]} == dict.fromkeys(card.variables_, "0.0000")
    recent = frame[frame["age"] > 50]
    page = build_report(card, artefact, recent, None, lang="en")
    table = _table(page, "Variable", "Kind", "Bins")
    got = {r[0]: (r[3], r[4]) for r in table[1:]}
    train = np.asarray(artefact["variables"]["age"]["counts"])[:, 0]
    now = np.bincount(card.binners_["age"].transform(recent["age"], "bins"), minlength=train.size)
    value = stability.psi_from_counts(train, now)
    assert got["age"] == (f"{value:.4f}", stability.psi_band(value))
    assert value > 0.25  # only the old: a shift


def test_fallbacks_are_counted(fitted: Fitted) -> None:
    card, artefact, frame, _ = fitted
    odd = frame.iloc[:100].copy()
    odd.loc[odd.index[:7], EVIL] = "深圳"  # unseen
    odd.loc[odd.index[7:10], EVIL] = None  # missing
    odd.loc[odd.index[10:15], "age"] = 99.0  # above the training range
    page = build_report(card, artefact, odd, None, lang="en")
    rows = {r[0]: r[1:] for r in _table(page, "Variable", "missing")[1:]}
    assert rows[EVIL] == ["3", "7", "0", "10.00%"]
    assert rows["age"] == ["0", "0", "5", "5.00%"]


# --------------------------------------------------------------------------- challenger, inputs


def test_challenger_beside_the_scorecard(fitted: Fitted) -> None:
    card, artefact, frame, y = fitted
    auc = metrics.auc(y, card.score(frame), higher_is_riskier=False)
    page = build_report(card, artefact, frame, y, lang="en", challenger={"auc": 0.5, "brier": 0.06})
    rows = {r[0]: r[1:] for r in _table(page, "Metric", "Scorecard (this data)", "Challenger")[1:]}
    assert rows["AUC"] == [f"{auc:.4f}", "0.5000", f"{auc - 0.5:+,.4f}"]
    assert rows["brier"] == ["—", "0.0600", "—"]
    assert "6 Challenger comparison" in page


def test_challenger_is_compared_on_the_recorded_hold_out(fitted: Fitted) -> None:
    card, _, frame, y = fitted
    auc = metrics.auc(y, card.score(frame), higher_is_riskier=False)
    artefact = to_artefact(
        card,
        name="c",
        version="2",
        trained_at="2026-01-02",
        data_hash="0" * 64,
        metrics={"holdout": {"auc": 0.7, "ks": 0.25, "rows": 900.0}, "challenger": {"auc": 0.72}},
    )
    page = build_report(card, artefact, frame, y, lang="en", challenger={"AUC": 0.72, "ks": 0.3})
    table = _table(page, "Metric", "Scorecard (this data)", "Scorecard (hold-out at fitting)")
    rows = {r[0]: r[1:] for r in table[1:]}
    assert rows["AUC"] == [f"{auc:.4f}", "0.7000", "0.7200", "-0.0200"]
    assert rows["KS"][1:] == ["0.2500", "0.3000", "-0.0500"]


def test_a_card_reloaded_from_its_artefact_reports_the_same(fitted: Fitted, report_en: str) -> None:
    _, artefact, frame, y = fitted
    raw = json.loads(json.dumps(artefact))
    assert build_report(from_artefact(raw), raw, frame, y, lang="en") == report_en


def test_bad_inputs_name_the_problem(fitted: Fitted) -> None:
    card, artefact, frame, y = fitted
    with pytest.raises(ValueError, match="lang must be one of"):
        build_report(card, artefact, frame, y, lang="fr")
    with pytest.raises(ValueError, match="one value per row"):
        build_report(card, artefact, frame, y[:-1])
    with pytest.raises(ValueError, match=r"only 0 \(good\) and 1 \(bad\)"):
        build_report(card, artefact, frame, np.full(len(frame), 2))
    with pytest.raises(ValueError, match="no rows"):
        build_report(card, artefact, frame.iloc[:0], None)
    with pytest.raises(ValueError, match="not fitted"):
        build_report(Scorecard(), artefact, frame, y)
    with pytest.raises(ValueError, match=r"challenger\['auc'\] must be a number"):
        build_report(card, artefact, frame, y, challenger={"auc": "high"})  # type: ignore[dict-item]


# --------------------------------------------------------------------------- chart geometry


def test_nice_range_known_answers() -> None:
    low, high, ticks = nice_range(0.0, 1.0)
    assert (low, high) == (0.0, 1.0)
    assert ticks == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    low, high, ticks = nice_range(505.4, 619.9, 20)
    assert (low, high) == (500.0, 620.0)
    assert ticks == pytest.approx(list(range(500, 621, 10)))
    low, high, _ = nice_range(3.0, 3.0)  # a constant is widened, not divided by zero
    assert low < 3.0 < high


def test_num_label() -> None:
    assert num_label(8103.083951) == "8103.08"
    assert num_label(1_000_000.0) == "1000000"
    assert num_label(35.5) == "35.5"
    assert num_label(-0.0) == "0"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 30)), min_size=2, max_size=80).filter(
        lambda rows: len({r[0] for r in rows}) == 2
    )
)
def test_roc_area_is_the_auc(rows: list[tuple[int, int]]) -> None:
    y = np.array([r[0] for r in rows], dtype=np.int64)
    score = np.array([r[1] for r in rows], dtype=np.float64)
    _, bad, good = cumulative_shares(y, score)
    x, h = np.r_[0.0, good], np.r_[0.0, bad]
    area = float(np.sum(np.diff(x) * (h[1:] + h[:-1]) / 2.0))
    assert area == pytest.approx(metrics.auc(y, score, higher_is_riskier=False), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=1, max_size=30))
def test_bars_stand_on_the_axis_inside_the_plot(values: list[float]) -> None:
    chart = bar_chart("t", "x", "y", [str(i) for i in range(len(values))], [("s", "#000", values)])
    assert len(chart.bars) == len(values)
    for bar, v in zip(chart.bars, values, strict=True):
        assert bar.x >= X0
        assert bar.x + bar.w <= X1 + 0.1
        assert bar.y + bar.h == pytest.approx(Y1, abs=0.11)
        assert Y0 - 0.1 <= bar.y <= Y1
        assert (bar.h > 0.1) or v <= max(values) * 0.01
