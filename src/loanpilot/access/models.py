"""Access tables: staff login accounts, console sessions, API tokens, the role-permission matrix.

Secrets are never stored: passwords as argon2id hashes, session and API tokens as SHA-256 digests
(JR/T 0171-2020 C3 authentication data).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.db.base import Base, IdMixin, TimestampMixin
from loanpilot.db.types import FK, UTCDateTime, enum_column
from loanpilot.team.models import Role

TokenDigest = LargeBinary(32)


class StaffAccount(IdMixin, TimestampMixin, Base):
    """The login of one staff member (at most one account per person)."""

    __tablename__ = "staff_accounts"

    staff_id: Mapped[int] = mapped_column(FK, ForeignKey("staff.id"), unique=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class StaffSession(IdMixin, Base):
    """A console session; the browser holds the token in a signed cookie, we keep its digest."""

    __tablename__ = "staff_sessions"

    account_id: Mapped[int] = mapped_column(FK, ForeignKey("staff_accounts.id"), index=True)
    token_digest: Mapped[bytes] = mapped_column(TokenDigest, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    client_address: Mapped[str | None] = mapped_column(String(64))


class ApiToken(IdMixin, Base):
    """A bearer token issued to a staff account for another system's use of the API."""

    __tablename__ = "api_tokens"

    account_id: Mapped[int] = mapped_column(FK, ForeignKey("staff_accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(12))  # shown to tell tokens apart
    token_digest: Mapped[bytes] = mapped_column(TokenDigest, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RolePermission(IdMixin, Base):
    """One cell of the permission matrix: ``role`` holds ``permission``."""

    __tablename__ = "role_permissions"
    __table_args__ = (UniqueConstraint("role", "permission"),)

    role: Mapped[Role] = mapped_column(enum_column(Role))
    permission: Mapped[str] = mapped_column(String(64))
