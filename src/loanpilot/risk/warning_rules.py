"""Early-warning rules, pure: a rule (a row of ``warning_rules``) evaluated over a metric series.

A series is a list of ``Point(period, key, value)``: one value of the metric per period and per
value of the rule's dimension (``key``: ``all``, a branch code, a product code, a channel, an
occupation segment, an LPR term). Evaluating a rule gives one ``Firing`` per key that crosses it,
with the value measured, the threshold and an explanation in Chinese and English.

Kinds (``direction`` says which way is bad):

- **level**: the latest value is above (below) the threshold;
- **change**: the latest value minus the value ``window`` periods earlier rose by more than the
  threshold (``above``) or fell by more than it (``below``); the threshold is a size, >= 0;
- **trend**: the value moved the bad way in each of the last ``window`` periods (strictly), and
  the total move over them is larger than the threshold (0: any move).

Comparisons are strict: a value equal to the threshold does not fire. A key with too few periods
for its rule (change and trend need ``window + 1``) does not fire either.

``parse_rule`` turns submitted values (a form, a JSON body, a table row) into a ``Rule``, collecting
every problem (unknown metric or dimension, a window below 1, ...) before raising once.
No session, clock or randomness here (house rule 2).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Final

from loanpilot.kit.errors import FieldProblem, ValidationError


@dataclass(frozen=True)
class Metric:
    code: str
    zh: str
    en: str
    unit: str  # ratio (shown as %) | bp (basis points)
    dimensions: tuple[str, ...]


#: Every dimension a portfolio metric can be cut by (``segment`` is the borrower's occupation).
PORTFOLIO_DIMENSIONS: Final = ("all", "branch", "product", "channel", "segment")
#: The metrics a rule may watch. Balance-weighted rates over the delinquency snapshots:
#: ``m1plus_balance_rate`` (the overdue rate: balance of loans 1+ days past due / balance),
#: ``dpd30plus_balance_rate`` (30+ days), ``npl_ratio`` (次级 + 可疑 + 损失 / balance),
#: ``new_delinquency_rate`` (balance of loans that fell past due since the previous period /
#: balance); and the market signal ``lpr_change_bp`` (size of an LPR change that took effect in the
#: last ``window`` days, by term).
METRICS: Final[dict[str, Metric]] = {
    m.code: m
    for m in (
        Metric("m1plus_balance_rate", "逾期率（M1+）", "Overdue rate (M1+)", "ratio", PORTFOLIO_DIMENSIONS),
        Metric("dpd30plus_balance_rate", "30天以上逾期率", "30+ DPD rate", "ratio", PORTFOLIO_DIMENSIONS),
        Metric("npl_ratio", "不良率", "NPL ratio", "ratio", PORTFOLIO_DIMENSIONS),
        Metric("new_delinquency_rate", "新增逾期率", "New delinquency rate", "ratio", PORTFOLIO_DIMENSIONS),
        Metric("lpr_change_bp", "LPR 调整幅度", "LPR change", "bp", ("all",)),
    )
}  # fmt: skip
DIMENSIONS: Final = PORTFOLIO_DIMENSIONS
DIMENSION_LABELS: Final[dict[str, tuple[str, str]]] = {
    "all": ("全行", "whole bank"),
    "branch": ("机构", "branch"),
    "product": ("产品", "product"),
    "channel": ("渠道", "channel"),
    "segment": ("客群", "segment"),
    "loan": ("贷款", "loan"),
}
KINDS: Final = ("level", "change", "trend")
DIRECTIONS: Final = ("above", "below")
SEVERITIES: Final = ("low", "medium", "high", "critical")
MAX_WINDOW: Final = 24
MAX_DUE_DAYS: Final = 365
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


@dataclass(frozen=True)
class Rule:
    """An early-warning rule as ``warning_rules`` holds it (what evaluation needs)."""

    code: str
    metric: str
    dimension: str
    kind: str
    direction: str
    threshold: Decimal
    window: int = 1
    severity: str = "medium"
    name_zh: str = ""
    name_en: str = ""
    due_days: int = 7


@dataclass(frozen=True)
class Point:
    period: date
    key: str
    value: Decimal


@dataclass(frozen=True)
class Firing:
    """A rule crossed by one key: ``value`` is what was compared with ``threshold`` (the latest
    value, the change, or the total move), ``latest`` the metric's latest value, ``series`` the
    key's points oldest first."""

    rule_code: str
    dimension: str
    key: str
    period: date
    value: Decimal
    threshold: Decimal
    latest: Decimal
    series: tuple[tuple[date, Decimal], ...]
    explain_zh: str
    explain_en: str


