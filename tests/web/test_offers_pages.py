"""The next-best-offer pages on the demo site: the run's figures and a customer's ranked offers
with the name masked, in Chinese and English."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.offers_site import build_once

from loanpilot.customers.models import Customer
from loanpilot.kit.masking import mask_name
from loanpilot.products.models_offers import Offer
from loanpilot.products.repository_offers import latest_run


def test_offers_page_shows_the_latest_run(demo_site) -> None:  # type: ignore[no-untyped-def]
    built = build_once(demo_site.bank.engine, demo_site.bank.settings)
    client = demo_site.login("marketing")
    page = client.get("/console/offers")
    assert page.status_code == 200
    assert "产品推荐" in page.text
    assert 'data-reason="no_consent"' in page.text
    assert 'data-figure="profit"' in page.text
    assert 'data-action="build-offers"' in page.text
    english = client.get("/console/offers?lang=en")
    assert "Next-best-offer" in english.text
    assert "Suppressed by the contact policy" in english.text
    client = demo_site.login("branch")
    page = client.get("/console/offers")
    assert page.status_code == 200
    assert 'data-action="build-offers"' not in page.text
    assert built.run_id


def test_customer_offers_page_masks_the_name(demo_site) -> None:  # type: ignore[no-untyped-def]
    build_once(demo_site.bank.engine, demo_site.bank.settings)
    with Session(demo_site.bank.engine) as session:
        # the page shows the latest finished run (another test may have built one since)
        latest = latest_run(session, done_only=True)
        assert latest is not None
        firsts = session.execute(
            select(Offer.customer_id, Offer.reasons)
            .where(Offer.run_id == latest.id, Offer.rank == 1)
            .order_by(Offer.id)
            .limit(500)
        ).all()
        cid = next(c for c, reasons in firsts if reasons)  # an offer that gives its reasons
        customer = session.get(Customer, cid)
        assert customer is not None
        no, name = customer.customer_no, customer.name
    client = demo_site.login("marketing")
    page = client.get(f"/console/offers/customers/{no}")
    assert page.status_code == 200
    assert mask_name(name) in page.text
    assert name not in page.text.replace(mask_name(name), "")
    assert 'data-rank="1"' in page.text
    assert "data-reason=" in page.text
    found = client.get(f"/console/offers/customer?customer_no={no}", follow_redirects=False)
    assert found.status_code == 303
    english = client.get(f"/console/offers/customers/{no}?lang=en")
    assert "Next best offers" in english.text
