"""Customer service over real HTTP on the demo site: the portal survey form (answered once, a
second answer refused, out-of-range refused, expired refused), the survey builder through the API
and the console form with its permissions, quality reviews, and every service page in zh and en.
Other tests write to this bank too: counts are never assumed, records made here have unique codes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import DemoSite, form_csrf

from loanpilot.service.models import (
    QuestionKind,
    ServiceChannel,
    Survey,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
)
from loanpilot.team.models import Role, Staff
from loanpilot.web.i18n import translate


def _invite(site: DemoSite, *, age_days: int = 0) -> tuple[str, dict[QuestionKind, int]]:
    """A fresh invitation of the demo's CSAT-DISB survey; its token and question ids by kind."""
    token = uuid.uuid4().hex
    with Session(site.bank.engine) as session, session.begin():
        survey = session.scalars(select(Survey).where(Survey.code == "CSAT-DISB")).one()
        questions = session.scalars(
            select(SurveyQuestion).where(SurveyQuestion.survey_id == survey.id)
        ).all()
        session.add(
            SurveyInvitation(survey_id=survey.id, customer_id=1, channel=ServiceChannel.SMS,
                             sent_at=datetime.now(UTC) - timedelta(days=age_days), token=token)
        )  # fmt: skip
        return token, {q.kind: q.id for q in questions}


def test_portal_survey_once_twice_out_of_range_expired(demo_site: DemoSite) -> None:
    token, q = _invite(demo_site)
    csat, nps = q[QuestionKind.CSAT_1_5], q[QuestionKind.NPS_0_10]
    with demo_site.client() as client:
        page = client.get(f"/survey/{token}")
        assert page.status_code == 200
        assert "您对本次服务的整体满意度如何" in page.text
        assert "Overall, how satisfied" in client.get(f"/survey/{token}?lang=en").text
        csrf = form_csrf(page.text)
        bad = client.post(f"/survey/{token}?lang=zh",
                          data={"csrf_token": csrf, f"q{csat}": "7", f"q{nps}": "9"})  # fmt: skip
        assert bad.status_code == 422
        assert translate("service.problem.score_range", "zh", low=1, high=5) in bad.text
        assert 'value="9" checked' in bad.text  # what was chosen is kept
        with Session(demo_site.bank.engine) as session:
            inv = session.scalars(
                select(SurveyInvitation).where(SurveyInvitation.token == token)
            ).one()
            assert inv.responded_at is None
        ok = client.post(f"/survey/{token}",
                         data={"csrf_token": csrf, f"q{csat}": "4", f"q{nps}": "10"})  # fmt: skip
        assert ok.status_code == 200
        assert 'data-state="done"' in ok.text
        twice = client.post(f"/survey/{token}",
                            data={"csrf_token": csrf, f"q{csat}": "5", f"q{nps}": "10"})  # fmt: skip
        assert twice.status_code == 409
        assert translate("service.portal.state.answered", "zh") in twice.text
        assert client.get(f"/survey/{token}").status_code == 409
        no_csrf = client.post(f"/survey/{token}", data={f"q{csat}": "5"})
        assert no_csrf.status_code == 403
    with Session(demo_site.bank.engine) as session:
        inv = session.scalars(select(SurveyInvitation).where(SurveyInvitation.token == token)).one()
        responses = session.scalars(
            select(SurveyResponse).where(SurveyResponse.invitation_id == inv.id)
        ).all()
        assert len(responses) == 1
    old, _ = _invite(demo_site, age_days=40)
    with demo_site.client() as client:
        expired = client.get(f"/survey/{old}")
        assert expired.status_code == 410
        assert translate("service.portal.state.expired", "zh") in expired.text
        assert client.get(f"/survey/{'0' * 32}").status_code == 404


