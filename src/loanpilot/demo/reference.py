"""Static reference data of the demo bank: its name, the published LPR and provident-fund rate
history (with lookups by date), and the occupations, education levels and channels it records.

The bank is fictional (示范城市商业银行, a city commercial bank headquartered in Hangzhou); the LPR
and provident-fund rates are public facts. The rest of the reference data lives beside this module:
``geography`` (cities, districts, region codes), ``identities`` (names, mobile prefixes) and
``catalogue`` (the loan products).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

BANK_NAME_ZH = "示范城市商业银行"
BANK_NAME_EN = "Demo City Commercial Bank"

YUAN = 100  # fen per yuan

#: LPR as published by the National Interbank Funding Center (1-year, over-5-year), in percent.
#: Entries after the last published date known to this file are added by an administrator.
LPR_HISTORY: tuple[tuple[date, str, str], ...] = (
    (date(2019, 8, 20), "4.25", "4.85"),
    (date(2019, 9, 20), "4.20", "4.85"),
    (date(2019, 11, 20), "4.15", "4.80"),
    (date(2020, 2, 20), "4.05", "4.75"),
    (date(2020, 4, 20), "3.85", "4.65"),
    (date(2021, 12, 20), "3.80", "4.65"),
    (date(2022, 1, 20), "3.70", "4.60"),
    (date(2022, 5, 20), "3.70", "4.45"),
    (date(2022, 8, 22), "3.65", "4.30"),
    (date(2023, 6, 20), "3.55", "4.20"),
    (date(2023, 8, 21), "3.45", "4.20"),
    (date(2024, 2, 20), "3.45", "3.95"),
    (date(2024, 7, 22), "3.35", "3.85"),
    (date(2024, 10, 21), "3.10", "3.60"),
    (date(2025, 5, 20), "3.00", "3.50"),
)

#: Provident-fund loan rates (first home ≤5y, >5y; second home ≤5y, >5y), in percent.
PROVIDENT_FUND_HISTORY: tuple[tuple[date, str, str, str, str], ...] = (
    (date(2015, 10, 24), "2.75", "3.25", "3.025", "3.575"),
    (date(2022, 10, 1), "2.60", "3.10", "3.025", "3.575"),
    (date(2024, 5, 18), "2.35", "2.85", "2.775", "3.325"),
    (date(2025, 5, 8), "2.10", "2.60", "2.525", "3.075"),
)


def pct(value: str) -> Decimal:
    """'3.45' (percent) → Decimal('0.0345')."""
    return Decimal(value) / 100


def lpr_on(day: date) -> tuple[Decimal, Decimal]:
    """(1-year, over-5-year) LPR in force on ``day``."""
    current = LPR_HISTORY[0]
    for row in LPR_HISTORY:
        if row[0] <= day:
            current = row
    return pct(current[1]), pct(current[2])


def fund_rate_on(day: date, *, over_five_years: bool, second_home: bool = False) -> Decimal:
    current = PROVIDENT_FUND_HISTORY[0]
    for row in PROVIDENT_FUND_HISTORY:
        if row[0] <= day:
            current = row
    index = 1 + (2 if second_home else 0) + (1 if over_five_years else 0)
    return pct(str(current[index]))


OCCUPATIONS = (
    "civil_servant",
    "company_employee",
    "freelancer",
    "self_employed",
    "student",
    "retired",
)
EDUCATIONS = ("below_high_school", "high_school", "college", "bachelor", "postgraduate")
CHANNELS = ("online", "mobile", "branch", "partner", "call_center", "sms", "wechat", "referral")
