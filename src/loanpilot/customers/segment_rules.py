"""Pure rules of segmentation (客群细分): the band edges of the plan's rule segments as data, how
an edit of them is validated, which band a value falls in, the rule segment codes
(``young.company_employee.middle``) and the generated Chinese and English names and descriptions
of segments (``青年白领·中收入``; a cluster named by what sets it apart: ``高存款稳健型``).

A band holds ``lower <= value < upper``; an open end is ``None``. A dimension's bands are ordered,
contiguous (each band's upper edge is the next one's lower edge), the first open below and the last
open above, so every value falls in exactly one band. No session, clock or I/O here (house rule 2).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from loanpilot.kit.errors import CodedProblem, FieldProblem, ValidationError

DIMENSIONS: Final = ("age", "income")
MAX_BANDS: Final = 10
MAX_LABEL: Final = 50
MAX_EDGE: Final = Decimal(10) ** 12
UNKNOWN: Final = "unknown"
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

PROBLEMS: Final[dict[str, str]] = {
    "required": "is required",
    "too_long": "must be at most {max} characters",
    "code_format": "must be 1 to 32 characters: a lower-case letter, then a-z, 0-9, _",
    "code_taken": "{code} is used by another band of this dimension",
    "decimal": "must be a number with at most 4 decimals; got {got!r}",
    "negative": "must not be negative; got {got}",
    "too_large": "must be less than {max}; got {got}",
    "first_open": "the first band must be open below (leave the lower edge empty)",
    "last_open": "the last band must be open above (leave the upper edge empty)",
    "inner_closed": "is required: only the first band's lower and the last band's upper edge are open",
    "empty_band": "must be greater than the lower edge {lower}; got {got}",
    "gap": "leaves a gap: the next band starts at {next}, this one ends at {got}",
    "overlap": "overlaps the next band, which starts at {next}; this one ends at {got}",
    "count": "a dimension needs 1 to {max} bands; got {got}",
}


class Problem(CodedProblem):
    """A problem of segmentation: its ``code`` is a key of :data:`PROBLEMS`."""


def problem(where: str, code: str, /, **params: object) -> Problem:
    """The problem ``code`` of ``where``, its English text filled from ``params``."""
    return Problem.of(PROBLEMS, where, code, params)


@dataclass(frozen=True)
class Band:
    """One band of a dimension: ``lower <= value < upper`` (None: open)."""

    code: str
    lower: Decimal | None
    upper: Decimal | None
    label_zh: str
    label_en: str


# --- defaults ------------------------------------------------------------------------------------


def default_bands(
    age_edges: tuple[int, int], income_edges_fen: tuple[int, int]
) -> dict[str, list[Band]]:
    """The plan's bands from ``customers.rules``' edges. The directory counts an income equal to
    its middle band's top as middle (``<=``), so that band's upper edge is one fen above it."""
    a1, a2 = (Decimal(e) for e in age_edges)
    i1 = Decimal(income_edges_fen[0]) / 100
    i2 = (Decimal(income_edges_fen[1]) + 1) / 100
    return {
        "age": [
            Band("young", None, a1, "青年", "Young"),
            Band("middle", a1, a2, "中年", "Middle-aged"),
            Band("senior", a2, None, "老年", "Senior"),
        ],
        "income": [
            Band("low", None, i1, "低收入", "Low income"),
            Band("middle", i1, i2, "中收入", "Middle income"),
            Band("high", i2, None, "高收入", "High income"),
        ],
    }


# --- validating an edit --------------------------------------------------------------------------


def _edge(raw: object, where: str, problems: list[FieldProblem]) -> tuple[bool, Decimal | None]:
    text = "" if raw is None else str(raw).strip()
    if not text:
        return True, None
    try:
        value = Decimal(text)
    except InvalidOperation:
        problems.append(problem(where, "decimal", got=text[:40]))
        return False, None
    exponent = value.as_tuple().exponent
    if not value.is_finite() or (isinstance(exponent, int) and exponent < -4):
        problems.append(problem(where, "decimal", got=text[:40]))
        return False, None
    if value < 0:
        problems.append(problem(where, "negative", got=value))
        return False, None
    if value >= MAX_EDGE:
        problems.append(problem(where, "too_large", max=MAX_EDGE, got=value))
        return False, None
    return True, value


def _label(raw: object, where: str, problems: list[FieldProblem]) -> str:
    text = "" if raw is None else str(raw).strip()
    if not text:
        problems.append(problem(where, "required"))
    elif len(text) > MAX_LABEL:
        problems.append(problem(where, "too_long", max=MAX_LABEL))
    return text


def validate_bands(dimension: str, rows: Sequence[Mapping[str, object]]) -> list[Band]:
    """The bands of ``rows`` (``code``, ``lower``, ``upper``, ``label_zh``, ``label_en`` as text or
    numbers), in order; every problem is collected, then one ``ValidationError`` lists them, each
    located as ``<dimension>.<row>.<field>`` (row from 0)."""
    problems: list[FieldProblem] = []
    if not 1 <= len(rows) <= MAX_BANDS:
        problems.append(problem(dimension, "count", max=MAX_BANDS, got=len(rows)))
    bands: list[Band] = []
    parsed: list[tuple[bool, Decimal | None, bool, Decimal | None]] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        at = f"{dimension}.{i}"
        code = str(row.get("code") or "").strip()
        if not code:
            problems.append(problem(f"{at}.code", "required"))
        elif not _CODE.match(code):
            problems.append(problem(f"{at}.code", "code_format"))
        elif code in seen:
            problems.append(problem(f"{at}.code", "code_taken", code=code))
        seen.add(code)
        lo_ok, lower = _edge(row.get("lower"), f"{at}.lower", problems)
        hi_ok, upper = _edge(row.get("upper"), f"{at}.upper", problems)
        zh = _label(row.get("label_zh"), f"{at}.label_zh", problems)
        en = _label(row.get("label_en"), f"{at}.label_en", problems)
        parsed.append((lo_ok, lower, hi_ok, upper))
        bands.append(Band(code, lower, upper, zh, en))
    last = len(parsed) - 1
    for i, (lo_ok, lower, hi_ok, upper) in enumerate(parsed):
        at = f"{dimension}.{i}"
        if lo_ok and i == 0 and lower is not None:
            problems.append(problem(f"{at}.lower", "first_open"))
        if lo_ok and i > 0 and lower is None:
            problems.append(problem(f"{at}.lower", "inner_closed"))
        if hi_ok and i == last and upper is not None:
            problems.append(problem(f"{at}.upper", "last_open"))
        if hi_ok and i < last and upper is None:
            problems.append(problem(f"{at}.upper", "inner_closed"))
        if lower is not None and upper is not None and upper <= lower:
            problems.append(problem(f"{at}.upper", "empty_band", lower=lower, got=upper))
        if i < last and upper is not None:
            following = parsed[i + 1][1]
            if following is not None and following != upper:
                code = "gap" if upper < following else "overlap"
                problems.append(problem(f"{at}.upper", code, next=following, got=upper))
    if problems:
        raise ValidationError(
            "segment_bands.invalid", f"The {dimension} bands are not valid", problems
        )
    return bands


# --- assigning bands and rule segment codes --------------------------------------------------------


def assign_bands(values: npt.ArrayLike, bands: Sequence[Band]) -> npt.NDArray[np.int64]:
    """The index of each value's band in ``bands`` (validated, in order); -1 for a missing value."""
    x = np.asarray(values, dtype=np.float64)
    edges = np.array([float(b.upper) for b in bands[:-1] if b.upper is not None], dtype=np.float64)
    index = np.searchsorted(edges, x, side="right").astype(np.int64)
    return np.where(np.isnan(x), -1, index)


