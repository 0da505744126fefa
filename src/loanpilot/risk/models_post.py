"""Post-loan risk tables (issue 5): the daily close's runs, early-warning rules, monitoring tasks,
behavioural scores, the collections ladder as data and promises to pay.

The older post-loan tables (``delinquency_snapshots``, ``classification_overrides``,
``collection_cases``, ``collection_actions``, ``risk_alerts``) are in ``risk.models``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.db.base import Base, IdMixin
from loanpilot.db.types import FK, Json, Money, UTCDateTime, enum_column
from loanpilot.risk.models import AlertSeverity


class CloseStatus(StrEnum):
    RUNNING = "running"  # started; a rerun resumes from ``cursor_loan_id`` / the next step
    DONE = "done"
    FAILED = "failed"  # stopped with ``error``; a rerun resumes


class CloseRun(IdMixin, Base):
    """One daily close (日终) of one business date: where it got to, and what it found."""

    __tablename__ = "close_runs"

    as_of: Mapped[date] = mapped_column(Date, unique=True)
    status: Mapped[CloseStatus] = mapped_column(enum_column(CloseStatus, 16), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    cursor_loan_id: Mapped[int] = mapped_column(FK, default=0)  # loans up to here are closed
    loans_total: Mapped[int] = mapped_column(Integer, default=0)
    loans_done: Mapped[int] = mapped_column(Integer, default=0)
    steps_done: Mapped[list[str]] = mapped_column(Json, default=list)  # after-close steps finished
    summary: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class RuleKind(StrEnum):
    LEVEL = "level"  # the metric's value crosses the threshold
    CHANGE = "change"  # its change over ``window`` periods crosses it
    TREND = "trend"  # it moved the same way in each of the last ``window`` periods


class WarningRule(IdMixin, Base):
    """An early-warning rule as data: a metric, by a dimension, compared with a threshold."""

    __tablename__ = "warning_rules"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    metric: Mapped[str] = mapped_column(String(64))
    dimension: Mapped[str] = mapped_column(String(32))  # all | branch | product | segment | ...
    kind: Mapped[RuleKind] = mapped_column(enum_column(RuleKind, 16))
    direction: Mapped[str] = mapped_column(String(8), default="above")  # above | below
    threshold: Mapped[Decimal] = mapped_column(Numeric(24, 8))
    window: Mapped[int] = mapped_column(Integer, default=1)
    severity: Mapped[AlertSeverity] = mapped_column(enum_column(AlertSeverity, 16))
    owner_role: Mapped[str | None] = mapped_column(String(32))
    owner_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    due_days: Mapped[int] = mapped_column(Integer, default=7)
    contingency_zh: Mapped[str | None] = mapped_column(Text)
    contingency_en: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))


class TaskKind(StrEnum):
    PURPOSE_CHECK = "purpose_check"  # 贷后资金用途检查, sampled by risk
    LARGE_LOAN_REVIEW = "large_loan_review"  # periodic review of a large loan
    BEHAVIOUR_SCORE = "behaviour_score"  # the monthly behavioural score refresh


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class MonitoringTask(IdMixin, Base):
    """A post-loan monitoring task on one loan, with its finding."""

    __tablename__ = "monitoring_tasks"
    __table_args__ = (UniqueConstraint("kind", "loan_id", "due_on"),)

    task_no: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[TaskKind] = mapped_column(enum_column(TaskKind, 24), index=True)
    loan_id: Mapped[int] = mapped_column(FK, ForeignKey("loans.id"), index=True)
    created_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus, 16), index=True)
    assigned_to_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    reason: Mapped[str | None] = mapped_column(String(200))  # why it was raised or sampled
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    finding: Mapped[str | None] = mapped_column(String(24))  # ok | concern | misuse ...
    note: Mapped[str | None] = mapped_column(Text)


class BehaviourScore(IdMixin, Base):
    """A loan's behavioural score for one month (refreshed monthly by the close)."""

    __tablename__ = "behaviour_scores"
    __table_args__ = (UniqueConstraint("loan_id", "month"),)

    loan_id: Mapped[int] = mapped_column(FK, ForeignKey("loans.id"), index=True)
    month: Mapped[date] = mapped_column(Date, index=True)  # the first day of the month
    score: Mapped[int] = mapped_column(Integer)
    pd: Mapped[Decimal] = mapped_column(Numeric(10, 8))
    grade: Mapped[str] = mapped_column(String(4))
    inputs: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class LadderStep(IdMixin, Base):
    """One rung of the collections ladder (SMS → phone → visit → legal) and its entry rule."""

    __tablename__ = "collection_ladder"

    step: Mapped[str] = mapped_column(String(16), unique=True)  # sms | phone | visit | legal
    position: Mapped[int] = mapped_column(Integer, unique=True)
    min_dpd: Mapped[int] = mapped_column(Integer)
    min_overdue_fen: Mapped[int] = mapped_column(Money, default=0)
    min_broken_promises: Mapped[int] = mapped_column(Integer, default=0)
    contact_kinds: Mapped[list[str]] = mapped_column(Json, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PromiseStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"


class CollectionPromise(IdMixin, Base):
    """A debtor's promise to pay, followed up on its date."""

    __tablename__ = "collection_promises"

    case_id: Mapped[int] = mapped_column(FK, ForeignKey("collection_cases.id"), index=True)
    action_id: Mapped[int | None] = mapped_column(FK, ForeignKey("collection_actions.id"))
    amount_fen: Mapped[int] = mapped_column(Money)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[PromiseStatus] = mapped_column(enum_column(PromiseStatus, 16), index=True)
    paid_fen: Mapped[int] = mapped_column(Money, default=0)
    resolved_on: Mapped[date | None] = mapped_column(Date)
