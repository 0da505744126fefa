"""Known answers and properties of the pure next-best-offer rules."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.products import offer_rules as r

POLICY = r.ContactPolicy(cooloff_days=30, contact_cap=4, window_days=30)


def test_suppression_known_answers_first_rule_wins() -> None:
    codes = r.suppression(
        consent=[True, False, True, True, True, False, True],
        opted_out=[False, False, True, False, False, True, False],
        blacklisted=[False, False, False, False, False, True, False],
        days_since_decline=[np.nan, np.nan, np.nan, 29, 30, 1, np.nan],
        contacts_in_window=[0, 0, 0, 0, 4, 9, 3],
        policy=POLICY,
    )
    named = [None if c < 0 else r.SUPPRESSION[c] for c in codes]
    assert named == [
        None,
        "no_consent",
        "opted_out",
        "cooloff",  # declined 29 days ago: still cooling off
        "contact_cap",  # 30 days after the decline is past the cool-off; 4 contacts hit the cap
        "blacklisted",  # blacklisted beats every other reason
        None,  # 3 contacts: below the cap of 4
    ]


def test_suppression_reasons_lists_every_rule() -> None:
    assert r.suppression_reasons(
        consent=False, opted_out=True, blacklisted=False, days_since_decline=3.0,
        contacts_in_window=5, policy=POLICY,
    ) == ["no_consent", "opted_out", "cooloff", "contact_cap"]  # fmt: skip
    assert not r.suppression_reasons(
        consent=True, opted_out=False, blacklisted=False, days_since_decline=None,
        contacts_in_window=0, policy=POLICY,
    )  # fmt: skip


def test_eligibility_from_json_reads_the_catalogue_keys() -> None:
    e = r.Eligibility.from_json(
        {"min_age": 18, "max_age_at_maturity": 70, "max_dti": "0.55",
         "occupations": ["self_employed"], "min_financial_assets_yuan": 6_000_000,
         "requires_provident_fund": True, "cities": ["杭州"], "min_monthly_income_yuan": 5000,
         "requires_home": True, "something_new": 1}
    )  # fmt: skip
    assert e.min_age == 18
    assert e.max_age is None
    assert e.max_age_at_maturity == 70
    assert e.max_dti == Decimal("0.55")
    assert e.occupations == frozenset({"self_employed"})
    assert e.min_financial_assets_fen == 600_000_000
    assert e.min_monthly_income_fen == 500_000
    assert e.requires_provident_fund
    assert e.requires_home
    assert e.cities == frozenset({"杭州"})


def _table() -> r.EligibilityTable:
    rules = [
        r.Eligibility(min_age=18, max_age_at_maturity=70, max_dti=Decimal("0.5")),  # mortgage
        r.Eligibility(requires_provident_fund=True),
        r.Eligibility(occupations=frozenset({"self_employed", "freelancer"})),
        r.Eligibility(min_financial_assets_fen=600_000_000),
        r.Eligibility(min_age=20, max_age=45, cities=frozenset({"杭州"})),
        r.Eligibility(requires_home=True, min_monthly_income_fen=1_000_000),
    ]
    return r.EligibilityTable.build(
        rules,
        term_months=[360, 240, 12, 36, 24, 36],
        instalment_fen=[500_000, 300_000, 10_000, 10_000, 10_000, 10_000],
        occupations=["company_employee", "self_employed", "freelancer", "student"],
        cities=["杭州", "宁波"],
    )


def test_ineligibility_known_answers() -> None:
    mask = r.ineligibility(
        _table(),
        age=[45, 19, 30],
        has_provident_fund=[True, False, False],
        occupation_code=[0, 1, 3],
        monthly_income_fen=[2_000_000, 500_000, np.nan],
        financial_assets_fen=[700_000_000, 0, np.nan],
        owns_home=[True, False, True],
        city_code=[0, 1, 2],
        monthly_debt_fen=[0, 0, 0],
    )
    codes = [[r.mask_codes(int(m)) for m in row] for row in mask]
    # 45 + 30 years = 75 > 70 at maturity; DTI 25 % is fine
    assert codes[0] == [["age_at_maturity"], [], ["occupation"], [], [], []]
    # 19, no fund, 宁波, income ¥5,000: DTI 100 % on the mortgage
    assert codes[1] == [
        ["dti_above_max"], ["provident_fund_required"], [], ["assets_below_min"],
        ["age_below_min", "city"], ["income_below_min", "home_required"],
    ]  # fmt: skip
    # unknown income fails minimums and DTI; an unknown city (code 2) is "any other city"
    assert codes[2] == [
        ["dti_above_max"], ["provident_fund_required"], ["occupation"], ["assets_below_min"],
        ["city"], ["income_below_min"],
    ]  # fmt: skip


def _value_by_loop(a: float, rate: float, n: int, pd12: float, lgd: float, f: float) -> float:
    """Month by month with numpy-financial's balances: margin on the balance of surviving loans
    minus LGD times the balance of those defaulting in the month."""
    s = (1 - pd12) ** (1 / 12)
    total = 0.0
    for k in range(n):  # balance after k instalments = A + cumulative principal paid
        paid = -sum(npf.ppmt(rate / 12, j, n, a) for j in range(1, k + 1)) if k else 0.0
        balance = a - paid
        total += s ** (k + 1) * (rate - f) / 12 * balance - s**k * (1 - s) * lgd * balance
    return total


@pytest.mark.parametrize(
    ("amount", "rate", "term", "pd12", "lgd"),
    [(8_000_000, 0.06, 24, 0.02, 0.7), (120_000_000, 0.035, 360, 0.004, 0.2),
     (3_000_000, 0.072, 12, 0.0, 0.7), (5_000_000, 0.0, 12, 0.05, 0.45)],
)  # fmt: skip
def test_value_matches_a_month_by_month_numpy_financial_schedule(
    amount: int, rate: float, term: int, pd12: float, lgd: float
) -> None:
    want = _value_by_loop(amount, rate, term, pd12, lgd, 0.018)
    got = float(r.risk_adjusted_value(amount, rate, term, pd12, lgd, 0.018))
    assert got == pytest.approx(want, rel=1e-7, abs=1e-3)


def test_value_known_answer_without_default() -> None:
    # ¥10,000 at 12 %/year over 12 months: interest 6,618.55 fen (numpy-financial), funded at 0
    got = float(r.risk_adjusted_value(1_000_000, 0.12, 12, 0.0, 0.7, 0.0))
    want = -float(np.sum(npf.ipmt(0.01, np.arange(1, 13), 12, 1_000_000)))
    assert got == pytest.approx(want, abs=1e-6)
    assert round(want) == 66_185  # interest: 12 × 88,848.79 − 1,000,000


def test_fees_add_to_the_value() -> None:
    base = float(r.risk_adjusted_value(1_000_000, 0.06, 12, 0.0, 0.7, 0.02))
    fees = float(
        r.risk_adjusted_value(
            1_000_000, 0.06, 12, 0.0, 0.7, 0.02, monthly_fee_rate=0.001, upfront_fee_rate=0.01
        )
    )
    assert fees - base == pytest.approx(12 * 1_000 + 10_000)


@given(
    amount=st.integers(100_000, 10**9),
    rate=st.floats(0.0, 0.2),
    term=st.integers(1, 360),
    pd_low=st.floats(0.0, 0.3),
    extra=st.floats(0.001, 0.5),
)
def test_value_falls_as_risk_rises(
    amount: int, rate: float, term: int, pd_low: float, extra: float
) -> None:
    low = float(r.risk_adjusted_value(amount, rate, term, pd_low, 0.5, 0.0))
    high = float(r.risk_adjusted_value(amount, rate, term, min(pd_low + extra, 0.99), 0.5, 0.0))
    assert high <= low + 1e-6 * amount


def test_instalment_matches_numpy_financial() -> None:
    got = r.instalment_fen([1_000_000, 500_000], [0.12, 0.0], [12, 10])
    assert got[0] == pytest.approx(-npf.pmt(0.01, 12, 1_000_000))
    assert got[1] == pytest.approx(50_000)


def test_expected_profit() -> None:
    got = r.expected_profit([0.8, 0.5], [0.05, 0.0], [100_000, 100_000], [8, 350])
    assert got.tolist() == pytest.approx([0.8 * 0.05 * 100_000 - 8, -350])


def test_reasons_of_an_offer() -> None:
    mask = r.reason_masks(
        product_type=["consumer", "housing"],
        subtype=["general_consumer", "provident_fund"],
        channel=["sms", "branch"],
        preferred_channel=["sms", "mobile"],
        occupation=["company_employee", "civil_servant"],
        age=[30, 40],
        salary_account=[True, False],
        has_provident_fund=[False, True],
        owns_home=[True, False],
        responded_before=[False, True],
        p_take=[0.08, 0.01],
        pd12=[0.02, 0.005],
    )
    first = r.reasons_of(int(mask[0]), channel="sms", p_take=0.08, pd12=0.02)
    assert [x["code"] for x in first] == ["salary_consumer", "affinity", "preferred_channel"]
    assert first[0]["zh"] == "代发工资客户，消费贷需求高"
    assert first[1]["params"] == {"p_take": "8.0%"}
    assert "8.0%" in first[1]["en"]
    assert first[2]["zh"] == "客户偏好该渠道（短信）"
    second = r.reasons_of(int(mask[1]), channel="branch", p_take=0.01, pd12=0.005)
    assert [x["code"] for x in second] == [
        "provident_fund", "home_buyer", "low_risk", "responded_before",
    ]  # fmt: skip
    assert second[0]["zh"] == "公积金缴存，适合公积金贷款"
