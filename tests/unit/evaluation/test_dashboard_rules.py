"""The dashboard's pure parts: filter validation, the branch roll-up, month labels and the cache."""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

import pytest

from loanpilot.access.rules import ScopeKind
from loanpilot.customers.models import Channel
from loanpilot.evaluation.dashboard import (
    MAX_MONTHS,
    BranchNode,
    BranchTree,
    Dashboard,
    DashboardCache,
    DashboardFilters,
    Figures,
    RawFilters,
    Viewer,
    parse_filters,
)
from loanpilot.evaluation.pages import month_labels
from loanpilot.kit.errors import ValidationError

TODAY = date(2026, 3, 15)


def parse(**raw: str | None) -> DashboardFilters:
    return parse_filters(RawFilters(**raw), TODAY, branch_ids=[1, 2, 3], product_ids=[7])


def test_default_period_is_the_last_twelve_business_months() -> None:
    filters = parse()
    assert (filters.from_label, filters.to_label) == ("2025-04", "2026-03")
    assert len(filters.month_starts) == 13
    assert filters.month_starts[-1] == date(2026, 4, 1)
    assert (filters.branch_id, filters.product_id, filters.channel) == (None, None, None)


def test_filters_parsed_and_blanks_ignored() -> None:
    filters = parse(
        from_month="2025-11", to_month="2026-01", branch_id="2", product_id="7", channel="mobile"
    )
    assert (filters.first_month, filters.last_month) == (date(2025, 11, 1), date(2026, 1, 1))
    assert [d.month for d in filters.month_starts] == [11, 12, 1, 2]
    assert (filters.branch_id, filters.product_id, filters.channel) == (2, 7, Channel.MOBILE)
    blank = parse(from_month="", to_month=" ", branch_id="", product_id="", channel="")
    assert blank == parse()


def test_to_alone_ends_the_period_and_from_alone_runs_to_now() -> None:
    assert parse(to_month="2025-06").from_label == "2024-07"
    assert parse(from_month="2026-01").to_label == "2026-03"


