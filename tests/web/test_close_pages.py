"""The daily close and classification pages and their API over real HTTP on the demo bank:
running today's close from the console (background thread, htmx-polled progress) and reading its
summary, who may see and run it, setting an override (refused when not worse than the rule, in
Chinese and English), revoking it, and the API equivalents."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loanpilot.kit.clock import business_today
from loanpilot.lending.models import Loan, LoanStatus
from loanpilot.risk.close import SUMMARY_STEP
from loanpilot.risk.close_steps import AFTER_CLOSE
from loanpilot.risk.models import ClassificationOverride, DelinquencySnapshot
from loanpilot.risk.models_post import CloseRun, CloseStatus, PromiseStatus
from loanpilot.risk.pages_close import count_label, step_label
from loanpilot.web.i18n import MESSAGES, translate
from loanpilot.web.i18n.messages_close import CLOSE_COUNTS, CLOSE_STEPS

if TYPE_CHECKING:
    from tests.conftest import DemoSite


def _wait_for_close(client: httpx.Client, timeout: float = 240) -> str:
    """Poll the progress panel as htmx does until the close stops running; its last HTML."""
    deadline = time.monotonic() + timeout
    while True:
        panel = client.get("/console/risk/close/progress")
        assert panel.status_code == 200
        if 'data-running="no"' in panel.text:
            return panel.text
        assert 'hx-trigger="every 2s"' in panel.text
        assert time.monotonic() < deadline, "the close did not finish in time"
        time.sleep(0.5)


def test_run_todays_close_from_the_console_and_read_its_summary(demo_site: DemoSite) -> None:
    client = demo_site.login("risk")
    page = client.get("/console/risk/close")
    assert page.status_code == 200
    assert "日终批处理" in page.text
    assert 'data-action="run-close"' in page.text
    today = business_today(demo_site.bank.settings.tz)
    stale = client.post("/console/risk/close/run", data={"as_of": "2001-01-01"})
    assert stale.status_code == 422
    assert "请刷新页面" in stale.text
    started = client.post(
        "/console/risk/close/run", data={"as_of": today.isoformat()}, follow_redirects=False
    )
    assert started.status_code in (303, 409)  # 409: a close of today is running already
    _wait_for_close(client)

    with Session(demo_site.bank.engine) as s:
        run = s.scalars(select(CloseRun).where(CloseRun.as_of == today)).one()
        repaying = s.scalar(select(func.count()).where(Loan.status == LoanStatus.REPAYING))
        snaps = s.scalar(select(func.count()).where(DelinquencySnapshot.as_of == today))
    assert run.loans_done == repaying == snaps
    assert "summary" in run.steps_done
    if run.status is CloseStatus.FAILED:  # an after-close step of another part failed
        assert not run.error.startswith(("loans", "summary")), run.error
    else:
        assert run.status is CloseStatus.DONE

    page = client.get(f"/console/risk/close?date={today.isoformat()}")
    assert page.status_code == 200
    assert f'data-as-of="{today.isoformat()}"' in page.text
    assert f'data-value="{run.summary["npl_ratio"]}"' in page.text
    for bucket in ("M0", "M1", "M7+"):
        assert f'data-bucket="{bucket}"' in page.text
    for c in run.summary["classes"]:
        assert f'data-provision="{c["provision_fen"]}"' in page.text
    assert f'data-breaks="{run.summary["ledger"]["breaks"]}"' in page.text
    assert f'data-run="{today.isoformat()}"' in page.text
    # every step and every count the after-close steps returned reads in the page's language
    for name in run.steps_done:
        assert name in CLOSE_STEPS, name
    for name, counts in run.summary.get("steps", {}).items():
        assert f'data-step="{name}"' in page.text
        assert translate(f"close.step.{name}", "zh") in page.text
        for key in counts:
            assert key in CLOSE_COUNTS, (name, key)
            assert f'data-count="{key}"' in page.text
            assert f">{translate(f'close.count.{key}', 'zh')} " in page.text, key
            assert f">{key} " not in page.text, key
    english = client.get("/console/risk/close?lang=en")
    assert "Daily close" in english.text
    assert "NPL ratio" in english.text
    for name, counts in run.summary.get("steps", {}).items():
        assert translate(f"close.step.{name}", "en") in english.text
        for key in counts:
            assert f">{translate(f'close.count.{key}', 'en')} " in english.text, key
    client.get("/console/risk/close?lang=zh")

    again = client.post(  # closed already: nothing runs again
        "/console/risk/close/run", data={"as_of": today.isoformat()}, follow_redirects=False
    )
    assert again.status_code == 303
    _wait_for_close(client)
    with Session(demo_site.bank.engine) as s:
        rerun = s.scalars(select(CloseRun).where(CloseRun.as_of == today)).one()
    assert rerun.attempts == run.attempts


def test_every_close_step_and_count_reads_in_both_languages() -> None:
    """The close's stages (the per-loan pass, the summary, each after-close step) and what each
    after-close step counts have a Chinese and an English label; an unknown one reads as its key."""
    assert set(CLOSE_STEPS) == {"loans", SUMMARY_STEP, *(name for name, _ in AFTER_CLOSE)}
    closing = {"cured", *(s.value for s in (LoanStatus.SETTLED, LoanStatus.WRITTEN_OFF,
                                           LoanStatus.TRANSFERRED))}  # fmt: skip
    counted = {
        # risk.collections_close.after_close
        "ladder_seeded", "opened", "promises_recorded", "placed", "moved", "assigned",
        *(f"promises_{p.value}" for p in PromiseStatus if p is not PromiseStatus.OPEN),
        *(f"closed_{outcome}" for outcome in closing),
        # risk.monitoring.after_close
        "behaviour_scores", "purpose_checks", "large_loan_reviews",
        # risk.warnings.after_close
        "rules_seeded", "rules", "firings", "raised",
        # service.surveys_close.after_close
        "surveys_disbursed", "surveys_disbursed_30d", "surveys_settled", "surveys_complaint_closed",
        # evaluation.feedback_close.after_close
        "feedback_tickets",
    }  # fmt: skip
    assert counted == set(CLOSE_COUNTS)
    for prefix, names in (("close.step", CLOSE_STEPS), ("close.count", CLOSE_COUNTS)):
        for name in names:
            entry = MESSAGES[f"{prefix}.{name}"]
            assert entry["zh"].strip(), name
            assert entry["en"].strip(), name
            assert entry["zh"] != entry["en"], name
            assert any("\u4e00" <= ch <= "\u9fff" for ch in entry["zh"]), name
            assert not any("\u4e00" <= ch <= "\u9fff" for ch in entry["en"]), name
    assert step_label("collections", "zh") == "催收"
    assert step_label("collections", "en") == "Collections"
    assert count_label("promises_broken", "zh") == "承诺未兑现"
    assert count_label("promises_broken", "en") == "Promises broken"
    assert step_label("a_new_step", "zh") == "a_new_step"
    assert count_label("a_new_count", "en") == "a_new_count"


def test_who_may_see_and_run_the_close(demo_site: DemoSite) -> None:
    approver = demo_site.login("approver")  # reads risk, may not close
    page = approver.get("/console/risk/close")
    assert page.status_code == 200
    assert 'data-action="run-close"' not in page.text
    assert approver.post("/console/risk/close/run").status_code == 403
    assert approver.get("/console/risk/classification").status_code == 200
    assert approver.post("/console/risk/classification", data={}).status_code == 403
    collector = demo_site.login("collector")  # does not read risk
    assert collector.get("/console/risk/close").status_code == 403
    assert collector.get("/console/risk/classification").status_code == 403
    with demo_site.client() as api:
        headers = demo_site.bearer("auditor")
        assert api.get("/api/v1/close/runs", headers=headers).status_code == 200
        body = {"as_of": business_today().isoformat()}
        assert api.post("/api/v1/close/runs", headers=headers, json=body).status_code == 403


def _loan_past_90_without_override(demo_site: DemoSite) -> Loan:
    with Session(demo_site.bank.engine) as s:
        # an override in force (a revoked one no longer counts: another test may have revoked it)
        taken = select(ClassificationOverride.loan_id).where(
            ClassificationOverride.revoked_at.is_(None)
        )
        loan = s.scalars(
            select(Loan)
            .where(Loan.status == LoanStatus.REPAYING, Loan.dpd > 90, Loan.dpd <= 270)
            .where(Loan.id.not_in(taken))
            .order_by(Loan.id)
            .limit(1)
        ).one()
        s.expunge(loan)
        return loan


def test_set_an_override_refused_when_not_worse_then_revoke_it(demo_site: DemoSite) -> None:
    loan = _loan_past_90_without_override(demo_site)  # rule: 次级 substandard
    client = demo_site.login("risk")
    form = {"loan_no": loan.loan_no, "five_class": "special_mention", "reason": "测试"}
    refused = client.post("/console/risk/classification", data=form)
    assert refused.status_code == 422
    assert "人工认定只能比规则更差" in refused.text
    assert "次级" in refused.text
    refused_en = client.post("/console/risk/classification?lang=en", data=form)
    assert "may only classify worse than the rule" in refused_en.text
    client.get("/console/risk/close?lang=zh")
    unknown = client.post("/console/risk/classification", data={**form, "loan_no": "NO-SUCH-LOAN"})
    assert unknown.status_code == 422
    assert "没有编号为 NO-SUCH-LOAN 的贷款" in unknown.text

    last_day = (business_today() + timedelta(days=30)).isoformat()
    saved = client.post(
        "/console/risk/classification",
        data={**form, "five_class": "doubtful", "reason": "借款人涉诉", "expires_on": last_day},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    listing = client.get(saved.headers["location"])
    assert "认定已保存" in listing.text
    assert f'data-loan="{loan.loan_no}" data-class="doubtful"' in listing.text
    with Session(demo_site.bank.engine) as s:
        row = s.scalars(
            select(ClassificationOverride).where(ClassificationOverride.loan_id == loan.id)
        ).one()
        assert s.get(Loan, loan.id).five_class.value == "doubtful"  # type: ignore[union-attr]
    assert row.expires_on == date.fromisoformat(last_day)
    revoked = client.post(f"/console/risk/classification/{row.id}/revoke", follow_redirects=False)
    assert revoked.status_code == 303
    listing = client.get("/console/risk/classification")
    assert f'data-override="{row.id}"' not in listing.text
    with Session(demo_site.bank.engine) as s:
        assert s.get(Loan, loan.id).five_class.value == "substandard"  # type: ignore[union-attr]


def test_the_api_equivalents(demo_site: DemoSite) -> None:
    headers = demo_site.bearer("risk")
    loan = _loan_past_90_without_override(demo_site)
    with demo_site.client() as api:
        runs = api.get("/api/v1/close/runs", headers=headers)
        assert runs.status_code == 200
        assert set(runs.json()) == {"items", "running_now"}
        missing = api.get("/api/v1/close/runs/2001-01-01", headers=headers)
        assert missing.status_code == 404
        future = business_today() + timedelta(days=3)
        too_late = api.post(
            "/api/v1/close/runs", headers=headers, json={"as_of": future.isoformat()}
        )
        assert too_late.status_code == 422
        no_date = api.post("/api/v1/close/runs", headers=headers, json={})
        assert no_date.status_code == 422
        body = {"loan_no": loan.loan_no, "five_class": "normal", "reason": "x"}
        bad = api.post("/api/v1/classification-overrides", headers=headers, json=body)
        assert bad.status_code == 422
        assert bad.json()["fields"][0]["field"] == "five_class"
        made = api.post(
            "/api/v1/classification-overrides",
            headers=headers,
            json={**body, "five_class": "loss", "reason": "失联"},
        )
        assert made.status_code == 201, made.text
        item = made.json()
        assert item["loan_no"] == loan.loan_no
        assert item["five_class"] == "loss"
        listed = api.get("/api/v1/classification-overrides", headers=headers).json()["items"]
        assert item["id"] in {i["id"] for i in listed}
        gone = api.post(f"/api/v1/classification-overrides/{item['id']}/revoke", headers=headers)
        assert gone.status_code == 200
        assert gone.json()["revoked_at"] is not None
        twice = api.post(f"/api/v1/classification-overrides/{item['id']}/revoke", headers=headers)
        assert twice.status_code == 409