# --- evaluation -----------------------------------------------------------------------------------


def _bad(delta: Decimal, direction: str, size: Decimal) -> bool:
    return delta > size if direction == "above" else delta < -size


def _crosses(rule: Rule, values: list[Decimal]) -> Decimal | None:
    """The measured value when ``values`` (oldest first) cross ``rule``; None otherwise."""
    latest = values[-1]
    if rule.kind == "level":
        hit = latest > rule.threshold if rule.direction == "above" else latest < rule.threshold
        return latest if hit else None
    if len(values) < rule.window + 1:
        return None
    move = latest - values[-1 - rule.window]
    if rule.kind == "change":
        return move if _bad(move, rule.direction, rule.threshold) else None
    steps = [
        b - a for a, b in zip(values[-1 - rule.window : -1], values[-rule.window :], strict=True)
    ]
    every = all(_bad(s, rule.direction, Decimal(0)) for s in steps)
    return move if every and _bad(move, rule.direction, rule.threshold) else None


def evaluate(rule: Rule, points: Iterable[Point]) -> list[Firing]:
    """Every key of ``points`` that crosses ``rule``, by key."""
    by_key: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for p in points:
        by_key[p.key][p.period] = p.value
    firings = []
    for key in sorted(by_key):
        series = sorted(by_key[key].items())
        values = [v for _, v in series]
        measured = _crosses(rule, values)
        if measured is None:
            continue
        zh, en = explain(rule, key, measured, values[-1])
        firings.append(
            Firing(
                rule_code=rule.code,
                dimension=rule.dimension,
                key=key,
                period=series[-1][0],
                value=measured,
                threshold=rule.threshold,
                latest=values[-1],
                series=tuple(series),
                explain_zh=zh,
                explain_en=en,
            )
        )
    return firings


# --- words ----------------------------------------------------------------------------------------


def format_value(metric: str, value: Decimal) -> str:
    """A metric's value as read: ``3.25%`` for a ratio, ``-10bp`` for basis points."""
    unit = METRICS[metric].unit if metric in METRICS else "ratio"
    if unit == "bp":
        return f"{value.normalize():f}bp"
    return f"{(value * 100).quantize(Decimal('0.01'))}%"


def explain(rule: Rule, key: str, measured: Decimal, latest: Decimal) -> tuple[str, str]:
    """Why ``rule`` fired for ``key``, in Chinese and in English."""
    metric = METRICS.get(rule.metric)
    m_zh, m_en = (metric.zh, metric.en) if metric else (rule.metric, rule.metric)
    d_zh, d_en = DIMENSION_LABELS.get(rule.dimension, (rule.dimension, rule.dimension))
    if rule.dimension == "all":
        where_zh, where_en = ("全行", "the whole bank") if key == "all" else (key, key)
    else:
        where_zh, where_en = f"{d_zh} {key}", f"{d_en} {key}"
    thr = format_value(rule.metric, rule.threshold)
    now = format_value(rule.metric, latest)
    up = rule.direction == "above"
    if rule.kind == "level":
        return (
            f"{where_zh} {m_zh}为 {now}，{'高于' if up else '低于'}阈值 {thr}",
            f"{m_en} of {where_en} is {now}, {'above' if up else 'below'} the threshold {thr}",
        )
    ratio = metric is None or metric.unit == "ratio"
    size = (abs(measured) * 100).quantize(Decimal("0.01"))
    moved_zh = f"{size} 个百分点" if ratio else format_value(rule.metric, abs(measured))
    moved_en = f"{size} pp" if ratio else format_value(rule.metric, abs(measured))
    thr_zh = f"{(rule.threshold * 100).quantize(Decimal('0.01'))} 个百分点" if ratio else thr
    thr_en = f"{(rule.threshold * 100).quantize(Decimal('0.01'))} pp" if ratio else thr
    if rule.kind == "change":
        return (
            f"{where_zh} {m_zh}较 {rule.window} 期前{'上升' if up else '下降'} {moved_zh}（现为 {now}），"
            f"超过阈值 {thr_zh}",
            f"{m_en} of {where_en} {'rose' if up else 'fell'} by {moved_en} over {rule.window} "
            f"period(s) (now {now}), more than the threshold {thr_en}",
        )
    return (
        f"{where_zh} {m_zh}连续 {rule.window} 期{'上升' if up else '下降'}，累计 {moved_zh}（现为 {now}）",
        f"{m_en} of {where_en} {'rose' if up else 'fell'} in each of the last {rule.window} "
        f"periods, {moved_en} in all (now {now})",
    )


