"""``loanpilot import ...`` end to end through Typer's runner, on both backends."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from loanpilot.cli import app


@pytest.fixture
def cli(env, monkeypatch):
    monkeypatch.setenv("LOANPILOT_DATABASE_URL", env.settings.database_url)
    monkeypatch.setenv("LOANPILOT_VAR_DIR", str(env.settings.var_dir))
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


def test_customers_command_prints_the_summary_and_first_rejects(env, cli) -> None:
    rows = [env.customer_row(i) for i in range(1, 4)]
    rows.append(env.customer_row(5, 月收入="-1", 手机号="13800001111"))
    path = env.customers_csv("cli.csv", rows)

    result = cli.invoke(app, ["import", "customers", str(path)])

    assert result.exit_code == 0, result.output
    out = result.output
    assert "inserted" in out
    assert "rejected" in out
    assert "cli.rejects.csv" in out
    assert "must not be negative" in out
    assert "13800001111" not in out
    assert env.count("customers") == 3

    again = cli.invoke(app, ["import", "customers", str(path)])
    assert again.exit_code == 0
    assert env.count("customers") == 3


def test_file_error_exits_1_naming_the_file(env, cli) -> None:
    path = env.dir / "empty.csv"
    path.write_bytes(b"")
    result = cli.invoke(app, ["import", "customers", str(path)])
    assert result.exit_code == 1
    assert "empty.csv: the file is empty" in result.output


def test_unknown_column_exits_1_and_ignore_unknown_imports(env, cli) -> None:
    path = env.csv("extra.csv", [*env.header, "备注"], [[*env.customer_row(1), "x"]])
    failed = cli.invoke(app, ["import", "customers", str(path)])
    assert failed.exit_code == 1
    assert "extra.csv, row 1, column 备注: unknown column" in failed.output
    ok = cli.invoke(app, ["import", "customers", str(path), "--ignore-unknown"])
    assert ok.exit_code == 0, ok.output
    assert env.count("customers") == 1


def test_mapping_file_map_options_and_rejects_path(env, cli) -> None:
    header = ["客户名", "身份证件", "Job", "Income", "城市", "省份"]
    rows = [
        ["王五", env.person_id(3), "学生", "800", "杭州", "浙江"],
        ["赵六", env.person_id(4), "学生", "abc", "杭州", "浙江"],
    ]
    path = env.csv("mapped.csv", header, rows)
    mapping = env.dir / "mapping.json"
    mapping.write_text(
        json.dumps({"客户名": "name", "Job": "occupation", "Income": "monthly_income"}),
        encoding="utf-8",
    )
    rejects = env.dir / "elsewhere" / "bad.csv"
    result = cli.invoke(
        app,
        [
            "import",
            "customers",
            str(path),
            "--mapping",
            str(mapping),
            "--map",
            "身份证件=id_number",
            "--rejects",
            str(rejects),
        ],
    )
    assert result.exit_code == 0, result.output
    assert env.count("customers") == 1
    assert rejects.exists()
    assert "is not a number" in rejects.read_text(encoding="utf-8-sig")


def test_bad_mapping_exits_1(env, cli) -> None:
    path = env.customers_csv("c.csv", [env.customer_row(1)])
    result = cli.invoke(app, ["import", "customers", str(path), "--map", "姓名=full_name"])
    assert result.exit_code == 1
    assert "full_name" in result.output


def test_loans_and_repayments_commands(env, cli) -> None:
    env.run("customers", env.customers_csv("c.csv", [env.customer_row(1)]))
    loans = env.csv(
        "loans.csv",
        [
            "借据号",
            "证件号码",
            "产品代码",
            "所属网点",
            "贷款金额",
            "年利率",
            "期限",
            "还款方式",
            "放款日期",
        ],
        [
            [
                "JJ1",
                env.person_id(1),
                "XF01",
                "BR0101",
                "12000",
                "6%",
                "12",
                "等额本金",
                "2026-01-10",
            ]
        ],
    )
    result = cli.invoke(app, ["import", "loans", str(loans)])
    assert result.exit_code == 0, result.output
    pays = env.csv(
        "pay.csv",
        ["交易流水号", "借据号", "还款日期", "还款金额"],
        [["P1", "JJ1", "2026-02-10", "1060"]],
    )
    result = cli.invoke(app, ["import", "repayments", str(pays)])
    assert result.exit_code == 0, result.output
    assert env.rows("select outstanding_principal_fen from loans")[0][0] == 1_100_000


def test_excel_sheet_option(env, cli) -> None:
    path = env.xlsx("c.xlsx", env.header, [env.customer_row(1)])
    wrong = cli.invoke(app, ["import", "customers", str(path), "--sheet", "Nope"])
    assert wrong.exit_code == 1
    assert "no sheet 'Nope'" in wrong.output
    ok = cli.invoke(app, ["import", "customers", str(path), "--sheet", "客户"])
    assert ok.exit_code == 0, ok.output
    assert env.count("customers") == 1


def test_an_unmigrated_database_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LOANPILOT_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    monkeypatch.setenv("LOANPILOT_VAR_DIR", str(tmp_path / "var"))
    path = tmp_path / "c.csv"
    path.write_text("姓名\n张三\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "customers", str(path)])
    assert result.exit_code == 1
    assert "loanpilot db upgrade" in result.output
