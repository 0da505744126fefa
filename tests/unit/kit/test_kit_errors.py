"""Errors: a problem's ``value`` (possibly an ID or phone number, JR/T 0171 C2) never shows."""

from __future__ import annotations

import traceback

import pytest

from loanpilot.kit.errors import CodedProblem, FieldProblem, ProblemCollector, ValidationError

ID_NUMBER = "11010519491231002X"
PHONE = "13812345678"


def test_field_problem_keeps_the_value_out_of_repr_and_str() -> None:
    problem = FieldProblem("id_number", "check digit should be X, got 3", 12, "c.csv", ID_NUMBER)
    assert problem.value == ID_NUMBER  # still there for the masked reject file
    assert ID_NUMBER not in repr(problem)
    assert ID_NUMBER not in str(problem)
    assert str(problem) == "c.csv, row 12, column id_number: check digit should be X, got 3"
    assert problem.public() == {
        "field": "id_number",
        "message": "check digit should be X, got 3",
        "row": 12,
        "source": "c.csv",
    }


def test_validation_error_does_not_show_the_values() -> None:
    collector = ProblemCollector("customers.csv")
    collector.add("id_number", "not a valid province", row=2, value=ID_NUMBER)
    collector.add("phone", "must start with 13 to 19", row=3, value=PHONE)
    with pytest.raises(ValidationError) as caught:
        collector.raise_if_any()
    error = caught.value
    rendered = [
        repr(error),
        str(error),
        repr(error.problems),
        "".join(traceback.format_exception(error)),
    ]
    for text in rendered:
        assert ID_NUMBER not in text
        assert PHONE not in text
    assert "customers.csv, row 2, column id_number" in str(error)
    assert [p.value for p in error.problems] == [ID_NUMBER, PHONE]


CATALOGUE = {"too_long": "at most {max} characters, got {got}", "required": "is required"}


def test_coded_problem_fills_its_text_and_keeps_the_params_sorted() -> None:
    problem = CodedProblem.of(CATALOGUE, "name", "too_long", {"max": 40, "got": 41})
    assert problem.message == "at most 40 characters, got 41"
    assert problem.params == (("got", "41"), ("max", "40"))  # sorted, every value a str
    assert (problem.row, problem.source, problem.value) == (None, None, None)
    assert problem.public() == {
        "field": "name",
        "message": "at most 40 characters, got 41",
        "row": None,
        "source": None,
        "code": "too_long",
    }


def test_coded_problem_with_row_and_source() -> None:
    problem = CodedProblem.of(CATALOGUE, "name", "required", {}, row=7, source="staff.csv")
    assert str(problem) == "staff.csv, row 7, column name: is required"
    assert problem.public()["code"] == "required"
    assert problem.public()["row"] == 7
    assert problem.public()["source"] == "staff.csv"
    assert problem.params == ()


def test_coded_problem_of_builds_the_subclass_it_is_called_on() -> None:
    class AreaProblem(CodedProblem):
        pass

    problem = AreaProblem.of(CATALOGUE, "name", "required", {})
    assert type(problem) is AreaProblem
    assert problem != CodedProblem.of(CATALOGUE, "name", "required", {})  # areas stay apart
    with pytest.raises(KeyError):
        CodedProblem.of(CATALOGUE, "name", "no_such_code", {})
