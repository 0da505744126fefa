"""Every problem the policy store can report reaches the Chinese policy editor in Chinese: the
editor maps the stores' English texts to messages (``risk.pages_policies.localised``), so a text
reworded in the store without its pattern would show English to a risk officer."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from loanpilot.risk.pages_policies import localised
from loanpilot.risk.policy_store import DEFAULT_BODY, parse_body

_HAN = re.compile(r"[\u4e00-\u9fff]")


def _body(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(DEFAULT_BODY)
    for path, value in changes.items():
        section, key = path.split("__")
        body[section][key] = value
    return body


BAD_BODIES = {
    "whole number": _body(hard__min_age="x"),
    "decimal": _body(hard__max_dti="abc"),
    "flag": _body(hard__decline_blacklisted="yes"),
    "ages": _body(hard__min_age=70, hard__max_age=60),
    "maturity": _body(hard__max_age=75, hard__max_age_at_maturity=70),
    "negative income": _body(hard__min_monthly_income_fen=-1),
    "dti": _body(hard__max_dti="1.5"),
    "cut-offs": _body(cutoffs__approve_from=500, cutoffs__decline_below=600),
    "empty occupations": _body(hard__occupations={"CL-GEN": []}),
    "occupations not a list": _body(hard__occupations={"CL-GEN": "student"}),
    "spread": _body(
        pricing__spread_by_grade={**DEFAULT_BODY["pricing"]["spread_by_grade"], "A": "0.5"}
    ),
    "grades": _body(pricing__income_months_by_grade={"A": 36}),
    "months": _body(
        pricing__income_months_by_grade={
            **DEFAULT_BODY["pricing"]["income_months_by_grade"],
            "A": -1,
        }
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_every_policy_problem_is_shown_in_chinese(case: str) -> None:
    stored, problems = parse_body("2099.1", BAD_BODIES[case])
    assert stored is None
    assert problems
    for item in localised(problems, "zh"):
        assert _HAN.search(item["message"]), (case, item)
