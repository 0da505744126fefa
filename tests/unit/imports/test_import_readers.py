"""Reading import files: encodings, row numbers, shapes of rows, Excel cells."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from loanpilot.imports.readers import ROW_FIELD, read_table
from loanpilot.kit.errors import ImportFileError


def write(tmp_path: Path, content: bytes, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def values(table) -> list[list[str]]:
    return table.frame.to_numpy(dtype=object).tolist()


def test_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path) -> None:
    content = b'a,b,c\r\n1,2,3\r\n"x\r\ny",5,6\r\n\r\n,,\r\n7,8,9\r\n'
    table = read_table(write(tmp_path, content))
    assert table.headers == ["a", "b", "c"]
    assert values(table) == [["1", "2", "3"], ["x\r\ny", "5", "6"], ["7", "8", "9"]]
    assert table.rows.tolist() == [2, 3, 6]
    assert table.blank_rows == 2
    assert table.problems == []


def test_short_and_long_rows_are_rejects_not_padding(tmp_path) -> None:
    content = b"a,b,c\n1,2,3\n4,5\n6,7,\n8,9,10,11\n12,13,14"
    table = read_table(write(tmp_path, content))
    assert values(table) == [["1", "2", "3"], ["6", "7", ""], ["12", "13", "14"]]
    assert table.rows.tolist() == [2, 4, 6]
    short, long_ = table.problems
    assert (short.row, short.field) == (3, "c")
    assert "2 of 3 fields" in short.message
    assert (long_.row, long_.field) == (5, ROW_FIELD)
    assert long_.message == "row has 4 fields but the header has 3"
    assert table.rows_read == 5


def test_quotes_with_commas_and_doubled_quotes(tmp_path) -> None:
    content = b'a,b\n"12,000.50","say ""hi"""\n3,4\n'
    table = read_table(write(tmp_path, content))
    assert values(table) == [["12,000.50", 'say "hi"'], ["3", "4"]]


def test_a_quote_inside_an_unquoted_field_is_literal(tmp_path) -> None:
    content = b'a,b\n5\'6",x\nAl "Bo" Li,y\n1,2\n'
    table = read_table(write(tmp_path, content))
    assert values(table) == [["5'6\"", "x"], ['Al "Bo" Li', "y"], ["1", "2"]]
    assert table.rows.tolist() == [2, 3, 4]


def test_unterminated_quote_on_the_last_line_rejects_that_row(tmp_path) -> None:
    table = read_table(write(tmp_path, b'a,b\n1,2\n"3,4'))
    assert values(table) == [["1", "2"]]
    assert [(p.row, p.field) for p in table.problems] == [(3, ROW_FIELD)]


def test_unterminated_quote_earlier_is_a_file_error(tmp_path) -> None:
    with pytest.raises(ImportFileError, match=r"f.csv, row 3: a quote opened in this row"):
        read_table(write(tmp_path, b'a,b\n1,2\n"3,4\n5,6\n7,8\n'))


def test_duplicate_headers_are_kept_as_written(tmp_path) -> None:
    table = read_table(write(tmp_path, b"a,a,b\n1,2,3\n"))
    assert table.headers == ["a", "a", "b"]


def test_bom_gbk_and_mac_line_ends(tmp_path) -> None:
    bom = read_table(write(tmp_path, "\ufeff姓名,城市\n张三,杭州\n".encode()))
    assert (bom.headers, bom.encoding) == (["姓名", "城市"], "utf-8-sig")
    gbk = read_table(write(tmp_path, "姓名,城市\n张三,杭州\n".encode("gbk"), "g.csv"))
    assert (values(gbk), gbk.encoding) == ([["张三", "杭州"]], "gb18030")
    mac = read_table(write(tmp_path, b"a,b\r1,2\r3,4\r", "m.csv"))
    assert mac.rows.tolist() == [2, 3]


def test_damaged_utf8_is_not_mistaken_for_gbk(tmp_path) -> None:
    content = "姓名,城市\n张三,杭州\n".encode() + b"\xff\xfe,x\n"
    with pytest.raises(ImportFileError, match=r"damaged UTF-8.*byte offset 28") as caught:
        read_table(write(tmp_path, content))
    assert "f.csv, row 3, column 姓名" in str(caught.value)


def test_empty_whitespace_and_header_only(tmp_path) -> None:
    for content in (b"", b"   \n\n", b"\xef\xbb\xbf"):
        with pytest.raises(ImportFileError, match="the file is empty"):
            read_table(write(tmp_path, content))
    with pytest.raises(ImportFileError, match="header row but no data rows"):
        read_table(write(tmp_path, b"a,b\n\n,\n"))
    with pytest.raises(ImportFileError, match="row 1: the header row is empty"):
        read_table(write(tmp_path, b"\n1,2\n"))


def test_missing_file_and_old_excel(tmp_path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(ImportFileError, match=r"\.xls format is not supported"):
        read_table(write(tmp_path, b"whatever", "old.xls"))


def test_excel_cells_become_the_text_a_person_typed(tmp_path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([None])  # the header may start below blank rows
    sheet.append(["name", "amount", "day", "flag", "id", None])
    sheet.append(["张三", 12000.0, datetime(2024, 3, 5), True, "11010519491231002X"])
    sheet.append([None, None, None, None, None])
    sheet.append(["李四", 0.5, date(2024, 3, 6), False, 110105194912310021])
    sheet.append(["王五", 1, None, None, None, "stray"])
    path = tmp_path / "x.xlsx"
    book.save(path)
    table = read_table(path)
    assert table.headers == ["name", "amount", "day", "flag", "id"]
    got = values(table)
    assert got[0] == ["张三", "12000", "2024-03-05", "true", "11010519491231002X"]
    assert got[1][:4] == ["李四", "0.5", "2024-03-06", "false"]
    # an ID typed as a number keeps 18 digits but only a double's precision: its check digit
    # then fails validation instead of the value silently turning into 1.1010519491231e+17
    assert len(got[1][4]) == 18
    assert got[1][4].startswith("1101051949123")
    assert table.rows.tolist() == [3, 5]
    assert [(p.row, p.field) for p in table.problems] == [(6, ROW_FIELD)]
    assert "column F" in table.problems[0].message


def test_excel_sheet_choice_and_damaged_workbook(tmp_path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.append(["a"])
    first.append(["1"])
    second = book.create_sheet("第二")
    second.append(["b"])
    second.append(["2"])
    path = tmp_path / "two.xlsx"
    book.save(path)
    assert read_table(path, sheet="第二").headers == ["b"]
    assert read_table(path, sheet="2").source == "two.xlsx [第二]"
    with pytest.raises(ImportFileError, match="no sheet 'x'"):
        read_table(path, sheet="x")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ImportFileError, match=r"not a readable \.xlsx"):
        read_table(broken)


def test_trailing_unnamed_header_columns_may_be_absent(tmp_path) -> None:
    table = read_table(write(tmp_path, b"a,b,,\n1,2\n3,4,,\n5\n"))
    assert values(table) == [["1", "2", "", ""], ["3", "4", "", ""]]
    assert [(p.row, p.field) for p in table.problems] == [(4, "b")]
    assert "1 of 2 fields" in table.problems[0].message
