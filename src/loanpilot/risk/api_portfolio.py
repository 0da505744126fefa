"""The portfolio analytics API (``/api/v1/portfolio/...``, permission risk:read), and the JSON
views of the reports that the console pages chart and the CLI report prints: plain numbers (fen,
shares as fractions, None for an undefined ratio), with labels in the asked language."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.analytics import portfolio as pf
from loanpilot.analytics.stability import psi_band
from loanpilot.app import ErrorRead, SessionDep, today_for
from loanpilot.customers.models import Channel
from loanpilot.customers.rules import AgeBand
from loanpilot.risk import portfolio as service
from loanpilot.risk import repository_portfolio as repo
from loanpilot.risk.portfolio import Filters
from loanpilot.web.auth import require
from loanpilot.web.i18n import Lang, translate

router = APIRouter(
    prefix="/api/v1/portfolio",
    tags=["portfolio"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
Dimension = Literal["product", "channel", "branch", "manager", "campaign", "segment"]


class SliceQuery(BaseModel):
    """A slice of the book (every field optional)."""

    model_config = ConfigDict(extra="ignore")

    product_id: int | None = None
    channel: Channel | None = None
    branch_id: int | None = None
    manager_id: int | None = None
    campaign_id: int | None = None
    segment: AgeBand | None = None

    def filters(self) -> Filters:
        return Filters(
            product_id=self.product_id,
            channel=None if self.channel is None else self.channel.value,
            branch_id=self.branch_id,
            manager_id=self.manager_id,
            campaign_id=self.campaign_id,
            segment=None if self.segment is None else self.segment.value,
        )


class ReportRead(BaseModel):
    """One report as the console charts it (see each endpoint for its fields)."""

    model_config = ConfigDict(extra="allow")

    as_of: date


# --------------------------------------------------------------------------- JSON views


def num(value: Any) -> Any:
    """A JSON-safe number: NaN and infinities become None, numpy scalars Python ones."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): num(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def key_label(session: Session, dimension: str, keys: list[str], lang: Lang) -> dict[str, str]:
    """A label per key of a dimension in ``lang`` (an empty key: none recorded)."""
    found = repo.names(session, dimension, keys)
    out = {}
    for key in keys:
        if key == "":
            out[key] = translate("portfolio.none", lang)
        elif key in found:
            out[key] = found[key][0 if lang == "zh" else 1]
        elif dimension == "channel":
            out[key] = translate(f"dashboard.channel.{key}", lang)
        elif dimension == "segment":
            out[key] = translate(f"customers.segment.{key}", lang)
        elif dimension == "cohort" or key == "all":
            out[key] = translate("portfolio.all", lang) if key == "all" else key
        else:
            out[key] = f"#{key}"
    return out


def overview_data(o: service.Overview, lang: Lang) -> dict[str, Any]:
    return {
        "as_of": o.as_of,
        "loans": o.loans,
        "balance_fen": o.balance_fen,
        "npl_fen": o.npl_fen,
        "npl_ratio": num(o.npl_ratio),
        "dpd30_fen": o.dpd30_fen,
        "dpd30_ratio": num(o.dpd30_ratio),
        "overdue_fen": o.overdue_fen,
        "overdue_ratio": num(o.overdue_ratio),
        "by_class": [
            {"class": c, "label": translate(f"portfolio.class.{c}", lang), "balance_fen": v}
            for c, v in o.by_class.items()
        ],
        "by_bucket": [{"bucket": b, "balance_fen": v} for b, v in o.by_bucket.items()],
        "trend": [{k: num(v) if k != "as_of" else v for k, v in t.items()} for t in o.trend],
    }


def _matrix(frame: pd.DataFrame) -> list[list[Any]]:
    return [[num(v) for v in row] for row in frame.to_numpy().tolist()]


def roll_data(r: service.RollRateReport, lang: Lang) -> dict[str, Any]:
    states = [s if s in pf.BUCKETS else translate(f"portfolio.state.{s}", lang) for s in pf.STATES]
    data: dict[str, Any] = {
        "as_of": r.as_of,
        "start": r.start,
        "end": r.end,
        "buckets": list(pf.BUCKETS),
        "states": list(pf.STATES),
        "state_labels": states,
        "flows": records(r.flows),
    }
    if r.roll is not None:
        data |= {
            "loans": _matrix(r.roll.loans),
            "balance": _matrix(r.roll.balance),
            "loan_share": _matrix(r.roll.loan_share),
            "balance_share": _matrix(r.roll.balance_share),
        }
        trend = r.trend.pivot(index="month", columns="from", values="rate")
        data["trend"] = {
            "months": list(trend.index),
            "series": {b: [num(v) for v in trend[b]] for b in pf.BUCKETS[:-1] if b in trend},
        }
    return data


def vintage_data(session: Session, v: service.VintageReport, lang: Lang) -> dict[str, Any]:
    key = "cohort" if v.by is None else "key"
    curves = v.curves
    keys = [str(k) for k in pd.unique(curves[key])] if len(curves) else []
    labels = key_label(session, v.by or "cohort", keys, lang)
    groups = []
    for k in keys:
        part = curves[curves[key].astype(str) == k]
        groups.append(
            {
                "key": k,
                "label": labels[k],
                "loans": int(part["loans"].iloc[0]),
                "principal_fen": int(part["principal_fen"].iloc[0]),
                **{
                    col: [num(x) for x in part[col]]
                    for col in (
                        "mob",
                        "m1_share",
                        "m3_share",
                        "m1_balance_share",
                        "m3_balance_share",
                    )
                },
            }
        )
    return {"as_of": v.as_of, "by": v.by, "loans": v.loans, "groups": groups,
            "fpd": records(v.fpd)}  # fmt: skip


