"""The alerts pages over real HTTP on the demo bank: the demo's alerts show (Chinese and English),
the rules, tasks and digest pages render; after an evaluation (as the daily close runs it) a risk
officer acknowledges an alert, records an action and closes it; the rule form reports every
problem beside its field, in the page's language; the API lists alerts; who may not see or act is
refused; a branch head (demo user ``branch``) sees and works only the bank-wide alerts and their
branches' ones and the tasks on their branches' loans, where the risk officer sees all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.access.models import StaffAccount
from loanpilot.lending.models import Loan
from loanpilot.risk import monitoring, warnings
from loanpilot.risk import repository_warnings as repo
from loanpilot.risk.models import AlertStatus, RiskAlert
from loanpilot.risk.models_post import MonitoringTask, TaskKind, TaskStatus, WarningRule
from loanpilot.team.models import Branch, Staff

if TYPE_CHECKING:
    from tests.conftest import DemoSite

AS_OF = date(2026, 11, 29)


@pytest.fixture
def evaluated(demo_site: DemoSite) -> int:
    """Evaluate the rules on the demo bank (idempotent: a second test evaluates nothing new);
    the id of an open alert raised by a rule."""
    now = datetime.now(UTC)
    with Session(demo_site.bank.engine) as s, s.begin():
        monitoring.after_close(s, AS_OF, now)
        warnings.after_close(s, AS_OF, now)
        # an alert of its own for this test (the evaluated ones may have been closed by another)
        alert = warnings.raise_alert(
            s, rule_code="portfolio_m1plus_rate_high", severity="high", dimension="all",
            key=f"test-{now.timestamp()}", metric="m1plus_balance_rate",
            value=Decimal("0.04"), threshold=Decimal("0.03"), as_of=AS_OF,
            now=now, owner_id=None, due_days=7,
            detail={"period": "2026-10-31", "kind": "level", "series": [["2026-09-30", 0.02], ["2026-10-31", 0.04]],
                    "explain_zh": "测试", "explain_en": "test"},
        )  # fmt: skip
        return alert.id


def test_the_demo_alerts_show(demo_site: DemoSite) -> None:
    client = demo_site.login("risk")
    page = client.get("/console/alerts")
    assert page.status_code == 200
    assert "RA00000001" in page.text
    assert "风险预警" in page.text
    en = client.get("/console/alerts?lang=en&severity=high")
    assert en.status_code == 200
    assert "Risk alerts" in en.text
    with Session(demo_site.bank.engine) as s:
        first = s.scalars(select(RiskAlert).where(RiskAlert.alert_no == "RA00000001")).one()
    detail = client.get(f"/console/alerts/{first.id}")
    assert detail.status_code == 200
    assert "RA00000001" in detail.text
    for path in ("/console/alerts/rules", "/console/alerts/tasks", "/console/alerts/digest"):
        for lang in ("zh", "en"):
            assert client.get(f"{path}?lang={lang}").status_code == 200, path


def test_acting_on_an_alert(demo_site: DemoSite, evaluated: int) -> None:
    client = demo_site.login("risk")
    page = client.get(f"/console/alerts/{evaluated}")
    assert page.status_code == 200
    assert 'data-chart="alert-series"' in page.text
    assert client.post(f"/console/alerts/{evaluated}/acknowledge").status_code == 303
    refused = client.post(f"/console/alerts/{evaluated}/close", data={"reason": ""})
    assert refused.status_code == 422
    assert 'data-field="reason"' in refused.text
    assert (
        client.post(f"/console/alerts/{evaluated}/action", data={"text": "收紧审批"}).status_code
        == 303
    )
    assert client.post(f"/console/alerts/{evaluated}/close", data={"reason": ""}).status_code == 303
    with Session(demo_site.bank.engine) as s:
        alert = s.get(RiskAlert, evaluated)
        assert alert is not None
        assert alert.status is AlertStatus.CLOSED
        assert [a["kind"] for a in alert.actions] == ["acknowledge", "action", "close"]
    again = client.post(f"/console/alerts/{evaluated}/action", data={"text": "x"})
    assert again.status_code == 409
    assert "收紧审批" in client.get(f"/console/alerts/{evaluated}").text
    digest = client.get("/console/alerts/digest?date=2026-11-29")
    assert digest.status_code == 200


@dataclass(frozen=True)
class Worded:
    """Two alerts raised as the close and the demo raise them: a change of a segment's rate
    (with the detail evaluation records) and a branch's level (no detail, as the demo's)."""

    change: RiskAlert
    level: RiskAlert
    branch_name: str


@pytest.fixture
def worded(demo_site: DemoSite) -> Worded:
    now = datetime.now(UTC)
    with Session(demo_site.bank.engine, expire_on_commit=False) as s, s.begin():
        warnings.ensure_default_rules(s, now)
        branch = s.scalars(select(Branch).order_by(Branch.id).limit(1)).one()
        change = warnings.raise_alert(
            s, rule_code="segment_m1plus_rate_rise", severity="medium", dimension="segment",
            key="self_employed", metric="m1plus_balance_rate", value=Decimal("0.0113"),
            threshold=Decimal("0.01"), as_of=AS_OF, now=now, owner_id=None, due_days=14,
            detail={"period": AS_OF.isoformat(), "kind": "change", "direction": "above",
                    "window": 1, "latest": 0.0125, "measured": 0.0113,
                    "series": [["2026-09-30", 0.0012], ["2026-10-31", 0.0125]],
                    "explain_zh": "客群 self_employed 逾期率（M1+）较 1 期前上升",
                    "explain_en": "Overdue rate (M1+) of segment self_employed rose"},
        )  # fmt: skip
        level = warnings.raise_alert(
            s, rule_code="branch_m1plus_rate_high", severity="high", dimension="branch",
            key=branch.code, metric="m1plus_balance_rate", value=Decimal("0.0951"),
            threshold=Decimal("0.071"), as_of=AS_OF, now=now, owner_id=None, due_days=14,
            detail={},
        )  # fmt: skip
        return Worded(change, level, branch.name)


def test_alerts_read_with_names_labels_and_percentage_points(
    demo_site: DemoSite, worded: Worded
) -> None:
    """No raw codes on the alert pages: the rule's name (also of an alert raised without its
    name, as the demo's), the branch's name and the occupation in the page's language, and a
    change of a rate in percentage points; the digest's lines read the same way."""
    client = demo_site.login("risk")
    change = client.get(f"/console/alerts/{worded.change.id}?lang=zh").text
    assert "客群逾期率上升" in change
    assert "个体工商户/小微企业主" in change
    assert ">+1.13 个百分点<" in change
    assert ">+1.00 个百分点<" in change
    assert (
        "客群 个体工商户/小微企业主 逾期率（M1+）较 1 期前上升 1.13 个百分点（现为 1.25%）"
        in change
    )
    assert ">self_employed<" not in change
    assert "客群 self_employed" not in change
    level = client.get(f"/console/alerts/{worded.level.id}").text
    assert "机构逾期率超限" in level
    assert worded.branch_name in level
    assert f"<code>{worded.level.dimension_value}</code>" not in level
    assert ">9.51%<" in level
    assert f"机构 {worded.branch_name} 逾期率（M1+）为 9.51%，高于阈值 7.10%" in level

    english = client.get(f"/console/alerts/{worded.change.id}?lang=en").text
    assert "Segment overdue rate rising" in english
    assert "Self-employed" in english
    assert ">+1.13 pp<" in english
    assert "of segment Self-employed rose by 1.13 pp over 1 period(s) (now 1.25%)" in english

    listing = client.get("/console/alerts?lang=zh").text
    row = listing.split(f'data-alert="{worded.change.alert_no}"')[1].split("</tr>")[0]
    assert "客群逾期率上升" in row
    assert "个体工商户/小微企业主" in row
    assert '+1.13<span class="unit">个百分点</span>' in row
    row = listing.split(f'data-alert="{worded.level.alert_no}"')[1].split("</tr>")[0]
    assert "机构逾期率超限" in row
    assert worded.branch_name in row
    assert "9.51%" in row

    digest = client.get(f"/console/alerts/digest?date={AS_OF.isoformat()}&lang=zh").text
    line = digest.split(f'data-number="{worded.level.alert_no}"')[1].split("</li>")[0]
    assert f"机构逾期率超限：机构 {worded.branch_name} 逾期率（M1+）为 9.51%" in line
    assert "branch=" not in digest
    line = digest.split(f'data-number="{worded.change.alert_no}"')[1].split("</li>")[0]
    assert "客群逾期率上升：客群 个体工商户/小微企业主" in line
    english = client.get(f"/console/alerts/digest?date={AS_OF.isoformat()}&lang=en").text
    line = english.split(f'data-number="{worded.level.alert_no}"')[1].split("</li>")[0]
    assert (
        f"Branch overdue rate above limit: Overdue rate (M1+) of branch {worded.branch_name}"
        in line
    )
    rules = client.get("/console/alerts/rules?lang=zh").text
    row = rules.split('data-rule="segment_m1plus_rate_rise"')[1].split("</tr>")[0]
    assert "1.00 个百分点" in row
    client.get("/console/alerts?lang=zh")


