"""The catalogue's batched pricing agrees with one quote at a time, product by product."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from loanpilot.products import service
from loanpilot.products.models import ProductSubtype

ON = date(2026, 11, 29)


def test_batched_prices_equal_single_quotes(demo_bank) -> None:
    with Session(demo_bank.engine) as session:
        products = service.list_products(session, active_only=False)
        entries = service.catalogue_entries(session, products, ON)
        assert [e.product.id for e in entries] == [p.id for p in products]
        checked = 0
        for entry in entries:
            product, price = entry.product, entry.price
            if product.subtype is ProductSubtype.COMBINATION:
                parts = [
                    service.price_range(session, p, ON)
                    for p in service.components_of(session, product)
                ]
                assert price.min_apr == min(p.min_apr for p in parts if p.min_apr is not None)
                continue
            for spread, expected in (
                (product.min_spread, price.min_apr),
                (product.max_spread, price.max_apr),
            ):
                single = service.quote(
                    session,
                    product,
                    amount_fen=price.sample_amount_fen,
                    term_months=price.sample_term_months,
                    method=price.sample_method,
                    on=ON,
                    spread=spread,
                )
                assert single.apr == expected, product.code
                assert single.annual_rate == (
                    price.min_rate if spread == product.min_spread else price.max_rate
                )
                checked += 1
    assert checked >= 20
