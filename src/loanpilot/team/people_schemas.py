"""Request and response shapes of the team's people API: portfolios and hand-overs, training,
certificates and reminders, mentor pairs and rotations. Staff are named by employee number (or id);
customer names are masked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

Ref = Field(min_length=1, max_length=20, description="Employee number (or staff id)")


class ReassignWrite(BaseModel):
    to_staff: str = Field(min_length=1, max_length=20, description="Employee number (or id)")
    from_staff: str = Field(default="", max_length=20,
                            description="The manager giving up customers; required for a whole "
                                        "portfolio")  # fmt: skip
    customers: list[str] | None = Field(
        default=None, max_length=20_000,
        description="Customer numbers (or ids); omit to hand over the whole portfolio",
    )  # fmt: skip
    reason: str = Field(max_length=200)


class ReassignRead(BaseModel):
    moved: int
    from_staff_id: int | None
    to_staff_id: int
    customer_ids: list[int]
    on: date


class PortfolioRead(BaseModel):
    staff_id: int
    employee_no: str
    name: str
    role: str
    status: str
    branch_id: int
    branch_name: str
    customers: int
    balance_fen: int = Field(description="Outstanding principal of the customers' repaying loans")
    balance_yuan: str


class PortfolioCustomerRead(BaseModel):
    id: int
    customer_no: str
    name: str = Field(description="Masked")
    city: str
    since: date | None
    loans: int
    balance_fen: int


class PortfolioDetailRead(BaseModel):
    manager: PortfolioRead
    items: list[PortfolioCustomerRead]


class HistoryItemRead(BaseModel):
    staff_id: int
    employee_no: str
    name: str
    start_on: date
    end_on: date | None
    reason: str | None


class CustomerManagersRead(BaseModel):
    customer_id: int
    customer_no: str
    name: str = Field(description="Masked")
    current_manager_id: int | None
    history: list[HistoryItemRead]


class CourseWrite(BaseModel):
    code: str = Field(max_length=32)
    title: str = Field(max_length=200)
    topic: str = Field(max_length=32)
    hours: Decimal = Field(max_digits=8, decimal_places=2)
    mandatory_for: list[str] = Field(default_factory=list, max_length=20)


class CourseRead(BaseModel):
    id: int
    code: str
    title: str
    topic: str
    hours: Decimal
    mandatory_for: list[str]


class AttendanceWrite(BaseModel):
    employee_no: str = Field(min_length=1, max_length=20)
    course_code: str = Field(min_length=1, max_length=32)
    session_date: date
    hours_attended: Decimal = Field(max_digits=8, decimal_places=2)
    exam_score: int | None = Field(default=None, ge=-(2**31), le=2**31)
    passed: bool | None = Field(default=None, description="Default: exam score ≥ 60, or yes")


class AttendanceRead(BaseModel):
    id: int
    session_date: date
    employee_no: str
    name: str
    course_code: str
    course_title: str
    hours_attended: Decimal
    exam_score: int | None
    passed: bool


class RejectRead(BaseModel):
    source: str | None
    row: int | None
    field: str
    code: str
    message: str


class ImportRead(BaseModel):
    source: str
    rows: int
    imported: int
    rejected_rows: list[int]
    problems: list[RejectRead]


class StaffHoursRead(BaseModel):
    staff_id: int
    employee_no: str
    name: str
    role: str
    branch_name: str
    sessions: int
    hours: Decimal
    missing_mandatory: list[str]


class HoursRead(BaseModel):
    period: str
    start: date
    end: date = Field(description="The day after the last (half-open)")
    total_hours: Decimal
    items: list[StaffHoursRead]


class CertificationWrite(BaseModel):
    staff: str = Field(min_length=1, max_length=20, description="Employee number (or id)")
    name: str = Field(max_length=100)
    issuer: str = Field(max_length=100)
    issued_on: date
    expires_on: date | None = None


class RenewWrite(BaseModel):
    issued_on: date
    expires_on: date | None = None


class CertificationRead(BaseModel):
    id: int
    staff_id: int
    employee_no: str
    holder: str
    name: str
    issuer: str
    issued_on: date
    expires_on: date | None
    current: bool = Field(description="The latest of the holder's certificates of this name")


class ReminderRead(BaseModel):
    certification: CertificationRead
    days_left: int = Field(description="Negative once expired")
    expired: bool


class RemindersRead(BaseModel):
    today: date
    notice_days: int
    items: list[ReminderRead]


class MentorPairWrite(BaseModel):
    mentor: str = Field(min_length=1, max_length=20)
    mentee: str = Field(min_length=1, max_length=20)
    start_on: date
    end_on: date | None = None


class EndWrite(BaseModel):
    end_on: date


class MentorPairRead(BaseModel):
    id: int
    mentor_id: int
    mentor_no: str
    mentor_name: str
    mentee_id: int
    mentee_no: str
    mentee_name: str
    start_on: date
    end_on: date | None


class RotationWrite(BaseModel):
    staff: str = Field(min_length=1, max_length=20)
    from_org_unit_id: int | None = Field(default=None, ge=1, le=2**53)
    to_org_unit_id: int = Field(ge=1, le=2**53)
    start_on: date
    end_on: date | None = None


class RotationRead(BaseModel):
    id: int
    staff_id: int
    employee_no: str
    name: str
    from_unit: str | None
    to_unit: str
    start_on: date
    end_on: date | None
