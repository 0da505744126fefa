"""The loan lifecycle every area touches: applications → loans → schedules → repayments, with
collateral and guarantors."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.customers.models import Channel
from loanpilot.db.base import Base, IdMixin, TimestampMixin
from loanpilot.db.types import FK, BlindIndex, Cipher, Json, Money, Rate, UTCDateTime, enum_column
from loanpilot.products.models import CollateralKind, RateBasis, RepaymentMethod
from loanpilot.risk.models import FiveClass


class ApplicationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REFERRED = "referred"  # to manual review
    DECLINED = "declined"
    OFFER_ACCEPTED = "offer_accepted"
    CONTRACT_SIGNED = "contract_signed"
    DISBURSED = "disbursed"
    WITHDRAWN = "withdrawn"


class Application(IdMixin, TimestampMixin, Base):
    """A loan application with the timestamp of every stage it passed."""

    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("term_months > 0", name="term_positive"),
    )

    application_no: Mapped[str] = mapped_column(String(24), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    query_code_hash: Mapped[bytes | None] = mapped_column(BlindIndex)
    customer_id: Mapped[int] = mapped_column(FK, ForeignKey("customers.id"), index=True)
    product_id: Mapped[int] = mapped_column(FK, ForeignKey("loan_products.id"), index=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel), index=True)
    branch_id: Mapped[int | None] = mapped_column(FK, ForeignKey("branches.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    lead_id: Mapped[int | None] = mapped_column(FK, ForeignKey("leads.id"))
    campaign_id: Mapped[int | None] = mapped_column(FK, ForeignKey("campaigns.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(FK, ForeignKey("partners.id"))
    amount_fen: Mapped[int] = mapped_column(Money)
    term_months: Mapped[int] = mapped_column(Integer)
    repayment_method: Mapped[RepaymentMethod] = mapped_column(enum_column(RepaymentMethod))
    purpose: Mapped[str | None] = mapped_column(String(100))
    stated_monthly_income_fen: Mapped[int | None] = mapped_column(Money)
    status: Mapped[ApplicationStatus] = mapped_column(enum_column(ApplicationStatus), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    review_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disbursed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoanStatus(StrEnum):
    REPAYING = "repaying"
    SETTLED = "settled"
    WRITTEN_OFF = "written_off"
    TRANSFERRED = "transferred"  # sold / transferred to an asset manager


class Loan(IdMixin, TimestampMixin, Base):
    """A disbursed loan. A combination loan (组合贷) is a parent with two sub-loans (commercial and
    provident fund), each with its own rate and schedule: ``parent_loan_id`` links them."""

    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint("principal_fen > 0", name="principal_positive"),
        CheckConstraint(
            "outstanding_principal_fen >= 0 AND outstanding_principal_fen <= principal_fen",
            name="outstanding_within_principal",
        ),
        CheckConstraint("written_off_fen >= 0", name="written_off_not_negative"),
        CheckConstraint("term_months > 0", name="term_positive"),
        CheckConstraint("annual_rate >= 0 AND apr >= 0", name="rate_not_negative"),
        CheckConstraint("dpd >= 0", name="dpd_not_negative"),
        CheckConstraint("maturity_on >= disbursed_on", name="matures_after_disbursement"),
    )

    loan_no: Mapped[str] = mapped_column(String(24), unique=True)
    application_id: Mapped[int | None] = mapped_column(
        FK, ForeignKey("applications.id"), index=True
    )
    parent_loan_id: Mapped[int | None] = mapped_column(FK, ForeignKey("loans.id"))
    customer_id: Mapped[int] = mapped_column(FK, ForeignKey("customers.id"), index=True)
    product_id: Mapped[int] = mapped_column(FK, ForeignKey("loan_products.id"), index=True)
    branch_id: Mapped[int] = mapped_column(FK, ForeignKey("branches.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    campaign_id: Mapped[int | None] = mapped_column(FK, ForeignKey("campaigns.id"), index=True)
    principal_fen: Mapped[int] = mapped_column(Money)
    rate_basis: Mapped[RateBasis] = mapped_column(enum_column(RateBasis))
    base_rate: Mapped[Decimal] = mapped_column(Rate)  # LPR / fund rate at pricing; 0 for FIXED
    spread: Mapped[Decimal] = mapped_column(Rate)
    annual_rate: Mapped[Decimal] = mapped_column(Rate)  # contract nominal rate
    monthly_fee_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal(0))
    apr: Mapped[Decimal] = mapped_column(Rate)  # IRR-based annualised rate (PBoC [2021] No. 3)
    term_months: Mapped[int] = mapped_column(Integer)
    repayment_method: Mapped[RepaymentMethod] = mapped_column(enum_column(RepaymentMethod))
    purpose: Mapped[str | None] = mapped_column(String(100))
    disbursed_on: Mapped[date] = mapped_column(Date, index=True)
    first_due_on: Mapped[date] = mapped_column(Date)
    maturity_on: Mapped[date] = mapped_column(Date)
    status: Mapped[LoanStatus] = mapped_column(enum_column(LoanStatus), index=True)
    outstanding_principal_fen: Mapped[int] = mapped_column(Money)
    written_off_fen: Mapped[int] = mapped_column(Money, default=0)
    settled_on: Mapped[date | None] = mapped_column(Date)
    dpd: Mapped[int] = mapped_column(Integer, default=0)
    five_class: Mapped[FiveClass] = mapped_column(
        enum_column(FiveClass, 16), default=FiveClass.NORMAL, index=True
    )
    # since migration 0005: the schedule version in force (a prepayment writes the next one)
    schedule_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # since migration 0005, kept by the daily close: the worst DPD reached and the first days the
    # loan was 30+ and 90+ days past due (vintage curves, first-payment default)
    max_dpd: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    first_dpd30_on: Mapped[date | None] = mapped_column(Date)
    first_dpd90_on: Mapped[date | None] = mapped_column(Date)


class ScheduleLine(IdMixin, Base):
    """One instalment of a schedule; a recalculation (prepayment) writes a new ``version``."""

    __tablename__ = "repayment_schedules"
    __table_args__ = (
        UniqueConstraint("loan_id", "version", "period_no"),
        CheckConstraint("period_no >= 1", name="period_positive"),
        CheckConstraint(
            "principal_fen >= 0 AND interest_fen >= 0 AND fee_fen >= 0", name="amounts_not_negative"
        ),
        CheckConstraint(
            "paid_principal_fen >= 0 AND paid_interest_fen >= 0 AND paid_fee_fen >= 0 AND paid_penalty_fen >= 0",
            name="paid_not_negative",
        ),
        # the daily close reads only what is still owed
        Index(
            "ix_repayment_schedules_open",
            "loan_id",
            "due_on",
            sqlite_where=text("settled_on IS NULL"),
            postgresql_where=text("settled_on IS NULL"),
        ),
    )

    loan_id: Mapped[int] = mapped_column(FK, ForeignKey("loans.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    period_no: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    opening_principal_fen: Mapped[int] = mapped_column(Money)
    principal_fen: Mapped[int] = mapped_column(Money)
    interest_fen: Mapped[int] = mapped_column(Money)
    fee_fen: Mapped[int] = mapped_column(Money, default=0)
    paid_principal_fen: Mapped[int] = mapped_column(Money, default=0)
    paid_interest_fen: Mapped[int] = mapped_column(Money, default=0)
    paid_fee_fen: Mapped[int] = mapped_column(Money, default=0)
    paid_penalty_fen: Mapped[int] = mapped_column(Money, default=0)
    settled_on: Mapped[date | None] = mapped_column(Date)
    # since migration 0005: penalty interest accrued on the overdue amount, and up to which day
    penalty_fen: Mapped[int] = mapped_column(Money, default=0, server_default="0")
    penalty_accrued_on: Mapped[date | None] = mapped_column(Date)


class Repayment(IdMixin, Base):
    """A posted repayment and how it was allocated; a reversal is a second row pointing back."""

    __tablename__ = "repayments"

    txn_ref: Mapped[str] = mapped_column(String(40), unique=True)
    loan_id: Mapped[int] = mapped_column(FK, ForeignKey("loans.id"), index=True)
    paid_on: Mapped[date] = mapped_column(Date, index=True)
    amount_fen: Mapped[int] = mapped_column(Money)
    principal_fen: Mapped[int] = mapped_column(Money, default=0)
    interest_fen: Mapped[int] = mapped_column(Money, default=0)
    fee_fen: Mapped[int] = mapped_column(Money, default=0)
    penalty_fen: Mapped[int] = mapped_column(Money, default=0)
    channel: Mapped[str] = mapped_column(String(16), default="auto_debit")
    is_prepayment: Mapped[bool] = mapped_column(default=False)
    reversal_of_id: Mapped[int | None] = mapped_column(FK, ForeignKey("repayments.id"))
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # since migration 0005: who posted it (None: a batch or the demo) and why it was reversed
    posted_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    note: Mapped[str | None] = mapped_column(String(200))


class RepaymentAllocation(IdMixin, Base):
    """How much of a repayment went to each schedule line, so a reversal undoes exactly that."""

    __tablename__ = "repayment_allocations"

    repayment_id: Mapped[int] = mapped_column(FK, ForeignKey("repayments.id"), index=True)
    schedule_line_id: Mapped[int] = mapped_column(FK, ForeignKey("repayment_schedules.id"))
    principal_fen: Mapped[int] = mapped_column(Money, default=0)
    interest_fen: Mapped[int] = mapped_column(Money, default=0)
    fee_fen: Mapped[int] = mapped_column(Money, default=0)
    penalty_fen: Mapped[int] = mapped_column(Money, default=0)


class WorkflowEvent(IdMixin, Base):
    """One transition of an application or a loan through the workflow (``lending.workflow``):
    timestamped and attributed, the source of the stage durations the service SLAs measure."""

    __tablename__ = "workflow_events"
    __table_args__ = (Index("ix_workflow_events_entity", "entity", "entity_id"),)

    entity: Mapped[str] = mapped_column(String(16))  # application | loan
    entity_id: Mapped[int] = mapped_column(FK)
    action: Mapped[str] = mapped_column(String(32))
    from_stage: Mapped[str | None] = mapped_column(String(24))
    to_stage: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    actor_label: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class ApprovalAuthority(IdMixin, Base):
    """What a role may approve alone (amount ceiling, product types; empty list: every type)."""

    __tablename__ = "approval_authorities"

    role: Mapped[str] = mapped_column(String(32), unique=True)
    max_amount_fen: Mapped[int] = mapped_column(Money)
    product_types: Mapped[list[str]] = mapped_column(Json, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))


class ApprovalRequestStatus(StrEnum):
    PENDING = "pending"  # made above the maker's authority, waiting for a checker
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class ApprovalRequest(IdMixin, Base):
    """An approval above the maker's authority, waiting for (or checked by) a second approver."""

    __tablename__ = "approval_requests"
    __table_args__ = (
        Index(
            "uq_approval_requests_one_pending",
            "application_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    application_id: Mapped[int] = mapped_column(FK, ForeignKey("applications.id"), index=True)
    maker_id: Mapped[int] = mapped_column(FK, ForeignKey("staff.id"))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    amount_fen: Mapped[int] = mapped_column(Money)
    term_months: Mapped[int] = mapped_column(Integer)
    annual_rate: Mapped[Decimal | None] = mapped_column(Rate)
    collateral_value_fen: Mapped[int | None] = mapped_column(Money)  # the maker's appraisal
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ApprovalRequestStatus] = mapped_column(enum_column(ApprovalRequestStatus, 16))
    checker_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checker_note: Mapped[str | None] = mapped_column(Text)


class Collateral(IdMixin, Base):
    """Security pledged for a loan (房产、车辆、存单...), with its appraisal."""

    __tablename__ = "collaterals"
    __table_args__ = (CheckConstraint("appraised_value_fen >= 0", name="value_not_negative"),)

    loan_id: Mapped[int] = mapped_column(FK, ForeignKey("loans.id"), index=True)
    kind: Mapped[CollateralKind] = mapped_column(enum_column(CollateralKind))
    description: Mapped[str] = mapped_column(String(200))
    appraised_value_fen: Mapped[int] = mapped_column(Money)
    appraised_on: Mapped[date] = mapped_column(Date)
    lien_rank: Mapped[int] = mapped_column(Integer, default=1)


class Guarantor(IdMixin, Base):
    """A person guaranteeing a loan; their ID and phone are encrypted like a customer's."""

    __tablename__ = "guarantors"
    __table_args__ = (CheckConstraint("guaranteed_fen >= 0", name="amount_not_negative"),)

    loan_id: Mapped[int] = mapped_column(FK, ForeignKey("loans.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number_enc: Mapped[bytes] = mapped_column(Cipher)
    id_number_hash: Mapped[bytes] = mapped_column(BlindIndex, index=True)
    phone_enc: Mapped[bytes | None] = mapped_column(Cipher)
    relation: Mapped[str] = mapped_column(String(32))
    guaranteed_fen: Mapped[int] = mapped_column(Money)
