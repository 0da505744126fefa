"""API shapes of the evaluation area: the headline figures and the dashboard.

Money is integer fen plus an exact yuan string; ratios are decimal fractions to 8 places (None
when their denominator is zero).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from loanpilot.app import yuan
from loanpilot.evaluation.dashboard import BranchRow, Dashboard, Figures, MonthRow
from loanpilot.evaluation.service import HeadlineFigures

RATIO_QUANTUM = Decimal("0.00000001")


def ratio(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(RATIO_QUANTUM)


# --- headline ---------------------------------------------------------------------------------------


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
        return cls(
            as_of=figures.as_of,
            customers=figures.customers,
            customers_with_consent=figures.customers_with_consent,
            active_loans=figures.active_loans,
            outstanding_balance_fen=figures.outstanding_balance_fen,
            outstanding_balance_yuan=yuan(figures.outstanding_balance_fen),
            npl_balance_fen=figures.npl_balance_fen,
            npl_balance_yuan=yuan(figures.npl_balance_fen),
            npl_ratio=ratio(figures.npl_ratio),
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


# --- dashboard --------------------------------------------------------------------------------------


class DashboardFiltersRead(BaseModel):
    """The filters applied (defaults filled in)."""

    from_month: str = Field(alias="from", description="First business month, YYYY-MM")
    to_month: str = Field(alias="to", description="Last business month, YYYY-MM")
    branch_id: int | None
    product_id: int | None
    channel: str | None

    model_config = {"populate_by_name": True, "serialize_by_alias": True}


class ActivityRead(BaseModel):
    """Applications, decisions and disbursements over a period."""

    applications: int = Field(description="Applications submitted")
    approved: int = Field(description="Applications with an approve decision in the period")
    decided: int = Field(description="Applications with an approve or decline decision")
    approval_rate: Decimal | None = Field(description="approved ÷ decided, 8 places")
    disbursed_fen: int
    disbursed_yuan: str


class DashboardMonthRead(ActivityRead):
    month: str = Field(description="Business month, YYYY-MM (Asia/Shanghai)")

    @classmethod
    def of(cls, row: MonthRow) -> DashboardMonthRead:
        return cls(month=row.month, **_activity(row))


class BookRead(ActivityRead):
    """Activity in the period plus today's book (repaying loans)."""

    balance_fen: int = Field(description="Outstanding principal of repaying loans today")
    balance_yuan: str
    npl_balance_fen: int = Field(description="Of which substandard + doubtful + loss")
    npl_balance_yuan: str
    npl_ratio: Decimal | None = Field(description="NPL balance ÷ balance, 8 places")

    @classmethod
    def of(cls, row: Figures) -> BookRead:
        return cls(**_activity(row), **_book(row))


class DashboardBranchRead(BookRead):
    branch_id: int | None = Field(description="None: applications booked at no branch")
    code: str
    name: str

    @classmethod
    def of_branch(cls, row: BranchRow) -> DashboardBranchRead:
        return cls(
            branch_id=row.branch_id, code=row.code, name=row.name, **_activity(row), **_book(row)
        )


class DashboardRead(BaseModel):
    """The console dashboard's figures, within the caller's scope."""

    as_of: date
    filters: DashboardFiltersRead
    totals: BookRead
    monthly: list[DashboardMonthRead]
    by_branch: list[DashboardBranchRead] = Field(
        description="One level below the branch in view; each row covers its whole subtree"
    )

    @classmethod
    def of(cls, board: Dashboard) -> DashboardRead:
        f = board.filters
        return cls(
            as_of=board.as_of,
            filters=DashboardFiltersRead(
                from_month=f.from_label,
                to_month=f.to_label,
                branch_id=f.branch_id,
                product_id=f.product_id,
                channel=f.channel.value if f.channel else None,
            ),
            totals=BookRead.of(board.total),
            monthly=[DashboardMonthRead.of(m) for m in board.months],
            by_branch=[DashboardBranchRead.of_branch(b) for b in board.branches],
        )


def _activity(row: Figures) -> dict[str, object]:
    return {
        "applications": row.applications,
        "approved": row.approved,
        "decided": row.decided,
        "approval_rate": ratio(row.approval_rate),
        "disbursed_fen": row.disbursed_fen,
        "disbursed_yuan": yuan(row.disbursed_fen),
    }


def _book(row: Figures) -> dict[str, object]:
    return {
        "balance_fen": row.balance_fen,
        "balance_yuan": yuan(row.balance_fen),
        "npl_balance_fen": row.npl_fen,
        "npl_balance_yuan": yuan(row.npl_fen),
        "npl_ratio": ratio(row.npl_ratio),
    }
