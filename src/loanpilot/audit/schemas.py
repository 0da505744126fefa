"""Request and response shapes of the audit-log search (API, console page and CSV export)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

Outcome = Literal["ok", "denied", "failed"]


def _blank_to_none(value: Any) -> Any:
    """A filter left empty in a form (``outcome=``) means "any"."""
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


class AuditQuery(BaseModel):
    """Filters of the audit log, with paging. Dates are business dates (Asia/Shanghai), both
    inclusive."""

    actor: str | None = Field(
        default=None, max_length=64, description="User name (or user:name label) or staff id"
    )
    action: str | None = Field(
        default=None, max_length=64, description="Action prefix, e.g. 'login' or 'pii.'"
    )
    entity: str | None = Field(default=None, max_length=32)
    entity_id: str | None = Field(default=None, max_length=64)
    outcome: Outcome | None = None
    from_date: date | None = Field(default=None, description="First business day (inclusive)")
    to_date: date | None = Field(default=None, description="Last business day (inclusive)")
    client: str | None = Field(default=None, max_length=64, description="Client address")
    page: int | None = Field(default=None, ge=1, le=1_000_000)
    size: int | None = Field(default=None, ge=1, le=200)
    sort: str | None = Field(default=None, max_length=32)

    _blank = field_validator(
        "actor",
        "action",
        "entity",
        "entity_id",
        "outcome",
        "from_date",
        "to_date",
        "client",
        "page",
        "size",
        "sort",
        mode="before",
    )(_blank_to_none)

    @model_validator(mode="after")
    def _ordered_dates(self) -> AuditQuery:
        if self.from_date and self.to_date and self.from_date > self.to_date:
            raise ValueError("from_date must not be after to_date")
        return self

    def filters_detail(self) -> dict[str, str]:
        """The filters given, for the audit row of an export (no paging, nothing empty)."""
        fields = ("actor", "action", "entity", "entity_id", "outcome", "from_date", "to_date")
        detail = {name: str(getattr(self, name)) for name in fields if getattr(self, name)}
        if self.client:
            detail["client"] = self.client
        return detail


class AuditEntryRead(BaseModel):
    id: int
    at: datetime
    actor_staff_id: int | None
    actor_name: str | None = Field(description="Name of the staff member, when one acted")
    actor_label: str
    action: str
    entity: str
    entity_id: str | None
    outcome: str
    client_address: str | None
    detail: dict[str, Any]


class AuditPageRead(BaseModel):
    total: int
    page: int
    pages: int
    size: int
    sort: str
    items: list[AuditEntryRead]