# --- parsing and validation -----------------------------------------------------------------------


def _text(data: Mapping[str, object], name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value).strip()


def _int(data: Mapping[str, object], name: str, default: int, problems: list[FieldProblem]) -> int:
    raw = data.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    if isinstance(raw, bool):
        problems.append(FieldProblem(name, f"must be a whole number; got {raw!r}"))
        return default
    try:
        return int(str(raw).strip())
    except ValueError:
        problems.append(FieldProblem(name, f"must be a whole number; got {str(raw)[:40]!r}"))
        return default


def _decimal(data: Mapping[str, object], name: str, problems: list[FieldProblem]) -> Decimal:
    raw = _text(data, name)
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or abs(value) > Decimal(10) ** 12:
        problems.append(FieldProblem(name, f"must be a decimal number; got {raw[:40]!r}"))
        return Decimal(0)
    return value


def _one_of(value: str, name: str, allowed: Iterable[str], problems: list[FieldProblem]) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        problems.append(
            FieldProblem(name, f"must be one of {', '.join(allowed)}; got {value[:40]!r}")
        )


def rule_problems(rule: Rule) -> list[FieldProblem]:
    """Every problem of an already typed rule (the checks ``parse_rule`` makes after typing)."""
    problems: list[FieldProblem] = []
    if not _CODE.match(rule.code):
        problems.append(
            FieldProblem(
                "code", "must be 2 to 64 characters: a lower-case letter, then a-z, 0-9, _"
            )
        )
    for name, text in (("name_zh", rule.name_zh), ("name_en", rule.name_en)):
        if not text or len(text) > 100:
            problems.append(FieldProblem(name, "must be 1 to 100 characters"))
    metric = METRICS.get(rule.metric)
    _one_of(rule.metric, "metric", METRICS, problems)
    _one_of(rule.dimension, "dimension", DIMENSIONS, problems)
    if metric and rule.dimension in DIMENSIONS and rule.dimension not in metric.dimensions:
        problems.append(
            FieldProblem(
                "dimension",
                f"{rule.metric} can be cut by {', '.join(metric.dimensions)} only; "
                f"got {rule.dimension!r}",
            )
        )
    _one_of(rule.kind, "kind", KINDS, problems)
    _one_of(rule.direction, "direction", DIRECTIONS, problems)
    _one_of(rule.severity, "severity", SEVERITIES, problems)
    if not 1 <= rule.window <= MAX_WINDOW:
        problems.append(
            FieldProblem("window", f"must be between 1 and {MAX_WINDOW}; got {rule.window}")
        )
    if not 1 <= rule.due_days <= MAX_DUE_DAYS:
        problems.append(
            FieldProblem("due_days", f"must be between 1 and {MAX_DUE_DAYS}; got {rule.due_days}")
        )
    if rule.kind in ("change", "trend") and rule.threshold < 0:
        problems.append(
            FieldProblem("threshold", "must not be negative for a change or trend (it is a size)")
        )
    if metric and metric.unit == "ratio" and rule.kind == "level" and not 0 <= rule.threshold <= 1:
        problems.append(
            FieldProblem("threshold", "must be between 0 and 1 for a rate (0.05 is 5 %)")
        )
    return problems


def parse_rule(data: Mapping[str, object]) -> Rule:
    """A ``Rule`` from submitted values; a ValidationError listing every problem otherwise."""
    problems: list[FieldProblem] = []
    if not _text(data, "threshold"):
        problems.append(FieldProblem("threshold", "is required"))
        threshold = Decimal(0)
    else:
        threshold = _decimal(data, "threshold", problems)
    rule = Rule(
        code=_text(data, "code"),
        metric=_text(data, "metric"),
        dimension=_text(data, "dimension") or "all",
        kind=_text(data, "kind"),
        direction=_text(data, "direction") or "above",
        threshold=threshold,
        window=_int(data, "window", 1, problems),
        severity=_text(data, "severity") or "medium",
        name_zh=_text(data, "name_zh"),
        name_en=_text(data, "name_en"),
        due_days=_int(data, "due_days", 7, problems),
    )
    problems += rule_problems(rule)
    if problems:
        raise ValidationError("warning_rule.invalid", "The warning rule is not usable", problems)
    return rule