def _survey_body(code: str, *, with_csat: bool = True) -> dict[str, object]:
    first = (
        {"position": 1, "kind": "csat_1_5", "text_zh": "满意吗", "text_en": "Satisfied?"}
        if with_csat
        else {"position": 1, "kind": "free_text", "text_zh": "意见"}
    )
    return {
        "code": code, "title": "测试问卷", "kind": "csat", "trigger": "settled", "channel": "sms",
        "questions": [first, {"position": 2, "kind": "single_choice", "text_zh": "渠道",
                              "choices": [{"value": "a", "label_zh": "甲"},
                                          {"value": "a", "label_zh": "乙"}]}],
    }  # fmt: skip


def test_survey_builder_api_and_permissions(demo_site: DemoSite) -> None:
    code = f"T-{uuid.uuid4().hex[:8]}"
    with demo_site.client() as client:
        manager = demo_site.bearer("manager")
        assert client.post("/api/v1/service/surveys", json=_survey_body(code),
                           headers=manager).status_code == 403  # fmt: skip
        assert client.get("/api/v1/service/surveys", headers=manager).status_code == 403
        marketing = demo_site.bearer("marketing")
        bad = client.post("/api/v1/service/surveys", json=_survey_body(code, with_csat=False),
                          headers=marketing)  # fmt: skip
        assert bad.status_code == 422
        found = {(f["field"], f["code"]) for f in bad.json()["fields"]}
        assert found == {("questions", "needs_csat"), ("questions[1].choices", "choices_min"),
                         ("questions[1].choices", "choice_duplicate")}  # fmt: skip
        body = _survey_body(code)
        body["questions"][1]["choices"][1]["value"] = "b"  # type: ignore[index]
        made = client.post("/api/v1/service/surveys", json=body, headers=marketing)
        assert made.status_code == 201, made.text
        sid = made.json()["id"]
        assert made.json()["status"] == "draft"
        body["title"] = "改过的问卷"
        assert client.put(f"/api/v1/service/surveys/{sid}", json=body,
                          headers=marketing).json()["title"] == "改过的问卷"  # fmt: skip
        active = client.post(f"/api/v1/service/surveys/{sid}/status", json={"status": "active"},
                             headers=marketing)  # fmt: skip
        assert active.json()["status"] == "active"
        assert client.put(f"/api/v1/service/surveys/{sid}", json=body,
                          headers=marketing).status_code == 409  # fmt: skip
        assert client.post(f"/api/v1/service/surveys/{sid}/status", json={"status": "draft"},
                           headers=marketing).status_code == 409  # fmt: skip
        closed = client.post(f"/api/v1/service/surveys/{sid}/status", json={"status": "closed"},
                             headers=marketing)  # fmt: skip
        assert closed.json()["status"] == "closed"
        auditor = demo_site.bearer("auditor")
        assert client.get(f"/api/v1/service/surveys/{sid}", headers=auditor).status_code == 200
        assert client.post(f"/api/v1/service/surveys/{sid}/status", json={"status": "closed"},
                           headers=auditor).status_code == 403  # fmt: skip