def rule_codes(
    age_index: npt.NDArray[np.int64],
    occupations: Sequence[str] | npt.NDArray[Any],
    income_index: npt.NDArray[np.int64],
    age_bands: Sequence[Band],
    income_bands: Sequence[Band],
    occupation_codes: Sequence[str],
) -> npt.NDArray[np.str_]:
    """``<age band>.<occupation>.<income band>`` of each customer (``unknown`` for a missing part)."""
    occ = np.asarray(occupations, dtype=object)
    occ_list = list(occupation_codes)
    occ_index = np.full(occ.shape, -1, dtype=np.int64)
    for j, value in enumerate(occ_list):  # a loop over the six occupations, not over rows
        occ_index[occ == value] = j
    ages = [b.code for b in age_bands] + [UNKNOWN]
    occs = [*occ_list, UNKNOWN]
    incomes = [b.code for b in income_bands] + [UNKNOWN]
    table = np.array([f"{a}.{o}.{i}" for a in ages for o in occs for i in incomes])
    a = np.where(age_index < 0, len(ages) - 1, age_index)
    o = np.where(occ_index < 0, len(occs) - 1, occ_index)
    i = np.where(income_index < 0, len(incomes) - 1, income_index)
    result: npt.NDArray[np.str_] = table[(a * len(occs) + o) * len(incomes) + i]
    return result


# --- names and descriptions ----------------------------------------------------------------------

