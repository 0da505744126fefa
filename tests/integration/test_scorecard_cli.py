"""``loanpilot scorecard fit|score|report`` end to end on the German Credit data, run through the
real CLI: the model directory it writes, scores equal to the loaded artefact's (and to its SQL
export run inside SQLite), and a clear error, exit status 1, for each kind of bad input."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from loanpilot.analytics.scorecard_artefact import content_sha256
from loanpilot.analytics.scorecard_artefact import load as load_artefact
from loanpilot.cli import app

GERMAN = Path("/work/shared/data/german_credit.csv")
TARGET = "creditability"
RUNNER = CliRunner(env={"COLUMNS": "1000"})


def run(*args: str | Path) -> Result:
    return RUNNER.invoke(app, ["scorecard", *map(str, args)])


def said(result: Result) -> str:
    """Everything printed (stdout and stderr) without any whitespace: Rich wraps long lines
    (at 80 columns under xdist, which sets COLUMNS before the consoles are made), even inside a
    long path. Compare with ``words``."""
    return "".join(result.output.split())


def words(text: str) -> str:
    """``text`` as ``said`` shows it."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def german(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not GERMAN.is_file():
        pytest.skip(f"{GERMAN} is not available")
    path = tmp_path_factory.mktemp("german") / "german_credit.csv"
    shutil.copyfile(GERMAN, path)
    return path


@pytest.fixture(scope="module")
def fitted(german: Path) -> tuple[Path, Result]:
    """The German Credit card, fitted once for the module."""
    out = german.parent / "model"
    result = run(
        "fit", "--data", german, "--target", TARGET, "--out", out, "--name", "german",
        "--version", "t1",
    )  # fmt: skip
    return out, result


@pytest.fixture
def frame(german: Path) -> pd.DataFrame:
    return pd.read_csv(german)


def write(tmp_path: Path, name: str, frame: pd.DataFrame, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False, encoding=encoding)
    return path


# --- fit, score, report ----------------------------------------------------------------------


def test_fit_writes_the_model_directory_and_prints_the_holdout_auc(
    fitted: tuple[Path, Result],
) -> None:
    out, result = fitted
    assert result.exit_code == 0, result.output
    for name in ("scorecard.json", "points.csv", "points.xlsx", "scorecard.sql", "report.html"):
        assert (out / name).is_file(), name
        assert (out / name).stat().st_size > 0, name
    card, art = load_artefact(out / "scorecard.json")
    assert art["model"] == {"name": "german", "version": "t1"}
    assert art["training"]["target"] == TARGET
    assert art["training"]["bad_value"] == "bad"  # good/bad understood without --bad
    assert art["training"]["rows"] == 700  # the 70 % development part
    assert art["training"]["bads"] == 210
    holdout = art["metrics"]["holdout"]
    assert holdout["rows"] == 300
    assert 0.75 < holdout["auc"] < 0.9
    assert holdout["gini"] == pytest.approx(2 * holdout["auc"] - 1)
    text = said(result)
    assert words("holdout") in text
    assert words(f"{holdout['auc']:.4f}") in text
    assert words("german@t1") in text
    assert words(f"variables kept ({len(card.variables_)})") in text

    points = pd.read_csv(out / "points.csv", encoding="utf-8-sig")
    assert list(points.columns) == ["variable", "kind", "bin", "label", "points"]
    expected = card.card_.points_table()
    assert points["variable"].tolist() == expected["variable"].tolist()
    np.testing.assert_allclose(points["points"], expected["points"], rtol=0, atol=1e-9)
    excel = pd.read_excel(out / "points.xlsx", sheet_name="points")
    assert excel["variable"].tolist() == expected["variable"].tolist()
    np.testing.assert_allclose(excel["points"], expected["points"], rtol=0, atol=1e-9)
    assert set(points["variable"]) >= set(card.variables_)

    sql = (out / "scorecard.sql").read_text(encoding="utf-8")
    assert sql.startswith("-- german@t1")
    report = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in report
    assert "german@t1" in report


