"""The pure customer-service rules: survey validation (every problem at once), answer checks,
status moves, SLA breach boundary, quality scores, milestone days and comment themes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from loanpilot.service import survey_rules as rules
from loanpilot.service.survey_rules import ChoiceDraft, QuestionDraft, SurveyDraft

CSAT = QuestionDraft(1, "csat_1_5", "满意吗？", "Satisfied?")


def codes(problems: list[rules.Problem]) -> set[tuple[str, str]]:
    return {(p.field, p.code) for p in problems}


def test_a_valid_survey_has_no_problem() -> None:
    choice = QuestionDraft(
        2, "single_choice", "最满意的环节", "", (ChoiceDraft("a", "申请"), ChoiceDraft("b", "放款"))
    )
    draft = SurveyDraft("CSAT-X", "放款后满意度", "csat", "disbursed", "sms", (CSAT, choice))
    assert rules.validate_survey(draft) == []


def test_every_problem_is_collected_at_once() -> None:
    one_choice = QuestionDraft(
        1, "single_choice", "选一个", "", (ChoiceDraft("a", "甲"), ChoiceDraft("a", "乙"))
    )
    scored_with_choices = QuestionDraft(1, "nps_0_10", "", "", (ChoiceDraft("x", "X"),))
    draft = SurveyDraft("x", "", "csat", "someday", "pigeon", (one_choice, scored_with_choices))
    found = codes(rules.validate_survey(draft))
    assert found == {
        ("code", "code_format"),
        ("title", "required"),
        ("trigger", "unknown_trigger"),
        ("channel", "unknown_channel"),
        ("questions[0].choices", "choice_duplicate"),
        ("questions[0].choices", "choices_min"),
        ("questions[1].text_zh", "required"),
        ("questions[1].choices", "choices_on_score"),
        ("questions[1].position", "position_duplicate"),
        ("questions", "needs_csat"),
    }


def test_an_nps_survey_needs_an_nps_question_and_a_survey_a_question() -> None:
    assert ("questions", "needs_nps") in codes(
        rules.validate_survey(SurveyDraft("N1", "t", "nps", "settled", "app", (CSAT,)))
    )
    assert ("questions", "no_questions") in codes(
        rules.validate_survey(SurveyDraft("G1", "t", "general", "manual", "app", ()))
    )


def test_status_moves_only_forward() -> None:
    assert rules.can_transition("draft", "active")
    assert rules.can_transition("active", "closed")
    assert not rules.can_transition("closed", "active")
    assert not rules.can_transition("draft", "closed")


SPECS = [
    rules.QuestionSpec(1, "csat_1_5", True),
    rules.QuestionSpec(2, "nps_0_10", True),
    rules.QuestionSpec(3, "single_choice", False, ("a", "b")),
    rules.QuestionSpec(4, "multi_choice", False, ("a", "b", "c")),
    rules.QuestionSpec(5, "free_text", False),
]


def test_answers_in_range_are_clean() -> None:
    problems, clean = rules.validate_answers(
        SPECS, {1: ["5"], 2: ["0"], 3: ["b"], 4: ["a", "c", "a"], 5: ["  很好 "]}
    )
    assert problems == []
    assert clean == [
        rules.CleanAnswer(1, score=5),
        rules.CleanAnswer(2, score=0),
        rules.CleanAnswer(3, choice=("b",)),
        rules.CleanAnswer(4, choice=("a", "c")),
        rules.CleanAnswer(5, text="很好"),
    ]


def test_bad_answers_are_each_named() -> None:
    problems, _ = rules.validate_answers(SPECS, {1: ["6"], 2: ["x"], 3: ["a", "b"], 4: ["z"]})
    assert codes(problems) == {
        ("q1", "score_range"),
        ("q2", "score_range"),
        ("q3", "one_choice"),
        ("q4", "unknown_choice"),
    }
    missing, _ = rules.validate_answers(SPECS, {})
    assert codes(missing) == {("q1", "required"), ("q2", "required")}
    negative, _ = rules.validate_answers(SPECS, {1: ["-1"], 2: ["11"]})
    assert codes(negative) == {("q1", "score_range"), ("q2", "score_range")}


def test_a_stage_exactly_at_its_target_is_on_time() -> None:
    assert not rules.breached(24 * 3600, Decimal("24"))
    assert rules.breached(24 * 3600 + 1, Decimal("24"))
    assert rules.breached(24 * 3600 + 17, Decimal("24"))  # shown as 24.00 h, still a breach
    assert not rules.breached(1.5 * 3600, Decimal("1.5"))
    assert rules.hours_between(24 * 3600) == Decimal("24.00")
    assert rules.hours_between(24 * 3600 + 18) == Decimal("24.01")


def test_quality_score_is_points_over_maximum() -> None:
    items = [
        rules.ReviewItem("a", "礼仪", 20, 18),
        rules.ReviewItem("b", "产品知识", 30, 21),
        rules.ReviewItem("c", "APR 明示", 30, 30),
        rules.ReviewItem("d", "信息保护", 20, 10),
    ]
    assert rules.review_problems(items) == []
    assert rules.review_score(items) == Decimal("79.00")
    assert rules.review_score([rules.ReviewItem("a", "x", 3, 2)]) == Decimal("66.67")
    over = [rules.ReviewItem("a", "x", 10, 11), rules.ReviewItem("b", "", 0, -1)]
    assert codes(rules.review_problems(over)) == {
        ("items[0].points", "item_points"),
        ("items[1].label", "required"),
        ("items[1].max_points", "item_max"),
        ("items[1].points", "item_negative"),
    }
    assert codes(rules.review_problems([])) == {("items", "no_items")}


@given(st.lists(st.tuples(st.integers(1, 100), st.integers(0, 100)), min_size=1, max_size=8))
def test_a_valid_review_scores_between_0_and_100(pairs: list[tuple[int, int]]) -> None:
    items = [rules.ReviewItem(str(i), "x", mx, min(p, mx)) for i, (mx, p) in enumerate(pairs)]
    assert rules.review_problems(items) == []
    assert Decimal(0) <= rules.review_score(items) <= Decimal(100)


def test_milestone_days_and_expiry() -> None:
    day = date(2026, 11, 29)
    assert rules.milestone_day("disbursed", day) == day
    assert rules.milestone_day("disbursed_30d", day) == date(2026, 10, 30)
    assert rules.milestone_day("complaint_closed", day) == day
    assert not rules.expired(date(2026, 11, 1), date(2026, 12, 1), 30)
    assert rules.expired(date(2026, 11, 1), date(2026, 12, 2), 30)


def test_comment_themes() -> None:
    assert rules.themes_of("审批太慢了，利率也偏高") == ("speed", "rate")
    assert rules.themes_of("客户经理很耐心") == ("staff",)
    assert rules.themes_of("没什么") == ()
    assert rules.ratio(1, 3) == Decimal("0.3333")
    assert rules.ratio(1, 0) is None


def test_a_superscript_digit_is_a_bad_score_not_a_crash() -> None:
    """``"²".isdigit()`` is true but ``int("²")`` raises: the portal answered such a post 500."""
    problems, clean = rules.validate_answers(SPECS, {1: ["²"], 2: ["-³"]})
    assert codes(problems) == {("q1", "score_range"), ("q2", "score_range")}
    assert clean == [] or all(a.score is None for a in clean)