def test_rule_form_shows_every_problem_and_saves(demo_site: DemoSite, evaluated: int) -> None:
    client = demo_site.login("risk")
    bad = client.post("/console/alerts/rules/new", data={
        "code": "X y", "name_zh": "", "name_en": "n", "metric": "nope", "dimension": "all",
        "kind": "level", "direction": "above", "threshold": "abc", "window": "0",
        "severity": "medium", "owner_role": "risk_officer", "due_days": "7",
    })  # fmt: skip
    assert bad.status_code == 422
    for name in ("code", "name_zh", "metric", "threshold", "window"):
        assert f'data-field="{name}"' in bad.text, name
    code = f"test_rule_{datetime.now(UTC):%H%M%S%f}"
    good = client.post("/console/alerts/rules/new", data={
        "code": code, "name_zh": "测试规则", "name_en": "Test rule", "metric": "npl_ratio",
        "dimension": "product", "kind": "change", "direction": "above", "threshold": "0.01",
        "window": "2", "severity": "low", "owner_role": "risk_officer", "due_days": "10",
    })  # fmt: skip
    assert good.status_code == 303
    with Session(demo_site.bank.engine) as s:
        row = s.scalars(select(WarningRule).where(WarningRule.code == code)).one()
    assert client.post(f"/console/alerts/rules/{row.id}/disable").status_code == 303
    listing = client.get("/console/alerts/rules")
    assert f'data-rule="{code}" data-enabled="false"' in listing.text