def test_score_writes_one_row_per_input_row_equal_to_the_artefact(
    fitted: tuple[Path, Result], german: Path, frame: pd.DataFrame, tmp_path: Path
) -> None:
    out, _ = fitted
    scored_path = tmp_path / "scored.csv"
    result = run("score", "--model", out, "--data", german, "--out", scored_path, "--keep", TARGET)
    assert result.exit_code == 0, result.output
    assert words("scored 1000 rows") in said(result)
    scored = pd.read_csv(scored_path, encoding="utf-8-sig")
    assert len(scored) == len(frame) == 1000
    assert scored["row"].tolist() == list(range(2, 1002))  # numbered as in the file
    for col in ("score", "pd", "grade", TARGET, *(f"reason_{i}" for i in (1, 2, 3))):
        assert col in scored.columns, col
    assert scored[TARGET].tolist() == frame[TARGET].tolist()

    card, _ = load_artefact(out / "scorecard.json")
    np.testing.assert_allclose(scored["score"], card.score(frame), rtol=0, atol=5e-7)
    np.testing.assert_allclose(scored["pd"], card.predict_proba(frame)[:, 1], rtol=0, atol=5e-9)
    assert scored["grade"].tolist() == card.grade(frame).tolist()
    assert set(scored["reason_1"].dropna()) <= set(card.variables_)
    assert (scored["reason_1_points_lost"] >= scored["reason_2_points_lost"]).all()


@pytest.mark.parametrize(
    ("lang", "tag"), [("zh", '<html lang="zh-CN">'), ("en", '<html lang="en">')]
)
def test_report_writes_html_in_either_language(
    fitted: tuple[Path, Result], german: Path, tmp_path: Path, lang: str, tag: str
) -> None:
    out, _ = fitted
    html = tmp_path / f"report-{lang}.html"
    result = run("report", "--model", out, "--data", german, "--out", html, "--lang", lang)
    assert result.exit_code == 0, result.output
    text = html.read_text(encoding="utf-8")
    assert tag in text
    assert "german@t1" in text
    assert "AUC" in text


def test_report_refuses_an_unknown_language(
    fitted: tuple[Path, Result], german: Path, tmp_path: Path
) -> None:
    out, _ = fitted
    result = run("report", "--model", out, "--data", german, "--out", tmp_path / "r.html",
                 "--lang", "fr")  # fmt: skip
    assert result.exit_code == 2
    assert words("--lang must be zh or en; got 'fr'") in said(result)
    assert not (tmp_path / "r.html").exists()


def test_the_sql_export_scores_inside_sqlite_as_the_kernel_does(
    fitted: tuple[Path, Result], frame: pd.DataFrame
) -> None:
    out, _ = fitted
    card, _ = load_artefact(out / "scorecard.json")
    data = frame.copy()
    # missing values, an unseen category and out-of-range numbers take the fallbacks
    data.loc[0, "duration_in_month"] = np.nan
    data.loc[1, "status_of_existing_checking_account"] = None
    data.loc[2, "purpose"] = "a category never seen"
    data.loc[3, "credit_amount"] = 10**7
    data.loc[4, "age_in_years"] = -5
    lines = (out / "scorecard.sql").read_text(encoding="utf-8").splitlines()
    expression = "\n".join(line for line in lines if not line.startswith("--"))
    with sqlite3.connect(":memory:") as db:
        data.to_sql("t", db, index=False)
        rows = db.execute(f"SELECT {expression} FROM t").fetchall()
    in_db = np.array([r[0] for r in rows], dtype=float)
    kernel = card.score(data)
    assert len(in_db) == len(data)
    np.testing.assert_allclose(in_db, kernel, rtol=0, atol=1e-9)


# --- bad input ---------------------------------------------------------------------------------

Edit = Callable[[pd.DataFrame], pd.DataFrame]