# --- the rules a bank starts with (seeded as data when ``warning_rules`` is empty) ----------------


@dataclass(frozen=True)
class DefaultRule:
    rule: Rule
    owner_role: str  # the alert goes to a staff member of this role (the branch's, by branch)
    contingency_zh: str
    contingency_en: str


def _default(
    code: str, names: tuple[str, str], metric: str, dimension: str, kind: str,
    threshold: str, window: int, severity: str, owner_role: str, due_days: int,
    plan: tuple[str, str],
) -> DefaultRule:  # fmt: skip
    rule = Rule(
        code=code, metric=metric, dimension=dimension, kind=kind, direction="above",
        threshold=Decimal(threshold), window=window, severity=severity,
        name_zh=names[0], name_en=names[1], due_days=due_days,
    )  # fmt: skip
    return DefaultRule(rule, owner_role, plan[0], plan[1])


DEFAULT_RULES: Final[tuple[DefaultRule, ...]] = (
    _default(
        "portfolio_m1plus_rate_high",
        ("全行逾期率超限", "Bank overdue rate above limit"),
        "m1plus_balance_rate",
        "all",
        "level",
        "0.03",
        1,
        "high",
        "risk_officer",
        7,
        (
            "排查新增逾期来源（产品、渠道、机构）；暂停逾期率最高渠道的自动审批；加密 M1 催收频次。",
            "Trace the new arrears by product, channel and branch; pause automatic approval in the "
            "worst channel; step up M1 collection contacts.",
        ),
    ),
    _default(
        "branch_m1plus_rate_high",
        ("机构逾期率超限", "Branch overdue rate above limit"),
        "m1plus_balance_rate",
        "branch",
        "level",
        "0.05",
        1,
        "high",
        "branch_head",
        14,
        (
            "约谈机构负责人；收紧该机构新增审批权限；对逾期客户逐户走访并制定清收计划。",
            "Meet the branch head; tighten the branch's approval authority; visit each overdue "
            "borrower and set a recovery plan.",
        ),
    ),
    _default(
        "product_dpd30_rate_high",
        ("产品30天以上逾期率超限", "Product 30+ DPD rate above limit"),
        "dpd30plus_balance_rate",
        "product",
        "level",
        "0.02",
        1,
        "medium",
        "risk_officer",
        14,
        (
            "复核该产品准入规则与评分切分点；必要时下调额度或暂停营销活动。",
            "Review the product's eligibility rules and score cut-offs; lower limits or pause its "
            "campaigns if needed.",
        ),
    ),
    _default(
        "portfolio_npl_ratio_high",
        ("全行不良率超限", "Bank NPL ratio above limit"),
        "npl_ratio",
        "all",
        "level",
        "0.015",
        1,
        "critical",
        "risk_officer",
        7,
        (
            "启动不良资产处置预案：逐户认定、计提拨备、评估核销与批量转让；向管理层报告。",
            "Start the NPL plan: classify loan by loan, provision, assess write-off and bulk "
            "transfer; report to management.",
        ),
    ),
    _default(
        "segment_m1plus_rate_rise",
        ("客群逾期率上升", "Segment overdue rate rising"),
        "m1plus_balance_rate",
        "segment",
        "change",
        "0.01",
        1,
        "medium",
        "risk_officer",
        14,
        (
            "分析该客群（职业）逾期上升原因；调整该客群的准入与定价；对存量客户加强贷后检查。",
            "Find why the segment's (occupation's) arrears rose; adjust its eligibility and pricing; "
            "step up post-loan checks on its borrowers.",
        ),
    ),
    _default(
        "channel_new_delinquency_trend",
        ("渠道新增逾期持续上升", "Channel new delinquency rising"),
        "new_delinquency_rate",
        "channel",
        "trend",
        "0",
        3,
        "medium",
        "risk_officer",
        14,
        (
            "核查该渠道进件质量与合作机构；必要时暂停该渠道进件。",
            "Check the channel's application quality and partners; suspend intake from it if "
            "needed.",
        ),
    ),
    _default(
        "market_lpr_change",
        ("LPR 调整", "LPR change"),
        "lpr_change_bp",
        "all",
        "level",
        "0",
        3,
        "medium",
        "risk_officer",
        14,
        (
            "评估 LPR 调整对浮动利率存量贷款收益与借款人还款压力的影响；更新产品定价。",
            "Assess the LPR change's effect on floating-rate loan income and borrowers' repayment "
            "burden; update product pricing.",
        ),
    ),
)