def test_api_and_permissions(demo_site: DemoSite, evaluated: int) -> None:
    with demo_site.client() as client:
        items = client.get(
            "/api/v1/alerts?status=unclosed", headers=demo_site.bearer("risk")
        ).json()["items"]
        assert items
        assert all(i["status"] != "closed" for i in items)
        rules = client.get("/api/v1/alerts/rules", headers=demo_site.bearer("risk")).json()["items"]
        assert {"branch_m1plus_rate_high", "market_lpr_change"} <= {r["code"] for r in rules}
        digest = client.get(
            "/api/v1/alerts/digest?date=2026-11-29&lang=en", headers=demo_site.bearer("risk")
        )
        assert digest.status_code == 200
        assert "Risk alert digest" in digest.json()["text"]
        assert (
            client.get("/api/v1/alerts", headers=demo_site.bearer("marketing")).status_code == 403
        )
        ack = client.post(
            f"/api/v1/alerts/{evaluated}/acknowledge", headers=demo_site.bearer("auditor")
        )
        assert ack.status_code == 403
    assert demo_site.login("marketing").get("/console/alerts").status_code == 403


# --- the page's language ---------------------------------------------------------------------------


def add_task(session: Session, loan_id: int) -> MonitoringTask:
    """An open monitoring task of its own on ``loan_id`` (a unique number and due date)."""
    n = repo.last_number(session, MonitoringTask.task_no, "MTT") + 1
    task = MonitoringTask(
        task_no=f"MTT{n:08d}", kind=TaskKind.LARGE_LOAN_REVIEW, loan_id=loan_id, created_on=AS_OF,
        due_on=date(2030, 1, 1) + timedelta(days=n), status=TaskStatus.OPEN, reason="test",
    )  # fmt: skip
    session.add(task)
    session.flush()
    return task