#: The occupations as a segment's name says them.
OCCUPATION_WORDS: Final[dict[str, tuple[str, str]]] = {
    "civil_servant": ("公务员", "civil servants"),
    "company_employee": ("白领", "office workers"),
    "freelancer": ("自由职业者", "freelancers"),
    "self_employed": ("个体经营者", "self-employed"),
    "student": ("学生", "students"),
    "retired": ("退休人员", "retirees"),
    UNKNOWN: ("其他职业", "other occupations"),
}


def rule_segment_name(
    code: str, age: Mapping[str, Band], income: Mapping[str, Band]
) -> tuple[str, str]:
    """``young.company_employee.middle`` → (``青年白领·中收入``, ``Young office workers · Middle income``)."""
    a, o, i = code.split(".")
    occ_zh, occ_en = OCCUPATION_WORDS.get(o, (o, o))
    a_zh, a_en = (age[a].label_zh, age[a].label_en) if a in age else ("", "")
    i_zh, i_en = (
        (income[i].label_zh, income[i].label_en) if i in income else ("其他收入", "Other income")
    )
    return f"{a_zh}{occ_zh}·{i_zh}", f"{a_en} {occ_en} · {i_en}".strip()


@dataclass(frozen=True)
class Trait:
    """How a feature sets a cluster apart: a word for the name, a phrase for the description."""

    concept: str  # at most one word per concept in a name
    word_zh: str
    word_en: str
    family: str | None = None  # the kind of segment it makes (``FAMILIES``)


#: (feature, "high" | "low") → the trait it names. Categories: ``feature=value`` with "high".
TRAITS: Final[dict[tuple[str, str], Trait]] = {
    ("age", "low"): Trait("age", "年轻", "young"),
    ("age", "high"): Trait("age", "年长", "older"),
    ("monthly_income_yuan", "high"): Trait("income", "高收入", "high-income"),
    ("monthly_income_yuan", "low"): Trait("income", "低收入", "low-income"),
    ("tenure_months", "high"): Trait("tenure", "老客户", "long-standing"),
    ("tenure_months", "low"): Trait("tenure", "新客户", "new"),
    ("bureau_score", "high"): Trait("credit", "信用优良", "prime-credit", "steady"),
    ("bureau_score", "low"): Trait("credit", "信用偏弱", "weaker-credit", "watch"),
    ("delinquent_accounts", "high"): Trait("credit", "有逾期记录", "past-delinquent", "watch"),
    ("inquiries_6m", "high"): Trait("debt", "多头查询", "credit-shopping", "borrow"),
    ("total_debt_yuan", "high"): Trait("debt", "高负债", "indebted", "borrow"),
    ("deposit_balance_yuan", "high"): Trait("deposit", "高存款", "high-deposit", "steady"),
    ("deposit_balance_yuan", "low"): Trait("deposit", "低存款", "low-deposit"),
    ("wealth_balance_yuan", "high"): Trait("wealth", "理财", "wealth-holding", "steady"),
    ("card_spend_monthly_yuan", "high"): Trait("card", "信用卡", "card", "active"),
    ("card_spend_monthly_yuan", "low"): Trait("card", "少用卡", "light-card"),
    ("card_utilisation", "high"): Trait("card", "信用卡", "card", "active"),
    ("card_limit_yuan", "high"): Trait("card", "高额度", "high-limit", "active"),
    ("open_loans", "high"): Trait("loans", "有贷", "loan-holding", "borrow"),
    ("loan_balance_yuan", "high"): Trait("loans", "有贷", "loan-holding", "borrow"),
    ("responses_365d", "high"): Trait("response", "营销敏感", "responsive", "active"),
    ("owns_home", "high"): Trait("home", "有房", "home-owning"),
    ("owns_home", "low"): Trait("home", "无房", "renting"),
    ("has_provident_fund", "high"): Trait("fund", "公积金", "provident-fund"),
    ("salary_account", "high"): Trait("salary", "代发工资", "payroll"),
    **{
        (f"occupation={code}", "high"): Trait("occupation", zh.removesuffix("人员"), en)
        for code, (zh, en) in OCCUPATION_WORDS.items() if code != UNKNOWN
    },
    ("preferred_channel=mobile", "high"): Trait("channel", "线上", "digital"),
    ("preferred_channel=online", "high"): Trait("channel", "线上", "digital"),
    ("preferred_channel=wechat", "high"): Trait("channel", "线上", "digital"),
    ("preferred_channel=branch", "high"): Trait("channel", "网点", "branch-going"),
}  # fmt: skip
#: A segment's kind from the family of its strongest trait: (zh suffix, en noun).
FAMILIES: Final[dict[str, tuple[str, str]]] = {
    "steady": ("稳健型", "savers"),
    "active": ("活跃型", "actives"),
    "borrow": ("融资需求型", "borrowers"),
    "watch": ("风险关注型", "watch-list"),
}
GENERIC_FAMILY: Final = ("客群", "customers")
#: How far from the population a feature must be to count: standard deviations, share points.
MIN_Z: Final = 0.3
MIN_SHARE_DIFF: Final = 0.1
#: A category's share difference weighs like this many standard deviations per unit.
SHARE_WEIGHT: Final = 4.0


