"""The application features the bank's scorecard reads, computed the same way for a development
sample (many rows at once) and for one live application: one function, so a card can never be
fitted on one definition and scored on another.

Inputs are raw fields (integer fen, counts, codes) as arrays; missing bureau or card data is NaN /
None and lands in the variables' missing bins. Ratios are plain fractions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

#: Raw fields ``application_features`` reads (the caller supplies each as an array).
RAW_FIELDS: tuple[str, ...] = (
    "age",
    "monthly_income_fen",
    "occupation",
    "education",
    "marital_status",
    "owns_home",
    "has_provident_fund",
    "bureau_score",
    "credit_history_months",
    "open_accounts",
    "total_debt_fen",
    "monthly_debt_payment_fen",
    "delinquent_accounts",
    "max_dpd_24m",
    "inquiries_6m",
    "card_utilisation",
    "card_late_payments_12m",
    "product_type",
    "amount_fen",
    "term_months",
    "new_instalment_fen",
)

#: Features held as fractions, shown as percentages.
RATIO_FEATURES = frozenset(
    {"debt_to_income", "total_debt_to_annual_income", "amount_to_income", "card_utilisation"}
)

#: Feature name -> (Chinese, English) label, for reasons and the model page.
FEATURE_LABELS: dict[str, tuple[str, str]] = {
    "age": ("年龄", "age"),
    "monthly_income_yuan": ("月收入（元）", "monthly income (yuan)"),
    "occupation": ("职业", "occupation"),
    "education": ("学历", "education"),
    "marital_status": ("婚姻状况", "marital status"),
    "owns_home": ("自有住房", "owns a home"),
    "provident_fund": ("缴存公积金", "pays into the provident fund"),
    "bureau_score": ("征信评分", "bureau score"),
    "credit_history_months": ("信用历史（月）", "credit history (months)"),
    "open_accounts": ("未结清账户数", "open credit accounts"),
    "debt_to_income": ("负债收入比（含本笔）", "debt-to-income incl. this loan"),
    "total_debt_to_annual_income": ("总负债/年收入", "total debt / annual income"),
    "delinquent_accounts": ("征信逾期账户数", "delinquent bureau accounts"),
    "max_dpd_24m": ("近24个月最长逾期天数", "longest days past due in 24 months"),
    "inquiries_6m": ("近6个月征信查询次数", "bureau inquiries in 6 months"),
    "card_utilisation": ("信用卡额度使用率", "credit-card utilisation"),
    "card_late_payments_12m": ("近12个月信用卡迟还次数", "late card payments in 12 months"),
    "product_type": ("产品类型", "product type"),
    "term_months": ("期限（月）", "term (months)"),
    "amount_to_income": ("申请金额/年收入", "amount / annual income"),
}


def _num(raw: Mapping[str, Any], name: str, n: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    values = raw.get(name)
    if values is None:
        return np.full(n, np.nan)
    out = pd.to_numeric(pd.Series(np.asarray(values, dtype=object).reshape(-1)), errors="coerce")
    return out.to_numpy(dtype=np.float64, na_value=np.nan)


def _text(raw: Mapping[str, Any], name: str, n: int) -> np.ndarray[Any, np.dtype[np.object_]]:
    values = raw.get(name)
    if values is None:
        return np.full(n, None, dtype=object)
    arr = np.asarray(values, dtype=object).reshape(-1)
    return np.array([None if pd.isna(v) else str(v) for v in arr], dtype=object)


def _yes_no(raw: Mapping[str, Any], name: str, n: int) -> np.ndarray[Any, np.dtype[np.object_]]:
    values = raw.get(name)
    if values is None:
        return np.full(n, None, dtype=object)
    arr = np.asarray(values, dtype=object).reshape(-1)
    return np.array(
        [None if v is None or pd.isna(v) else ("yes" if bool(v) else "no") for v in arr],
        dtype=object,
    )


def application_features(raw: Mapping[str, Any]) -> pd.DataFrame:
    """One row of features per application from the raw fields (see ``RAW_FIELDS``)."""
    lengths = {np.size(v) for v in raw.values() if v is not None}
    if len(lengths) != 1:
        raise ValueError(f"raw fields must all have one length; got lengths {sorted(lengths)}")
    n = lengths.pop()
    income = _num(raw, "monthly_income_fen", n)
    safe_income = np.where(income > 0, income, np.nan)
    debt_payment = np.nan_to_num(_num(raw, "monthly_debt_payment_fen", n), nan=0.0)
    instalment = _num(raw, "new_instalment_fen", n)
    with np.errstate(divide="ignore", invalid="ignore"):
        dti = (debt_payment + instalment) / safe_income
        total_debt = _num(raw, "total_debt_fen", n) / (12 * safe_income)
        amount_ratio = _num(raw, "amount_fen", n) / (12 * safe_income)
    return pd.DataFrame(
        {
            "age": _num(raw, "age", n),
            "monthly_income_yuan": np.round(income / 100, 2),
            "occupation": _text(raw, "occupation", n),
            "education": _text(raw, "education", n),
            "marital_status": _text(raw, "marital_status", n),
            "owns_home": _yes_no(raw, "owns_home", n),
            "provident_fund": _yes_no(raw, "has_provident_fund", n),
            "bureau_score": _num(raw, "bureau_score", n),
            "credit_history_months": _num(raw, "credit_history_months", n),
            "open_accounts": _num(raw, "open_accounts", n),
            "debt_to_income": np.round(dti, 6),
            "total_debt_to_annual_income": np.round(total_debt, 6),
            "delinquent_accounts": _num(raw, "delinquent_accounts", n),
            "max_dpd_24m": _num(raw, "max_dpd_24m", n),
            "inquiries_6m": _num(raw, "inquiries_6m", n),
            "card_utilisation": _num(raw, "card_utilisation", n),
            "card_late_payments_12m": _num(raw, "card_late_payments_12m", n),
            "product_type": _text(raw, "product_type", n),
            "term_months": _num(raw, "term_months", n),
            "amount_to_income": np.round(amount_ratio, 6),
        }
    )


def application_feature_names() -> tuple[str, ...]:
    """The columns ``application_features`` produces."""
    return tuple(FEATURE_LABELS)


def feature_label(name: str, lang: str = "zh") -> str:
    """The label of a feature in ``lang`` (the name itself for a feature of a bank's own card)."""
    pair = FEATURE_LABELS.get(name)
    if pair is None:
        return name
    return pair[0] if lang == "zh" else pair[1]
