"""Team (营销团队): branches, org units, staff and roles, training, certification, appraisal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.db.base import Base, IdMixin, TimestampMixin
from loanpilot.db.types import FK, Json, Money, enum_column


class BranchLevel(StrEnum):
    HEAD_OFFICE = "head_office"  # 总行
    BRANCH = "branch"  # 分行
    SUB_BRANCH = "sub_branch"  # 支行


class OrgUnitKind(StrEnum):
    MARKETING_DEPARTMENT = "marketing_department"  # 市场营销部
    MARKET_ANALYSIS_GROUP = "market_analysis_group"  # 市场分析组
    PRODUCT_PROMOTION_GROUP = "product_promotion_group"  # 产品推广组
    CUSTOMER_SERVICE_GROUP = "customer_service_group"  # 客户服务组
    SALES_TEAM = "sales_team"  # 销售团队
    RISK_TEAM = "risk_team"  # 风险管理团队


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    MARKETING_MANAGER = "marketing_manager"
    CUSTOMER_MANAGER = "customer_manager"  # 客户经理
    SENIOR_CUSTOMER_MANAGER = "senior_customer_manager"  # 高级客户经理
    SALES_CONSULTANT = "sales_consultant"  # 销售顾问
    MARKET_ANALYST = "market_analyst"
    RISK_OFFICER = "risk_officer"
    APPROVER = "approver"
    COLLECTOR = "collector"
    SERVICE_AGENT = "service_agent"
    AUDITOR = "auditor"
    BRANCH_HEAD = "branch_head"


class StaffStatus(StrEnum):
    ACTIVE = "active"
    ON_LEAVE = "on_leave"
    LEFT = "left"


class Branch(IdMixin, TimestampMixin, Base):
    """A bank outlet: head office, city branch (分行) or sub-branch (支行)."""

    __tablename__ = "branches"

    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[BranchLevel] = mapped_column(enum_column(BranchLevel))
    parent_id: Mapped[int | None] = mapped_column(FK, ForeignKey("branches.id"))
    province: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(32))
    district: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))
    city_tier: Mapped[int] = mapped_column(Integer, default=2)
    opened_on: Mapped[date | None] = mapped_column(Date)


class OrgUnit(IdMixin, TimestampMixin, Base):
    """A department, group or team inside a branch (市场营销部 → 市场分析组 …, 销售团队, 风险团队)."""

    __tablename__ = "org_units"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[OrgUnitKind] = mapped_column(enum_column(OrgUnitKind))
    branch_id: Mapped[int] = mapped_column(FK, ForeignKey("branches.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(FK, ForeignKey("org_units.id"))
    head_staff_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id", use_alter=True))


class Staff(IdMixin, TimestampMixin, Base):
    """An employee. ``role`` is the primary role; login credentials arrive with the web platform."""

    __tablename__ = "staff"

    employee_no: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(1))
    role: Mapped[Role] = mapped_column(enum_column(Role), index=True)
    branch_id: Mapped[int] = mapped_column(FK, ForeignKey("branches.id"), index=True)
    org_unit_id: Mapped[int | None] = mapped_column(FK, ForeignKey("org_units.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    hired_on: Mapped[date] = mapped_column(Date)
    status: Mapped[StaffStatus] = mapped_column(
        enum_column(StaffStatus), default=StaffStatus.ACTIVE
    )
    email: Mapped[str | None] = mapped_column(String(100))
    approval_limit_fen: Mapped[int | None] = mapped_column(Money)


class PortfolioAssignment(IdMixin, Base):
    """History of which customer manager looked after which customer (reassignments keep history)."""

    __tablename__ = "portfolio_assignments"

    customer_id: Mapped[int] = mapped_column(FK, ForeignKey("customers.id"), index=True)
    staff_id: Mapped[int] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))


class TrainingCourse(IdMixin, TimestampMixin, Base):
    """A course: product knowledge, sales skills, compliance, risk (产品知识、销售技巧、合规、风控)."""

    __tablename__ = "training_courses"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(32))
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    mandatory_for: Mapped[list[str]] = mapped_column(Json, default=list)


class TrainingRecord(IdMixin, Base):
    """Attendance of one staff member at one course session."""

    __tablename__ = "training_records"
    __table_args__ = (UniqueConstraint("course_id", "staff_id", "session_date"),)

    course_id: Mapped[int] = mapped_column(FK, ForeignKey("training_courses.id"), index=True)
    staff_id: Mapped[int] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    session_date: Mapped[date] = mapped_column(Date)
    hours_attended: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    exam_score: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean, default=True)


class Certification(IdMixin, Base):
    """A professional certificate held by a staff member, with expiry (e.g. 银行业专业人员职业资格)."""

    __tablename__ = "certifications"

    staff_id: Mapped[int] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(100))
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)


class MentorPair(IdMixin, Base):
    """A mentor and mentee (传帮带)."""

    __tablename__ = "mentor_pairs"

    mentor_id: Mapped[int] = mapped_column(FK, ForeignKey("staff.id"))
    mentee_id: Mapped[int] = mapped_column(FK, ForeignKey("staff.id"))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)


class JobRotation(IdMixin, Base):
    """A staff member's move between org units (轮岗)."""

    __tablename__ = "job_rotations"

    staff_id: Mapped[int] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    from_org_unit_id: Mapped[int | None] = mapped_column(FK, ForeignKey("org_units.id"))
    to_org_unit_id: Mapped[int] = mapped_column(FK, ForeignKey("org_units.id"))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
