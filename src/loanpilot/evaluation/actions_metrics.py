"""The one adapter between improvement actions and the metrics that verify them.

An action's ``metric_code`` is a KPI code of the KPI suite (``evaluation.kpis``: ``compute(session,
period, codes=[code], dimension=...)`` → ``KpiValue``s, each definition with its
``higher_is_better``), or one of feedback's own counts: ``complaints`` (complaint tickets per 30
days) and ``complaints_<topic>`` (of one topic), lower being better. Every measured value carries
the query that produced it (``source``), as the work plan requires.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from loanpilot.evaluation import repository_feedback as repo
from loanpilot.evaluation.topics import TOPIC_LABELS
from loanpilot.kit.clock import SHANGHAI
from loanpilot.kit.periods import Period


@dataclass(frozen=True)
class MetricInfo:
    code: str
    label_zh: str
    label_en: str
    higher_is_better: bool
    origin: str  # "kpi" or "feedback"


@dataclass(frozen=True)
class Measured:
    value: Decimal
    numerator: Decimal | None
    denominator: Decimal | None
    source: str


def _kpis() -> ModuleType | None:
    try:
        return importlib.import_module("loanpilot.evaluation.kpis")
    except ImportError:
        return None


def _definitions(module: ModuleType) -> dict[str, Any]:
    codes, definition = getattr(module, "KPI_CODES", None), getattr(module, "definition", None)
    if codes is not None and callable(definition):
        return {str(code): definition(code) for code in codes}
    for name in ("DEFINITIONS", "KPIS", "KPI_DEFINITIONS", "CATALOGUE"):
        found = getattr(module, name, None)
        if isinstance(found, dict):
            return dict(found)
        if isinstance(found, list | tuple):
            return {str(getattr(d, "code", i)): d for i, d in enumerate(found)}
    maker = getattr(module, "definitions", None)
    if callable(maker):
        defs = maker()
        return defs if isinstance(defs, dict) else {str(d.code): d for d in defs}
    return {}


def _attr(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return default


def _feedback_info(code: str) -> MetricInfo | None:
    if code == "complaints":
        return MetricInfo(code, "投诉量（件/30天）", "Complaints per 30 days", False, "feedback")
    if code.startswith("complaints_") and code[len("complaints_") :] in TOPIC_LABELS:
        zh, en = TOPIC_LABELS[code[len("complaints_") :]]
        return MetricInfo(code, f"{zh}投诉量（件/30天）", f"{en} complaints per 30 days", False,
                          "feedback")  # fmt: skip
    return None


def info(code: str) -> MetricInfo | None:
    """What ``code`` measures and its direction; None when it is no metric we know."""
    own = _feedback_info(code)
    if own is not None:
        return own
    module = _kpis()
    if module is None:
        return None
    d = _definitions(module).get(code)
    if d is None:
        return None
    return MetricInfo(
        code,
        str(_attr(d, "label_zh", "name_zh", "title_zh", default=code)),
        str(_attr(d, "label_en", "name_en", "title_en", default=code)),
        bool(_attr(d, "higher_is_better", default=True)),
        "kpi",
    )


def catalogue() -> list[MetricInfo]:
    """Every metric an action may name: the KPI suite's, then feedback's counts."""
    out: list[MetricInfo] = []
    module = _kpis()
    if module is not None:
        for code in _definitions(module):
            found = info(code)
            if found is not None:
                out.append(found)
    out.append(_feedback_info("complaints"))  # type: ignore[arg-type]
    out += [_feedback_info(f"complaints_{t}") for t in TOPIC_LABELS]  # type: ignore[misc]
    return out


def _bounds(period: Period, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return (datetime.combine(period.start, time.min, tzinfo=tz),
            datetime.combine(period.end, time.min, tzinfo=tz))  # fmt: skip


def measure(
    session: Session,
    code: str,
    period: Period,
    *,
    dimension: str = "all",
    key: str | None = None,
    tz: ZoneInfo = SHANGHAI,
) -> Measured | None:
    """The metric over ``period`` (for one slice when ``dimension`` is not ``all``); None when it
    cannot be measured (unknown code, no KPI suite, no value for the slice)."""
    if _feedback_info(code) is not None:
        topic = code[len("complaints_") :] if code != "complaints" else None
        start, end = _bounds(period, tz)
        n = repo.complaints_between(session, start, end, topic)
        days = (period.end - period.start).days
        value = (Decimal(n) * 30 / Decimal(days)).quantize(Decimal("0.0001"))
        source = f"feedback.complaints period={period.label}" + (f" topic={topic}" if topic else "")
        return Measured(value, Decimal(n), Decimal(days), source)
    module = _kpis()
    if module is None or info(code) is None:
        return None
    values = module.compute(session, period, codes=[code], dimension=dimension)
    for v in values:
        if str(_attr(v, "code", default=code)) != code:
            continue
        if dimension != "all" and key is not None and str(_attr(v, "key", default="")) != key:
            continue
        raw = _attr(v, "value")
        if raw is None:
            return None
        num, den = _attr(v, "numerator"), _attr(v, "denominator")
        maker = getattr(module, "source", None)
        where = maker(code, period, dimension) if callable(maker) else (
            f"kpi:{code} period={period.label} by={dimension}")  # fmt: skip
        where += f" key={key}" if dimension != "all" and key else ""
        value = Decimal(str(raw)).quantize(Decimal("0.00000001"))
        return Measured(value, None if num is None else Decimal(str(num)),
                        None if den is None else Decimal(str(den)), where)  # fmt: skip
    return None
