"""The applicant's form is checked field by field, every problem reported at once with a code the
pages translate; numbers, query codes and the last-four check."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from loanpilot.kit.errors import ValidationError
from loanpilot.kit.ids import make_resident_id
from loanpilot.lending.rules import (
    ApplicationForm,
    ApplicationInvalidError,
    ProductTerms,
    check_application,
    check_idempotency_key,
    numbered,
    query_code,
    same_last_four,
    stages,
)

TODAY = date(2026, 11, 29)
TERMS = ProductTerms(
    min_amount_fen=1_000_000,  # ¥10,000
    max_amount_fen=50_000_000,  # ¥500,000
    min_term_months=6,
    max_term_months=60,
    methods=("equal_instalment", "interest_only"),
)
OCCUPATIONS = ("company_employee", "freelancer")
GOOD_ID = make_resident_id("330106", date(1990, 5, 17), 123, male=True)
GOOD = ApplicationForm(
    name=" 张三 ",
    id_number=GOOD_ID.lower(),
    phone="+86 138-0013-8000",
    amount_yuan="150,000.50",
    term_months="24",
    method="equal_instalment",
    purpose="装修",
    monthly_income_yuan="18000",
    occupation="company_employee",
    branch_id="3",
    consent_data=True,
    consent_marketing=False,
)


def check(form: ApplicationForm):  # type: ignore[no-untyped-def]
    return check_application(
        form, TERMS, today=TODAY, occupations=OCCUPATIONS, branch_ids=frozenset({3})
    )


def issues(form: ApplicationForm) -> dict[str, str]:
    with pytest.raises(ApplicationInvalidError) as caught:
        check(form)
    found = {i.field: i.code for i in caught.value.issues}
    # the JSON surface gets the same problems, in English, without the values
    assert [p.field for p in caught.value.problems] == list(found)
    return found


def test_a_good_form_is_normalised() -> None:
    ok = check(GOOD)
    assert ok.name == "张三"
    assert ok.id_number == GOOD_ID.upper()
    assert ok.birth_date == date(1990, 5, 17)
    assert ok.gender == "M"
    assert ok.phone == "13800138000"
    assert ok.amount_fen == 15_000_050
    assert ok.term_months == 24
    assert ok.monthly_income_fen == 1_800_000
    assert ok.branch_id == 3
    assert ok.consent_marketing is False


def test_every_problem_is_reported_at_once() -> None:
    bad_check = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")
    form = ApplicationForm(
        name="",
        id_number=bad_check,
        phone="12345",
        amount_yuan="999999999",
        term_months="7.5",
        method="bullet",
        purpose="x" * 101,
        monthly_income_yuan="lots",
        occupation="astronaut",
        branch_id="99",
        consent_data=False,
    )
    assert issues(form) == {
        "name": "required",
        "id_number": "id_check",
        "phone": "phone_invalid",
        "amount_yuan": "amount_range",
        "term_months": "whole_months",
        "method": "method_invalid",
        "purpose": "too_long",
        "monthly_income_yuan": "number",
        "occupation": "choose",
        "branch_id": "choose",
        "consent_data": "consent_required",
    }


@pytest.mark.parametrize(
    ("id_number", "code"),
    [
        ("33010619900517", "id_length"),
        ("99010619900517123X", "id_region"),
        ("330106199002301231", "id_birth"),
        ("3301061990051712AX", "id_format"),
    ],
)
def test_id_reasons_have_codes_and_never_repeat_the_number(id_number: str, code: str) -> None:
    with pytest.raises(ApplicationInvalidError) as caught:
        check(replace(GOOD, id_number=id_number))
    (issue,) = caught.value.issues
    assert (issue.field, issue.code) == ("id_number", code)
    assert id_number not in issue.text
    assert id_number[6:14] not in issue.text


def test_an_applicant_must_be_an_adult() -> None:
    minor = make_resident_id("330106", date(2010, 1, 1), 5, male=False)
    assert issues(replace(GOOD, id_number=minor)) == {"id_number": "too_young"}


def test_amount_limits_are_inclusive() -> None:
    assert check(replace(GOOD, amount_yuan="10000")).amount_fen == 1_000_000
    assert check(replace(GOOD, amount_yuan="500000.00")).amount_fen == 50_000_000
    assert issues(replace(GOOD, amount_yuan="9999.99")) == {"amount_yuan": "amount_range"}


def test_marketing_consent_is_optional_and_data_consent_is_not() -> None:
    assert check(replace(GOOD, consent_marketing=True)).consent_marketing is True
    assert issues(replace(GOOD, consent_data=False)) == {"consent_data": "consent_required"}


def test_numbers_codes_and_last_four() -> None:
    assert numbered("WA", TODAY, 42) == "WA2026112900000042"
    assert re.fullmatch(r"\d{6}", query_code(b"\xff" * 16))
    assert query_code(bytes(16)) == "000000"
    assert query_code(b"\x01" * 16) == query_code(b"\x01" * 16)
    assert same_last_four("33010619900517123X", "123x")
    assert not same_last_four("33010619900517123X", "1234")
    assert not same_last_four("33010619900517123X", "23X")
    assert [s.key for s in stages(None, None, None, None)] == [
        "submitted",
        "under_review",
        "decided",
        "disbursed",
    ]


@pytest.mark.parametrize("key", ["short", "x" * 65, "has space in it", "中文中文中文中文"])
def test_idempotency_keys_are_checked(key: str) -> None:
    with pytest.raises(ValidationError):
        check_idempotency_key(key)
    assert check_idempotency_key("  abcdefgh  ") == "abcdefgh"
