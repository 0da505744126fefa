"""A scorecard development sample from the demo bank's generator: through-the-door applicants with
12-month performance, drawn from the documented truth model (``demo.truth``).

The demo bank's two years of loans hold too few defaults to fit a card on (about 2 % of 3,000
loans at the default size), and a bank develops its first card on a purpose-built sample anyway.
So this module runs the generator's organisation and customer steps for ``n`` people, gives each
one application (product type, amount, term and its instalment), and draws the 12-month default
flag from the true PD (``truth.pd12``), the same model that decides the demo bank's loans. The
features are ``risk.features.application_features`` of those fields: exactly what the live
scoring computes for a portal application.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from loanpilot.demo.context import DemoContext
from loanpilot.demo.truth import DemoTruth, pd12
from loanpilot.kit.crypto import KEY_BYTES, FieldCipher
from loanpilot.risk.features import application_features

#: Product mix of the sample: type, share, amount range (yuan), terms (months), annual rate.
_PRODUCTS: tuple[tuple[str, float, tuple[int, int], tuple[int, ...], float], ...] = (
    ("consumer", 0.5, (10_000, 300_000), (12, 24, 36), 0.055),
    ("housing", 0.3, (300_000, 2_000_000), (120, 240, 360), 0.036),
    ("business", 0.2, (50_000, 1_000_000), (12, 24, 36, 60), 0.045),
)
SAMPLE_AS_OF = date(2026, 11, 29)


def development_sample(
    n: int, seed: int = 20261129, as_of: date = SAMPLE_AS_OF
) -> tuple[pd.DataFrame, np.ndarray[Any, np.dtype[np.int64]]]:
    """``n`` applicants' features and their 12-month bad flag (1 = defaulted)."""
    from loanpilot.demo.customers import customers
    from loanpilot.demo.organisation import organisation

    if n < 100:
        raise ValueError(f"a development sample needs at least 100 rows; got {n}")
    ctx = DemoContext(
        seed=seed,
        as_of=as_of,
        n_customers=n,
        cipher=FieldCipher(secrets.token_bytes(KEY_BYTES)),  # identities are not kept
        truth=DemoTruth(seed=seed, as_of=as_of.isoformat(), customers=n),
    )
    organisation(ctx)
    customers(ctx)
    rng = ctx.rng("development_sample")
    cust, bureau = ctx.tables["customers"], ctx.tables["bureau_reports"]
    fin = ctx.tables["customer_financials"]
    shares = np.array([p[1] for p in _PRODUCTS])
    kind = rng.choice(len(_PRODUCTS), size=n, p=shares / shares.sum())
    amount = np.zeros(n, dtype=np.int64)
    term = np.zeros(n, dtype=np.int64)
    rate = np.zeros(n)
    for k, (_, _, (lo, hi), terms, r) in enumerate(_PRODUCTS):
        m = kind == k
        cnt = int(m.sum())
        amount[m] = np.round(np.exp(rng.uniform(np.log(lo), np.log(hi), cnt)) / 1000) * 100_000
        term[m] = rng.choice(terms, size=cnt)
        rate[m] = r
    monthly = rate / 12
    instalment = np.round(amount * monthly / (1 - (1 + monthly) ** -term)).astype(np.int64)
    ptype = np.array([p[0] for p in _PRODUCTS], dtype=object)[kind]
    income = np.asarray(cust["monthly_income_fen"], dtype=np.int64)
    debt_payment = np.asarray(bureau["monthly_debt_payment_fen"], dtype=np.int64)
    age = np.asarray(ctx.latent["customer_age"])
    true_pd = pd12(
        ctx.truth.default,
        monthly_income_fen=income,
        dti=(debt_payment + instalment) / np.maximum(income, 1),
        occupation=np.asarray(cust["occupation"]),
        delinquent_accounts=np.asarray(bureau["delinquent_accounts"]),
        max_dpd_24m=np.asarray(bureau["max_dpd_24m"]),
        inquiries_6m=np.asarray(bureau["inquiries_6m"]),
        age=age,
        card_utilisation=np.asarray(ctx.latent["card_utilisation"]),
        product_type=ptype,
    )
    bad = (rng.random(n) < true_pd).astype(np.int64)
    raw = {
        "age": age,
        "monthly_income_fen": income,
        "occupation": cust["occupation"],
        "education": cust["education"],
        "marital_status": cust["marital_status"],
        "owns_home": cust["owns_home"],
        "has_provident_fund": cust["has_provident_fund"],
        "bureau_score": bureau["bureau_score"],
        "credit_history_months": bureau["credit_history_months"],
        "open_accounts": bureau["open_accounts"],
        "total_debt_fen": bureau["total_debt_fen"],
        "monthly_debt_payment_fen": debt_payment,
        "delinquent_accounts": bureau["delinquent_accounts"],
        "max_dpd_24m": bureau["max_dpd_24m"],
        "inquiries_6m": bureau["inquiries_6m"],
        "card_utilisation": fin["card_utilisation"],
        "card_late_payments_12m": fin["card_late_payments_12m"],
        "product_type": ptype,
        "amount_fen": amount,
        "term_months": term,
        "new_instalment_fen": instalment,
    }
    return application_features(raw), bad
