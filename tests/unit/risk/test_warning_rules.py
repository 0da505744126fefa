"""Early-warning rules: known answers for level, change and trend, property tests, and every
problem code the validation can report with its Chinese and English texts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from string import Formatter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.kit.errors import FieldProblem, ValidationError
from loanpilot.risk import warning_rules as wr
from loanpilot.risk.warning_defaults import DEFAULT_RULES
from loanpilot.web.i18n.messages_alerts import ALERTS

D = Decimal
MONTHS = [date(2026, m, 28) for m in range(1, 13)]


def rule(kind: str, threshold: str, window: int = 1, direction: str = "above") -> wr.Rule:
    return wr.Rule(code="r", metric="m1plus_balance_rate", dimension="branch", kind=kind,
                   direction=direction, threshold=D(threshold), window=window)  # fmt: skip


def series(key: str, *values: str) -> list[wr.Point]:
    return [wr.Point(MONTHS[i], key, D(v)) for i, v in enumerate(values)]


def test_level_fires_on_the_latest_value_strictly_above() -> None:
    points = series("B1", "0.09", "0.04") + series("B2", "0.01", "0.06") + series("B3", "0.05")
    fired = wr.evaluate(rule("level", "0.05"), points)
    assert [(f.key, f.value, f.period) for f in fired] == [("B2", D("0.06"), MONTHS[1])]
    f = fired[0]
    assert f.series == ((MONTHS[0], D("0.01")), (MONTHS[1], D("0.06")))
    assert f.explain_zh == "机构 B2 逾期率（M1+）为 6.00%，高于阈值 5.00%"
    assert f.explain_en == "Overdue rate (M1+) of branch B2 is 6.00%, above the threshold 5.00%"


def test_level_below() -> None:
    fired = wr.evaluate(rule("level", "0.02", direction="below"), series("B1", "0.03", "0.01"))
    assert [f.value for f in fired] == [D("0.01")]


def test_change_compares_with_window_periods_earlier() -> None:
    points = series("B1", "0.010", "0.030", "0.025")  # +1.5pp over 2, -0.5pp over 1
    assert [f.value for f in wr.evaluate(rule("change", "0.01", window=2), points)] == [D("0.015")]
    assert wr.evaluate(rule("change", "0.01", window=1), points) == []
    fell = wr.evaluate(rule("change", "0.004", window=1, direction="below"), points)
    assert [f.value for f in fell] == [D("-0.005")]
    assert "下降 0.50 个百分点" in fell[0].explain_zh
    assert wr.evaluate(rule("change", "0.01", window=3), points) == []  # too few periods


def test_trend_needs_a_move_in_each_period_and_the_total() -> None:
    rising = series("B1", "0.01", "0.02", "0.03", "0.04")
    flat_once = series("B2", "0.01", "0.02", "0.02", "0.04")
    fired = wr.evaluate(rule("trend", "0", window=3), rising + flat_once)
    assert [(f.key, f.value) for f in fired] == [("B1", D("0.03"))]
    assert wr.evaluate(rule("trend", "0.03", window=3), rising) == []  # total 3pp is not > 3pp
    assert [f.key for f in wr.evaluate(rule("trend", "0.029", window=3), rising)] == ["B1"]
    assert wr.evaluate(rule("trend", "0", window=4), rising) == []


def test_lpr_explanation_in_basis_points() -> None:
    lpr = wr.Rule(code="lpr", metric="lpr_change_bp", dimension="all", kind="level",
                  direction="above", threshold=D(0), window=3)  # fmt: skip
    fired = wr.evaluate(lpr, [wr.Point(date(2026, 5, 20), "LPR5Y", D(10))])
    assert fired[0].explain_en == "LPR change of LPR5Y is 10bp, above the threshold 0bp"


def test_parse_collects_every_problem() -> None:
    with pytest.raises(ValidationError) as caught:
        wr.parse_rule({"code": "Bad code", "metric": "nope", "dimension": "planet", "kind": "wave",
                       "direction": "up", "threshold": "abc", "window": "0", "severity": "x",
                       "name_zh": "", "name_en": "ok", "due_days": "0"})  # fmt: skip
    fields = sorted(p.field for p in caught.value.problems)
    assert fields == sorted(["code", "name_zh", "metric", "dimension", "kind", "direction",
                             "severity", "threshold", "window", "due_days"])  # fmt: skip


def test_parse_refuses_contradictions() -> None:
    base = {"code": "r1", "name_zh": "规则", "name_en": "Rule", "metric": "npl_ratio", "kind": "level",
            "threshold": "1.5"}  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        wr.parse_rule(base)
    assert [p.field for p in caught.value.problems] == ["threshold"]  # a rate above 100 %
    with pytest.raises(ValidationError) as caught:
        wr.parse_rule(base | {"kind": "change", "threshold": "-0.01"})
    assert [p.field for p in caught.value.problems] == ["threshold"]
    with pytest.raises(ValidationError) as caught:
        wr.parse_rule(base | {"metric": "lpr_change_bp", "dimension": "branch", "threshold": "0"})
    assert [p.field for p in caught.value.problems] == ["dimension"]
    ok = wr.parse_rule(base | {"threshold": "0.02", "window": "3", "dimension": "segment"})
    assert (ok.threshold, ok.window, ok.dimension, ok.direction) == (
        D("0.02"),
        3,
        "segment",
        "above",
    )


def test_default_rules_are_valid() -> None:
    assert len({d.rule.code for d in DEFAULT_RULES}) == len(DEFAULT_RULES)
    for d in DEFAULT_RULES:
        assert wr.rule_problems(d.rule) == [], d.rule.code
        assert d.contingency_zh
        assert d.contingency_en


_HAN = re.compile(r"[\u4e00-\u9fff]")
#: Codes only the rule service reports (they need the database): a code already taken, an unknown
#: role or staff member. The web tests show them on the Chinese rule page and in the API.
SERVICE_CODES = {"code_taken", "unknown_role", "unknown_staff"}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


def test_every_problem_code_has_chinese_and_english_texts() -> None:
    for code, english in wr.PROBLEMS.items():
        entry = ALERTS[f"alerts.problem.{code}"]
        assert _HAN.search(entry["zh"]), code
        assert entry["en"] == english, code
        assert _placeholders(entry["zh"]) == _placeholders(entry["en"]) == _placeholders(english)


def test_the_validation_reports_every_code_and_nothing_uncoded() -> None:
    found: set[str] = set()

    def collect(problems: Iterable[FieldProblem]) -> None:
        for p in problems:
            assert isinstance(p, wr.Problem), p
            assert p.code in wr.PROBLEMS, p
            assert p.message == wr.PROBLEMS[p.code].format(**dict(p.params))
            assert p.public()["code"] == p.code
            found.add(p.code)

    base = {"code": "r1", "name_zh": "规则", "name_en": "Rule", "metric": "npl_ratio",
            "kind": "level", "threshold": "0.02"}  # fmt: skip
    bad = [
        {"code": "Bad code", "metric": "nope", "dimension": "planet", "kind": "wave",
         "direction": "up", "threshold": "abc", "window": "0", "severity": "x", "name_zh": "",
         "name_en": "ok", "due_days": "x"},
        base | {"threshold": ""},
        base | {"threshold": "1.5"},
        base | {"kind": "change", "threshold": "-0.01"},
        base | {"metric": "lpr_change_bp", "dimension": "branch", "threshold": "0"},
        base | {"window": True},
    ]  # fmt: skip
    for data in bad:
        with pytest.raises(ValidationError) as caught:
            wr.parse_rule(data)
        collect(caught.value.problems)
    collect(wr.text_problems("text", "", required=True, max_chars=wr.MAX_TEXT))
    collect(wr.close_problems("x" * (wr.MAX_TEXT + 1), has_action=True))
    collect(wr.close_problems("", has_action=False))
    collect(wr.finding_problems("maybe", ""))
    collect(wr.finding_problems("misuse", "y" * (wr.MAX_NOTE + 1)))
    collect(wr.finding_problems("concern", ""))
    assert found == set(wr.PROBLEMS) - SERVICE_CODES
    assert wr.close_problems("", has_action=True) == []
    assert wr.finding_problems("ok", "") == []


rates = st.decimals(min_value=0, max_value=1, places=4, allow_nan=False)


@given(st.lists(rates, min_size=1, max_size=8), rates)
def test_level_fires_exactly_when_the_latest_is_above(
    values: list[Decimal], threshold: Decimal
) -> None:
    fired = wr.evaluate(rule("level", str(threshold)), series("K", *map(str, values)))
    assert bool(fired) == (values[-1] > threshold)


@given(st.lists(rates, min_size=2, max_size=8), st.integers(1, 6), rates)
def test_above_and_below_mirror_each_other(
    values: list[Decimal], window: int, size: Decimal
) -> None:
    """A series fires ``change above`` exactly when its mirror image fires ``change below``."""
    up = wr.evaluate(rule("change", str(size), window), series("K", *map(str, values)))
    mirrored = series("K", *(str(1 - v) for v in values))
    down = wr.evaluate(rule("change", str(size), window, "below"), mirrored)
    assert bool(up) == bool(down)
    for kind in ("trend",):
        a = wr.evaluate(rule(kind, str(size), window), series("K", *map(str, values)))
        b = wr.evaluate(rule(kind, str(size), window, "below"), mirrored)
        assert bool(a) == bool(b)


@given(st.lists(rates, min_size=2, max_size=8), st.integers(1, 6))
def test_a_trend_firing_is_a_change_firing(values: list[Decimal], window: int) -> None:
    trend = wr.evaluate(rule("trend", "0", window), series("K", *map(str, values)))
    change = wr.evaluate(rule("change", "0", window), series("K", *map(str, values)))
    assert not trend or change
