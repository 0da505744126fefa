"""Request and response shapes of the access API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from loanpilot.access.rules import Permission
from loanpilot.team.models import Role


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)  # longer names simply do not exist
    password: str = Field(min_length=1, max_length=128, repr=False)
    name: str = Field(default="api", min_length=1, max_length=64, description="What it is for")
    days: int = Field(default=90, ge=1, le=365, description="Days until it expires")


class TokenRead(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer <token>'; shown only once")
    token_id: int
    expires_at: datetime


class MeRead(BaseModel):
    staff_id: int
    username: str
    name: str
    role: Role
    branch_id: int
    scope: str
    permissions: list[Permission]


class PermissionMatrixRead(BaseModel):
    permissions: list[Permission]
    roles: dict[Role, list[Permission]]


class PermissionChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    granted: bool = Field(description="True grants the permission to the role, false withdraws it")