def test_problems_show_in_the_page_language(demo_site: DemoSite, evaluated: int) -> None:
    client = demo_site.login("risk")
    bad = {
        "code": "portfolio_m1plus_rate_high", "name_zh": "", "name_en": "n", "metric": "npl_ratio",
        "dimension": "all", "kind": "level", "direction": "above", "threshold": "abc",
        "window": "0", "severity": "medium", "owner_role": "pilot", "due_days": "7",
    }  # fmt: skip
    zh = client.post("/console/alerts/rules/new?lang=zh", data=bad)
    assert zh.status_code == 422
    for text in (
        "规则代码 portfolio_m1plus_rate_high 已存在",
        "未知角色“pilot”",
        "须为数字（小数）；收到“abc”",
        "须在 1 与 24 之间；收到“0”",
        "须为 1–100 个字符",
    ):
        assert text in zh.text, text
    assert "already exists" not in zh.text
    assert "must be" not in zh.text
    en = client.post("/console/alerts/rules/new?lang=en", data=bad)
    assert "portfolio_m1plus_rate_high already exists; choose another code" in en.text
    assert "已存在" not in en.text

    with Session(demo_site.bank.engine) as s, s.begin():
        loan_id = s.scalars(select(Loan.id).order_by(Loan.id).limit(1)).one()
        task = add_task(s, loan_id)
        task_id = task.task_no, task.id
    url = f"/console/alerts/tasks/{task_id[1]}/complete?lang=zh"
    missing = client.post(url, data={"finding": "misuse", "note": ""})
    assert missing.status_code == 422
    assert "检查说明：结论为存疑或资金挪用时须填写检查说明" in missing.text
    assert "required" not in missing.text
    assert client.post(url, data={"finding": "ok", "note": ""}).status_code == 303
    again = client.post(url, data={"finding": "ok", "note": ""})
    assert again.status_code == 409
    assert "该任务已完成或已取消，不能再次完成。" in again.text

    alert = f"/console/alerts/{evaluated}"
    no_text = client.post(f"{alert}/action?lang=zh", data={"text": " "})
    assert no_text.status_code == 422
    assert "须为 1–2000 个字符" in no_text.text
    no_reason = client.post(f"{alert}/close?lang=zh", data={"reason": ""})
    assert no_reason.status_code == 422
    assert "尚无处置记录，关闭时须填写原因" in no_reason.text

    with demo_site.client() as api:
        body = {"name_zh": "规则", "name_en": "Rule", "metric": "npl_ratio", "kind": "level",
                "threshold": "0.02", "owner_id": 999_999, "code": "test_unknown_owner"}  # fmt: skip
        refused = api.post("/api/v1/alerts/rules", json=body, headers=demo_site.bearer("risk"))
    assert refused.status_code == 422
    assert [(f["field"], f["code"]) for f in refused.json()["fields"]] == [
        ("owner_id", "unknown_staff")
    ]


# --- scope -----------------------------------------------------------------------------------------


def branches_of(session: Session, username: str) -> tuple[set[int], set[str]]:
    """The ids and codes of a staff member's branch and every branch below it."""
    staff = session.scalars(
        select(Staff).join(StaffAccount, StaffAccount.staff_id == Staff.id)
        .where(StaffAccount.username == username)
    ).one()  # fmt: skip
    parent = dict(session.execute(select(Branch.id, Branch.parent_id)).all())

    def under(branch: int | None) -> bool:
        while branch is not None:
            if branch == staff.branch_id:
                return True
            branch = parent.get(branch)
        return False

    ids = {b for b in parent if under(b)}
    return ids, set(session.scalars(select(Branch.code).where(Branch.id.in_(ids))))


@dataclass(frozen=True)
class Scoped:
    """The demo branch head's branches, and an alert and a task inside them and outside."""

    branch_ids: set[int]
    codes: set[str]
    inside: RiskAlert
    outside: RiskAlert
    mine: MonitoringTask
    theirs: MonitoringTask


@pytest.fixture
def scoped(demo_site: DemoSite) -> Scoped:
    now = datetime.now(UTC)
    with Session(demo_site.bank.engine, expire_on_commit=False) as s, s.begin():
        ids, codes = branches_of(s, "branch")
        other_loan = s.scalars(
            select(Loan).where(Loan.branch_id.not_in(ids)).order_by(Loan.id).limit(1)
        ).one()
        other = s.get(Branch, other_loan.branch_id)
        assert other is not None
        own_loan = s.scalars(
            select(Loan.id).where(Loan.branch_id.in_(ids)).order_by(Loan.id).limit(1)
        ).one()

        def alert(code: str) -> RiskAlert:
            return warnings.raise_alert(
                s, rule_code="scope_test", severity="medium", dimension="branch", key=code,
                metric="m1plus_balance_rate", value=Decimal("0.08"), threshold=Decimal("0.05"),
                as_of=AS_OF, now=now, owner_id=None, due_days=7, detail={},
            )  # fmt: skip

        return Scoped(ids, codes, alert(min(codes)), alert(other.code),
                      add_task(s, own_loan), add_task(s, other_loan.id))  # fmt: skip


