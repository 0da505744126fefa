"""Generate, store and read work plans (the service the CLI, the API and the pages call).

``generate`` builds the plan (``plan.build_plan``), renders it and, unless ``store=False``, keeps
it in ``work_plan_reports`` with an audit row; it only flushes (the entry point commits).
``pdf_of`` prints a stored plan to PDF on demand (``plan_pdf``).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from loanpilot.audit.service import record
from loanpilot.evaluation import plan_pdf
from loanpilot.evaluation.models_report import WorkPlanReport
from loanpilot.evaluation.plan import Progress, build_plan
from loanpilot.evaluation.plan_common import period_as_of
from loanpilot.evaluation.plan_doc import PlanDocument
from loanpilot.evaluation.plan_render import Lang, all_sources, format_value, render_html
from loanpilot.kit.errors import FieldProblem, NotFoundError, ValidationError
from loanpilot.kit.periods import Period, parse_period

HTML_LANG = {"zh": "zh-CN", "en": "en"}


@dataclass(frozen=True)
class Generated:
    document: PlanDocument
    html: str
    lang: Lang
    seconds: float
    report: WorkPlanReport | None


def parse_lang(value: str, field: str = "lang") -> Lang:
    if value in ("zh", "zh-CN"):
        return "zh"
    if value == "en":
        return "en"
    raise ValidationError("plan.invalid", f"{value!r} is not a language",
                          [FieldProblem(field, f"must be zh or en; got {value[:20]!r}")])  # fmt: skip


def check_period(text: str, today: date, field: str = "period") -> Period:
    """The period of a plan: any period the grammar accepts that has started by ``today``."""
    period = parse_period(text, field=field)
    if period.start > today:
        raise ValidationError("plan.invalid", f"{period.label} has not started yet",
                              [FieldProblem(field, f"{period.label} starts on {period.start.isoformat()}, "
                                                   f"after today ({today.isoformat()}): nothing to report yet")])  # fmt: skip
    return period


def chapters_json(document: PlanDocument) -> list[dict[str, Any]]:
    return [{"number": c.number, "key": c.key, "title_zh": c.title_zh, "title_en": c.title_en,
             "available": c.available, "parts": [p.key for p in c.parts],
             "unavailable": [{"part": u.part, "reason": u.reason} for u in c.unavailable],
             "seconds": c.seconds} for c in document.chapters]  # fmt: skip


def summary_json(document: PlanDocument, lang: Lang) -> list[dict[str, Any]]:
    return [{"key": f.key, "label": f.label_zh if lang == "zh" else f.label_en,
             "value": None if f.value is None else str(f.value), "unit": f.unit,
             "shown": format_value(f.value, f.unit, lang), "source": f.source}
            for f in document.summary.figures]  # fmt: skip


def generate(
    session: Session,
    period: str | Period,
    *,
    now: datetime,
    today: date,
    lang: str = "zh",
    store: bool = True,
    staff_id: int | None = None,
    actor_label: str = "system",
    progress: Progress | None = None,
    budget_fen: int | None = None,
    strict: bool = False,
) -> Generated:
    """Build, render and (``store``) keep the plan of ``period``; flushes only."""
    chosen = parse_lang(lang)
    found = period if isinstance(period, Period) else check_period(period, today)
    started = time.perf_counter()
    options: dict[str, object] = {"today": today}
    if budget_fen is not None:
        options["budget_fen"] = budget_fen
    document = build_plan(session, found, as_of=period_as_of(found, today), now=now, lang=chosen,
                          strict=strict, progress=progress, options=options)  # fmt: skip
    html = render_html(document, chosen, strict=strict)
    seconds = time.perf_counter() - started
    report = None
    if store:
        report = WorkPlanReport(
            period=found.label, generated_at=now, language=HTML_LANG[chosen], content_html=html,
            generated_by_id=staff_id, as_of=document.as_of, status="done",
            chapters=chapters_json(document), summary=summary_json(document, chosen),
            sources=all_sources(document.sections()), duration_ms=round(seconds * 1000),
        )  # fmt: skip
        session.add(report)
        session.flush()
        record(session, action="plan.generate", actor_label=actor_label, actor_staff_id=staff_id,
               entity="work_plan_report", entity_id=str(report.id),
               detail={"period": found.label, "language": chosen, "as_of": document.as_of.isoformat(),
                       "missing": [c.key for c in document.chapters if not c.available]}, at=now)  # fmt: skip
    return Generated(document, html, chosen, seconds, report)


def list_reports(session: Session, limit: int = 50) -> list[WorkPlanReport]:
    """Stored plans, newest first (without loading their HTML into templates by accident)."""
    stmt = select(WorkPlanReport).order_by(
        WorkPlanReport.generated_at.desc(), WorkPlanReport.id.desc()
    )
    stmt = stmt.options(defer(WorkPlanReport.content_html, raiseload=True))
    return list(session.scalars(stmt.limit(limit)))


def get_report(session: Session, report_id: int) -> WorkPlanReport:
    found = session.get(WorkPlanReport, report_id)
    if found is None:
        raise NotFoundError("plan.not_found", f"Work plan {report_id} does not exist")
    return found


def file_name(report: WorkPlanReport, suffix: str) -> str:
    lang = "en" if report.language == "en" else "zh"
    return f"work-plan-{report.period}-{lang}-{report.id}{suffix}"


def pdf_of(report: WorkPlanReport, chromium_path: str, cache_dir: Path | None = None) -> bytes:
    """The PDF of a stored plan, printed once and kept in ``cache_dir`` (if given)."""
    cached = cache_dir / file_name(report, ".pdf") if cache_dir is not None else None
    if cached is not None and cached.is_file():
        return cached.read_bytes()
    target = cached or Path(tempfile.mkdtemp(prefix="loanpilot-plan-")) / "plan.pdf"
    plan_pdf.html_to_pdf(report.content_html, target, chromium_path)
    return target.read_bytes()
