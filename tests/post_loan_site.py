"""What the post-loan tests on a small book of their own share: the branch, consumer product,
customer and loan rows they build it from (not added; the caller adds and flushes them). Each takes the
values a test cares about as keywords; the rest are plain defaults."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from loanpilot.customers.models import Channel, Customer, Gender, Occupation
from loanpilot.lending.models import Loan, LoanStatus
from loanpilot.products.models import (
    CollateralKind,
    LoanProduct,
    ProductSubtype,
    ProductType,
    RateBasis,
    RepaymentMethod,
)
from loanpilot.team.models import Branch, BranchLevel

SINCE = date(2020, 1, 1)


def branch(
    code: str, name: str, *, level: BranchLevel = BranchLevel.BRANCH, city: str = "杭州市"
) -> Branch:
    """A branch in Zhejiang."""
    return Branch(code=code, name=name, level=level, province="浙江省", city=city)


def consumer_product(code: str, **values: Any) -> LoanProduct:
    """A fixed-rate general consumer loan product, no collateral, equal instalments, 6 to 60
    months, ¥1,000 to ¥500,000, spread 4 % to 12 %; ``values`` override any column."""
    columns: dict[str, Any] = {
        "code": code,
        "name_zh": "消费贷",
        "name_en": "Consumer",
        "product_type": ProductType.CONSUMER,
        "subtype": ProductSubtype.GENERAL_CONSUMER,
        "min_amount_fen": 100_000,
        "max_amount_fen": 50_000_000,
        "min_term_months": 6,
        "max_term_months": 60,
        "rate_basis": RateBasis.FIXED,
        "min_spread": Decimal("0.04"),
        "max_spread": Decimal("0.12"),
        "repayment_methods": [RepaymentMethod.EQUAL_INSTALMENT.value],
        "collateral_required": CollateralKind.NONE,
        "launched_on": SINCE,
    }
    return LoanProduct(**{**columns, **values})


def customer(customer_no: str, id_number_hash: bytes, **values: Any) -> Customer:
    """张三, a company employee in Hangzhou born 1988-05-01 earning ¥15,000 a month, come through a
    branch (``home_branch_id`` is a value to give); ``values`` override any column."""
    columns: dict[str, Any] = {
        "customer_no": customer_no,
        "name": "张三",
        "id_number_enc": b"x" * 16,
        "id_number_hash": id_number_hash,
        "birth_date": date(1988, 5, 1),
        "gender": Gender.MALE,
        "occupation": Occupation.COMPANY_EMPLOYEE,
        "monthly_income_fen": 1_500_000,
        "province": "浙江省",
        "city": "杭州市",
        "source_channel": Channel.BRANCH,
        "since": SINCE,
    }
    return Customer(**{**columns, **values})


def loan(loan_no: str, *, principal_fen: int, term_months: int, **values: Any) -> Loan:
    """A repaying fixed-rate loan at 6 % a year in equal instalments, booked at a branch, with all
    its principal outstanding; ``values`` give the customer, product, branch and dates (and
    override any column)."""
    rate = Decimal("0.06")
    columns: dict[str, Any] = {
        "loan_no": loan_no,
        "channel": Channel.BRANCH,
        "principal_fen": principal_fen,
        "rate_basis": RateBasis.FIXED,
        "base_rate": Decimal(0),
        "spread": rate,
        "annual_rate": rate,
        "apr": rate,
        "term_months": term_months,
        "repayment_method": RepaymentMethod.EQUAL_INSTALMENT,
        "status": LoanStatus.REPAYING,
        "outstanding_principal_fen": principal_fen,
    }
    return Loan(**{**columns, **values})
