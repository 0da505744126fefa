"""The console's risk pages over real HTTP on the demo bank: the model registry and a model's page
(metrics, recorded actions, bins, PSI by month, downloads), promoting a challenger, fitting a
scorecard on an uploaded file, the policy editor (contradictions reported beside their field,
nothing created; a valid draft activated), and the manual-review queue (refer, decide with a note,
see the offer), in Chinese and English, for the roles that may and a 403 for those that may not.

Tests that change the shared site put back the champion model and the active policy they found."""

from __future__ import annotations

import html as htmllib
import math
import re
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import numpy as np
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from tests.risk_site import (
    active_policy,
    champion,
    referred_application,
    register_copy,
)

from loanpilot.analytics.scorecard_artefact import content_sha256
from loanpilot.customers.models import Customer
from loanpilot.demo.development_sample import development_sample
from loanpilot.kit.masking import mask_name
from loanpilot.lending.models import Application, ApplicationStatus
from loanpilot.risk import registry
from loanpilot.risk.models import (
    CreditModel,
    CreditModelEvent,
    CreditPolicy,
    Decision,
    ModelStatus,
    PolicyStatus,
)
from loanpilot.risk.rules import DecisionOutcome
from loanpilot.web.render import format_rate

if TYPE_CHECKING:
    from tests.conftest import DemoSite

RISK_ROLES = ("risk", "approver", "auditor")
NO_RISK_ROLES = ("marketing", "manager", "service")


_SESSIONS: dict[tuple[str, str], httpx.Client] = {}


def login(demo_site: DemoSite, username: str) -> httpx.Client:
    """A console session of ``username``, kept for the module (a login hashes a password), in
    the default language."""
    key = (demo_site.url, username)
    if key not in _SESSIONS:
        _SESSIONS[key] = demo_site.login(username)
    client = _SESSIONS[key]
    client.cookies.delete("lp_lang")
    return client


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


# --- who sees what -------------------------------------------------------------------------------


