"""The alerts pages over real HTTP on the demo bank: the demo's alerts show (Chinese and English),
the rules, tasks and digest pages render; after an evaluation (as the daily close runs it) a risk
officer acknowledges an alert, records an action and closes it; the rule form reports every
problem beside its field; the API lists alerts; who may not see or act is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.risk import monitoring, warnings
from loanpilot.risk.models import AlertStatus, RiskAlert
from loanpilot.risk.models_post import WarningRule

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