def test_every_invalid_filter_is_listed_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        parse(from_month="2026-13", to_month="soon", branch_id="x", product_id="8", channel="fax")
    assert caught.value.code == "dashboard.filters_invalid"
    assert [p.field for p in caught.value.problems] == [
        "from",
        "to",
        "branch_id",
        "product_id",
        "channel",
    ]


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({"from_month": "2026-02", "to_month": "2025-12"}, "from", "after"),
        ({"from_month": "2022-01", "to_month": "2026-03"}, "to", f"{MAX_MONTHS} months"),
        ({"to_month": "2026-04"}, "to", "current month"),
        ({"from_month": "1999-12"}, "from", "2000-01"),
        ({"branch_id": "99"}, "branch_id", "no branch"),
        ({"branch_id": "-1"}, "branch_id", "whole number"),
    ],
)
def test_each_rule(raw: dict[str, str], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse(**raw)
    [problem] = caught.value.problems
    assert problem.field == field
    assert words in problem.message


def test_thirty_six_months_is_allowed() -> None:
    filters = parse(from_month="2023-04", to_month="2026-03")
    assert len(filters.month_starts) - 1 == MAX_MONTHS


# --- the branch tree -------------------------------------------------------------------------------

#   1 HQ ── 2 Hangzhou ── 4 West Lake, 5 Binjiang
#        └─ 3 Ningbo  ── 6 Haishu
TREE = BranchTree(
    [
        BranchNode(1, "HQ", "总行", None, "head_office"),
        BranchNode(2, "BR01", "杭州分行", 1, "branch"),
        BranchNode(3, "BR02", "宁波分行", 1, "branch"),
        BranchNode(4, "BR0101", "西湖支行", 2, "sub_branch"),
        BranchNode(5, "BR0102", "滨江支行", 2, "sub_branch"),
        BranchNode(6, "BR0201", "海曙支行", 3, "sub_branch"),
    ]
)


def test_subtree_and_depth() -> None:
    assert TREE.subtree(2) == {2, 4, 5}
    assert TREE.subtree(1) == {1, 2, 3, 4, 5, 6}
    assert TREE.subtree(6) == {6}
    assert [TREE.depth(i) for i in (1, 2, 4)] == [0, 1, 2]
    assert TREE.default_root() == 1


@pytest.mark.parametrize(
    ("branch", "root", "shown"),
    [
        (4, 1, 2),  # the whole bank: sub-branches roll up to their 分行
        (6, 1, 3),
        (2, 1, 2),
        (1, 1, 1),  # booked at the head office itself
        (4, 2, 4),  # a 分行 in view: its sub-branches stand alone
        (2, 2, 2),  # booked at the 分行 itself
        (4, 4, 4),
        (4, None, 1),  # no single root: the top branch
        (None, 1, None),  # an application booked at no branch
        (6, 2, 6),  # outside the root: itself
    ],
)
def test_shown_as(branch: int | None, root: int | None, shown: int | None) -> None:
    assert TREE.shown_as(branch, root) == shown


def test_viewer_cache_keys_separate_scopes() -> None:
    everyone = Viewer(ScopeKind.ALL, 5, 1, frozenset({1}))
    assert everyone.cache_key() == Viewer(ScopeKind.ALL, 9, 2, frozenset({2})).cache_key()
    own = Viewer(ScopeKind.OWN, 5, 1, frozenset({1}))
    assert own.cache_key() != Viewer(ScopeKind.OWN, 6, 1, frozenset({1})).cache_key()
    branch = Viewer(ScopeKind.BRANCH, 5, 2, frozenset({2, 4, 5}))
    assert branch.cache_key() != Viewer(ScopeKind.BRANCH, 5, 3, frozenset({3, 6})).cache_key()
    assert len({everyone.cache_key(), own.cache_key(), branch.cache_key()}) == 3


def test_figures_ratios() -> None:
    figures = Figures(approved=5, decided=6, balance_fen=10_000_000, npl_fen=2_000_000)
    assert str(figures.npl_ratio) == "0.2"
    assert figures.approval_rate == Decimal(5) / Decimal(6)
    assert Figures().approval_rate is None
    assert Figures().npl_ratio is None
    assert Figures().is_zero


# --- month labels ---------------------------------------------------------------------------------


def test_month_labels() -> None:
    assert month_labels(["2026-01", "2026-02"], "zh") == ["1月", "2月"]
    assert month_labels(["2026-01", "2026-02"], "en") == ["Jan", "Feb"]
    assert month_labels(["2025-12", "2026-01", "2026-02"], "zh") == [
        "2025年12月",
        "2026年1月",
        "2月",
    ]
    assert month_labels(["2025-12", "2026-01", "2026-02"], "en") == ["Dec 2025", "Jan 2026", "Feb"]


# --- the cache ------------------------------------------------------------------------------------


def _board(marker: int) -> Dashboard:
    filters = parse()
    return Dashboard(TODAY, filters, True, Figures(applications=marker), [], [])


def test_cache_reuses_answers_until_they_expire() -> None:
    now = [100.0]
    cache = DashboardCache(30, clock=lambda: now[0])
    calls: list[int] = []

    def compute() -> Dashboard:
        calls.append(1)
        return _board(len(calls))

    assert cache.get_or_compute("k", compute).total.applications == 1
    assert cache.get_or_compute("k", compute).total.applications == 1
    assert cache.get_or_compute("other", compute).total.applications == 2
    now[0] += 31
    assert cache.get_or_compute("k", compute).total.applications == 3
    assert len(calls) == 3


def test_cache_does_not_keep_failures_and_can_be_off() -> None:
    cache = DashboardCache(30)

    def fail() -> Dashboard:
        raise ValidationError("x", "bad")

    with pytest.raises(ValidationError):
        cache.get_or_compute("k", fail)
    assert cache.get_or_compute("k", lambda: _board(7)).total.applications == 7
    off = DashboardCache(0)
    answers = iter([_board(1), _board(2)])
    assert off.get_or_compute("k", lambda: next(answers)).total.applications == 1
    assert off.get_or_compute("k", lambda: next(answers)).total.applications == 2


def test_concurrent_misses_compute_once() -> None:
    cache = DashboardCache(30)
    calls: list[int] = []
    lock = threading.Lock()

    def slow() -> Dashboard:
        with lock:
            calls.append(1)
        time.sleep(0.2)
        return _board(42)

    results: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(cache.get_or_compute("k", slow).total.applications)
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42] * 8
    assert len(calls) == 1


def test_cache_stays_bounded() -> None:
    cache = DashboardCache(30, max_entries=4)
    for key in range(10):
        cache.get_or_compute(key, lambda: _board(1))
    assert len(cache._entries) <= 4
