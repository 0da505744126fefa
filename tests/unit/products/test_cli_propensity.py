"""``loanpilot propensity fit|score`` on CSV (UTF-8, GBK) and Excel files, with their errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from loanpilot.cli import app


def _frame(n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = rng.normal(8000, 2000, n).round(0)
    channel = rng.choice(["网点", "手机银行", "电话"], n)
    logit = -1 + (income - 8000) / 1500 + np.where(channel == "网点", 1.0, 0.0)
    responded = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "是", "否")
    return pd.DataFrame(
        {"客户号": np.arange(1, n + 1), "income": income, "渠道": channel, "响应": responded}
    )


def _fit(cli: CliRunner, data: Path, out: Path, *extra: str) -> object:
    args = ["propensity", "fit", "--data", str(data), "--target", "响应", "--positive", "是"]
    return cli.invoke(app, [*args, "--out", str(out), "--exclude", "客户号", *extra])


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("propensity")
    data = tmp / "gbk.csv"
    _frame().to_csv(data, index=False, encoding="gbk")
    result = _fit(CliRunner(), data, tmp / "model")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "gains" in result.output
    assert "chosen:" in result.output
    return data, tmp / "model"


def test_fit_writes_model_and_tables(fitted: tuple[Path, Path]) -> None:
    data, model = fitted
    doc = json.loads((model / "model.json").read_text(encoding="utf-8"))
    assert doc["target"] == "响应"
    assert doc["positive"] == "是"
    assert doc["chosen"] in ("logistic", "lightgbm")
    assert set(doc["cv_scores"]) == {"logistic", "lightgbm"}
    assert doc["data"]["rows"] == 240
    assert len(doc["data"]["sha256"]) == 64
    import hashlib

    assert doc["data"]["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert "客户号" not in doc["model"]["columns"]["features"]
    gains = pd.read_csv(model / "gains.csv")
    assert gains["decile"].tolist() == list(range(1, 11))
    assert gains["cum_gains_pct"].iloc[-1] == pytest.approx(100.0)
    assert list(pd.read_csv(model / "lift.csv").columns)[:3] == ["decile", "count", "positives"]


def test_score_adds_probability_and_tables(fitted: tuple[Path, Path], tmp_path: Path) -> None:
    data, model = fitted
    out = tmp_path / "scored.csv"
    result = CliRunner().invoke(
        app, ["propensity", "score", "--model", str(model), "--data", str(data), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out, encoding="utf-8-sig")
    assert len(scored) == 240
    assert scored["row"].iloc[0] == 2
    assert scored["probability"].between(0, 1).all()
    assert (tmp_path / "scored.lift.csv").is_file()
    assert (tmp_path / "scored.gains.csv").is_file()


def test_score_excel_without_target(fitted: tuple[Path, Path], tmp_path: Path) -> None:
    _, model = fitted
    xlsx = tmp_path / "new.xlsx"
    _frame(30, seed=5).drop(columns=["响应"]).to_excel(xlsx, index=False)
    out = tmp_path / "new_scored.csv"
    result = CliRunner().invoke(
        app, ["propensity", "score", "--model", str(model), "--data", str(xlsx), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out, encoding="utf-8-sig")) == 30
    assert not (tmp_path / "new_scored.lift.csv").exists()


def _error(tmp_path: Path, frame: pd.DataFrame | None, *args: str, text: str = "") -> str:
    data = tmp_path / "in.csv"
    if frame is None:
        data.write_text(text, encoding="utf-8")
    else:
        frame.to_csv(data, index=False)
    cmd = ["propensity", "fit", "--data", str(data), "--out", str(tmp_path / "m"), *args]
    result = CliRunner().invoke(app, cmd)
    assert result.exit_code == 1, result.output
    assert not (tmp_path / "m").exists()  # nothing half-written
    return " ".join(result.output.split())


def test_clear_errors(tmp_path: Path) -> None:
    frame = _frame(60)
    out = _error(tmp_path, frame, "--target", "outcome", "--positive", "是")
    assert "no target column 'outcome'" in out
    assert "响应" in out
    out = _error(tmp_path, frame, "--target", "响应", "--positive", "yes")
    assert "--positive 'yes' does not occur in the target column '响应'" in out
    assert "'否', '是'" in out
    single = frame.assign(响应="是")
    out = _error(tmp_path, single, "--target", "响应", "--positive", "是")
    assert "every row of '响应' is '是'" in out
    text = frame.astype({"income": object})
    text.loc[4, "income"] = "n/a"  # file row 6: header is row 1
    out = _error(tmp_path, text, "--target", "响应", "--positive", "是")
    assert "column 'income' is numeric but holds the text 'n/a' at row 6" in out
    out = _error(tmp_path, None, "--target", "响应", "--positive", "是", text="")
    assert "the file is empty" in out
    out = _error(tmp_path, frame, "--target", "响应", "--positive", "是", "--exclude", "nope")
    assert "--exclude names columns not in the file: ['nope']" in out