@pytest.mark.parametrize("username", RISK_ROLES)
def test_every_risk_page_renders_in_chinese_and_english(demo_site: DemoSite, username: str) -> None:
    engine = demo_site.bank.engine
    model_id, policy_id = champion(engine).id, active_policy(engine).id
    client = login(demo_site, username)
    pages = {
        "/console/risk/models": ("评分模型", "Credit models"),
        f"/console/risk/models/{model_id}": ("候选变量与 IV", "Candidate variables and IV"),
        "/console/risk/policies": ("授信政策", "Credit policy"),
        f"/console/risk/policies/{policy_id}": ("评分切分点", "Score cut-offs"),
        "/console/risk/reviews": ("人工审批队列", "Manual-review queue"),
    }
    for path, (zh_text, en_text) in pages.items():
        zh = client.get(path, params={"lang": "zh"})
        en = client.get(path, params={"lang": "en"})
        assert zh.status_code == en.status_code == 200, path
        assert zh_text in zh.text, path
        assert en_text in en.text, path
        assert '<html lang="zh-CN">' in zh.text
        assert '<html lang="en">' in en.text
        # the console's navigation has the risk entry, marked as the current area
        assert re.search(r'<a href="/console/risk" aria-current="page">风险</a>', zh.text), path
        # no inline script: only static files and JSON data islands (strict CSP)
        for tag in re.findall(r"<script\b[^>]*>", zh.text):
            assert "src=" in tag or 'type="application/json"' in tag, tag
    home = client.get("/console/risk", follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"] == "/console/risk/models"
    models = client.get("/console/risk/models", params={"lang": "zh"}).text
    # only the risk officer changes models and policies
    assert ('data-action="promote"' in models or "fit-form" in models) is (username == "risk")
    assert ("fit-form" in models) is (username == "risk")
    policies = client.get("/console/risk/policies").text
    assert ('data-action="new-policy"' in policies) is (username == "risk")
    editor = client.get("/console/risk/policies/new")
    assert editor.status_code == (200 if username == "risk" else 403)


@pytest.mark.parametrize("username", NO_RISK_ROLES)
def test_a_role_without_risk_read_is_refused(demo_site: DemoSite, username: str) -> None:
    client = login(demo_site, username)
    for path in ("/console/risk/models", "/console/risk/policies", "/console/risk/reviews"):
        page = client.get(path)
        assert page.status_code == 403, path
        assert 'data-error="auth.forbidden"' in page.text
    products = client.get("/console/products")
    assert products.status_code == 200
    assert 'href="/console/risk"' not in products.text


# --- the model page ------------------------------------------------------------------------------


def test_the_model_page_shows_metrics_bins_and_the_exports(demo_site: DemoSite) -> None:
    row = champion(demo_site.bank.engine)
    art = row.artefact
    client = login(demo_site, "auditor")
    page = client.get(f"/console/risk/models/{row.id}").text
    assert row.label in page
    assert f'data-hash="content">{row.content_sha256}<' in page
    assert f'data-hash="data">{row.data_sha256}<' in page
    assert f'data-figure="rows">{art["training"]["rows"]:,}<' in page
    metrics = re.search(r'<tr data-metric="auc">(.*?)</tr>', page, re.DOTALL)
    assert metrics
    shown = [float(v) for v in re.findall(r'class="num">([\d.]+)<', metrics.group(1))]
    expected = [art["metrics"]["development"]["auc"], art["metrics"]["holdout"]["auc"]]
    assert shown == [round(v, 4) for v in expected]
    # one table of bins per variable of the card; every variable's points as in the card
    assert page.count('<details class="variable-bins"') == len(art["selected"])
    card = {v["name"]: v for v in art["card"]["variables"]}
    for name in art["selected"]:
        block = re.search(
            rf'<details class="variable-bins" data-variable="{name}".*?</details>', page, re.DOTALL
        )
        assert block, name
        points = [float(p) for p in re.findall(r'data-points="([-\d.]+)"', block.group(0))]
        want = [*card[name]["points"], card[name]["missing_points"]]
        if card[name]["kind"] == "categorical":
            want.append(card[name]["unseen_points"])
        assert points == pytest.approx(want, abs=5e-5), name
    # dropped candidates with their reason
    for name, reason in art["dropped"].items():
        assert f'data-variable="{name}" data-kept="false"' in page
        assert htmllib.escape(reason, quote=False) in page
    # the downloads
    artefact = client.get(f"/console/risk/models/{row.id}/artefact.json")
    assert artefact.status_code == 200
    assert "attachment" in artefact.headers["content-disposition"]
    assert artefact.json() == art
    assert content_sha256(artefact.json()) == row.content_sha256
    points_csv = client.get(f"/console/risk/models/{row.id}/points.csv")
    assert points_csv.headers["content-type"].startswith("text/csv")
    assert points_csv.content.startswith("\ufeff".encode())
    with Session(demo_site.bank.engine) as s:
        table = registry.load_scorecard(registry.get_model(s, row.id).artefact).card_.points_table()
    lines = points_csv.text.lstrip("\ufeff").strip().split("\n")
    assert lines[0] == "variable,kind,bin,label,points"
    assert len(lines) == len(table) + 1
    sql = client.get(f"/console/risk/models/{row.id}/scorecard.sql").text
    assert sql.startswith(f"-- {row.label}")
    assert "CASE WHEN" in sql


def test_psi_by_month_against_the_development_distribution(
    demo_site: DemoSite, keep_champion: int
) -> None:
    """Known answer: one decision per baseline bin in January (the development shares: PSI 0)
    and five in the lowest bin in February (a shift)."""
    engine = demo_site.bank.engine
    model_id = register_copy(engine, f"psi-{uuid.uuid4().hex[:8]}")
    with Session(engine) as s:
        model = s.get(CreditModel, model_id)
        assert model is not None
        label, bins = model.label, model.artefact["metrics"]["score_bins"]
    edges, counts = bins["edges"], np.asarray(bins["counts"])
    scores = [math.floor(edges[0]) - 1]
    scores += [math.ceil(lo) for lo in edges[:-1]] + [math.ceil(edges[-1]) + 1]
    placed = np.searchsorted(edges, scores, side="right")
    assert placed.tolist() == list(range(len(edges) + 1))  # one score in each bin
    january = datetime(2026, 1, 15, 4, tzinfo=UTC)
    february = datetime(2026, 2, 15, 4, tzinfo=UTC)
    with Session(engine) as s, s.begin():
        any_app = s.scalars(select(Application.id).order_by(Application.id).limit(1)).one()
        rows = [(january, score) for score in scores] + [(february, scores[0])] * 5
        for at, score in rows:
            s.add(
                Decision(
                    application_id=any_app, outcome=DecisionOutcome.DECLINE, score=score,
                    reasons=[], model_version=label, policy_version="test", decided_at=at,
                )
            )  # fmt: skip
    try:
        page = login(demo_site, "risk").get(f"/console/risk/models/{model_id}").text
    finally:
        with Session(engine) as s, s.begin():
            s.execute(delete(Decision).where(Decision.model_version == label))
    e = counts / counts.sum()
    jan_a = np.full(len(counts), 1 / len(counts))
    jan_psi = float(np.sum((jan_a - e) * np.log(jan_a / e)))
    feb_a = np.full(len(counts), 1e-4)
    feb_a[0] = 1.0
    feb_psi = float(np.sum((feb_a - e) * np.log(feb_a / e)))
    jan = re.search(
        r'<tr data-month="2026-01" data-band="(\w+)">.*?data-psi="([\d.]+)"', page, re.S
    )
    feb = re.search(
        r'<tr data-month="2026-02" data-band="(\w+)">.*?data-psi="([\d.]+)"', page, re.S
    )
    assert jan
    assert feb
    assert float(jan.group(2)) == pytest.approx(jan_psi, abs=1e-6)
    assert jan.group(1) == ("stable" if jan_psi < 0.1 else "watch")
    assert float(feb.group(2)) == pytest.approx(feb_psi, abs=1e-6)
    assert feb.group(1) == "shift"
    assert feb_psi > 0.25
    assert 'data-chart="psi"' in page
    assert 'id="risk-psi-data"' in page


# --- promoting a challenger ----------------------------------------------------------------------


def test_promoting_a_challenger_retires_the_champion_and_records_both(
    demo_site: DemoSite, keep_champion: int
) -> None:
    engine = demo_site.bank.engine
    old = keep_champion
    new = register_copy(engine, f"demo-copy-{uuid.uuid4().hex[:8]}")
    client = login(demo_site, "risk")
    listing = client.get("/console/risk/models").text
    assert f'action="/console/risk/models/{new}/promote"' in listing
    done = client.post(f"/console/risk/models/{new}/promote", follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/console/risk/models/{new}"
    with Session(engine) as s:
        assert s.get(CreditModel, new).status is ModelStatus.CHAMPION  # type: ignore[union-attr]
        assert s.get(CreditModel, old).status is ModelStatus.RETIRED  # type: ignore[union-attr]
        events = {
            (e.model_id, e.action, e.from_status, e.to_status)
            for e in s.scalars(
                select(CreditModelEvent).where(CreditModelEvent.model_id.in_([old, new]))
            )
        }
    assert (new, "registered", None, "challenger") in events
    assert (new, "promoted", "challenger", "champion") in events
    assert (old, "retired", "champion", "retired") in events
    page = client.get(f"/console/risk/models/{new}").text
    assert 'data-event="promoted"' in page
    assert "晋升为冠军" in page
    # a champion can be neither promoted nor retired: the refusal is shown, nothing changes
    again = client.post(f"/console/risk/models/{new}/retire")
    assert again.status_code == 409
    assert 'data-error="model.not_challenger"' in again.text
    assert "only a challenger can be retired" in again.text
    # the approver reads the registry but may not change it
    refused = login(demo_site, "approver").post(f"/console/risk/models/{old}/promote")
    assert refused.status_code == 403


# --- fitting on an uploaded file -----------------------------------------------------------------


def _fit_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("loanpilot-fit-*")}


def test_the_fit_form_registers_a_challenger_from_a_csv(
    demo_site: DemoSite, tmp_path: Path
) -> None:
    engine = demo_site.bank.engine
    features, bad = development_sample(600)
    path = tmp_path / "branch-sample.csv"
    features.assign(bad=bad).to_csv(path, index=False)
    version = f"upload-{uuid.uuid4().hex[:8]}"
    before = _fit_dirs()
    client = login(demo_site, "risk")
    done = client.post(
        "/console/risk/models/fit",
        data={
            "target": "bad", "bad": "", "name": "application", "version": version, "note": "t",
            "challenger": "yes",
        },
        files={"file": (path.name, path.read_bytes(), "text/csv")},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303, text_of(done.text)[:2000]
    with Session(engine) as s:
        row = s.scalars(select(CreditModel).where(CreditModel.version == version)).one()
        assert row.status is ModelStatus.CHALLENGER
        training = row.artefact["training"]
        assert (training.get("metadata") or training)["source"] == path.name
        assert row.artefact["training"]["rows"] == 420  # a 30 % hold-out of 600
        assert row.metrics["holdout"]["auc"] > 0.7
        assert 0.5 < row.metrics["challenger"]["auc"] <= 1.0  # LightGBM on the same hold-out
        assert row.report_html is not None
        assert f"{row.metrics['challenger']['auc']:.4f}" in row.report_html  # compared there
        model_id = row.id
    assert done.headers["location"] == f"/console/risk/models/{model_id}"
    page = client.get(done.headers["location"])
    assert page.status_code == 200
    assert "branch-sample.csv" in page.text
    assert _fit_dirs() <= before  # the upload's temporary directory is gone


def test_a_single_class_target_is_refused_on_the_form(demo_site: DemoSite, tmp_path: Path) -> None:
    engine = demo_site.bank.engine
    features, _ = development_sample(200)
    path = tmp_path / "all-good.csv"
    features.assign(bad=0).to_csv(path, index=False)
    with Session(engine) as s:
        before = s.scalar(select(func.count()).select_from(CreditModel))
    dirs = _fit_dirs()
    client = login(demo_site, "risk")
    page = client.post(
        "/console/risk/models/fit",
        data={"target": "bad", "name": "application", "version": f"x-{uuid.uuid4().hex[:6]}"},
        files={"file": (path.name, path.read_bytes(), "text/csv")},
    )
    assert page.status_code == 422
    assert 'data-error="scorecard.target"' in page.text
    assert "has the single value &#39;0&#39;" in page.text
    assert 'value="bad"' in page.text  # the form keeps what was typed
    missing = client.post(
        "/console/risk/models/fit",
        data={"target": "", "name": "application", "version": "bad version!"},
        files={"file": (path.name, path.read_bytes(), "text/csv")},
    )
    assert missing.status_code == 422
    assert missing.text.count('class="field-error"') == 2  # target and version
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(CreditModel)) == before
    assert _fit_dirs() <= dirs


# --- the policy editor ---------------------------------------------------------------------------


def _editor_form(page: str) -> dict[str, str]:
    """The editor's fields as the page fills them (checkboxes only when checked)."""
    form = {
        htmllib.unescape(name): htmllib.unescape(value)
        for name, value in re.findall(r'<input name="([^"]+)" id="[^"]*" value="([^"]*)"', page)
    }
    form |= {
        htmllib.unescape(n): htmllib.unescape(v)
        for n, v in re.findall(
            r'<input id="f-[^"]+" name="([^"]+)" type="text" value="([^"]*)"', page
        )
    }
    form |= dict(re.findall(r'<input type="checkbox" name="([^"]+)" value="(1)" checked>', page))
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        form[name] = chosen.group(1) if chosen else ""
    return form


def test_a_contradictory_policy_is_shown_beside_its_field_and_creates_nothing(
    demo_site: DemoSite, keep_policy: CreditPolicy
) -> None:
    engine = demo_site.bank.engine
    client = login(demo_site, "risk")
    page = client.get("/console/risk/policies/new").text
    form = _editor_form(page)
    body = keep_policy.body
    assert form["cutoffs.approve_from"] == str(body["cutoffs"]["approve_from"])
    assert form["hard.max_dti"] == body["hard"]["max_dti"]
    assert form["hard.min_monthly_income_yuan"] == str(
        body["hard"]["min_monthly_income_fen"] // 100
    )
    assert set(body["pricing"]["spread_by_grade"]) == {
        k.rsplit(".", 1)[1] for k in form if k.startswith("pricing.spread_by_grade.")
    }
    with Session(engine) as s:
        before = s.scalar(select(func.count()).select_from(CreditPolicy))
    approve = int(form["cutoffs.approve_from"])
    bad = form | {"version": "contradiction", "cutoffs.decline_below": str(approve + 40)}
    bad |= {"hard.max_dti": "1.5"}
    refused = client.post("/console/risk/policies/new", data=bad)
    assert refused.status_code == 422
    assert 'data-problems="2"' in refused.text
    beside = re.search(r'<fieldset class="policy-cutoffs">(.*?)</fieldset>', refused.text, re.S)
    assert beside
    assert 'data-field="cutoffs"' in beside.group(1)
    assert f"拒绝分数线（{approve + 40}）高于批准分数线（{approve}）" in beside.group(1)
    assert 'data-field="hard.max_dti"' in refused.text
    assert "须大于 0 且不超过 1（100%）" in refused.text
    # what was typed is kept
    assert f'value="{approve + 40}"' in refused.text
    en = client.post("/console/risk/policies/new", params={"lang": "en"}, data=bad)
    assert "the bands overlap" in en.text
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(CreditPolicy)) == before


