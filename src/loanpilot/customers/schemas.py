"""API shapes of customers. ID and phone numbers only ever masked, except in :class:`RevealRead`.
Money is integer fen plus an exact yuan string; rates are decimal fractions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from loanpilot.app import yuan
from loanpilot.customers.rules import AgeBand, IncomeBand, RevealField
from loanpilot.customers.service import Customer360, CustomerItem, CustomerList


class CustomerItemRead(BaseModel):
    id: int
    customer_no: str
    name: str
    gender: str
    birth_date: date
    age: int
    segment: AgeBand = Field(description="Age band: young < 35, middle 35–54, senior 55+")
    occupation: str
    monthly_income_fen: int
    monthly_income_yuan: str
    income_band: IncomeBand = Field(
        description="low < ¥5,000; middle ¥5,000–¥20,000; high > ¥20,000 a month"
    )
    city: str
    home_branch_id: int | None
    branch_name: str | None
    marketing_consent: bool
    since: date
    id_number_masked: str = Field(description="Resident ID number, masked")
    phone_masked: str | None = Field(description="Mobile number, masked")

    @classmethod
    def of(cls, item: CustomerItem) -> CustomerItemRead:
        return cls(
            id=item.id,
            customer_no=item.customer_no,
            name=item.name,
            gender=item.gender,
            birth_date=item.birth_date,
            age=item.age,
            segment=item.segment,
            occupation=item.occupation,
            monthly_income_fen=item.monthly_income_fen,
            monthly_income_yuan=yuan(item.monthly_income_fen),
            income_band=item.income_band,
            city=item.city,
            home_branch_id=item.home_branch_id,
            branch_name=item.branch_name,
            marketing_consent=item.marketing_consent,
            since=item.since,
            id_number_masked=item.id_number_masked,
            phone_masked=item.phone_masked,
        )


class CustomerPageRead(BaseModel):
    """One page of the customers the caller may see."""

    items: list[CustomerItemRead]
    total: int = Field(description="Rows matching the filters, over all pages")
    page: int
    pages: int
    size: int
    sort: str = Field(description="Sort key, '-' prefixed when descending")

    @classmethod
    def of(cls, listing: CustomerList) -> CustomerPageRead:
        page = listing.page
        return cls(
            items=[CustomerItemRead.of(item) for item in page.rows],
            total=page.total,
            page=page.number,
            pages=page.pages,
            size=page.size,
            sort=("-" if page.desc else "") + page.sort,
        )


class ConsentRead(BaseModel):
    kind: str
    granted: bool
    at: datetime | None
    channel: str | None


class ProfileRead(BaseModel):
    id: int
    customer_no: str
    name: str
    gender: str
    birth_date: date
    age: int
    segment: AgeBand
    occupation: str
    employer_kind: str | None
    education: str | None
    marital_status: str | None
    monthly_income_fen: int
    monthly_income_yuan: str
    income_band: IncomeBand
    has_provident_fund: bool
    owns_home: bool
    province: str
    city: str
    home_branch_id: int | None
    branch_name: str | None
    manager_id: int | None
    manager_name: str | None
    source_channel: str
    preferred_channel: str | None
    marketing_consent: bool
    opted_out_at: datetime | None
    is_blacklisted: bool
    since: date
    id_number_masked: str
    phone_masked: str | None


class LoanRead(BaseModel):
    id: int
    loan_no: str
    parent_loan_id: int | None
    product_code: str
    product_name_zh: str
    product_name_en: str
    principal_fen: int
    principal_yuan: str
    outstanding_principal_fen: int
    outstanding_principal_yuan: str
    annual_rate: Decimal
    apr: Decimal = Field(description="IRR-based annualised rate (PBoC [2021] No. 3)")
    term_months: int
    disbursed_on: date
    maturity_on: date
    status: str
    dpd: int
    five_class: str


class ApplicationRead(BaseModel):
    id: int
    application_no: str
    product_code: str
    product_name_zh: str
    product_name_en: str
    amount_fen: int
    amount_yuan: str
    term_months: int
    channel: str
    status: str
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    disbursed_at: datetime | None


class CampaignTouchRead(BaseModel):
    campaign_id: int
    code: str
    name: str
    starts_on: date
    ends_on: date
    group: str = Field(description="treatment or control (never contacted)")
    channel: str
    contacted_at: datetime | None
    contact_attempts: int
    responded: bool
    responded_at: datetime | None
    application_id: int | None


class SurveyResponseRead(BaseModel):
    id: int
    code: str
    title: str
    kind: str
    channel: str
    submitted_at: datetime
    score: int | None


class TicketRead(BaseModel):
    id: int
    ticket_no: str
    type: str
    channel: str
    topic: str | None
    priority: str
    subject: str
    status: str
    received_at: datetime
    resolved_at: datetime | None
    customer_confirmed: bool | None


class Customer360Read(BaseModel):
    """One customer across the bank: profile (ID and phone masked), consents, bureau and deposit
    summary, loans, applications, campaigns touched and service history."""

    profile: ProfileRead
    consents: list[ConsentRead]
    bureau: dict[str, Any] | None
    financials: dict[str, Any] | None
    loans: list[LoanRead]
    applications: list[ApplicationRead]
    campaigns: list[CampaignTouchRead]
    surveys: list[SurveyResponseRead]
    tickets: list[TicketRead]

    @classmethod
    def of(cls, view: Customer360) -> Customer360Read:
        p = view.profile
        return cls(
            profile=ProfileRead(
                **{name: getattr(p, name) for name in ProfileRead.model_fields if hasattr(p, name)},
                monthly_income_yuan=yuan(p.monthly_income_fen),
            ),
            consents=[
                ConsentRead(kind=c.kind.value, granted=c.granted, at=c.at, channel=c.channel)
                for c in view.consents
            ],
            bureau=view.bureau,
            financials=view.financials,
            loans=[
                LoanRead(
                    **loan,
                    principal_yuan=yuan(loan["principal_fen"]),
                    outstanding_principal_yuan=yuan(loan["outstanding_principal_fen"]),
                )
                for loan in view.loans
            ],
            applications=[
                ApplicationRead(**app, amount_yuan=yuan(app["amount_fen"]))
                for app in view.applications
            ],
            campaigns=[CampaignTouchRead(**touch) for touch in view.campaigns],
            surveys=[SurveyResponseRead(**survey) for survey in view.surveys],
            tickets=[TicketRead(**ticket) for ticket in view.tickets],
        )


class RevealRead(BaseModel):
    """A revealed personal-data value (the reveal is in the audit log)."""

    field: RevealField
    value: str | None
