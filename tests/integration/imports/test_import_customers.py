"""Importing customers from real files into both backends: good files, every kind of bad input,
idempotency, atomicity and the privacy of the rejects file."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from loanpilot.customers.models import Customer
from loanpilot.db.models import metadata
from loanpilot.imports import customers_write as customers_module
from loanpilot.kit.crypto import FieldCipher
from loanpilot.kit.errors import ImportFileError


def read_rejects(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "rejects file must be UTF-8 with a BOM for Excel"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def only_reject(report, row: int, column: str) -> str:
    matches = [p for p in report.problems if p.row == row and p.field == column]
    assert matches, f"no reject at row {row}, column {column}: {report.problems}"
    return matches[0].message


def test_good_file_imports_every_row_and_decrypts_back(env) -> None:
    rows = [env.customer_row(i) for i in range(1, 6)]
    rows[4] = env.customer_row(5, 营销授权="否", 手机号="+86 139-0000-0005")
    path = env.customers_csv("customers.csv", rows)

    report = env.run("customers", path)

    assert (report.rows_read, report.inserted, report.unchanged, report.rejected) == (5, 5, 0, 0)
    assert report.rejects_path is None
    assert not (env.dir / "customers.rejects.csv").exists()
    assert env.count("customers") == 5
    assert env.count("consents") == 5 + 4  # data processing for all, marketing for four
    cipher = FieldCipher(env.settings.data_key_bytes(), env.settings.data_key_id)
    with env.engine.connect() as conn:
        stored = conn.execute(select(Customer.__table__).order_by(Customer.__table__.c.id)).all()
    assert [cipher.decrypt(r.id_number_enc, "id_number") for r in stored] == [r[1] for r in rows]
    assert cipher.decrypt(stored[4].phone_enc, "phone") == "13900000005"
    assert stored[0].id_number_hash == cipher.blind_index(rows[0][1], "id_number")
    first = stored[0]
    assert first.customer_no == "C0000000001"
    assert first.birth_date == date(1988, 5, 17)
    assert first.gender == "M"
    assert first.occupation == "company_employee"
    assert first.monthly_income_fen == 1_200_050
    assert first.education == "bachelor"
    assert first.marital_status == "married"
    assert first.has_provident_fund is True
    assert first.owns_home is False
    assert first.marketing_consent is True
    assert stored[4].marketing_consent is False
    assert first.source_channel == "branch"
    assert first.since == date(2024, 3, 5)
    assert first.home_branch_id is not None
    assert first.manager_id is not None
    audit = env.rows("select action, actor_label, detail, outcome from audit_logs")
    assert len(audit) == 1
    action, actor, detail, outcome = audit[0]
    assert (action, actor, outcome) == ("import.customers", "cli", "ok")
    detail_text = str(detail)
    assert "customers.csv" in detail_text
    assert str(env.dir) not in detail_text
    for row in rows:
        assert row[1] not in detail_text
        assert row[0] not in detail_text


def test_importing_the_same_file_twice_changes_nothing(env) -> None:
    rows = [env.customer_row(i) for i in range(1, 8)]
    rows.append(env.customer_row(9, 月收入="-1"))
    path = env.customers_csv("twice.csv", rows)

    first = env.run("customers", path)
    before = env.counts()
    second = env.run("customers", path)

    assert (first.inserted, first.unchanged, first.rejected) == (7, 0, 1)
    assert (second.inserted, second.unchanged, second.rejected) == (0, 7, 1)
    assert env.counts() == before


def test_existing_customer_in_another_file_is_unchanged_not_updated(env) -> None:
    env.run("customers", env.customers_csv("a.csv", [env.customer_row(1)]))
    report = env.run(
        "customers",
        env.customers_csv("b.csv", [env.customer_row(1, 月收入="99999"), env.customer_row(2)]),
    )
    assert (report.inserted, report.unchanged, report.rejected) == (1, 1, 0)
    assert env.rows("select monthly_income_fen from customers where id = 1")[0][0] == 1_200_050


def test_unknown_and_missing_columns_are_reported_together(env) -> None:
    header = [h for h in env.header if h != "职业"] + ["职务"]
    rows = [[*env.customer_row(1)[:3], *env.customer_row(1)[4:], "经理"]]
    path = env.csv("odd.csv", header, rows)

    with pytest.raises(ImportFileError) as caught:
        env.run("customers", path)

    text = str(caught.value)
    assert "odd.csv, row 1, column 职务: unknown column" in text
    assert "odd.csv, row 1, column occupation: missing column" in text
    assert env.count("customers") == 0
    assert caught.value.code == "import.columns"


def test_ignore_unknown_skips_the_column(env) -> None:
    header = [*env.header, "备注"]
    path = env.csv("extra.csv", header, [[*env.customer_row(1), "VIP"]])
    with pytest.raises(ImportFileError, match="备注"):
        env.run("customers", path)
    report = env.run("customers", path, ignore_unknown=True)
    assert report.inserted == 1


def test_mapping_binds_custom_headers(env) -> None:
    header = ["cust name", "ID NO.", "Job", "Income (yuan)", "City", "Province"]
    rows = [["王五", env.person_id(3), "Company Employee", "8,000", "杭州", "浙江"]]
    path = env.csv("mapped.csv", header, rows)
    mapping = {
        "cust name": "name",
        "ID NO.": "id_number",
        "Job": "occupation",
        "Income (yuan)": "monthly_income",
    }
    report = env.run("customers", path, mapping=mapping)
    assert (report.inserted, report.rejected) == (1, 0)
    assert env.rows("select monthly_income_fen, occupation from customers")[0] == (
        800_000,
        "company_employee",
    )


def test_wrong_types_are_rejected_with_row_and_column(env) -> None:
    rows = [
        env.customer_row(1),
        env.customer_row(2, 月收入="一万二"),
        env.customer_row(3, 开户日期="2024-13-45"),
        env.customer_row(4, 是否有房="maybe"),
        env.customer_row(5, 职业="宇航员"),
    ]
    report = env.run("customers", env.customers_csv("types.csv", rows))
    assert (report.inserted, report.rejected) == (1, 4)
    assert "is not a number" in only_reject(report, 3, "月收入")
    assert only_reject(report, 4, "开户日期") == "is not a real date"
    assert "is not yes or no" in only_reject(report, 5, "是否有房")
    assert "is not an occupation" in only_reject(report, 6, "职业")
    rejects = read_rejects(env.dir / "types.rejects.csv")
    assert rejects[0] == {
        "row": "3",
        "column": "月收入",
        "value": "一万二",
        "reason": only_reject(report, 3, "月收入"),
    }


def test_invalid_id_checksum_is_rejected(env) -> None:
    good = env.person_id(1)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    report = env.run(
        "customers", env.customers_csv("ids.csv", [env.customer_row(1, 证件号码=wrong)])
    )
    assert report.inserted == 0
    message = only_reject(report, 2, "证件号码")
    assert message.startswith("check digit should be")
    assert report.problems[0].value == wrong[:3] + "*" * 11 + wrong[-4:]
    assert "ids.csv, row 2, column 证件号码" in str(report.problems[0])


def test_future_birth_date_is_rejected_without_echoing_the_date(env) -> None:
    future = env.person_id(1, birth=date(2027, 1, 1))
    report = env.run(
        "customers", env.customers_csv("future.csv", [env.customer_row(1, 证件号码=future)])
    )
    message = only_reject(report, 2, "证件号码")
    assert message == "birth date (characters 7-14) is in the future"
    assert "20270101" not in message


def test_negative_income_is_rejected(env) -> None:
    report = env.run(
        "customers", env.customers_csv("neg.csv", [env.customer_row(1, 月收入="-3000")])
    )
    assert only_reject(report, 2, "月收入") == "must not be negative"
    assert env.count("customers") == 0


def test_duplicate_customer_in_the_file_keeps_the_first(env) -> None:
    rows = [env.customer_row(1), env.customer_row(2), env.customer_row(1, 姓名="张重复")]
    report = env.run("customers", env.customers_csv("dup.csv", rows))
    assert (report.inserted, report.rejected) == (2, 1)
    assert only_reject(report, 4, "证件号码").startswith("duplicate of row 2")


def test_unknown_branch_and_manager_are_rejected(env) -> None:
    rows = [env.customer_row(1, 所属网点="BR9999"), env.customer_row(2, 客户经理工号="E9999")]
    report = env.run("customers", env.customers_csv("refs.csv", rows))
    assert only_reject(report, 2, "所属网点") == "is not a branch code in the database"
    assert only_reject(report, 3, "客户经理工号") == "is not an employee number in the database"


def test_truncated_file_rejects_the_cut_row_and_imports_the_rest(env) -> None:
    path = env.customers_csv("cut.csv", [env.customer_row(i) for i in range(1, 4)])
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b"\xe6\xb5\x99")])  # cut inside the last row (浙江)
    report = env.run("customers", path)
    assert (report.rows_read, report.inserted, report.rejected) == (3, 2, 1)
    problem = report.problems[0]
    assert (problem.row, problem.field) == (4, "学历")  # 省份 is there, cut to ""
    assert "may be truncated" in problem.message


def test_truncated_inside_a_quoted_value_rejects_the_last_row(env) -> None:
    path = env.customers_csv("quote.csv", [env.customer_row(1), env.customer_row(2)])
    path.write_bytes(path.read_bytes() + '张三,"3301'.encode())
    report = env.run("customers", path)
    assert (report.inserted, report.rejected) == (2, 1)
    assert report.problems[0].row == 4
    assert "ends inside a quoted value" in report.problems[0].message


def test_unbalanced_quote_in_the_middle_is_a_file_error_naming_the_row(env) -> None:
    lines = [env.header, env.customer_row(1), env.customer_row(2), env.customer_row(3)]
    text = "\n".join(",".join(line) for line in lines)
    path = env.dir / "broken.csv"
    path.write_text(text.replace("\n张", '\n"张', 2).replace('\n"张', "\n张", 1))  # row 3 opens
    with pytest.raises(ImportFileError) as caught:
        env.run("customers", path)
    assert "broken.csv, row 3" in str(caught.value)
    assert env.count("customers") == 0


def test_rows_with_too_many_fields_are_rejected(env) -> None:
    path = env.customers_csv("wide.csv", [env.customer_row(1), [*env.customer_row(2), "x"]])
    report = env.run("customers", path)
    assert (report.inserted, report.rejected) == (1, 1)
    assert report.problems[0].row == 3
    assert "17 fields but the header has 16" in report.problems[0].message


@pytest.mark.parametrize(
    ("content", "offset"),
    [
        (b"\xff\xfe\x00\x00garbage", 0),
        ("姓名,证件号码\n".encode() + b"caf\xe9,\x80\n", len("姓名,证件号码\n".encode()) + 3),
        (b"name,id_number\nab,12\x80", 20),
    ],
    ids=["utf16-bom", "cp1252", "lone-0x80-at-end"],
)
def test_wrong_encoding_is_a_file_error_with_the_byte_offset(
    env, content: bytes, offset: int
) -> None:
    path = env.dir / "latin.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as caught:
        env.run("customers", path)
    text = str(caught.value)
    assert caught.value.code == "import.encoding"
    assert text.startswith("latin.csv, row ")
    assert f"at byte offset {offset}" in text
    assert "column" in text
    assert env.count("customers") == 0
    assert env.rows("select outcome from audit_logs") == [("failed",)]


def test_gbk_bytes_that_are_invalid_are_named(env) -> None:
    path = env.dir / "bad.csv"
    path.write_bytes(",".join(env.header).encode("gbk") + b"\n\xd5\xc5\x80\n")
    with pytest.raises(ImportFileError, match=r"not GBK/GB18030 \(byte 0x80"):
        env.run("customers", path)


def test_empty_file_and_header_only_file_are_file_errors(env) -> None:
    empty = env.dir / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportFileError, match=r"^empty\.csv: the file is empty$"):
        env.run("customers", empty)
    header_only = env.customers_csv("header.csv", [])
    with pytest.raises(
        ImportFileError, match=r"header\.csv: the file has a header row but no data rows"
    ):
        env.run("customers", header_only)
    assert env.count("customers") == 0


def test_gbk_file_imports_correctly(env) -> None:
    rows = [env.customer_row(i) for i in range(1, 4)]
    path = env.customers_csv("gbk.csv", rows, encoding="gbk")
    report = env.run("customers", path)
    assert (report.inserted, report.rejected, report.encoding) == (3, 0, "gb18030")
    names = [r[0] for r in env.rows("select name from customers order by id")]
    assert names == [r[0] for r in rows]
    assert env.rows("select city, province from customers where id = 1")[0] == ("杭州", "浙江")


def test_utf8_with_bom_imports_correctly(env) -> None:
    path = env.customers_csv("bom.csv", [env.customer_row(1)], encoding="utf-8-sig")
    report = env.run("customers", path)
    assert (report.inserted, report.encoding) == (1, "utf-8-sig")


def test_excel_file_imports_correctly(env) -> None:
    from datetime import datetime

    rows = []
    for i in range(1, 4):
        row: list[object] = list(env.customer_row(i))
        row[4] = 12000.5  # a number cell
        row[15] = datetime(2024, 3, 5)  # a date cell
        rows.append(row)
    rows.append([None] * len(env.header))  # a blank row is skipped
    rows.append(env.customer_row(4, 月收入="-1"))
    path = env.xlsx("customers.xlsx", env.header, rows)
    report = env.run("customers", path)
    assert (report.rows_read, report.inserted, report.rejected) == (4, 3, 1)
    assert report.problems[0].row == 6  # the Excel row number, blank row counted
    table = Customer.__table__
    with env.engine.connect() as conn:
        stored = conn.execute(select(table.c.monthly_income_fen, table.c.since)).first()
    assert tuple(stored) == (1_200_050, date(2024, 3, 5))


def test_a_failure_while_writing_leaves_the_database_unchanged(env, monkeypatch) -> None:
    env.run("customers", env.customers_csv("first.csv", [env.customer_row(1)]))
    before = env.counts()
    real = customers_module.bulk_insert
    calls: list[str] = []

    def failing(conn, table, columns):
        calls.append(table.name)
        if table.name == "consents":
            raise RuntimeError("disk full")
        return real(conn, table, columns)

    monkeypatch.setattr(customers_module, "bulk_insert", failing)
    path = env.customers_csv("second.csv", [env.customer_row(i) for i in range(2, 6)])
    with pytest.raises(RuntimeError, match="disk full"):
        env.run("customers", path)
    assert calls == ["customers", "consents"]
    assert env.counts() == before
    assert env.count("audit_logs") == 1  # only the first import's
    assert not (env.dir / "second.rejects.csv").exists()


def test_rejects_file_never_holds_a_full_id_or_phone(env) -> None:
    rows = [
        env.customer_row(1, 手机号="1381234567"),  # ten digits
        env.customer_row(2, 证件号码=env.person_id(2)[:17] + "0"),
        env.customer_row(3),
        env.customer_row(3, 手机号="13912345678"),  # duplicate ID
        env.customer_row(4, 证件号码=env.person_id(4, birth=date(2030, 2, 2)), 月收入="x"),
    ]
    path = env.customers_csv("pii.csv", rows)
    report = env.run("customers", path)
    assert report.rejected == 4
    text = (env.dir / "pii.rejects.csv").read_text(encoding="utf-8-sig")
    for row in rows:
        assert row[1] not in text, "a full ID number leaked into the rejects file"
        assert row[2] not in text, "a full phone number leaked into the rejects file"
        assert row[0] not in text, "a full name leaked into the rejects file"
    assert "20300202" not in text
    assert "138****4567" in text or "138***4567" in text


def test_rejects_file_is_removed_when_the_next_import_is_clean(env) -> None:
    path = env.customers_csv("fix.csv", [env.customer_row(1, 月收入="-1")])
    env.run("customers", path)
    assert (env.dir / "fix.rejects.csv").exists()
    env.customers_csv("fix.csv", [env.customer_row(1)])
    report = env.run("customers", path)
    assert report.rejects_path is None
    assert not (env.dir / "fix.rejects.csv").exists()


def test_custom_rejects_path(env) -> None:
    target = env.dir / "out" / "bad-rows.csv"
    report = env.run(
        "customers",
        env.customers_csv("c.csv", [env.customer_row(1, 月收入="-1")]),
        rejects_path=target,
    )
    assert report.rejects_path == target
    assert read_rejects(target)[0]["column"] == "月收入"


def test_schema_is_what_the_import_writes(env) -> None:
    # every NOT NULL column without a server default is written by the importer
    customers = metadata.tables["customers"]
    required = {
        c.name
        for c in customers.c
        if not c.nullable and c.server_default is None and c.name != "id"
    }
    env.run("customers", env.customers_csv("all.csv", [env.customer_row(1)]))
    row = env.rows("select * from customers")[0]._mapping
    assert all(row[name] is not None for name in required)


def test_supplied_customer_numbers_are_kept_and_must_stay_unique(env) -> None:
    header = ["客户号", *env.header]
    first = env.csv(
        "nos.csv", header, [["VIP001", *env.customer_row(1)], ["", *env.customer_row(2)]]
    )
    report = env.run("customers", first)
    assert report.inserted == 2
    assert env.rows("select customer_no from customers order by id") == [
        ("VIP001",),
        ("C0000000002",),
    ]
    clash = env.csv(
        "clash.csv",
        header,
        [
            ["VIP001", *env.customer_row(3)],
            ["VIP002", *env.customer_row(4)],
            ["VIP002", *env.customer_row(5)],
        ],
    )
    report = env.run("customers", clash)
    assert (report.inserted, report.rejected) == (1, 2)
    assert only_reject(report, 2, "客户号") == "already belongs to another customer"
    assert only_reject(report, 4, "客户号") == "duplicate of row 3"


def test_a_file_whose_every_row_is_malformed_imports_nothing(env) -> None:
    path = env.customers_csv("allbad.csv", [env.customer_row(1)[:5], env.customer_row(2)[:3]])
    report = env.run("customers", path)
    assert (report.rows_read, report.inserted, report.rejected) == (2, 0, 2)
    assert env.count("customers") == 0


def test_a_failure_after_the_rejects_are_staged_leaves_no_file_and_no_rows(
    env, monkeypatch
) -> None:
    from loanpilot.imports import service

    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit table locked")

    monkeypatch.setattr(service, "record", broken_audit)
    path = env.customers_csv("late.csv", [env.customer_row(1), env.customer_row(2, 月收入="-1")])
    with pytest.raises(RuntimeError, match="audit table locked"):
        env.run("customers", path)
    assert env.counts()["customers"] == 0
    assert sorted(p.name for p in env.dir.iterdir()) == ["late.csv"]


def test_stated_gender_and_birth_date_must_match_the_id(env) -> None:
    header = [*env.header, "性别", "出生日期"]
    rows = [
        [*env.customer_row(1), "男", "1988-05-17"],
        [*env.customer_row(2), "女", "1988/05/17"],
        [*env.customer_row(3), "M", "1990-01-01"],
        [*env.customer_row(4), "", ""],
    ]
    report = env.run("customers", env.csv("stated.csv", header, rows))
    assert (report.inserted, report.rejected) == (2, 2)
    assert only_reject(report, 3, "性别") == "does not match the ID number"
    assert only_reject(report, 4, "出生日期") == "does not match the ID number"
    assert report.problems[1].value == "1990******"
