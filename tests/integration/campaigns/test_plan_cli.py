"""``loanpilot campaign plan`` (``campaigns.cli_plan.plan``) on a copy of the demo bank with
offers: the summary and gap printed, the list written masked (clear only with --unmasked, which is
audited), applied to a campaign with a hold-out, exit 1 with the explanation when infeasible, and
exit 2 for usage errors."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import openpyxl
import pytest
import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.planning_site import build_offers, copy_demo_bank, new_campaign
from typer.testing import CliRunner, Result

from loanpilot.audit.models import AuditLog
from loanpilot.campaigns.cli_plan import plan
from loanpilot.campaigns.models import CampaignPlan, CampaignTarget, TargetGroup
from loanpilot.db.session import make_engine

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy import Engine
    from tests.conftest import DemoBank

app = typer.Typer()
app.command("plan")(plan)


@app.command("version")
def _version() -> None:  # a second command, so ``plan`` stays a sub-command as in the real CLI
    """Unused."""


@pytest.fixture(scope="module")
def cli_bank(
    demo_bank: DemoBank, tmp_path_factory: pytest.TempPathFactory
) -> tuple[CliRunner, Engine, int]:
    url, settings = copy_demo_bank(demo_bank, tmp_path_factory.mktemp("planning-cli"))
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        build_offers(s, customers=300, seed=5)
        campaign_id = new_campaign(s).id
    runner = CliRunner(env={
        "COLUMNS": "1000", "LOANPILOT_DATABASE_URL": url, "LOANPILOT_ENVIRONMENT": "test",
        "LOANPILOT_VAR_DIR": str(settings.var_dir),
    })  # fmt: skip
    return runner, engine, campaign_id


def _run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(app, ["plan", *args])


def _said(result: Result) -> str:
    return "".join(result.output.split())


def test_plan_prints_the_summary_and_writes_a_masked_list(
    cli_bank: tuple[CliRunner, Engine, int], tmp_path: Path
) -> None:
    runner, engine, _ = cli_bank
    out = tmp_path / "list.csv"
    result = _run(runner, "--budget", "150", "--channel-capacity", "call_center=10",
                  "--segment-min", "senior=5", "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    said = _said(result)
    assert "gap" in said
    assert "bychannel" in said.lower().replace(" ", "")
    assert "bindingconstraints" in said
    with Session(engine) as s:
        made = s.scalars(select(CampaignPlan).order_by(CampaignPlan.id.desc())).first()
        assert made.campaign_id is None
        assert f"selected{made.selected:,}" in said
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == made.selected
    assert all("****" in r["手机号"] and "*" in r["姓名"] for r in rows)
    assert sum(float(r["预期增量利润（元）"]) for r in rows) == pytest.approx(
        made.objective_fen / 100, abs=1
    )
    with Session(engine) as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "campaign.plan.export")).all()[
            -1
        ]
        assert entry.detail["masked"] is True


def test_apply_unmasked_and_excel(cli_bank: tuple[CliRunner, Engine, int], tmp_path: Path) -> None:
    runner, engine, campaign_id = cli_bank
    out = tmp_path / "list.xlsx"
    result = _run(runner, "--budget", "100", "--campaign", str(campaign_id), "--apply",
                  "--holdout", "0.2", "--seed", "4", "--unmasked", "--lang", "en", "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "unmasked(audited)" in _said(result)
    sheet = openpyxl.load_workbook(out).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["Branch code", "Branch", "Customer no", "Name", "Phone"]
    phones = [sheet.cell(r, 5).value for r in range(2, sheet.max_row + 1)]
    assert phones
    assert all(p and "*" not in p for p in phones)
    groups = {sheet.cell(r, 9).value for r in range(2, sheet.max_row + 1)}
    assert groups == {"treatment"}  # the hold-out is never contacted, so never on the list
    with Session(engine) as s:
        counts = dict(
            s.execute(
                select(CampaignTarget.group, func.count())
                .where(CampaignTarget.campaign_id == campaign_id)
                .group_by(CampaignTarget.group)
            ).all()
        )
        treated, held_out = counts[TargetGroup.TREATMENT], counts[TargetGroup.CONTROL]
        assert treated == sheet.max_row - 1
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "pii.export")).all()[-1]
        assert entry.actor_label == "cli"
        assert entry.detail == {"format": "xlsx", "rows": treated, "excluded": 0,
                                "held_out": held_out, "not_on_list": 0, "masked": False}  # fmt: skip
    again = _run(runner, "--budget", "100", "--campaign", str(campaign_id), "--apply",
                 "--out", str(tmp_path / "again.csv"))  # fmt: skip
    assert again.exit_code == 1
    assert "alreadyhas" in _said(again)


def test_infeasible_and_usage_errors(
    cli_bank: tuple[CliRunner, Engine, int], tmp_path: Path
) -> None:
    runner, _, _ = cli_bank
    out = tmp_path / "list.csv"
    infeasible = _run(
        runner, "--budget", "100", "--segment-min", "senior=100000", "--out", str(out)
    )
    assert infeasible.exit_code == 1
    assert "Minimumcoverageofsegmentseniorcannotbemet:100000customersasked" in _said(infeasible)
    assert not out.exists()
    bad = _run(runner, "--budget", "-5", "--channel-capacity", "fax=1", "--out", str(out))
    assert bad.exit_code == 1
    assert "budget:mustbegreaterthan0" in _said(bad)
    assert "'fax'isnotachannel" in _said(bad)
    assert _run(runner, "--budget", "5", "--out", str(tmp_path / "x.pdf")).exit_code == 2
    assert _run(runner, "--budget", "5", "--apply", "--out", str(out)).exit_code == 2
    assert _run(runner, "--budget", "5", "--holdout", "1.5", "--out", str(out)).exit_code == 2
