"""Vectorised column parsers, column mapping and repayment allocation: known answers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loanpilot.imports import allocation as alloc
from loanpilot.imports.labels import OCCUPATIONS, REPAYMENT_METHODS
from loanpilot.imports.mapping import FieldSpec, load_mapping, resolve_columns, split_header
from loanpilot.imports.parsing import (
    first_of_duplicates,
    parse_amounts,
    parse_bools,
    parse_choices,
    parse_dates,
    parse_ints,
    parse_rates,
    text,
)
from loanpilot.imports.readers import RawTable
from loanpilot.imports.rejects import spreadsheet_safe
from loanpilot.kit.errors import ImportFileError


def col(*values: str) -> np.ndarray:
    return text(np.array(values, dtype=object))


def test_dates_in_the_spellings_banks_use() -> None:
    parsed = parse_dates(
        col(
            "2026-11-29",
            "2026/11/29",
            "2026.11.29",
            "20261129",
            "2026年11月29日",
            "2026-1-5",
            "2026-11-29 00:00:00",
            "2026-02-30",
            "29/11/2026",
            "",
            "1899-12-31",
        )
    )
    days = parsed.values.astype(str).tolist()
    assert days[:7] == ["2026-11-29"] * 5 + ["2026-01-05", "2026-11-29"]
    assert parsed.bad.tolist() == [False] * 7 + [True] * 4
    assert parsed.reasons[7] == "is not a real date"
    assert parsed.reasons[8].startswith("is not a date")
    assert parsed.reasons[10] == "year must be between 1900 and 2200"


def test_leap_days() -> None:
    parsed = parse_dates(col("2024-02-29", "2023-02-29", "2000-02-29", "1900-02-29"))
    assert parsed.bad.tolist() == [False, True, False, True]


def test_amounts_to_fen_half_up() -> None:
    parsed = parse_amounts(
        col("12000", "12000.5", "12,000.50", "¥7", "1.005", "1.004", "-3", "1e3", "abc", "0.1")
    )
    assert parsed.values.tolist()[:8] == [
        1_200_000,
        1_200_050,
        1_200_050,
        700,
        101,
        100,
        -300,
        100_000,
    ]
    assert parsed.values[9] == 10
    assert parsed.bad.tolist() == [False] * 8 + [True, False]
    assert parsed.reasons[8].startswith("is not a number")


def test_amounts_in_wan() -> None:
    assert parse_amounts(col("1.2345", "3"), "wan").values.tolist() == [1_234_500, 3_000_000]


def test_rates() -> None:
    parsed = parse_rates(col("3.45%", "0.0345", "3.45", "5‰", "x", "３.４５％"))
    assert parsed.values[:2].tolist() == [0.0345, 0.0345]
    assert parsed.bad.tolist() == [False, False, True, False, True, False]
    assert parsed.values[3] == pytest.approx(0.005)
    assert parsed.values[5] == pytest.approx(0.0345)
    assert "percentage" in parsed.reasons[2]
    assert parse_rates(col("3.45"), percent=True).values.tolist() == [0.0345]


def test_ints_with_units() -> None:
    parsed = parse_ints(col("36", "36.0", "24个月", "12期", "x", "1.5"), suffixes=("个月", "期"))
    assert parsed.values[:4].tolist() == [36, 36, 24, 12]
    assert parsed.bad.tolist() == [False] * 4 + [True, True]


def test_choices_and_booleans() -> None:
    parsed = parse_choices(
        col("企业员工", "公司职员", "Company Employee", "company_employee", "公务员", "宇航员"),
        OCCUPATIONS,
    )
    assert parsed.values.tolist()[:5] == ["company_employee"] * 4 + ["civil_servant"]
    assert parsed.bad.tolist() == [False] * 5 + [True]
    methods = parse_choices(
        col("等额本息", "先息后本", "一次性还本付息", "等额本金"), REPAYMENT_METHODS
    )
    assert methods.values.tolist() == [
        "equal_instalment",
        "interest_only",
        "bullet",
        "equal_principal",
    ]
    flags = parse_bools(col("是", "否", "Y", "n", "1", "0", "TRUE", "false", "有", "maybe"))
    assert flags.values.tolist()[:9] == [True, False, True, False, True, False, True, False, True]
    assert flags.bad.tolist() == [False] * 9 + [True]


def test_first_of_duplicates() -> None:
    keys = np.array(["a", "b", "a", "c", "b", "a"], dtype=object)
    valid = np.array([True, True, True, False, True, True])
    assert first_of_duplicates(keys, valid).tolist() == [-1, -1, 0, -1, 1, 0]


def test_spreadsheet_formulas_are_neutralised() -> None:
    assert spreadsheet_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert spreadsheet_safe("-5") == "-5"
    assert spreadsheet_safe("-x") == "'-x"
    assert spreadsheet_safe("张三") == "张三"


# --- mapping --------------------------------------------------------------------------------------

SPECS = (
    FieldSpec("name", ("姓名",), required=True),
    FieldSpec("monthly_income", ("月收入",), required=True),
    FieldSpec("rate", ("年利率",)),
)


def table_with(*headers: str) -> RawTable:
    frame = pd.DataFrame([["x"] * len(headers)], columns=range(len(headers)), dtype=object)
    return RawTable("f.csv", list(headers), frame, np.array([2]))


def test_split_header_units() -> None:
    assert split_header("月收入(元)") == ("月收入", "yuan")
    assert split_header("贷款金额（万元）") == ("贷款金额", "wan")
    assert split_header("*年利率(%)") == ("年利率", "percent")
    assert split_header("年利率%") == ("年利率", "percent")
    assert split_header(" ID_Number ") == ("idnumber", "")
    assert split_header("期限(月)") == ("期限", "months")


def test_aliases_units_and_user_mapping() -> None:
    columns = resolve_columns(
        table_with("姓名", "月收入（万元）", "Rate X"), "t", SPECS, {"Rate X": "rate"}
    )
    assert {k: (c.position, c.unit) for k, c in columns.items()} == {
        "name": (0, ""),
        "monthly_income": (1, "wan"),
        "rate": (2, ""),
    }


def test_mapping_to_null_ignores_a_column() -> None:
    columns = resolve_columns(table_with("姓名", "月收入", "备注"), "t", SPECS, {"备注": None})
    assert set(columns) == {"name", "monthly_income"}


def test_every_column_problem_is_reported_at_once() -> None:
    with pytest.raises(ImportFileError) as caught:
        resolve_columns(table_with("姓名", "姓名", "职务"), "t", SPECS, {"x": "nope"})
    messages = [str(p) for p in caught.value.problems]
    assert any("'nope', which is not a field" in m for m in messages)
    assert any("columns '姓名' and '姓名' both map to name" in m for m in messages)
    assert any(m.startswith("f.csv, row 1, column 职务: unknown column") for m in messages)
    assert any(
        m.startswith("f.csv, row 1, column monthly_income: missing column") for m in messages
    )


def test_load_mapping(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"证件": "id_number", "备注": None}), encoding="utf-8")
    assert load_mapping(path, ["证件=id", "x="]) == {"证件": "id", "备注": None, "x": None}
    path.write_text("[1]", encoding="utf-8")
    with pytest.raises(ImportFileError, match="must be a JSON object"):
        load_mapping(path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ImportFileError, match="not a JSON file"):
        load_mapping(path)
    with pytest.raises(ImportFileError, match="write it as 'file column=field'"):
        load_mapping(None, ["no-equals"])


# --- allocation -----------------------------------------------------------------------------------


def test_group_cumsum_and_fill_in_order() -> None:
    assert alloc.group_cumsum([1, 2, 3, 4, 5], [0, 0, 1, 1, 1]).tolist() == [1, 3, 3, 7, 12]
    assert alloc.fill_in_order([5, 100], [3, 3, 3, 10], [0, 0, 0, 1]).tolist() == [3, 2, 0, 10]


def test_split_amounts_pays_fee_interest_principal_oldest_first() -> None:
    # loan 0: two instalments (fee 1, interest 10, principal 100); loan 1: one (0, 5, 50)
    line_loan = [0, 0, 1]
    dues = {"fee": [1, 1, 0], "interest": [10, 10, 5], "principal": [100, 100, 50]}
    parts, owed = alloc.split_amounts([111, 20, 60], [0, 0, 1], line_loan, dues, 2)
    assert owed.tolist() == [222, 55]
    assert parts["fee"].tolist() == [1, 1, 0]
    assert parts["interest"].tolist() == [10, 10, 5]
    assert parts["principal"].tolist() == [100, 9, 50]  # the last row pays 5 more than owed


def test_completion_rows() -> None:
    # one loan, three lines each owing 10; payments of 15 and 10 complete lines 1 and 2
    rows = alloc.completion_rows([0, 0, 0], [10, 10, 10], [0, 0], [15, 10], 1)
    assert rows.tolist() == [0, 1, -1]
    assert alloc.first_per_group([False, True, True, False, True], [0, 0, 0, 1, 1]).tolist() == [
        1,
        4,
    ]
