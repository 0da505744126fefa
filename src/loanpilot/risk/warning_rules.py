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
every problem (unknown metric or dimension, a window below 1, ...) before raising once;
``text_problems``, ``close_problems`` and ``finding_problems`` check what staff write on an alert
or a monitoring task.
Every problem is a ``Problem`` with a stable code of ``PROBLEMS``, which the pages translate.
The rules a bank starts with are in ``risk.warning_defaults``.
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

from loanpilot.kit.errors import CodedProblem, FieldProblem, ValidationError


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


# --- problems: stable codes, so each surface says them in its own language ---------------------

#: Every problem the validation of early warning can report: code → the English text, with the
#: ``{placeholders}`` its ``params`` fill. The console pages translate the code
#: (``alerts.problem.<code>`` in zh and en); the JSON API sends the English text and the code.
PROBLEMS: Final[dict[str, str]] = {
    "required": "is required",
    "whole_number": "must be a whole number; got {got!r}",
    "decimal": "must be a decimal number; got {got!r}",
    "one_of": "must be one of {allowed}; got {got!r}",
    "code_format": "must be 2 to 64 characters: a lower-case letter, then a-z, 0-9, _",
    "length": "must be 1 to {max} characters",
    "too_long": "must be at most {max} characters",
    "dimension_of_metric": "{metric} can be cut by {allowed} only; got {got!r}",
    "between": "must be between {low} and {high}; got {got}",
    "negative_size": "must not be negative for a change or trend (it is a size)",
    "rate_fraction": "must be between 0 and 1 for a rate (0.05 is 5 %)",
    "code_taken": "{code} already exists; choose another code",
    "unknown_role": "unknown role {got!r}",
    "unknown_staff": "no staff member with this id",
    "note_required": "is required for a concern or a misuse",
    "reason_required": "is required when no action was recorded",
}
#: What a monitoring task can find.
FINDINGS: Final = ("ok", "concern", "misuse")
MAX_NAME: Final = 100
MAX_TEXT: Final = 2000  # a contingency plan, an action taken, a reason to close
MAX_NOTE: Final = 4000  # a task's note


class Problem(CodedProblem):
    """A problem of early warning: its ``code`` is a key of :data:`PROBLEMS`."""


def problem(field: str, code: str, /, **params: object) -> Problem:
    """The problem ``code`` of ``field``, its English text filled from ``params``."""
    return Problem.of(PROBLEMS, field, code, params)


def _got(raw: object) -> str:
    return str(raw)[:40]


# --- parsing and validation -----------------------------------------------------------------------


def _text(data: Mapping[str, object], name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value).strip()


def _int(data: Mapping[str, object], name: str, default: int, problems: list[FieldProblem]) -> int:
    raw = data.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    if isinstance(raw, bool):
        problems.append(problem(name, "whole_number", got=raw))
        return default
    try:
        return int(str(raw).strip())
    except ValueError:
        problems.append(problem(name, "whole_number", got=_got(raw)))
        return default


def _decimal(data: Mapping[str, object], name: str, problems: list[FieldProblem]) -> Decimal:
    raw = _text(data, name)
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or abs(value) > Decimal(10) ** 12:
        problems.append(problem(name, "decimal", got=_got(raw)))
        return Decimal(0)
    return value


def _one_of(value: str, name: str, allowed: Iterable[str], problems: list[FieldProblem]) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        problems.append(problem(name, "one_of", allowed=", ".join(allowed), got=_got(value)))


def rule_problems(rule: Rule) -> list[FieldProblem]:
    """Every problem of an already typed rule (the checks ``parse_rule`` makes after typing)."""
    problems: list[FieldProblem] = []
    if not _CODE.match(rule.code):
        problems.append(problem("code", "code_format"))
    for name, text in (("name_zh", rule.name_zh), ("name_en", rule.name_en)):
        if not text or len(text) > MAX_NAME:
            problems.append(problem(name, "length", max=MAX_NAME))
    metric = METRICS.get(rule.metric)
    _one_of(rule.metric, "metric", METRICS, problems)
    _one_of(rule.dimension, "dimension", DIMENSIONS, problems)
    if metric and rule.dimension in DIMENSIONS and rule.dimension not in metric.dimensions:
        problems.append(problem("dimension", "dimension_of_metric", metric=rule.metric,
                                allowed=", ".join(metric.dimensions), got=_got(rule.dimension)))  # fmt: skip
    _one_of(rule.kind, "kind", KINDS, problems)
    _one_of(rule.direction, "direction", DIRECTIONS, problems)
    _one_of(rule.severity, "severity", SEVERITIES, problems)
    if not 1 <= rule.window <= MAX_WINDOW:
        problems.append(problem("window", "between", low=1, high=MAX_WINDOW, got=rule.window))
    if not 1 <= rule.due_days <= MAX_DUE_DAYS:
        problems.append(problem("due_days", "between", low=1, high=MAX_DUE_DAYS, got=rule.due_days))
    if rule.kind in ("change", "trend") and rule.threshold < 0:
        problems.append(problem("threshold", "negative_size"))
    if metric and metric.unit == "ratio" and rule.kind == "level" and not 0 <= rule.threshold <= 1:
        problems.append(problem("threshold", "rate_fraction"))
    return problems


def parse_rule(data: Mapping[str, object]) -> Rule:
    """A ``Rule`` from submitted values; a ValidationError listing every problem otherwise."""
    problems: list[FieldProblem] = []
    if not _text(data, "threshold"):
        problems.append(problem("threshold", "required"))
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


def text_problems(field: str, text: str, *, required: bool, max_chars: int) -> list[FieldProblem]:
    """The problems of a free text (already stripped): missing when ``required``, too long."""
    if required and not text:
        return [problem(field, "length", max=max_chars)]
    if len(text) > max_chars:
        return [problem(field, "too_long", max=max_chars)]
    return []


def close_problems(reason: str, has_action: bool) -> list[FieldProblem]:
    """The problems of closing an alert with ``reason`` (stripped): it is required when no action
    was recorded, and at most ``MAX_TEXT`` characters."""
    if not reason and not has_action:
        return [problem("reason", "reason_required")]
    return text_problems("reason", reason, required=False, max_chars=MAX_TEXT)


def finding_problems(finding: str, note: str) -> list[FieldProblem]:
    """The problems of a monitoring task's finding and note (stripped): a known finding; a note
    for a concern or a misuse, at most ``MAX_NOTE`` characters."""
    problems: list[FieldProblem] = []
    _one_of(finding, "finding", FINDINGS, problems)
    if finding in ("concern", "misuse") and not note:
        problems.append(problem("note", "note_required"))
    problems += text_problems("note", note, required=False, max_chars=MAX_NOTE)
    return problems
