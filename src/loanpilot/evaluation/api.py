"""Evaluation API: the headline KPIs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import ErrorRead, SessionDep, today_for, yuan
from loanpilot.evaluation.service import HeadlineFigures, headline_figures
from loanpilot.web.auth import require

_RATIO_QUANTUM = Decimal("0.00000001")

router = APIRouter(prefix="/api/v1", tags=["evaluation"], responses={503: {"model": ErrorRead}})


class FiveClassBalanceRead(BaseModel):
    five_class: str
    balance_fen: int
    balance_yuan: str


class MonthRead(BaseModel):
    month: str = Field(description="Business month, YYYY-MM (Asia/Shanghai)")
    applications: int
    disbursed_fen: int
    disbursed_yuan: str


class HeadlineRead(BaseModel):
    """Headline figures; money as integer fen plus an exact yuan string."""

    as_of: date
    customers: int
    customers_with_consent: int
    active_loans: int
    outstanding_balance_fen: int
    outstanding_balance_yuan: str
    npl_balance_fen: int
    npl_balance_yuan: str
    npl_ratio: Decimal | None = Field(description="NPL balance ÷ outstanding balance, 8 places")
    applications_this_month: int
    approved_this_month: int
    disbursed_this_month_fen: int
    disbursed_this_month_yuan: str
    by_five_class: list[FiveClassBalanceRead]
    monthly: list[MonthRead]

    @classmethod
    def from_figures(cls, figures: HeadlineFigures) -> HeadlineRead:
        ratio = figures.npl_ratio
        return cls(
            as_of=figures.as_of,
            customers=figures.customers,
            customers_with_consent=figures.customers_with_consent,
            active_loans=figures.active_loans,
            outstanding_balance_fen=figures.outstanding_balance_fen,
            outstanding_balance_yuan=yuan(figures.outstanding_balance_fen),
            npl_balance_fen=figures.npl_balance_fen,
            npl_balance_yuan=yuan(figures.npl_balance_fen),
            npl_ratio=None if ratio is None else ratio.quantize(_RATIO_QUANTUM),
            applications_this_month=figures.applications_this_month,
            approved_this_month=figures.approved_this_month,
            disbursed_this_month_fen=figures.disbursed_this_month_fen,
            disbursed_this_month_yuan=yuan(figures.disbursed_this_month_fen),
            by_five_class=[
                FiveClassBalanceRead(five_class=name, balance_fen=fen, balance_yuan=yuan(fen))
                for name, fen in figures.by_five_class.items()
            ],
            monthly=[
                MonthRead(
                    month=m.month,
                    applications=m.applications,
                    disbursed_fen=m.disbursed_fen,
                    disbursed_yuan=yuan(m.disbursed_fen),
                )
                for m in figures.monthly
            ],
        )


@router.get("/headline", response_model=HeadlineRead)
def read_headline(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.DASHBOARD_VIEW)],
) -> HeadlineRead:
    """The bank's headline figures today (customers, loans, balance, NPL ratio, this month)."""
    return HeadlineRead.from_figures(
        headline_figures(session, today_for(request), tz=request.app.state.settings.tz)
    )