def test_a_valid_draft_is_activated_and_retires_the_active_version(
    demo_site: DemoSite, keep_policy: CreditPolicy
) -> None:
    engine = demo_site.bank.engine
    client = login(demo_site, "risk")
    form = _editor_form(client.get("/console/risk/policies/new").text)
    version = f"t-{uuid.uuid4().hex[:8]}"
    form |= {"version": version, "note": "tighter DTI", "hard.max_dti": "0.55"}
    form |= {"hard.occupations.CL-EDU": "student, company_employee"}
    made = client.post("/console/risk/policies/new", data=form, follow_redirects=False)
    assert made.status_code == 303, text_of(made.text)[:1500]
    with Session(engine) as s:
        draft = s.scalars(select(CreditPolicy).where(CreditPolicy.version == version)).one()
        assert draft.status is PolicyStatus.DRAFT
        assert draft.body["hard"]["max_dti"] == "0.55"
        assert draft.body["hard"]["occupations"] == {"CL-EDU": ["company_employee", "student"]}
        assert draft.body["cutoffs"] == keep_policy.body["cutoffs"]
        assert draft.body["pricing"] == keep_policy.body["pricing"]
        draft_id = draft.id
    assert made.headers["location"] == f"/console/risk/policies/{draft_id}"
    page = client.get(made.headers["location"]).text
    assert 'data-action="activate"' in page
    # the approver may read the draft but not activate it
    approver = login(demo_site, "approver")
    assert 'data-action="activate"' not in approver.get(f"/console/risk/policies/{draft_id}").text
    assert approver.post(f"/console/risk/policies/{draft_id}/activate").status_code == 403
    done = client.post(f"/console/risk/policies/{draft_id}/activate", follow_redirects=False)
    assert done.status_code == 303
    with Session(engine) as s:
        assert s.get(CreditPolicy, draft_id).status is PolicyStatus.ACTIVE  # type: ignore[union-attr]
        old = s.get(CreditPolicy, keep_policy.id)
        assert old is not None
        assert old.status is PolicyStatus.RETIRED
    again = client.post(f"/console/risk/policies/{draft_id}/activate")
    assert again.status_code == 409
    assert 'data-error="policy.not_draft"' in again.text
    listing = client.get("/console/risk/policies").text
    assert f'data-policy="{version}" data-status="active"' in listing
    assert f'data-policy="{keep_policy.version}" data-status="retired"' in listing