@dataclass(frozen=True)
class Distinction:
    feature: str
    direction: str  # high | low
    strength: float  # standard deviations (a category's share difference × SHARE_WEIGHT)
    value: float  # the z-score or the share difference


def distinctions(contrasts: Mapping[str, float]) -> list[Distinction]:
    """The named features of a cluster far enough from the population, strongest first."""
    found: list[Distinction] = []
    for feature, value in contrasts.items():
        category = "=" in feature
        direction = "high" if value > 0 else "low"
        if (feature, direction) not in TRAITS:
            continue
        strength = abs(value) * (SHARE_WEIGHT if category else 1.0)
        if abs(value) >= (MIN_SHARE_DIFF if category else MIN_Z):
            found.append(Distinction(feature, direction, round(strength, 6), value))
    return sorted(found, key=lambda d: (-d.strength, d.feature))


@dataclass(frozen=True)
class ClusterName:
    name_zh: str
    name_en: str
    traits: list[Distinction] = field(default_factory=list)


def cluster_name(contrasts: Mapping[str, float], taken: set[str], number: int) -> ClusterName:
    """A name from the cluster's two most distinctive traits (one per concept) and the family of
    its strongest trait that has one (``年轻信用卡活跃型``); a name in ``taken`` gets a third trait,
    then the cluster ``number``. The chosen name is added to ``taken``."""
    chosen: list[Distinction] = []
    concepts: set[str] = set()
    for d in distinctions(contrasts):
        trait = TRAITS[(d.feature, d.direction)]
        if trait.concept not in concepts:
            chosen.append(d)
            concepts.add(trait.concept)
    family = next((TRAITS[(d.feature, d.direction)].family for d in chosen[:3]
                   if TRAITS[(d.feature, d.direction)].family), None)  # fmt: skip
    suffix_zh, suffix_en = FAMILIES[family] if family else GENERIC_FAMILY
    for size in (2, 3):
        words = chosen[:size]
        ordered = sorted(words, key=lambda d: TRAITS[(d.feature, d.direction)].family is not None)
        zh = "".join(TRAITS[(d.feature, d.direction)].word_zh for d in ordered) + suffix_zh
        en = " ".join(TRAITS[(d.feature, d.direction)].word_en for d in ordered)
        en = f"{en} {suffix_en}".strip().capitalize()
        if not words:
            zh, en = f"{suffix_zh}{number}", f"{suffix_en.capitalize()} {number}"
        if zh not in taken:
            taken.add(zh)
            return ClusterName(zh, en, chosen[:3])
    zh, en = f"{zh}（{number}）", f"{en} ({number})"
    taken.add(zh)
    return ClusterName(zh, en, chosen[:3])


#: Features as a description says them.
FEATURE_WORDS: Final[dict[str, tuple[str, str]]] = {
    "age": ("年龄", "age"),
    "monthly_income_yuan": ("月收入", "monthly income"),
    "tenure_months": ("在行时长", "time with the bank"),
    "bureau_score": ("征信评分", "bureau score"),
    "delinquent_accounts": ("逾期账户数", "delinquent accounts"),
    "inquiries_6m": ("近 6 个月征信查询", "bureau inquiries (6 months)"),
    "total_debt_yuan": ("负债总额", "total debt"),
    "deposit_balance_yuan": ("存款余额", "deposits"),
    "wealth_balance_yuan": ("理财余额", "wealth products"),
    "card_spend_monthly_yuan": ("信用卡月消费", "monthly card spend"),
    "card_utilisation": ("信用卡额度使用率", "card utilisation"),
    "card_limit_yuan": ("信用卡额度", "card limit"),
    "open_loans": ("在贷笔数", "open loans"),
    "loan_balance_yuan": ("贷款余额", "loan balance"),
    "responses_365d": ("营销响应次数", "campaign responses"),
    "owns_home": ("有房比例", "home ownership"),
    "has_provident_fund": ("缴存公积金比例", "provident-fund members"),
    "salary_account": ("代发工资比例", "payroll accounts"),
}


