"""The generated marketing work plan (营销工作方案): build every chapter from the bank's own data,
pick the executive summary, render it (``plan_render``), print it to PDF (``plan_pdf``) and store
it (``plan_store``).

The chapters follow the plan's nine areas; each is built by one or more *parts*
(``plan_section(session, period, as_of)`` returning a ``plan_types.Section``), registered by
module name in :data:`CHAPTERS` and imported when the plan is built. A part whose module does
not exist yet, or that fails, leaves a clearly marked "not available: <reason>" in its chapter
(and the failure in the log) instead of stopping the report; ``strict=True`` (the tests) raises
instead. Each part runs inside a savepoint, so a failed query cannot spoil the next part's
session. Parts only read; nothing here writes except ``plan_store``.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.evaluation.plan_doc import Chapter, PlanDocument, Unavailable
from loanpilot.evaluation.plan_summary import build_summary
from loanpilot.evaluation.plan_types import Section
from loanpilot.kit.periods import Period
from loanpilot.team.models import Branch

logger = logging.getLogger(__name__)

#: (chapter key, part index, parts in the chapter) after each part is built.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ChapterSpec:
    number: int
    key: str
    title_zh: str
    title_en: str
    parts: tuple[str, ...]  # modules with a ``plan_section`` function


CHAPTERS: tuple[ChapterSpec, ...] = (
    ChapterSpec(1, "market", "市场分析", "Market analysis", ("loanpilot.market.plan_section",)),
    ChapterSpec(2, "customers", "目标客户定位", "Target customers",
                ("loanpilot.evaluation.plan_customers",)),
    ChapterSpec(3, "products", "产品策略", "Product strategy", ("loanpilot.evaluation.plan_products",)),
    ChapterSpec(4, "channels", "营销渠道", "Channels", ("loanpilot.evaluation.plan_channels",)),
    ChapterSpec(5, "team", "营销团队", "Team", ("loanpilot.team.plan_section",)),
    ChapterSpec(6, "campaigns", "营销活动", "Campaigns",
                ("loanpilot.evaluation.plan_campaigns", "loanpilot.evaluation.plan_proposals")),
    ChapterSpec(7, "risk", "风险控制", "Risk control", ("loanpilot.evaluation.plan_risk",)),
    ChapterSpec(8, "service", "客户服务", "Customer service", ("loanpilot.service.plan_section",)),
    ChapterSpec(9, "evaluation", "效果评估与反馈", "Evaluation and feedback",
                ("loanpilot.evaluation.plan_kpis", "loanpilot.evaluation.plan_feedback")),
)  # fmt: skip
#: A failed part's reason shows the first line of its error, at most this long (the log has all).
REASON_CHARS = 240
#: Progress steps: every part, then the summary.
STEPS = sum(len(c.parts) for c in CHAPTERS) + 1


class PartMissingError(Exception):
    """The module of a part is not there (yet)."""


def _builder(module_name: str) -> Callable[..., Section]:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            raise PartMissingError(f"{module_name} has not been built yet") from None
        raise
    builder = getattr(module, "plan_section", None)
    if builder is None:
        raise PartMissingError(f"{module_name} has no plan_section() yet")
    return builder  # type: ignore[no-any-return]


def _call(builder: Callable[..., Section], session: Session, period: Period, as_of: date,
          lang: str, options: dict[str, object]) -> Section:  # fmt: skip
    """Call a part's builder with what it accepts (``lang`` and options are optional)."""
    accepted = inspect.signature(builder).parameters
    extra: dict[str, object] = {"lang": lang} if "lang" in accepted else {}
    extra.update({k: v for k, v in options.items() if k in accepted})
    section = builder(session, period, as_of, **extra)
    if not isinstance(section, Section):
        raise TypeError(f"plan_section returned {type(section).__name__}, not a Section")
    return section


def build_part(session: Session, module_name: str, period: Period, as_of: date, *,
               lang: str = "zh", strict: bool = False,
               options: dict[str, object] | None = None) -> Section | Unavailable:  # fmt: skip
    """One part of a chapter, or why it is not available."""
    try:
        builder = _builder(module_name)
    except PartMissingError as exc:
        if strict and module_name.startswith("loanpilot.evaluation.plan_"):
            raise
        return Unavailable(module_name, str(exc))
    nested = session.begin_nested()
    try:
        section = _call(builder, session, period, as_of, lang, options or {})
    except Exception as exc:  # a part's failure is reported in its chapter, with its cause
        nested.rollback()
        if strict:
            raise
        logger.exception("work plan part %s failed", module_name)
        first = (str(exc).strip().splitlines() or [""])[0][:REASON_CHARS]
        return Unavailable(module_name, f"{module_name} failed: {type(exc).__name__}: {first}")
    nested.rollback()  # parts only read: nothing of theirs is kept
    return section


def bank_names(session: Session) -> tuple[str, str]:
    """The bank's name: its head office (the root branch), without a trailing 总行."""
    root = session.scalars(
        select(Branch).where(Branch.parent_id.is_(None)).order_by(Branch.id).limit(1)
    ).first()
    if root is None:
        return "本行", "The bank"
    zh = root.name.removesuffix("总行") or root.name
    return zh, zh


def build_plan(
    session: Session,
    period: Period,
    *,
    as_of: date,
    now: datetime,
    lang: str = "zh",
    strict: bool = False,
    progress: Progress | None = None,
    options: dict[str, object] | None = None,
) -> PlanDocument:
    """Build every chapter of the plan of ``period`` (point-in-time figures as of ``as_of``)."""
    chapters: list[Chapter] = []
    for spec in CHAPTERS:
        started = time.perf_counter()
        parts: list[Section] = []
        missing: list[Unavailable] = []
        for i, module_name in enumerate(spec.parts, 1):
            found = build_part(session, module_name, period, as_of, lang=lang, strict=strict,
                               options=options)  # fmt: skip
            (missing if isinstance(found, Unavailable) else parts).append(found)  # type: ignore[arg-type]
            if progress is not None:
                progress(spec.key, i, len(spec.parts))
        chapters.append(Chapter(spec.number, spec.key, spec.title_zh, spec.title_en, tuple(parts),
                                tuple(missing), round(time.perf_counter() - started, 3)))  # fmt: skip
    zh, en = bank_names(session)
    summary = build_summary(period, as_of, chapters, lang=lang)
    if progress is not None:
        progress("summary", 1, 1)
    return PlanDocument(period, as_of, now, zh, en, summary, tuple(chapters))
