"""Next-best-offer runs on the demo bank: the contact policy, eligibility and ranks of what was
written, the scorecard split against the whole card, a rerun after a crash, and ``check_offer``."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from tests.conftest import DemoBank
from tests.offers_site import AS_OF, NOW, Built, build_once

from loanpilot.customers.models import Customer
from loanpilot.db.session import transaction
from loanpilot.kit.errors import ValidationError
from loanpilot.products import offer_rules as rules
from loanpilot.products import offers
from loanpilot.products import offers_inputs as inputs_
from loanpilot.products.models import LoanProduct
from loanpilot.products.models_offers import Offer, OfferRun
from loanpilot.risk.features import application_features


@pytest.fixture
def built(site_bank: DemoBank) -> Built:
    return build_once(site_bank.engine, site_bank.settings)


def _offers(session, run_id: int) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    rows = session.execute(
        select(Offer.customer_id, Offer.rank, Offer.product_id, Offer.channel,
               Offer.expected_profit_fen, Offer.p_approve)
        .where(Offer.run_id == run_id).order_by(Offer.customer_id, Offer.rank)
    ).all()  # fmt: skip
    frame = pd.DataFrame(rows, columns=["customer", "rank", "product", "channel", "profit", "pa"])
    frame["channel"] = frame["channel"].map(lambda c: c.value)
    return frame


def test_a_run_covers_every_customer_and_honours_the_contact_policy(built: Built) -> None:
    with transaction(built.factory) as session:
        run = session.get(OfferRun, built.run_id)
        assert run is not None
        # the site's bank is shared (later tests add customers): every customer up to the run's
        # cursor, the last one there was, is counted
        total = session.scalar(
            select(func.count()).select_from(Customer).where(Customer.id <= run.cursor_customer_id)
        )
        assert run.customers_done == run.customers_total == total
        assert sum(run.summary["suppressed"].values()) == run.customers_suppressed > 0
        assert run.params["approval"] == "scorecard"
        assert run.risk_model is not None
        assert run.propensity_model.startswith("take-up@")
        frame = _offers(session, run.id)
        assert len(frame) == run.offers_count > 0
        barred = set(
            session.scalars(
                select(Customer.id).where(
                    (Customer.marketing_consent.is_(False))
                    | Customer.is_blacklisted.is_(True)
                    | Customer.opted_out_at.is_not(None)
                )
            )
        )
        assert barred
        assert not set(frame["customer"]) & barred
        assert frame.groupby("customer")["rank"].max().max() <= 3
        assert (frame.groupby("customer")["product"].nunique() == frame.groupby("customer").size()).all()  # fmt: skip
        assert (frame["profit"] > 0).all()
        assert set(frame["channel"]) <= set(rules.OFFER_CHANNELS)
        # only eligible products: nobody but the self-employed gets the operating loan
        occupations = dict(session.execute(select(Customer.id, Customer.occupation)).all())
        opr = session.scalar(select(LoanProduct.id).where(LoanProduct.code == "BL-OPR"))
        got = frame.loc[frame["product"] == opr, "customer"]
        assert all(occupations[c].value == "self_employed" for c in got)
        by_product = run.summary["by_product_channel"]
        assert sum(r["offers"] for r in by_product) == run.offers_count


def test_split_card_scores_equal_the_whole_card(built: Built, site_bank: DemoBank) -> None:
    """P(approve)'s PD from the card split by variable equals the card scored on whole rows."""
    with transaction(built.factory) as session:
        inputs = inputs_.run_inputs(session, AS_OF, site_bank.settings)
        assert inputs.card is not None
        ids = list(session.scalars(select(Customer.id).order_by(Customer.id).limit(40)))
        bound = inputs_.chunk_inputs(session, AS_OF, ids, inputs)
        _, pd_split = bound.approve(inputs.arrays)
        raw = inputs_._application_raw(bound.frame)
        arrays = inputs.arrays
        instalment = rules.instalment_fen(arrays.amount_fen, arrays.annual_rate, arrays.term_months)
        for j in range(arrays.size):
            n = len(ids)
            row = {
                **raw,
                "product_type": [arrays.type_names[arrays.type_code[j]]] * n,
                "amount_fen": np.full(n, arrays.amount_fen[j]),
                "term_months": np.full(n, arrays.term_months[j]),
                "new_instalment_fen": np.full(n, instalment[j]),
            }
            whole = inputs.card.score(application_features(row)[list(inputs.card.names)])
            np.testing.assert_allclose(pd_split[:, j], whole.pd, rtol=1e-9)