def concentration_data(
    session: Session, dimension: str, c: pf.Concentration, lang: Lang
) -> dict[str, Any]:
    rows = records(c.table)
    labels = key_label(session, dimension, [str(r["key"]) for r in rows], lang)
    for r in rows:
        r["label"] = labels[str(r["key"])]
    return {
        "dimension": dimension,
        "hhi": num(c.hhi),
        "top_n": c.top_n,
        "top_share": num(c.top_share),
        "equivalent_n": num(c.equivalent_n),
        "rows": rows,
    }


def applicants_data(a: service.ApplicantReport, lang: Lang) -> dict[str, Any]:
    data: dict[str, Any] = {
        "as_of": a.as_of,
        "funnel": records(a.funnel),
        "baseline": list(a.baseline) if a.baseline else None,
        "recent": a.recent,
        "counts": list(a.counts),
        "score_psi": None,
        "features": [],
    }
    if a.score_psi is not None:
        table = a.score_psi.table
        data["score_psi"] = {
            "value": num(a.score_psi.value),
            "band": psi_band(a.score_psi.value),
            "bins": [
                {
                    "label": str(r["label"]),
                    "expected_share": num(r["expected_share"]),
                    "actual_share": num(r["actual_share"]),
                    "psi": num(r["psi"]),
                }
                for r in table.to_dict(orient="records")
            ],
        }
    if a.features is not None:
        data["features"] = [
            {**r, "label": translate(f"portfolio.feature.{r['variable']}", lang)}
            for r in records(a.features)
        ]
    return data


# --------------------------------------------------------------------------- endpoints

AsOf = Annotated[date | None, Query(description="report day (default: today)")]
LangQ = Annotated[Literal["zh", "en"], Query(description="language of labels")]


def _slice(
    product_id: int | None, channel: Channel | None, branch_id: int | None,
    manager_id: int | None, campaign_id: int | None, segment: AgeBand | None,
) -> Filters:  # fmt: skip
    return SliceQuery(
        product_id=product_id, channel=channel, branch_id=branch_id, manager_id=manager_id,
        campaign_id=campaign_id, segment=segment,
    ).filters()  # fmt: skip


Id = Annotated[int | None, Query(ge=1, le=2**62)]


@router.get("/overview", response_model=ReportRead)
def overview(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
    as_of: AsOf = None,
    lang: LangQ = "zh",
    product_id: Id = None, channel: Channel | None = None, branch_id: Id = None,
    manager_id: Id = None, campaign_id: Id = None, segment: AgeBand | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Balance, NPL ratio, 30+ and overdue ratios, by class and bucket, and month-end trend."""
    f = _slice(product_id, channel, branch_id, manager_id, campaign_id, segment)
    return overview_data(service.overview(session, as_of or today_for(request), f), lang)


@router.get("/roll-rates", response_model=ReportRead)
def roll_rates(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
    as_of: AsOf = None,
    lang: LangQ = "zh",
    months: Annotated[int, Query(ge=1, le=36)] = 12,
    product_id: Id = None, channel: Channel | None = None, branch_id: Id = None,
    manager_id: Id = None, campaign_id: Id = None, segment: AgeBand | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Transition matrices (loans, balances, row shares) between the last two month ends, flow
    rates, and the flow-rate trend over ``months`` month pairs."""
    f = _slice(product_id, channel, branch_id, manager_id, campaign_id, segment)
    day = as_of or today_for(request)
    return roll_data(service.roll_rate_report(session, day, f, months=months), lang)


@router.get("/vintages", response_model=ReportRead)
def vintages(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
    as_of: AsOf = None,
    lang: LangQ = "zh",
    by: Dimension | None = None,
    product_id: Id = None, channel: Channel | None = None, branch_id: Id = None,
    manager_id: Id = None, campaign_id: Id = None, segment: AgeBand | None = None,
) -> dict[str, Any]:  # fmt: skip
    """M1+ (ever 30+) and M3+ (ever 90+) curves by month on book, per origination month (or
    pooled by ``by``), and first-payment default (FPD30) per origination month."""
    f = _slice(product_id, channel, branch_id, manager_id, campaign_id, segment)
    day = as_of or today_for(request)
    return vintage_data(session, service.vintage_report(session, day, f, by), lang)


@router.get("/concentration", response_model=ReportRead)
def concentration(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
    dimension: Dimension = "branch",
    as_of: AsOf = None,
    lang: LangQ = "zh",
    top_n: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict[str, Any]:
    """Shares of the repaying balance by ``dimension``, top-N share and HHI."""
    day = as_of or today_for(request)
    c = service.concentration_report(session, day, dimension, top_n=top_n)
    return {"as_of": day, **concentration_data(session, dimension, c, lang)}


@router.get("/applicants", response_model=ReportRead)
def applicants(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
    as_of: AsOf = None,
    lang: LangQ = "zh",
    product_id: Id = None, channel: Channel | None = None, branch_id: Id = None,
    manager_id: Id = None, campaign_id: Id = None, segment: AgeBand | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Approval, pass-through and take-up rates by submission month, and the PSI of the latest
    complete month's applicants (score and key features) against the first months."""
    f = _slice(product_id, channel, branch_id, manager_id, campaign_id, segment)
    settings = request.app.state.settings
    day = as_of or today_for(request)
    return applicants_data(service.applicant_report(session, day, f, tz=settings.tz), lang)