def test_survey_console_form(demo_site: DemoSite) -> None:
    code = f"F-{uuid.uuid4().hex[:8]}"
    manager = demo_site.login("manager")
    assert manager.get("/console/service/surveys/new").status_code == 403
    assert manager.get("/console/service").status_code == 403
    client = demo_site.login("marketing")
    form = client.get("/console/service/surveys/new")
    assert form.status_code == 200
    data = {
        "csrf_token": form_csrf(form.text), "code": code, "title": "表单问卷", "kind": "nps",
        "trigger": "disbursed_30d", "channel": "app",
        "q-0-position": "1", "q-0-kind": "csat_1_5", "q-0-text_zh": "满意吗", "q-0-required": "1",
        "q-1-position": "", "q-1-kind": "csat_1_5", "q-1-text_zh": "",
        "q-2-position": "3", "q-2-kind": "multi_choice", "q-2-text_zh": "喜欢的环节",
        "q-2-choices": "a|申请|Application",
    }  # fmt: skip
    refused = client.post("/console/service/surveys", data=data)
    assert refused.status_code == 422
    assert translate("service.problem.needs_nps", "zh") in refused.text
    assert 'data-field="questions[2].choices"' in refused.text  # the form's row, blank row skipped
    assert "喜欢的环节" in refused.text
    data.update({"q-0-kind": "nps_0_10", "q-2-choices": "a|申请|Application\nb|放款|Payout"})
    saved = client.post("/console/service/surveys", data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    page = client.get(saved.headers["location"])
    assert code in page.text
    assert 'data-action="active"' in page.text
    edit = client.get(saved.headers["location"] + "/edit?lang=en")
    assert edit.status_code == 200
    assert "Payout" in edit.text
    activate = client.post(saved.headers["location"] + "/status",
                           data={"csrf_token": form_csrf(page.text), "status": "active"},
                           follow_redirects=False)  # fmt: skip
    assert activate.status_code == 303
    assert 'data-status="active"' in client.get(saved.headers["location"]).text


def test_service_pages_render_for_their_readers(demo_site: DemoSite) -> None:
    client = demo_site.login("marketing")
    for path in (
        "/console/service", "/console/service?period=2026Q3&lang=en", "/console/service/surveys",
        "/console/service/slas?period=2026Q4", "/console/service/quality?period=2026Q3",
        "/console/service/quality/new", "/console/service/slas?lang=zh",
    ):  # fmt: skip
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:500])
    analysis = client.get("/console/service?period=2026Q3")
    assert 'id="service-data"' in analysis.text
    assert 'data-chart="trend"' in analysis.text
    assert "data-masked" in analysis.text
    assert 'data-field="period"' in client.get("/console/service?period=2026Q9").text
    branch = demo_site.login("branch")
    assert translate("service.scoped", "zh") in branch.get("/console/service").text
    api = client.get(
        "/api/v1/service/analysis?period=2026Q3", headers=demo_site.bearer("marketing")
    )
    assert api.status_code == 200
    assert api.json()["overall"]["satisfaction_n"] > 0
    breaches = client.get("/api/v1/service/sla-breaches?period=2026Q4",
                          headers=demo_site.bearer("marketing"))  # fmt: skip
    assert breaches.status_code == 200
    assert all(
        Decimal(b["hours"]) > Decimal(b["target_hours"]) for b in breaches.json()["breaches"]
    )


def test_quality_review_api_computes_the_score(demo_site: DemoSite) -> None:
    headers = demo_site.bearer("marketing")
    with Session(demo_site.bank.engine) as session:
        seller = session.scalars(
            select(Staff).where(Staff.role == Role.CUSTOMER_MANAGER).order_by(Staff.id)
        ).first()
        assert seller is not None
        seller_id = seller.id
    body = {
        "kind": "call_review", "staff_id": seller_id, "reviewed_on": "2026-11-20", "score": 100,
        "items": [{"label": "礼仪", "max_points": 20, "points": 15},
                  {"label": "APR", "max_points": 30, "points": 30}],
    }  # fmt: skip
    with demo_site.client() as client:
        made = client.post("/api/v1/service/quality-reviews", json=body, headers=headers)
        assert made.status_code == 201, made.text
        assert made.json()["score"] == "90.00"
        body["items"] = [{"label": "礼仪", "max_points": 20, "points": 25}]
        over = client.post("/api/v1/service/quality-reviews", json=body, headers=headers)
        assert over.status_code == 422
        assert [f["code"] for f in over.json()["fields"]] == ["item_points"]
        listed = client.get(f"/api/v1/service/quality-reviews?period=2026Q4&staff_id={seller_id}",
                            headers=headers)  # fmt: skip
        assert any(r["score"] == "90.00" for r in listed.json()["items"])
        assert client.post("/api/v1/service/quality-reviews", json=body,
                           headers=demo_site.bearer("manager")).status_code == 403  # fmt: skip


def test_sla_form_overlong_product_type_is_a_problem_not_a_500(demo_site: DemoSite) -> None:
    client = demo_site.login("marketing")
    answer = client.post("/console/service/slas", data={
        "stage": "application_to_decision", "product_type": "x" * 30, "target_hours": "24",
        "valid_from": "2026-01-01"})  # fmt: skip
    assert answer.status_code == 422, answer.text[:300]
    assert 'data-field="product_type"' in answer.text
