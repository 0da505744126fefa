"""Scoring one application with the champion card: the applicant's features (customer record,
the latest bureau report and card behaviour, built by ``risk.features.application_features``, the
same function the development sample used), the integer score, PD, grade and top reasons, and the
features as the decision row keeps them. Reads only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from loanpilot.analytics.scorecard import Scorecard
from loanpilot.customers.models import BureauReport, Customer
from loanpilot.customers.rules import age_on
from loanpilot.customers.service import bureau_and_financials
from loanpilot.kit.errors import ValidationError
from loanpilot.lending.models import Application
from loanpilot.products.models import LoanProduct
from loanpilot.risk.features import RATIO_FEATURES, application_features
from loanpilot.risk.rules import Reason


@dataclass(frozen=True)
class Scored:
    score: int
    pd: float
    grade: str
    reasons: tuple[Reason, ...]


def _shown(value: Any, name: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"  # no record: reasons.py shows it in the reader's language
    if isinstance(value, float):
        if name in RATIO_FEATURES:
            return f"{value * 100:.0f}%"
        return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    return str(value)


def score_features(card: Scorecard, features: Any, top: int = 3) -> Scored:
    """Score one row of features: integer score (rounded half up), PD, grade and top reasons."""
    absent = [n for n in card.variables_ if n not in features.columns]
    if absent:
        raise ValidationError(
            "model.features",
            f"The champion card reads {absent}, which are not application features; "
            "promote a card fitted on application features",
        )
    row = features[list(card.variables_)]
    one = {k: (None if pd.isna(v) else v) for k, v in row.iloc[0].items()}
    result = card.card_.score(one)  # one applicant: the kernel's plain-Python path
    raw = float(result.score[0])
    reasons = card.card_.reasons(result, top=top)
    out: list[Reason] = []
    for name, lost in zip(reasons.variables[0], reasons.lost[0], strict=True):
        if not name:
            continue
        value = one[str(name)]
        out.append(
            Reason(
                "score.factor",
                {"variable": str(name), "bin": _shown(value, str(name)), "lost": f"{lost:.1f}"},
            )
        )
    return Scored(
        score=math.floor(raw + 0.5),
        pd=float(result.pd[0]),
        grade=str(card.grades_.of(np.array([raw]))[0]),
        reasons=tuple(out),
    )


def applicant_features(
    session: Session,
    app: Application,
    customer: Customer,
    product: LoanProduct,
    instalment: int,
    today: date,
) -> tuple[Any, BureauReport | None]:
    """The application's features as the champion card reads them (one row), and the applicant's
    latest bureau report."""
    bureau, fin = bureau_and_financials(session, customer.id, today)

    def b(name: str) -> Any:
        return getattr(bureau, name) if bureau is not None else None

    raw = {
        "age": [age_on(customer.birth_date, today)],
        "monthly_income_fen": [app.stated_monthly_income_fen or customer.monthly_income_fen],
        "occupation": [customer.occupation.value],
        "education": [customer.education.value if customer.education else None],
        "marital_status": [customer.marital_status.value if customer.marital_status else None],
        "owns_home": [customer.owns_home],
        "has_provident_fund": [customer.has_provident_fund],
        "bureau_score": [b("bureau_score")],
        "credit_history_months": [b("credit_history_months")],
        "open_accounts": [b("open_accounts")],
        "total_debt_fen": [b("total_debt_fen")],
        "monthly_debt_payment_fen": [b("monthly_debt_payment_fen")],
        "delinquent_accounts": [b("delinquent_accounts")],
        "max_dpd_24m": [b("max_dpd_24m")],
        "inquiries_6m": [b("inquiries_6m")],
        "card_utilisation": [float(fin.card_utilisation) if fin is not None else None],
        "card_late_payments_12m": [fin.card_late_payments_12m if fin is not None else None],
        "product_type": [product.product_type.value],
        "amount_fen": [app.amount_fen],
        "term_months": [app.term_months],
        "new_instalment_fen": [instalment],
    }
    return application_features(raw), bureau


def features_record(features: Any) -> dict[str, Any]:
    """One row of features as ``Decision.features`` stores them (JSON values, NaN as None)."""
    out: dict[str, Any] = {}
    for k, v in features.iloc[0].items():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out[str(k)] = None
        elif isinstance(v, np.generic):
            out[str(k)] = v.item()
        else:
            out[str(k)] = v
    return out
