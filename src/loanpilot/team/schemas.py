"""Request and response shapes of the team API and pages (staff list, org chart)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from loanpilot.team.models import BranchLevel, Role, StaffStatus


def _blank_to_none(value: Any) -> Any:
    """A filter left empty in a form (``role=``) means "any"."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


class PagingQuery(BaseModel):
    """Page number, page size and sort key (``-key`` for descending)."""

    page: int | None = Field(default=None, ge=1, le=1_000_000)
    size: int | None = Field(default=None, ge=1, le=200)
    sort: str | None = Field(default=None, max_length=32)

    _blank = field_validator("page", "size", "sort", mode="before")(_blank_to_none)


class StaffQuery(PagingQuery):
    """Filters of the staff list."""

    role: Role | None = None
    branch: int | None = Field(default=None, ge=1, le=2**53, description="Branch id")
    status: StaffStatus | None = None
    q: str | None = Field(default=None, max_length=50, description="Name or employee number")

    _blank_filters = field_validator("role", "branch", "status", "q", mode="before")(_blank_to_none)


class StaffRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    employee_no: str
    name: str
    role: Role
    branch_id: int
    branch_code: str
    branch_name: str
    org_unit_id: int | None
    org_unit_name: str | None
    status: StaffStatus
    hired_on: date
    has_account: bool


class StaffPageRead(BaseModel):
    total: int
    page: int
    pages: int
    size: int
    sort: str
    items: list[StaffRead]


class OrgUnitRead(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    head_staff_id: int | None
    head_name: str | None
    headcount: int = Field(description="Active staff in the unit itself")
    children: list[OrgUnitRead] = Field(default_factory=list)


class BranchNodeRead(BaseModel):
    id: int
    code: str
    name: str
    level: BranchLevel
    headcount: int = Field(description="Active staff of the branch itself")
    org_units: list[OrgUnitRead]
    children: list[BranchNodeRead]
