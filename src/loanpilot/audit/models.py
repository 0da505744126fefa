"""Audit log (审计日志): one append-only row per security- or compliance-relevant action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.db.base import Base, IdMixin
from loanpilot.db.types import FK, Json, UTCDateTime


class AuditLog(IdMixin, Base):
    """Who did what, to which entity, when, from where, and how it ended.

    ``actor_staff_id`` is the signed-in staff member; ``actor_label`` names non-human actors
    (``cli``, ``system``, ``import``). ``action`` is dotted (``customer.import``, ``pii.reveal``,
    ``login``). ``detail`` must NEVER hold personal data in clear (no names, ID numbers, phone
    numbers, account numbers; JR/T 0171-2020 C2/C3): refer to records by id, give counts, field
    names and masked values only. Rows are never updated or deleted.
    """

    __tablename__ = "audit_logs"

    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_staff_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    actor_label: Mapped[str] = mapped_column(String(64), default="system")
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(32), default="")
    entity_id: Mapped[str | None] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    outcome: Mapped[str] = mapped_column(String(16), default="ok")  # ok, denied, failed
