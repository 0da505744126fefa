"""Console pages of campaign results (issue 6): one campaign's results (funnel against the goals as
an ECharts chart, treatment vs hold-out with confidence intervals, ROI, budget burn, the A/B panel
when it has two arms, leads and referrals by source) and lead attribution across campaigns.

Viewing needs ``marketing:read``; the pages only read. ``/console/campaigns/attribution`` is not
shadowed by ``/console/campaigns/{campaign_id:int}`` (the converter only matches digits)."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import SessionDep
from loanpilot.campaigns import results
from loanpilot.campaigns.results_rules import STAGES
from loanpilot.web.auth import require
from loanpilot.web.i18n import translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)


def pct(value: float | None, places: int = 2) -> str:
    """A share as a percentage (``0.1234`` → ``12.34%``); None or NaN → a dash."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value * 100:.{places}f}%"


def points(value: float) -> str:
    """A difference of shares in percentage points, signed (``0.012`` → ``+1.20``)."""
    return f"{value * 100:+.2f}"


def number(value: float | None, places: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:,.{places}f}"


FORMATS: dict[str, Any] = {"pct": pct, "points": points, "number": number}


def chart_payload(r: results.CampaignResults) -> dict[str, Any]:
    """The figures the page's charts draw (the same figures are in its tables)."""
    return {
        "stages": list(STAGES),
        "treatment": [r.treatment.count(s) for s in STAGES],
        "control": [r.control.count(s) for s in STAGES],
        "lift": [
            {"stage": s.stage, **s.lift.as_dict(), "significant": s.significant} for s in r.lifts
        ],
        "budget": r.budget.lines,
        "arms": [
            {"arm": a.arm, "targeted": a.targeted, "responded": a.responded, "applied": a.applied}
            for a in r.arms
        ],
    }


@router.get("/console/campaigns/attribution")
def attribution_page(
    request: Request,
    session: SessionDep,
    _: Annotated[Principal, require(Permission.MARKETING_READ)],
) -> Response:
    """Leads by campaign, source channel, partner, referrer and UTM tags, across campaigns."""
    found = results.leads_attribution(session)
    return render(request, "console/campaigns/attribution.html", {"a": found, **FORMATS})


@router.get("/console/campaigns/{campaign_id:int}/results")
def results_page(
    campaign_id: int,
    request: Request,
    session: SessionDep,
    _: Annotated[Principal, require(Permission.MARKETING_READ)],
) -> Response:
    """One campaign's results: funnel vs goals, lift with intervals, ROI, budget, A/B, leads."""
    found = results.campaign_results(session, campaign_id)
    lang = request_lang(request)
    chart = chart_payload(found) | {
        "labels": {
            "stages": [translate(f"results.stage.{s}", lang) for s in STAGES],
            "treatment": translate("results.treatment", lang),
            "control": translate("results.control", lang),
            "lift": translate("results.lift_col", lang),
            "planned": translate("results.planned", lang),
            "spent": translate("results.spent", lang),
            "categories": {
                line["category"]: translate(f"results.budget_cat.{line['category']}", lang)
                for line in found.budget.lines
            },
        }
    }
    return render(
        request, "console/campaigns/results.html", {"r": found, "chart": chart, **FORMATS}
    )
