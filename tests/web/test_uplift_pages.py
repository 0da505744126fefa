"""The uplift page on the demo site: the empty state, a model with few figures, fitting through
the button (both learners, their curves and the targeting table), refusals and permissions."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session
from tests.conftest import DemoSite, form_csrf

from loanpilot.campaigns import pages_uplift as pages
from loanpilot.campaigns import uplift
from loanpilot.products import marketing_models
from loanpilot.products import repository_models as models_repo
from loanpilot.products.models_offers import MarketingModel, ModelStatus

PAGE = "/console/campaigns/uplift"


def _island(html: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(
        html.split('id="uplift-data">')[1].split("</script>", maxsplit=1)[0]
    )
    return data


def _active_version(site: DemoSite) -> int | None:
    with Session(site.bank.engine) as session:
        row = marketing_models.active(session, pages.MODEL_NAME)
        return None if row is None else row.version


@pytest.fixture
def no_uplift_model(demo_site: DemoSite) -> Iterator[DemoSite]:
    """The site with no active uplift model (the test fits or registers its own); the model
    active before, if any, is active again afterwards."""
    with Session(demo_site.bank.engine) as session:
        before = marketing_models.active(session, pages.MODEL_NAME)
        before_id = None if before is None else before.id
        models_repo.retire_active(session, pages.MODEL_NAME)
        session.commit()
    yield demo_site
    with Session(demo_site.bank.engine) as session:
        models_repo.retire_active(session, pages.MODEL_NAME)
        if before_id is not None:
            session.get_one(MarketingModel, before_id).status = ModelStatus.ACTIVE
        session.commit()


def test_model_name_is_the_services() -> None:
    assert pages.MODEL_NAME == uplift.MODEL_NAME
    assert set(uplift.LEARNERS) <= set(pages.LEARNERS)  # every learner has its label


def test_empty_state_then_fit_through_the_button(no_uplift_model: DemoSite) -> None:
    site = no_uplift_model
    marketing = site.login("marketing")
    empty = marketing.get(PAGE)
    assert empty.status_code == 200
    assert 'data-empty="uplift"' in empty.text
    assert "loanpilot uplift fit" in empty.text
    assert "立即训练" in empty.text  # Chinese by default, the button for segments:write
    assert 'data-form="fit"' in empty.text

    # the auditor reads the page but has no button and cannot fit
    auditor = site.login("auditor")
    seen = auditor.get(PAGE)
    assert seen.status_code == 200
    assert 'data-empty="uplift"' in seen.text
    assert 'data-form="fit"' not in seen.text
    assert auditor.post(f"{PAGE}/fit", data={"base": "logistic"}).status_code == 403
    assert _active_version(site) is None

    # a base classifier that does not exist: refused on the page, nothing saved
    bad = marketing.post(
        f"{PAGE}/fit", data={"csrf_token": form_csrf(empty.text), "base": "xgboost"}
    )
    assert bad.status_code == 422
    assert 'data-error="fit"' in bad.text
    assert "xgboost" in bad.text
    assert _active_version(site) is None

    fitted = marketing.post(
        f"{PAGE}/fit", data={"csrf_token": form_csrf(empty.text), "base": "logistic"}
    )
    assert fitted.status_code == 303, fitted.text
    version = _active_version(site)
    assert version is not None
    assert fitted.headers["location"] == f"{PAGE}?fitted={version}"

    page = marketing.get(fitted.headers["location"])
    assert page.status_code == 200
    assert f'data-fitted="{version}"' in page.text
    assert f'data-model="contact-uplift@{version}"' in page.text
    for name in uplift.LEARNERS:
        assert f'data-learner="{name}"' in page.text
    assert page.text.count('data-chosen="1" aria-current="true"') == 1
    assert "双模型" in page.text
    assert "类别转换" in page.text
    assert 'data-arm="sms"' in page.text or 'data-arm="call_center"' in page.text
    qini = re.findall(r'data-metric="qini">([-0-9.]+)<', page.text)
    assert len(qini) == len(uplift.LEARNERS)
    assert all(-1 <= float(q) <= 1 for q in qini)
    for k in ("10", "20", "30"):
        assert f'data-top="{k}"' in page.text
    assert 'data-by="response"' in page.text  # the two-model learner ranks by response too

    chart = _island(page.text)
    learners = chart["learners"]
    assert isinstance(learners, list)
    assert len(learners) == len(uplift.LEARNERS)
    for learner in learners:
        curve = learner["qini"]
        assert len(curve["share"]) == 101
        assert curve["share"][0] == 0.0
        assert curve["share"][-1] == 100.0
        assert len(curve["value"]) == len(curve["random"]) == len(curve["perfect"]) == 101
        assert curve["random"][-1] == pytest.approx(curve["value"][-1])  # ends meet at Q(N)
        assert max(curve["perfect"]) >= max(curve["value"]) - 1e-9
        assert len(learner["uplift"]["value"]) == 101
    assert 'data-share="100"' in page.text

    english = marketing.get(PAGE, params={"lang": "en"})
    assert "Target by uplift, not by response" in english.text
    assert "causalml" in english.text
    assert "qini_auc_score" in english.text
    assert "Fit again" in english.text


def test_fit_refusal_is_shown_and_nothing_saved(demo_site: DemoSite) -> None:
    """Fitting as of a day before any campaign: no experiment, a clear refusal, no new version."""
    before = _active_version(demo_site)
    marketing = demo_site.login("marketing")
    token = form_csrf(marketing.get(PAGE).text)
    original = demo_site.app.state.now
    demo_site.app.state.now = lambda: datetime(2023, 1, 2, 2, 0, tzinfo=UTC)
    try:
        refused = marketing.post(f"{PAGE}/fit", data={"csrf_token": token, "base": "logistic"})
    finally:
        demo_site.app.state.now = original
    assert refused.status_code == 422
    assert 'data-error="fit"' in refused.text
    assert "没有带随机对照组的营销活动" in refused.text
    assert "2023-01-02" in refused.text  # the service's message says as of when
    assert _active_version(demo_site) == before


def test_a_model_with_few_figures_shows_dashes(no_uplift_model: DemoSite) -> None:
    with Session(no_uplift_model.bank.engine) as session:
        row = marketing_models.register(
            session,
            kind="uplift",
            name=pages.MODEL_NAME,
            target="responded",
            artefact={"learner": {"kind": "two_model"}},
            metrics={"chosen": "two_model", "learners": {"two_model": {"qini": 0.25}}},
            data_sha256="c" * 64,
            now=datetime(2026, 11, 29, 8, tzinfo=UTC),
        )
        session.commit()
        version = row.version
    page = no_uplift_model.login("branch").get(PAGE, params={"lang": "en"})
    assert page.status_code == 200
    assert f'data-model="contact-uplift@{version}"' in page.text
    assert 'data-metric="qini">0.2500<' in page.text
    assert 'data-metric="auuc">—<' in page.text
    assert 'data-empty="curves"' in page.text
    assert 'id="uplift-data"' not in page.text
    assert 'data-form="fit"' not in page.text  # a branch head reads, does not fit


def test_needs_marketing_read(demo_site: DemoSite) -> None:
    collector = demo_site.login("collector")
    assert collector.get(PAGE).status_code == 403
    assert collector.post(f"{PAGE}/fit", data={"base": "logistic"}).status_code == 403


def test_helpers_tolerate_missing_keys() -> None:
    assert pages.learner_rows({}, "zh") == []
    assert (
        pages.chart_data({"learners": {"x": {"qini_curve": {"share": [0, 1]}}}}, "en")["learners"]
        == []
    )
    rows = pages.targeting_rows({"chosen": "two_model", "learners": {"two_model": {}}})
    assert [r["k"] for r in rows] == ["10", "20", "30"]
    assert all(r["response"] is None and r["gap"] is None for r in rows)
    metrics = {
        "chosen": "two_model",
        "learners": {
            "two_model": {
                "qini": 0.2,
                "qini_gain": 0.5,
                "caused_share": {"10": 0.6},
                "response_targeting": {"caused_share": {"10": 0.25}, "qini": 0.05},
            },
            "class_transformation": {"qini": 0.1, "caused_share": {"10": 0.5}},
        },
    }
    learners = pages.learner_rows(metrics, "en")
    assert [r["name"] for r in learners] == ["two_model", "class_transformation"]
    assert learners[0]["chosen"]
    assert learners[0]["factor"] == pytest.approx(2.5)
    top10 = pages.targeting_rows(metrics)[0]
    assert top10["response"] == 0.25
    assert top10["uplift"] == {"two_model": 0.6, "class_transformation": 0.5}
    assert top10["gap"] == pytest.approx(0.35)
    assert pages.response_qini(metrics) == 0.05