# --- the manual-review queue ---------------------------------------------------------------------


def test_a_referred_application_is_reviewed_with_a_note_and_shows_its_offer(
    demo_site: DemoSite,
) -> None:
    engine = demo_site.bank.engine
    app_id = referred_application(engine)
    with Session(engine) as s:
        app = s.get(Application, app_id)
        assert app is not None
        customer = s.get(Customer, app.customer_id)
        assert customer is not None
        number, name = app.application_no, customer.name
        auto = s.scalars(select(Decision).where(Decision.application_id == app_id)).one()
        reasons = [r["zh"] for r in auto.reasons]
    client = login(demo_site, "approver")
    queue = client.get("/console/risk/reviews").text
    row = re.search(rf'<tr data-application="{number}">(.*?)</tr>', queue, re.S)
    assert row, "the referred application is not in the queue"
    assert f">{auto.score}<" in row.group(1)
    assert all(r in row.group(1) for r in reasons)
    detail = client.get(f"/console/risk/reviews/{app_id}").text
    assert mask_name(name) in detail
    assert name not in detail
    assert 'class="form review-form"' in detail
    assert 'data-feature="debt_to_income"' in detail
    # an auditor sees the application but has no form
    auditor = login(demo_site, "auditor").get(f"/console/risk/reviews/{app_id}").text
    assert "review-form" not in auditor
    # a secured loan needs the appraised value, and any decision a note: nothing is decided
    no_value = client.post(
        f"/console/risk/reviews/{app_id}", data={"decision": "approve", "note": "ok"}
    )
    assert no_value.status_code == 422
    assert "担保类贷款须填写抵押物评估价值" in no_value.text
    no_note = client.post(
        f"/console/risk/reviews/{app_id}",
        data={"decision": "approve", "collateral": "200000", "note": " "},
    )
    assert no_note.status_code == 422
    assert "人工审批须填写审批意见" in no_note.text
    with Session(engine) as s:
        assert s.get(Application, app_id).status is ApplicationStatus.REFERRED  # type: ignore[union-attr]
    done = client.post(
        f"/console/risk/reviews/{app_id}",
        data={
            "decision": "approve",
            "amount": "80000",
            "collateral": "200000",
            "note": "vehicle appraised",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/console/risk/reviews/{app_id}"
    with Session(engine) as s:
        app = s.get(Application, app_id)
        assert app is not None
        assert app.status is ApplicationStatus.APPROVED
        manual = s.scalars(
            select(Decision)
            .where(Decision.application_id == app_id)
            .order_by(Decision.id.desc())
            .limit(1)
        ).one()
        assert manual.outcome is DecisionOutcome.APPROVE
        assert manual.model_version == "manual"
        assert manual.note == "vehicle appraised"
        assert manual.grade == auto.grade
        assert manual.limit_fen is not None
        assert manual.approved_amount_fen is not None
        assert manual.approved_amount_fen == min(8_000_000, manual.limit_fen) // 100 * 100
        assert manual.approved_apr is not None
        apr = format_rate(manual.approved_apr)
    page = client.get(f"/console/risk/reviews/{app_id}").text
    assert 'data-offer="1"' in page
    assert f'data-figure="apr">{apr}<' in page
    assert 'data-outcome="approve"' in page
    assert "经信贷人员人工复核通过" in page
    assert "vehicle appraised" in page  # the note, for staff, beside the reasons
    assert "review-form" not in page  # decided: nothing left to review
    queue = client.get("/console/risk/reviews").text
    assert f'data-application="{number}"' not in queue
    late = client.post(
        f"/console/risk/reviews/{app_id}", data={"decision": "decline", "note": "too late"}
    )
    assert late.status_code == 409
    assert "该申请已不在人工审批状态" in late.text


def test_review_pages_answer_404_for_an_unknown_application(demo_site: DemoSite) -> None:
    client = login(demo_site, "risk")
    assert client.get("/console/risk/reviews/99999999").status_code == 404
    assert client.get("/console/risk/models/99999999").status_code == 404
    assert client.get("/console/risk/policies/99999999").status_code == 404


def test_the_model_report_is_served_with_its_own_strict_policy(demo_site: DemoSite) -> None:
    client = login(demo_site, "risk")
    with Session(demo_site.bank.engine) as s:  # the demo champion was registered with its report
        model_id = s.scalars(
            select(CreditModel.id)
            .where(CreditModel.report_html.is_not(None))
            .order_by(CreditModel.id)
        ).first()
    assert model_id is not None
    page = client.get(f"/console/risk/models/{model_id}/report")
    assert page.status_code == 200
    assert "<script" not in page.text
    assert "AUC" in page.text
    policies = page.headers.get_list("content-security-policy")
    assert policies == [
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"
    ]