def _phrase(d: Distinction, lang: str) -> str:
    feature, _, value = d.feature.partition("=")
    strong = d.strength >= 1.0
    if value:  # a category: its share
        words = TRAITS[(d.feature, d.direction)]
        name = words.word_zh if lang == "zh" else words.word_en
        if lang == "zh":
            return f"{name}占比{'明显' if strong else ''}偏高"
        return f"{'many more' if strong else 'more'} {name}"
    zh, en = FEATURE_WORDS.get(feature, (feature, feature))
    if lang == "zh":
        return f"{zh}{'明显' if strong else ''}{'偏高' if d.direction == 'high' else '偏低'}"
    more = "higher" if d.direction == "high" else "lower"
    return f"{'much ' if strong else ''}{more} {en}"


def _yuan(fen: object) -> str:
    return f"¥{round(float(fen) / 100):,}" if isinstance(fen, int | float) else "—"


def _pct(value: object) -> str:
    return f"{float(value):.1%}" if isinstance(value, int | float) else "—"


def describe(profile: Mapping[str, Any], lang: str, *, intro: str = "",
             traits: Sequence[Distinction] = ()) -> str:  # fmt: skip
    """A segment's description in ``lang`` (``zh`` or ``en``) from its profile (the keys
    ``customers.segment_profiles`` writes): size and share, what sets it apart, income, deposits,
    channel preference, response and approval rates and its typical needs."""
    zh = lang == "zh"
    size, share = int(profile.get("size", 0)), profile.get("share")
    parts = [intro] if intro else []
    parts.append(
        f"占客户 {_pct(share)}（{size:,} 人）" if zh else f"{_pct(share)} of customers ({size:,})"
    )
    if traits:
        joined = ("、" if zh else ", ").join(_phrase(d, lang) for d in traits)
        parts.append(f"与全体客户相比{joined}" if zh else f"against all customers: {joined}")
    income = profile.get("income") or {}
    holdings = profile.get("holdings") or {}
    money = (f"月收入中位数 {_yuan(income.get('median_fen'))}，存款中位数 {_yuan(holdings.get('deposit_median_fen'))}"
             if zh else f"median monthly income {_yuan(income.get('median_fen'))}, median deposits "
             f"{_yuan(holdings.get('deposit_median_fen'))}")  # fmt: skip
    parts.append(money)
    channel = profile.get("channel") or {}
    parts.append(f"偏好线上渠道 {_pct(channel.get('digital'))}、网点 {_pct(channel.get('branch'))}" if zh
                 else f"prefers online/mobile {_pct(channel.get('digital'))}, branch {_pct(channel.get('branch'))}")  # fmt: skip
    rates = []
    response, approval = profile.get("response") or {}, profile.get("approval") or {}
    if response.get("targets"):
        rates.append(
            f"营销响应率 {_pct(response.get('rate'))}"
            if zh
            else f"response rate {_pct(response.get('rate'))}"
        )
    if approval.get("decided"):
        rates.append(
            f"审批通过率 {_pct(approval.get('rate'))}"
            if zh
            else f"approval rate {_pct(approval.get('rate'))}"
        )
    if rates:
        parts.append(("，" if zh else ", ").join(rates))
    products = [
        p for p in (profile.get("needs") or {}).get("products", [])[:3] if p.get("applications")
    ]
    if products:
        names = ("、" if zh else ", ").join(
            str(p.get("name_zh" if zh else "name_en")) for p in products
        )
        parts.append(f"常见需求：{names}" if zh else f"typical needs: {names}")
    text = ("；" if zh else "; ").join(p for p in parts if p)
    return text + ("。" if zh else ".")


def band_text(band: Band, unit_zh: str, unit_en: str, lang: str, *, money: bool = False) -> str:
    """``35–55 岁`` / ``under ¥5,000``: a band's range in ``lang``."""

    def edge(v: Decimal) -> str:
        return f"¥{v:,.0f}" if money and v == v.to_integral_value() else (f"¥{v:,}" if money else f"{v:,f}".rstrip("0").rstrip("."))  # fmt: skip

    zh = lang == "zh"
    unit = "" if money else (unit_zh if zh else f" {unit_en}")
    if band.lower is None and band.upper is not None:
        return f"{edge(band.upper)}{unit}以下" if zh else f"under {edge(band.upper)}{unit}"
    if band.upper is None and band.lower is not None:
        return f"{edge(band.lower)}{unit}及以上" if zh else f"{edge(band.lower)}{unit} and over"
    if band.lower is None or band.upper is None:
        return "全部" if zh else "all"
    return f"{edge(band.lower)}–{edge(band.upper)}{unit}"
