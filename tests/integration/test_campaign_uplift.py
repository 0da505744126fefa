"""The uplift service on the demo bank: experiment rows, features as of each campaign's eve,
every learner compared on the hold-out, the default (or the better, on request) registered and used
for options."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import DEMO_AS_OF, DemoBank

from loanpilot.campaigns import uplift as svc
from loanpilot.campaigns.models import CampaignTarget
from loanpilot.kit.errors import NotFoundError, ValidationError
from loanpilot.products.models_offers import MarketingModel

AS_OF = date.fromisoformat(DEMO_AS_OF)


def test_experiment_rows_and_features(demo_bank: DemoBank) -> None:
    with Session(demo_bank.engine) as session:
        data = svc.uplift_data(session, AS_OF)
        n_targets = session.scalar(select(func.count()).select_from(CampaignTarget))
    assert len(data.y) == n_targets  # every demo campaign has a control group
    assert list(data.X.columns) == list(svc.FEATURES)
    assert set(data.labels) == {*data.arm[data.treated], "control"}
    assert set(data.arm) <= {
        "sms",
        "call_center",
        "branch",
        "mobile",
        "online",
        "wechat",
        "partner",
    }
    # features are read as of the day before each campaign: no campaign response leaks in
    assert data.X["responses_365d"].mean() < data.y.mean() * 3
    assert data.y[data.treated].mean() > data.y[~data.treated].mean()  # contacts do move people


def test_fit_registers_the_default_learner_and_scores_options(demo_bank: DemoBank) -> None:
    now = datetime(2026, 11, 29, 8, tzinfo=UTC)
    with Session(demo_bank.engine) as session:
        try:
            with pytest.raises(NotFoundError, match="run `loanpilot uplift fit` first"):
                svc.predict_uplift(session, [1], ["consumer"], ["sms"], AS_OF)
            steps: list[tuple[str, int, int]] = []
            result = svc.fit_uplift(
                session, as_of=AS_OF, now=now, progress=lambda *a: steps.append(a)
            )
            m = result.metrics
            assert result.model.kind == "uplift"
            assert result.model.name == "contact-uplift"
            assert result.model.status == "active"
            assert set(m["learners"]) == {"sparse_effect", "two_model", "class_transformation"}
            best = max(m["learners"], key=lambda k: m["learners"][k]["qini"])
            assert m["best_qini"] == best
            assert m["chosen"] == svc.DEFAULT_LEARNER == "sparse_effect"
            assert result.model.artefact["learner"]["method"] == "sparse_effect"
            for learner in m["learners"].values():
                assert -1 <= learner["qini"] <= 1
                assert set(learner["uplift_at"]) == {"10", "20", "30"}
                assert len(learner["qini_curve"]["share"]) == 101
            assert "response_targeting" in m["learners"]["two_model"]
            json.dumps(result.model.artefact)  # JSON, no pickle
            assert ("learners", 3, 3) in steps
            ids = [1, 2, 3, 3]
            u = svc.predict_uplift(
                session,
                ids,
                ["consumer", "housing", "business", "consumer"],
                ["mobile", "branch", "sms", "referral"],
                AS_OF,
            )
            assert u.shape == (4,)
            assert np.isfinite(u[:3]).all()
            assert np.isnan(u[3])  # no experiment ever used referral
            assert np.all(np.abs(u[:3]) < 1)
            out = svc.evaluate_active(session, AS_OF)
            assert out["model"] == "contact-uplift@1"
            assert "holdout" in out  # no campaign started after the model's as-of
            with pytest.raises(ValidationError, match="same length"):
                svc.predict_uplift(session, [1, 2], ["consumer"], ["sms"], AS_OF)
            with pytest.raises(NotFoundError, match="no such customer"):
                svc.predict_uplift(session, [10**9], ["consumer"], ["sms"], AS_OF)
        finally:
            session.rollback()  # the demo bank is read-only for tests
    with Session(demo_bank.engine) as session:
        assert session.scalar(select(func.count()).select_from(MarketingModel)) == 0


def test_fit_refuses_an_unknown_learner(demo_bank: DemoBank) -> None:
    now = datetime(2026, 11, 29, 8, tzinfo=UTC)
    with Session(demo_bank.engine) as session, pytest.raises(ValidationError, match="learner"):
        svc.fit_uplift(session, as_of=AS_OF, now=now, learner="s_learner")


def test_no_experiments_is_a_clear_error(demo_bank: DemoBank) -> None:
    with (
        Session(demo_bank.engine) as session,
        pytest.raises(
            ValidationError, match="no campaign with a randomised control group started before"
        ),
    ):
        svc.uplift_data(session, date(2000, 1, 1))


def test_loans_are_read_as_of_each_campaigns_eve(demo_bank: DemoBank) -> None:
    from loanpilot.campaigns import repository_uplift as repo
    from loanpilot.lending.models import Loan

    with Session(demo_bank.engine) as session:
        loan = session.scalars(
            select(Loan).where(Loan.parent_loan_id.is_(None)).order_by(Loan.disbursed_on.desc())
        ).first()
        assert loan is not None
        day = loan.disbursed_on
        rows = pd.DataFrame(
            {"customer_id": [loan.customer_id] * 2, "as_of": [day - timedelta(days=1), day]}
        )
        held = repo.loans_as_of(session, rows)
    # the day before it was booked the loan does not count; on the day it does, at full principal
    # (the customer's other loans amortise by one day in between)
    assert held["open_loans"].iloc[1] - held["open_loans"].iloc[0] == 1
    added = held["loan_balance_yuan"].iloc[1] - held["loan_balance_yuan"].iloc[0]
    assert added == pytest.approx(loan.principal_fen / 100.0, rel=0.02)


def test_the_crosses_pair_each_category_with_the_offered_product() -> None:
    frame = pd.DataFrame(
        {c: ["a", "b"] for c in svc.CATEGORICAL_FEATURES} | {"product_type": ["housing", "x"]}
    )
    out = svc.with_crosses(frame)
    assert out["occupation*product_type"].tolist() == ["a*housing", "b*x"]
    assert set(svc.CROSS_FEATURES) <= set(out.columns)