def test_a_branch_head_sees_and_works_their_branches_only(
    demo_site: DemoSite, scoped: Scoped
) -> None:
    inside, outside = scoped.inside.id, scoped.outside.id
    mine, theirs = scoped.mine.id, scoped.theirs.id
    head, risk = demo_site.bearer("branch"), demo_site.bearer("risk")
    with demo_site.client() as api:
        items = api.get("/api/v1/alerts", headers=head).json()["items"]
        for item in items:
            assert item["dimension"] == "all" or (
                item["dimension"] == "branch" and item["dimension_value"] in scoped.codes
            ), item
        assert {i["dimension"] for i in items} == {"all", "branch"}

        def ids(headers: dict[str, str]) -> set[int]:
            found = api.get("/api/v1/alerts?rule=scope_test", headers=headers).json()["items"]
            return {i["id"] for i in found}

        assert inside in ids(head)
        assert outside not in ids(head)
        assert {inside, outside} <= ids(risk)
        assert api.get(f"/api/v1/alerts/{inside}", headers=head).status_code == 200
        assert api.get(f"/api/v1/alerts/{outside}", headers=head).status_code == 403
        refused = api.post(f"/api/v1/alerts/{outside}/actions", json={"text": "x"}, headers=head)
        assert refused.status_code == 403
        assert refused.json()["error"] == "scope.forbidden"

        tasks = api.get("/api/v1/alerts/tasks", headers=head).json()["items"]
        with Session(demo_site.bank.engine) as s:
            loan_branch = dict(s.execute(select(Loan.id, Loan.branch_id)).all())
        assert all(loan_branch[t["loan_id"]] in scoped.branch_ids for t in tasks)
        assert mine in {t["id"] for t in tasks}
        assert theirs not in {t["id"] for t in tasks}
        every = {t["id"] for t in api.get("/api/v1/alerts/tasks", headers=risk).json()["items"]}
        assert {mine, theirs} <= every
        done = api.post(f"/api/v1/alerts/tasks/{theirs}/complete", json={"finding": "ok"},
                        headers=head)  # fmt: skip
        assert done.status_code == 403
        digest = api.get("/api/v1/alerts/digest?date=2026-11-29", headers=head).json()["text"]
    assert scoped.inside.alert_no in digest
    assert scoped.outside.alert_no not in digest

    page = demo_site.login("branch")
    listing = page.get("/console/alerts?rule=scope_test")
    assert scoped.inside.alert_no in listing.text
    assert scoped.outside.alert_no not in listing.text
    assert page.get(f"/console/alerts/{outside}").status_code == 403
    assert page.post(f"/console/alerts/{outside}/acknowledge").status_code == 403
    task_page = page.get("/console/alerts/tasks")
    assert scoped.mine.task_no in task_page.text
    assert scoped.theirs.task_no not in task_page.text
    finding = {"finding": "ok"}
    assert page.post(f"/console/alerts/tasks/{theirs}/complete", data=finding).status_code == 403
    officer = demo_site.login("risk").get("/console/alerts?rule=scope_test")
    assert scoped.inside.alert_no in officer.text
    assert scoped.outside.alert_no in officer.text


def test_a_tasks_reason_reads_in_the_page_language() -> None:
    from loanpilot.risk.pages_alerts import task_reason

    sampled = "sampled:0.35:0.0129:1200000"
    assert task_reason(sampled, "zh") == "按风险抽检：抽中概率 35%（PD 1.29%，金额 1,200,000 元）"
    assert task_reason(sampled, "en") == (
        "Sampled by risk: probability 35% (PD 1.29%, amount ¥1,200,000)"
    )
    assert task_reason("large_loan:6", "zh") == "大额贷款：每 6 个月复查一次"
    assert task_reason("large_loan:6", "en") == "Large loan: reviewed every 6 months"
    # text stored before the codes, or anything else, is shown as it is
    assert task_reason("sampled: p=1.00", "zh") == "sampled: p=1.00"
    assert task_reason(None, "en") == ""
