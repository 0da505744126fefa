"""Static reference data of the demo bank: geography, names, phone prefixes, the product catalogue,
and the published LPR and provident-fund rate history.

The bank is fictional (示范城市商业银行, a city commercial bank headquartered in Hangzhou); the
geography, administrative division codes, LPR and provident-fund rates are public facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

BANK_NAME_ZH = "示范城市商业银行"
BANK_NAME_EN = "Demo City Commercial Bank"


@dataclass(frozen=True)
class City:
    name: str
    province: str
    tier: int
    districts: tuple[tuple[str, str], ...]  # (division code, district name)
    weight: float  # share of the bank's customers
    income_factor: float


CITIES: tuple[City, ...] = (
    City(
        "杭州",
        "浙江",
        1,
        (
            ("330102", "上城区"),
            ("330105", "拱墅区"),
            ("330106", "西湖区"),
            ("330108", "滨江区"),
            ("330109", "萧山区"),
            ("330110", "余杭区"),
        ),
        0.30,
        1.25,
    ),
    City(
        "宁波",
        "浙江",
        2,
        (("330203", "海曙区"), ("330205", "江北区"), ("330212", "鄞州区"), ("330206", "北仑区")),
        0.16,
        1.15,
    ),
    City(
        "温州",
        "浙江",
        2,
        (("330302", "鹿城区"), ("330303", "龙湾区"), ("330304", "瓯海区")),
        0.11,
        1.05,
    ),
    City("嘉兴", "浙江", 3, (("330402", "南湖区"), ("330411", "秀洲区")), 0.07, 1.0),
    City("湖州", "浙江", 3, (("330502", "吴兴区"), ("330503", "南浔区")), 0.05, 0.95),
    City("绍兴", "浙江", 3, (("330602", "越城区"), ("330603", "柯桥区")), 0.07, 1.0),
    City(
        "金华",
        "浙江",
        3,
        (("330702", "婺城区"), ("330703", "金东区"), ("330782", "义乌市")),
        0.08,
        0.95,
    ),
    City(
        "台州",
        "浙江",
        3,
        (("331002", "椒江区"), ("331003", "黄岩区"), ("331004", "路桥区")),
        0.06,
        0.95,
    ),
    City(
        "上海",
        "上海",
        1,
        (("310101", "黄浦区"), ("310104", "徐汇区"), ("310115", "浦东新区")),
        0.06,
        1.45,
    ),
    City(
        "苏州",
        "江苏",
        2,
        (("320505", "虎丘区"), ("320506", "吴中区"), ("320508", "姑苏区")),
        0.04,
        1.2,
    ),
)

#: Birthplaces of customers who moved to the bank's cities (ID region codes from other provinces).
MIGRANT_REGIONS: tuple[str, ...] = (
    "340102",
    "340104",
    "360102",
    "360103",
    "410102",
    "410105",
    "420102",
    "420106",
    "430102",
    "430104",
    "510104",
    "510107",
    "500103",
    "500105",
    "350102",
    "350203",
    "320102",
    "320106",
    "370102",
    "370202",
    "450102",
    "520102",
    "530102",
    "610102",
)

SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.1),
    ("李", 7.0),
    ("张", 6.7),
    ("刘", 5.4),
    ("陈", 4.5),
    ("杨", 3.1),
    ("黄", 2.2),
    ("赵", 2.1),
    ("吴", 2.0),
    ("周", 1.9),
    ("徐", 1.7),
    ("孙", 1.5),
    ("马", 1.5),
    ("朱", 1.3),
    ("胡", 1.3),
    ("郭", 1.2),
    ("何", 1.2),
    ("林", 1.2),
    ("高", 1.1),
    ("罗", 1.1),
    ("郑", 1.0),
    ("梁", 0.9),
    ("谢", 0.8),
    ("宋", 0.8),
    ("唐", 0.8),
    ("许", 0.7),
    ("韩", 0.7),
    ("冯", 0.7),
    ("邓", 0.7),
    ("曹", 0.6),
    ("彭", 0.6),
    ("曾", 0.6),
    ("肖", 0.6),
    ("田", 0.5),
    ("董", 0.5),
    ("潘", 0.5),
    ("袁", 0.5),
    ("蔡", 0.5),
    ("蒋", 0.5),
    ("余", 0.5),
    ("于", 0.5),
    ("杜", 0.4),
    ("叶", 0.4),
    ("程", 0.4),
    ("魏", 0.4),
    ("苏", 0.4),
    ("吕", 0.4),
    ("丁", 0.4),
    ("任", 0.4),
    ("沈", 0.4),
    ("姚", 0.3),
    ("卢", 0.3),
    ("钟", 0.3),
    ("姜", 0.3),
    ("崔", 0.3),
    ("谭", 0.3),
    ("陆", 0.3),
    ("范", 0.3),
    ("汪", 0.3),
    ("金", 0.3),
    ("方", 0.3),
    ("石", 0.3),
    ("邵", 0.2),
    ("欧阳", 0.05),
    ("诸葛", 0.01),
)

GIVEN_MALE = (
    "伟强军磊洋勇杰涛明超刚平辉鹏华飞斌宇浩凯健俊帆帅旭宁龙林波晨阳文博志毅峰建国栋锋鑫瑞泽睿轩哲航"
)
GIVEN_FEMALE = (
    "芳娜敏静丽艳娟霞秀燕玲桂婷雪慧莹晶倩琳颖洁丹萍红月琪佳欣怡梦璐瑶蕾薇妍雯菲露涵悦彤诗雅婧"
)

#: Mobile number prefixes of the three carriers (China Mobile, China Unicom, China Telecom).
PHONE_PREFIXES: tuple[str, ...] = (
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "147",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "178",
    "182",
    "183",
    "184",
    "187",
    "188",
    "198",
    "130",
    "131",
    "132",
    "155",
    "156",
    "166",
    "175",
    "176",
    "185",
    "186",
    "133",
    "153",
    "173",
    "177",
    "180",
    "181",
    "189",
    "199",
)

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


@dataclass(frozen=True)
class ProductSpec:
    """One catalogue entry of the demo bank. Spreads are over the basis rate (or the fixed rate)."""

    code: str
    name_zh: str
    name_en: str
    product_type: str
    subtype: str
    min_amount_yuan: int
    max_amount_yuan: int
    min_term: int
    max_term: int
    rate_basis: str
    min_spread: str  # percent
    max_spread: str  # percent
    methods: tuple[str, ...]
    collateral: str
    monthly_fee: str = "0"  # percent per month
    max_ltv: str | None = None
    typical_amount_yuan: int = 100_000
    typical_terms: tuple[int, ...] = (12, 24, 36)
    eligibility: tuple[tuple[str, object], ...] = ()
    purpose: str = ""


EI, EP, IO, BU = "equal_instalment", "equal_principal", "interest_only", "bullet"

PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec(
        "HL-COM",
        "商业性个人住房贷款",
        "Commercial mortgage",
        "housing",
        "commercial_mortgage",
        100_000,
        10_000_000,
        60,
        360,
        "lpr_5y",
        "-0.30",
        "0.60",
        (EI, EP),
        "property",
        max_ltv="70",
        typical_amount_yuan=1_200_000,
        typical_terms=(240, 300, 360),
        eligibility=(("min_age", 18), ("max_age_at_maturity", 70), ("max_dti", "0.55")),
        purpose="购房",
    ),
    ProductSpec(
        "HL-PF",
        "公积金个人住房贷款",
        "Provident-fund mortgage",
        "housing",
        "provident_fund",
        50_000,
        1_200_000,
        60,
        360,
        "provident_fund",
        "0",
        "0",
        (EI, EP),
        "property",
        max_ltv="80",
        typical_amount_yuan=600_000,
        typical_terms=(240, 300, 360),
        eligibility=(
            ("requires_provident_fund", True),
            ("min_age", 18),
            ("max_age_at_maturity", 70),
        ),
        purpose="购房",
    ),
    ProductSpec(
        "HL-COMBO",
        "个人住房组合贷款",
        "Combination mortgage (组合贷)",
        "housing",
        "combination",
        200_000,
        10_000_000,
        60,
        360,
        "lpr_5y",
        "-0.30",
        "0.60",
        (EI, EP),
        "property",
        max_ltv="70",
        typical_amount_yuan=1_600_000,
        typical_terms=(300, 360),
        eligibility=(
            ("requires_provident_fund", True),
            ("min_age", 18),
            ("max_age_at_maturity", 70),
        ),
        purpose="购房",
    ),
    ProductSpec(
        "HL-C2F",
        "商转公贷款",
        "Commercial-to-fund switch (商转公)",
        "housing",
        "commercial_to_fund",
        50_000,
        1_200_000,
        60,
        360,
        "provident_fund",
        "0",
        "0",
        (EI, EP),
        "property",
        max_ltv="80",
        typical_amount_yuan=700_000,
        typical_terms=(180, 240),
        eligibility=(("requires_provident_fund", True),),
        purpose="商转公",
    ),
    ProductSpec(
        "CL-EDU",
        "助学进修贷",
        "Education loan",
        "consumer",
        "education",
        5_000,
        300_000,
        6,
        60,
        "fixed",
        "3.60",
        "6.00",
        (EI, IO),
        "none",
        typical_amount_yuan=40_000,
        typical_terms=(12, 24, 36),
        eligibility=(("min_age", 18), ("max_age", 45)),
        purpose="教育",
    ),
    ProductSpec(
        "CL-MED",
        "健康医疗贷",
        "Medical loan",
        "consumer",
        "medical",
        5_000,
        300_000,
        6,
        36,
        "fixed",
        "3.80",
        "7.20",
        (EI,),
        "none",
        typical_amount_yuan=50_000,
        typical_terms=(12, 24),
        purpose="医疗",
    ),
    ProductSpec(
        "CL-TRV",
        "畅游旅游贷",
        "Travel loan",
        "consumer",
        "travel",
        3_000,
        200_000,
        3,
        36,
        "fixed",
        "3.60",
        "7.20",
        (EI,),
        "none",
        monthly_fee="0.15",
        typical_amount_yuan=30_000,
        typical_terms=(6, 12, 24),
        purpose="旅游",
    ),
    ProductSpec(
        "CL-AUTO",
        "安居车贷",
        "Auto loan",
        "consumer",
        "auto",
        30_000,
        1_000_000,
        12,
        60,
        "fixed",
        "3.20",
        "6.50",
        (EI,),
        "vehicle",
        max_ltv="80",
        typical_amount_yuan=150_000,
        typical_terms=(24, 36, 60),
        purpose="购车",
    ),
    ProductSpec(
        "CL-RENO",
        "家装分期贷",
        "Renovation loan",
        "consumer",
        "renovation",
        10_000,
        1_000_000,
        12,
        60,
        "fixed",
        "3.40",
        "6.80",
        (EI, EP),
        "none",
        monthly_fee="0.10",
        typical_amount_yuan=150_000,
        typical_terms=(24, 36, 60),
        purpose="装修",
    ),
    ProductSpec(
        "CL-GEN",
        "薪享消费贷",
        "Salary consumer loan",
        "consumer",
        "general_consumer",
        5_000,
        500_000,
        6,
        60,
        "fixed",
        "3.20",
        "8.00",
        (EI, IO),
        "none",
        typical_amount_yuan=80_000,
        typical_terms=(12, 24, 36),
        eligibility=(("min_age", 20), ("max_age", 60)),
        purpose="日常消费",
    ),
    ProductSpec(
        "BL-OPR",
        "个人经营贷",
        "Operating loan",
        "business",
        "operating",
        50_000,
        5_000_000,
        12,
        60,
        "lpr_1y",
        "0.50",
        "3.50",
        (EI, IO),
        "property",
        max_ltv="70",
        typical_amount_yuan=500_000,
        typical_terms=(12, 24, 36),
        eligibility=(("occupations", ["self_employed"]),),
        purpose="经营周转",
    ),
    ProductSpec(
        "BL-CRD",
        "小微信用贷",
        "Micro-business credit loan",
        "business",
        "credit",
        20_000,
        1_000_000,
        6,
        36,
        "lpr_1y",
        "1.00",
        "5.00",
        (EI, IO, BU),
        "none",
        typical_amount_yuan=200_000,
        typical_terms=(12, 24),
        eligibility=(("occupations", ["self_employed", "freelancer"]),),
        purpose="经营周转",
    ),
    ProductSpec(
        "BL-SEC",
        "个体工商户抵押贷",
        "Secured business loan",
        "business",
        "secured",
        100_000,
        10_000_000,
        12,
        120,
        "lpr_1y",
        "0.30",
        "2.50",
        (EI, IO, EP),
        "property",
        max_ltv="65",
        typical_amount_yuan=1_000_000,
        typical_terms=(36, 60, 120),
        eligibility=(("occupations", ["self_employed"]),),
        purpose="经营",
    ),
    ProductSpec(
        "PB-LUX",
        "私行尊享贷",
        "Private-banking loan",
        "private_banking",
        "private_banking",
        500_000,
        30_000_000,
        12,
        120,
        "lpr_1y",
        "-0.20",
        "1.50",
        (IO, EI, BU),
        "deposit",
        max_ltv="90",
        typical_amount_yuan=3_000_000,
        typical_terms=(12, 36, 60),
        eligibility=(("min_financial_assets_yuan", 6_000_000),),
        purpose="资产配置",
    ),
)

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
