"""The segments pages (客群细分, issue 6): the current rule and cluster runs, the segments of a
run as cards (generated name and description, size, key profile figures) with charts (size and
income, response and approval rates, online preference by age band), every segment in a table,
the run history, the band editor (every problem beside its field) and the rebuild form.

Viewing needs ``marketing:read``; editing bands and rebuilding ``segments:write``. Handlers are
thin: ``customers.segments`` validates, writes and audits; the request's session commits.
Nothing personal is shown: segments are aggregates.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep, today_for
from loanpilot.customers import segment_rules as sr
from loanpilot.customers import segments
from loanpilot.customers.models_segments import Segment, SegmentRun
from loanpilot.kit.errors import ConflictError, FieldProblem, ValidationError
from loanpilot.web.auth import clock, require
from loanpilot.web.i18n import Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
BAND_FIELDS = ("code", "lower", "upper", "label_zh", "label_en")
CARDS = 12  # segments shown as cards; the rest are in the table
CHART_SEGMENTS = 10


def problem_text(problem: FieldProblem, lang: Lang) -> str:
    if isinstance(problem, sr.Problem) and problem.code:
        return translate(f"segments.problem.{problem.code}", lang, **dict(problem.params))
    return problem.message


def _band_form(table: dict[str, list[sr.Band]]) -> dict[str, list[dict[str, str]]]:
    def text(v: object) -> str:
        if v is None:
            return ""
        digits = f"{v:f}"
        return digits.rstrip("0").rstrip(".") if "." in digits else digits

    return {d: [{"code": b.code, "lower": text(b.lower), "upper": text(b.upper),
                 "label_zh": b.label_zh, "label_en": b.label_en} for b in bands]
            for d, bands in table.items()}  # fmt: skip


def _chart_payload(segs: list[Segment], lang: Lang) -> dict[str, Any]:
    top = segs[:CHART_SEGMENTS]
    items = []
    for s in top:
        p = s.profile or {}
        channel = p.get("channel") or {}
        items.append({
            "code": s.code, "name": s.name_zh if lang == "zh" else s.name_en, "size": s.size,
            "income_yuan": round((p.get("income") or {}).get("median_fen") or 0) / 100,
            "response": (p.get("response") or {}).get("rate"),
            "approval": (p.get("approval") or {}).get("rate"),
            "by_age": [{"band": a.get("label_zh" if lang == "zh" else "label_en"), "digital": a.get("digital")}
                       for a in channel.get("by_age", [])],
        })  # fmt: skip
    return {"segments": items}


def _page(
    request: Request, session: Session, principal: Principal, run_id: int | None = None, *,
    band_form: dict[str, list[dict[str, str]]] | None = None, fields: list[dict[str, str]] | None = None,
    error: str | None = None, notice: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    lang = request_lang(request)
    current = {k: segments.current_run(session, k) for k in ("rules", "clusters")}
    run: SegmentRun | None
    if run_id is not None:
        run = segments.get_run(session, run_id)
    else:
        run = current["clusters"] or current["rules"]
    segs = segments.run_segments(session, run.id) if run else []
    counts = {r.id: len(segments.run_segments(session, r.id)) for r in current.values() if r}
    form = band_form or _band_form(segments.band_table(session))
    for rows in form.values():
        if not any(all(not row.get(f) for f in BAND_FIELDS) for row in rows):
            rows.append(dict.fromkeys(BAND_FIELDS, ""))  # one empty row to add a band
    return render(request, "console/segments/index.html", {
        "current": current, "counts": counts, "run": run, "segs": segs, "cards": segs[:CARDS],
        "runs": segments.list_runs(session, limit=50), "band_form": form, "fields": fields or [],
        "error": error, "notice": notice, "can_write": principal.can(Permission.SEGMENTS_WRITE),
        "payload": _chart_payload(segs, lang), "today": today_for(request),
    }, status_code=status_code)  # fmt: skip


@router.get("/console/segments")
def segments_page(
    request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.MARKETING_READ)],
) -> Response:  # fmt: skip
    """The current runs; the current cluster run's segments (else the rule run's)."""
    saved = request.query_params.get("saved") == "1"
    notice = translate("segments.bands.saved", request_lang(request)) if saved else None
    return _page(request, session, principal, notice=notice)


@router.get("/console/segments/runs/{run_id:int}")
def run_page(
    run_id: EntityId, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.MARKETING_READ)],
) -> Response:  # fmt: skip
    """One run's segments (any version)."""
    return _page(request, session, principal, run_id)


@router.post("/console/segments/bands")
async def save_bands(
    request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.SEGMENTS_WRITE)],
) -> Response:  # fmt: skip
    """Save the band editor: rows named ``<dimension>.<row>.<field>``; an all-empty row is
    dropped. 422 with every problem beside its field; nothing saved then."""
    submitted = await request.form()
    form: dict[str, list[dict[str, str]]] = {}
    for dimension in sr.DIMENSIONS:
        rows: list[dict[str, str]] = []
        for i in range(sr.MAX_BANDS + 1):
            row = {f: str(submitted.get(f"{dimension}.{i}.{f}") or "").strip() for f in BAND_FIELDS}
            if any(row.values()):
                rows.append(row)
        form[dimension] = rows
    try:
        segments.save_bands(session, form, now=clock(request), staff_id=principal.staff_id,
                            actor_label=f"user:{principal.username}")  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        lang = request_lang(request)
        fields = [{"field": p.field, "message": problem_text(p, lang)} for p in exc.problems]
        return _page(request, session, principal, band_form=form, fields=fields, status_code=422)
    return RedirectResponse("/console/segments?saved=1", status_code=303)


@router.post("/console/segments/build")
def build(
    request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.SEGMENTS_WRITE)],
    kind: Annotated[str, Form(max_length=16)] = "all", k: Annotated[str, Form(max_length=8)] = "auto",
) -> Response:  # fmt: skip
    """Rebuild on today's data; the new cluster run (else rule run) is shown."""
    try:
        runs = segments.build_segments(
            session, as_of=today_for(request), now=clock(request), kind=kind,
            k=k.strip() or "auto", staff_id=principal.staff_id, actor_label=f"user:{principal.username}",
        )  # fmt: skip
    except (ValidationError, ConflictError) as exc:
        session.rollback()
        lang = request_lang(request)
        problems = "; ".join(f"{p.field}: {p.message}" for p in exc.problems) or exc.message
        message = translate("segments.build.failed", lang, problems=problems)
        return _page(request, session, principal, error=message,
                     status_code=409 if isinstance(exc, ConflictError) else 422)  # fmt: skip
    return RedirectResponse(f"/console/segments/runs/{runs[-1].id}", status_code=303)
