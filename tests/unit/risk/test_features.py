"""The application features: one definition for the development sample and the live application,
with known answers for the ratios, missing bureau data as NaN and no infinities."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loanpilot.risk.features import (
    FEATURE_LABELS,
    RAW_FIELDS,
    application_features,
    feature_label,
)

BUREAU = (
    "bureau_score",
    "credit_history_months",
    "open_accounts",
    "total_debt_fen",
    "monthly_debt_payment_fen",
    "delinquent_accounts",
    "max_dpd_24m",
    "inquiries_6m",
)


def one(**overrides: Any) -> dict[str, list[Any]]:
    """One applicant's raw fields: ¥10,000 a month, ¥2,000 of debt payments, a ¥60,000 loan
    with a ¥3,000 instalment."""
    raw: dict[str, Any] = {
        "age": 35,
        "monthly_income_fen": 1_000_000,
        "occupation": "company_employee",
        "education": "bachelor",
        "marital_status": "married",
        "owns_home": True,
        "has_provident_fund": False,
        "bureau_score": 720,
        "credit_history_months": 96,
        "open_accounts": 3,
        "total_debt_fen": 2_400_000,
        "monthly_debt_payment_fen": 200_000,
        "delinquent_accounts": 0,
        "max_dpd_24m": 0,
        "inquiries_6m": 2,
        "card_utilisation": 0.35,
        "card_late_payments_12m": 1,
        "product_type": "consumer",
        "amount_fen": 6_000_000,
        "term_months": 24,
        "new_instalment_fen": 300_000,
    }
    raw.update(overrides)
    return {k: [v] for k, v in raw.items()}


def test_the_raw_fields_are_exactly_what_the_function_reads() -> None:
    assert set(one()) == set(RAW_FIELDS)


def test_known_answers_for_one_applicant() -> None:
    row = application_features(one()).iloc[0]
    # (debt payments + new instalment) / income = (2,000 + 3,000) / 10,000
    assert row["debt_to_income"] == 0.5
    # amount / (12 x income) = 60,000 / 120,000
    assert row["amount_to_income"] == 0.5
    # total debt / annual income = 24,000 / 120,000
    assert row["total_debt_to_annual_income"] == 0.2
    assert row["monthly_income_yuan"] == 10_000.0
    assert row["age"] == 35.0
    assert row["bureau_score"] == 720.0
    assert row["card_utilisation"] == 0.35
    assert row["term_months"] == 24.0
    assert row["owns_home"] == "yes"
    assert row["provident_fund"] == "no"
    assert row["occupation"] == "company_employee"
    assert row["product_type"] == "consumer"


def test_the_feature_columns_are_the_labelled_ones() -> None:
    frame = application_features(one())
    assert list(frame.columns) == list(FEATURE_LABELS)
    assert len(frame) == 1


def test_ratios_are_rounded_to_six_places() -> None:
    row = application_features(one(monthly_income_fen=300_000, new_instalment_fen=100_000)).iloc[0]
    assert row["debt_to_income"] == 1.0
    row = application_features(one(monthly_income_fen=700_000)).iloc[0]
    assert row["debt_to_income"] == round(500_000 / 700_000, 6) == 0.714286
    assert row["amount_to_income"] == round(6_000_000 / 8_400_000, 6)
    assert row["monthly_income_yuan"] == 7_000.0


@pytest.mark.parametrize(("owns", "shown"), [(True, "yes"), (False, "no"), (None, None)])
def test_yes_no_flags(owns: bool | None, shown: str | None) -> None:
    row = application_features(one(owns_home=owns, has_provident_fund=owns)).iloc[0]
    assert row["owns_home"] == shown
    assert row["provident_fund"] == shown


def test_numpy_booleans_are_flags_too() -> None:
    frame = application_features(
        {"owns_home": np.array([True, False]), "has_provident_fund": np.array([False, True])}
    )
    assert frame["owns_home"].tolist() == ["yes", "no"]
    assert frame["provident_fund"].tolist() == ["no", "yes"]


def test_missing_bureau_data_is_nan() -> None:
    row = application_features(one(**dict.fromkeys(BUREAU))).iloc[0]
    for name in ("bureau_score", "credit_history_months", "open_accounts"):
        assert math.isnan(row[name]), name
    for name in ("delinquent_accounts", "max_dpd_24m", "inquiries_6m"):
        assert math.isnan(row[name]), name
    assert math.isnan(row["total_debt_to_annual_income"])
    # Without a bureau report there are no known debt payments: the new instalment alone.
    assert row["debt_to_income"] == 0.3
    assert row["amount_to_income"] == 0.5


def test_missing_card_data_and_categories() -> None:
    row = application_features(
        one(card_utilisation=None, card_late_payments_12m=None, education=None, marital_status=None)
    ).iloc[0]
    assert math.isnan(row["card_utilisation"])
    assert math.isnan(row["card_late_payments_12m"])
    assert row["education"] is None
    assert row["marital_status"] is None


def test_an_absent_field_is_missing_in_every_row() -> None:
    frame = application_features({"age": [30, 40], "monthly_income_fen": [500_000, 800_000]})
    assert len(frame) == 2
    assert frame["age"].tolist() == [30.0, 40.0]
    assert frame["bureau_score"].isna().all()
    assert frame["occupation"].isna().all()
    assert frame["debt_to_income"].isna().all()  # no instalment known
    assert frame["owns_home"].isna().all()


@pytest.mark.parametrize("income", [0, -100_000, None])
def test_no_positive_income_gives_nan_ratios_not_infinities(income: int | None) -> None:
    frame = application_features(one(monthly_income_fen=income))
    row = frame.iloc[0]
    for name in ("debt_to_income", "amount_to_income", "total_debt_to_annual_income"):
        assert math.isnan(row[name]), name
    numbers = frame.select_dtypes("number").to_numpy()
    assert not np.isinf(numbers).any()


def test_text_in_a_numeric_field_is_missing() -> None:
    row = application_features(one(bureau_score="n/a", age="41")).iloc[0]
    assert math.isnan(row["bureau_score"])
    assert row["age"] == 41.0


def test_fields_of_different_lengths_are_refused() -> None:
    raw = one()
    raw["age"] = [35, 36]
    with pytest.raises(ValueError, match=r"one length; got lengths \[1, 2\]"):
        application_features(raw)


def test_a_missing_field_given_as_none_does_not_count_as_a_length() -> None:
    raw: dict[str, Any] = one()
    raw["bureau_score"] = None
    assert math.isnan(application_features(raw).iloc[0]["bureau_score"])


def test_labels_in_both_languages_and_a_bank_own_name() -> None:
    assert feature_label("debt_to_income", "zh") == "负债收入比（含本笔）"
    assert feature_label("debt_to_income", "en") == "debt-to-income incl. this loan"
    assert feature_label("debt_to_income") == "负债收入比（含本笔）"
    assert feature_label("duration_in_month", "en") == "duration_in_month"


_applicant = st.fixed_dictionaries(
    {
        "age": st.integers(18, 75),
        "monthly_income_fen": st.one_of(st.none(), st.integers(0, 10_000_000)),
        "occupation": st.sampled_from(["company_employee", "self_employed", "retired"]),
        "owns_home": st.one_of(st.none(), st.booleans()),
        "has_provident_fund": st.booleans(),
        "bureau_score": st.one_of(st.none(), st.integers(300, 900)),
        "total_debt_fen": st.one_of(st.none(), st.integers(0, 500_000_000)),
        "monthly_debt_payment_fen": st.one_of(st.none(), st.integers(0, 5_000_000)),
        "card_utilisation": st.one_of(st.none(), st.floats(0, 2)),
        "amount_fen": st.integers(100_000, 1_000_000_000),
        "term_months": st.sampled_from([12, 24, 36, 240]),
        "new_instalment_fen": st.integers(0, 10_000_000),
    }
)


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as objects with every missing value as None (pandas 3 may infer a string dtype
    with NaN for a text column of several rows, and keep object with None for one row)."""
    return frame.astype(object).where(frame.notna(), None)


@settings(max_examples=60)
@given(st.lists(_applicant, min_size=1, max_size=6))
def test_a_batch_equals_each_row_alone(applicants: list[dict[str, Any]]) -> None:
    """The development sample (many rows) and a live application (one row) agree."""
    batch = application_features({k: [a[k] for a in applicants] for k in applicants[0]})
    alone = pd.concat(
        [application_features({k: [v] for k, v in a.items()}) for a in applicants],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(plain(batch), plain(alone), check_dtype=False)
    numbers = batch.select_dtypes("number").to_numpy()
    assert not np.isinf(numbers).any()
    for a, dti in zip(applicants, batch["debt_to_income"], strict=True):
        income = a["monthly_income_fen"]
        if income is None or income <= 0:
            assert math.isnan(dti)
        else:
            debt = a["monthly_debt_payment_fen"] or 0
            assert dti == pytest.approx((debt + a["new_instalment_fen"]) / income, abs=5e-7)