def test_a_crashed_run_resumes_and_ends_as_an_uninterrupted_one(
    built: Built, site_bank: DemoBank
) -> None:
    day = AS_OF - timedelta(days=1)

    def crash(last_id: int) -> None:
        raise RuntimeError(f"simulated crash after customer {last_id}")

    stopped = offers.run_offers(
        built.factory, day, NOW, site_bank.settings, chunk=500, on_chunk=crash
    )
    assert stopped.status.value == "failed"
    assert "simulated crash" in (stopped.error or "")
    assert 0 < stopped.customers_done < stopped.customers_total
    resumed = offers.run_offers(built.factory, day, NOW, site_bank.settings, chunk=500)
    assert resumed.id == stopped.id
    assert resumed.status.value == "done"
    again = offers.run_offers(built.factory, day, NOW, site_bank.settings, chunk=1_500)
    assert again.id != resumed.id  # a finished date builds a new run
    with transaction(built.factory) as session:
        a, b = _offers(session, resumed.id), _offers(session, again.id)
    pd.testing.assert_frame_equal(a, b)
    assert resumed.summary["suppressed"] == again.summary["suppressed"]
    assert resumed.summary["counts"] == again.summary["counts"]


def test_check_offer_names_every_reason(built: Built, site_bank: DemoBank) -> None:
    with transaction(built.factory) as session:
        no_consent = session.scalars(
            select(Customer).where(
                Customer.marketing_consent.is_(False), Customer.occupation == "company_employee"
            )
        ).first()
        assert no_consent is not None
        opr = session.scalars(select(LoanProduct).where(LoanProduct.code == "BL-OPR")).one()
        with pytest.raises(ValidationError) as caught:
            offers.check_offer(session, no_consent.id, opr.id, "sms", AS_OF, site_bank.settings)
        messages = [p.message for p in caught.value.problems]
        assert any("not eligible for BL-OPR: occupation" in m for m in messages)
        assert any("has not given marketing consent" in m for m in messages)
        offered = session.scalars(
            select(Offer).where(Offer.run_id == built.run_id, Offer.rank == 1)
        ).first()
        assert offered is not None
        offers.check_offer(  # an offer the run made passes
            session, offered.customer_id, offered.product_id, offered.channel.value, AS_OF,
            site_bank.settings,
        )  # fmt: skip


def test_p_approve_is_the_policys_decision_and_the_model_keeps_its_gains(built: Built) -> None:
    from loanpilot.customers.features import marketing_frame
    from loanpilot.products import marketing_models
    from loanpilot.products.offers_takeup import active_take_up

    with transaction(built.factory) as session:
        frame = marketing_frame(session, AS_OF)
        overdue = set(frame.index[frame["current_overdue"] > 0])
        assert overdue  # the demo bank has customers with a current bureau arrear
        offered = _offers(session, built.run_id)
        assert not set(offered["customer"]) & overdue  # the policy declines them: no offer
        assert offered["pa"].between(0, 1).all()
        assert offered["pa"].gt(0).all()
        assert offered["pa"].mean() < 0.98  # an estimate, not a rubber stamp
        run = session.get(OfferRun, built.run_id)
        assert run is not None
        assert run.params["approval_amount_quantiles"] == list(inputs_.AMOUNT_QUANTILES)
        assert active_take_up(session) is not None
        row = marketing_models.active(session, "take-up")
        assert row is not None
        metrics = row.metrics
        assert metrics["sample_rows"] <= metrics["max_rows"]
        assert [g["decile"] for g in metrics["gains"]] == list(range(1, 11))
        assert metrics["gains"][-1]["cum_gains_pct"] == pytest.approx(100.0)