def _three_values(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.loc[:9, TARGET] = "unknown"
    return out


def _text_in_credit_amount(df: pd.DataFrame) -> pd.DataFrame:
    out = df.astype({"credit_amount": object})
    out.loc[4, "credit_amount"] = "abc"  # the fifth record: line 6 of the file
    return out


@pytest.mark.parametrize(
    ("edit", "extra", "phrases"),
    [
        pytest.param(
            lambda df: df.drop(columns=TARGET), (), ["no target column 'creditability'"],
            id="missing-target",
        ),
        pytest.param(
            lambda df: df.assign(creditability="good"), (),
            ["target column 'creditability' has the single value 'good'"],
            id="single-class",
        ),
        pytest.param(
            _three_values, (), ["has 3 values ['bad', 'good', 'unknown']", "--bad VALUE"],
            id="three-values",
        ),
        pytest.param(
            _three_values, ("--bad", "nope"),
            ["--bad 'nope' does not occur in the target column 'creditability'"],
            id="bad-value-absent",
        ),
        pytest.param(
            lambda df: df.assign(creditability=df[TARGET].map({"good": "Y", "bad": "N"})), (),
            ["cannot tell which value", "['N', 'Y']", "--bad VALUE"],
            id="y-n-without-bad",
        ),
        pytest.param(
            _text_in_credit_amount, (),
            ["column 'credit_amount' is numeric but row 6 holds the text 'abc'"],
            id="text-in-numeric",
        ),
        pytest.param(
            lambda df: df.assign(const="x"), ("--categorical", "const"),
            ["column 'const' is constant (only value 'x')"],
            id="constant-named-column",
        ),
        pytest.param(
            lambda df: df, ("--exclude", "no_such_column"),
            ["--exclude names columns not in the file", "no_such_column"],
            id="unknown-exclude",
        ),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_column_or_value(
    frame: pd.DataFrame, tmp_path: Path, edit: Edit, extra: tuple[str, ...], phrases: list[str]
) -> None:
    data = write(tmp_path, "input.csv", edit(frame))
    out = tmp_path / "model"
    result = run("fit", "--data", data, "--target", TARGET, "--out", out, *extra)
    assert result.exit_code == 1, result.output
    text = said(result)
    assert words("Error:") in text
    assert words("input.csv") in text
    for phrase in phrases:
        assert words(phrase) in text, text
    assert not (out / "scorecard.json").exists()


def test_a_missing_data_file_is_named(tmp_path: Path) -> None:
    result = run("fit", "--data", tmp_path / "nope.csv", "--target", TARGET, "--out", tmp_path)
    assert result.exit_code in (1, 2)
    assert words("nope.csv") in said(result)


def test_an_all_missing_column_is_dropped_with_a_warning(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    data = write(tmp_path, "empty.csv", frame.assign(empty=None))
    out = tmp_path / "model"
    result = run("fit", "--data", data, "--target", TARGET, "--out", out, "--version", "e1")
    assert result.exit_code == 0, result.output
    assert words("warning: column 'empty' is all missing: not used") in said(result)
    card, art = load_artefact(out / "scorecard.json")
    assert art["dropped"]["empty"] == "all missing"
    assert "empty" not in card.variables_


def test_a_gbk_file_with_chinese_headers_works(
    fitted: tuple[Path, Result], frame: pd.DataFrame, tmp_path: Path
) -> None:
    names = {TARGET: "好坏", "age_in_years": "年龄", "credit_amount": "贷款金额"}
    chinese = frame.rename(columns=names)
    chinese["好坏"] = chinese["好坏"].map({"good": "好", "bad": "坏"})
    data = write(tmp_path, "申请样本.csv", chinese, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.read_bytes().decode("utf-8")  # really GBK
    out = tmp_path / "model"
    result = run("fit", "--data", data, "--target", "好坏", "--out", out, "--version", "g1")
    assert result.exit_code == 0, result.output
    card, art = load_artefact(out / "scorecard.json")
    assert art["training"]["target"] == "好坏"
    assert art["training"]["bad_value"] == "坏"
    assert {"年龄", "贷款金额"} <= set(art["variables"])
    assert "年龄" in (out / "points.csv").read_text(encoding="utf-8-sig")

    scored_path = tmp_path / "scored.csv"
    scored = run("score", "--model", out, "--data", data, "--out", scored_path)
    assert scored.exit_code == 0, scored.output
    got = pd.read_csv(scored_path, encoding="utf-8-sig")["score"]
    np.testing.assert_allclose(got, card.score(chinese), rtol=0, atol=5e-7)
    # the same data under other names and another encoding gives the same card
    english, _ = load_artefact(fitted[0] / "scorecard.json")
    np.testing.assert_allclose(card.score(chinese), english.score(frame), rtol=0, atol=1e-9)


def copy_model(fitted: tuple[Path, Result], tmp_path: Path) -> Path:
    out = tmp_path / "model"
    shutil.copytree(fitted[0], out)
    return out


def edit_artefact(model: Path, change: Callable[[dict], None], *, rehash: bool) -> None:  # type: ignore[type-arg]
    path = model / "scorecard.json"
    art = json.loads(path.read_text(encoding="utf-8"))
    change(art)
    if rehash:
        art["content_sha256"] = content_sha256(art)
    path.write_text(json.dumps(art, ensure_ascii=False), encoding="utf-8")


def test_an_artefact_from_a_newer_format_version_is_refused(
    fitted: tuple[Path, Result], german: Path, tmp_path: Path
) -> None:
    model = copy_model(fitted, tmp_path)
    edit_artefact(model, lambda a: a.update(format_version=2), rehash=True)
    result = run("score", "--model", model, "--data", german, "--out", tmp_path / "s.csv")
    assert result.exit_code == 1
    assert words("artefact format_version 2 is newer than this LoanPilot reads (1)") in said(result)
    assert not (tmp_path / "s.csv").exists()


def test_a_tampered_artefact_is_refused(
    fitted: tuple[Path, Result], german: Path, tmp_path: Path
) -> None:
    model = copy_model(fitted, tmp_path)

    def raise_points(art: dict) -> None:  # type: ignore[type-arg]
        art["card"]["variables"][0]["points"][0] += 5.0

    edit_artefact(model, raise_points, rehash=False)
    for command, target in (("score", "s.csv"), ("report", "r.html")):
        result = run(command, "--model", model, "--data", german, "--out", tmp_path / target)
        assert result.exit_code == 1, command
        assert words("does not match its hash") in said(result), command
        assert not (tmp_path / target).exists()


def test_scoring_a_file_without_a_card_variable_names_it(
    fitted: tuple[Path, Result], frame: pd.DataFrame, tmp_path: Path
) -> None:
    model, _ = fitted
    card, _ = load_artefact(model / "scorecard.json")
    gone = card.variables_[0]
    data = write(tmp_path, "short.csv", frame.drop(columns=gone))
    result = run("score", "--model", model, "--data", data, "--out", tmp_path / "s.csv")
    assert result.exit_code == 1
    assert words(f"the data lacks the card's variables ['{gone}']") in said(result)


def test_rows_with_an_empty_target_are_left_out_and_listed(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    data = frame.astype({TARGET: object})
    data.loc[[3, 7], TARGET] = None  # lines 5 and 9 of the file
    path = write(tmp_path, "gaps.csv", data)
    out = tmp_path / "model"
    result = run("fit", "--data", path, "--target", TARGET, "--out", out, "--version", "e2")
    assert result.exit_code == 0, result.output
    text = said(result)
    assert words("2 row(s) of gaps.csv left out") in text
    assert words("row 5, creditability: empty target: row left out") in text
    assert words("row 9, creditability: empty target: row left out") in text
    _, art = load_artefact(out / "scorecard.json")
    assert art["training"]["metadata"]["rows_read"] == 998
    assert art["training"]["rows"] + art["metrics"]["holdout"]["rows"] == 998


def test_an_excel_file_with_a_zero_one_target_works(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "sample.xlsx"
    frame.assign(**{TARGET: frame[TARGET].map({"good": 0, "bad": 1})}).to_excel(path, index=False)
    out = tmp_path / "model"
    result = run("fit", "--data", path, "--target", TARGET, "--out", out, "--version", "x1")
    assert result.exit_code == 0, result.output
    _, art = load_artefact(out / "scorecard.json")
    assert art["training"]["bad_value"] == "1"
    assert art["training"]["bads"] == 210


def test_text_in_a_numeric_column_at_scoring_names_the_row_of_the_file(
    fitted: tuple[Path, Result], frame: pd.DataFrame, tmp_path: Path
) -> None:
    model, _ = fitted
    data = write(tmp_path, "to-score.csv", _text_in_credit_amount(frame))
    result = run("score", "--model", model, "--data", data, "--out", tmp_path / "s.csv")
    assert result.exit_code == 1
    text = said(result)
    assert words("'credit_amount'") in text
    assert words("'abc'") in text
    assert words("row 6") in text, text
