"""SQL of segmentation: the band edges, the runs and their segments, each customer's segment
(written in bulk, read by run and code) and the per-customer activity a profile needs (campaign
responses, credit decisions, applications and loans by product)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import cast

import numpy as np
import pandas as pd
from sqlalchemy import Table, and_, case, delete, func, select, update
from sqlalchemy.orm import Session

from loanpilot.campaigns.models import CampaignTarget, TargetGroup
from loanpilot.customers.models_segments import (
    BandDimension,
    CustomerSegment,
    Segment,
    SegmentBand,
    SegmentKind,
    SegmentRun,
)
from loanpilot.db.bulk import bulk_insert
from loanpilot.lending.models import Application, ApplicationStatus, Loan
from loanpilot.products.models import LoanProduct
from loanpilot.risk.models import Decision
from loanpilot.risk.rules import DecisionOutcome

CUSTOMER_SEGMENTS = cast(Table, CustomerSegment.__table__)


# --- bands ---------------------------------------------------------------------------------------


def bands(session: Session) -> list[SegmentBand]:
    """Every band, by dimension then position."""
    return list(
        session.scalars(select(SegmentBand).order_by(SegmentBand.dimension, SegmentBand.position))
    )


def replace_bands(session: Session, dimension: BandDimension, rows: Sequence[SegmentBand]) -> None:
    """The bands of ``dimension`` become ``rows`` (positions in their order)."""
    session.execute(delete(SegmentBand).where(SegmentBand.dimension == dimension))
    session.flush()
    for position, row in enumerate(rows):
        row.dimension, row.position = dimension, position
        session.add(row)
    session.flush()


# --- runs and segments ---------------------------------------------------------------------------


def next_version(session: Session, kind: SegmentKind) -> int:
    latest = session.scalar(select(func.max(SegmentRun.version)).where(SegmentRun.kind == kind))
    return int(latest or 0) + 1


def current_run(session: Session, kind: SegmentKind) -> SegmentRun | None:
    return session.scalar(
        select(SegmentRun)
        .where(SegmentRun.kind == kind, SegmentRun.is_current.is_(True))
        .order_by(SegmentRun.version.desc())
        .limit(1)
    )


def retire_current(session: Session, kind: SegmentKind) -> None:
    """The current run of ``kind`` (if any) stops being current."""
    session.execute(
        update(SegmentRun)
        .where(SegmentRun.kind == kind, SegmentRun.is_current.is_(True))
        .values(is_current=False)
    )


def runs(session: Session, kind: SegmentKind | None = None, limit: int = 100) -> list[SegmentRun]:
    """Runs, newest first."""
    query = select(SegmentRun).order_by(SegmentRun.started_at.desc(), SegmentRun.id.desc())
    if kind is not None:
        query = query.where(SegmentRun.kind == kind)
    return list(session.scalars(query.limit(limit)))


def segments(session: Session, run_id: int) -> list[Segment]:
    """The segments of a run, largest first."""
    return list(
        session.scalars(
            select(Segment)
            .where(Segment.run_id == run_id)
            .order_by(Segment.size.desc(), Segment.code)
        )
    )


def add_customer_segments(
    session: Session, run_id: int, customer_ids: np.ndarray, codes: np.ndarray
) -> int:
    """Each customer's segment of the run, in bulk."""
    conn = session.connection()
    return bulk_insert(conn, CUSTOMER_SEGMENTS, {
        "run_id": np.full(len(customer_ids), run_id, dtype=np.int64),
        "customer_id": np.asarray(customer_ids, dtype=np.int64),
        "segment_code": np.asarray(codes, dtype=object),
    })  # fmt: skip


def segment_of(session: Session, run_id: int, customer_ids: Sequence[int]) -> dict[int, str]:
    """The segment code of each of ``customer_ids`` in the run (those in it)."""
    found: dict[int, str] = {}
    ids = sorted({int(i) for i in customer_ids})
    for start in range(0, len(ids), 5_000):
        chunk = ids[start : start + 5_000]
        query = select(CustomerSegment.customer_id, CustomerSegment.segment_code).where(
            CustomerSegment.run_id == run_id, CustomerSegment.customer_id.in_(chunk)
        )
        found.update({int(c): str(s) for c, s in session.execute(query)})
    return found


def customers_in(session: Session, run_id: int, codes: Sequence[str]) -> list[int]:
    """The customers of the run in any of the segments ``codes``, by id."""
    if not codes:
        return []
    query = (
        select(CustomerSegment.customer_id)
        .where(CustomerSegment.run_id == run_id, CustomerSegment.segment_code.in_(list(codes)))
        .order_by(CustomerSegment.customer_id)
    )
    return [int(i) for i in session.scalars(query)]


# --- activity for the profiles --------------------------------------------------------------------


def _end_of(as_of: date) -> datetime:
    return datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC)


def responses(session: Session, as_of: date) -> pd.DataFrame:
    """Per customer: campaign targets in a treatment group up to ``as_of`` and how many responded."""
    t = CampaignTarget
    end = _end_of(as_of)
    query = (
        select(
            t.customer_id,
            func.count().label("targets"),
            func.sum(case((and_(t.responded.is_(True), t.responded_at < end), 1), else_=0)),
        )
        .where(
            t.group == TargetGroup.TREATMENT, (t.contacted_at.is_(None)) | (t.contacted_at < end)
        )
        .group_by(t.customer_id)
    )
    frame = pd.DataFrame(
        session.execute(query).all(), columns=["customer_id", "targets", "responded"]
    )
    return frame.set_index("customer_id").astype(float)


def decisions(session: Session, as_of: date) -> pd.DataFrame:
    """Per customer: final credit decisions (approve or decline) up to ``as_of`` and approvals."""
    end = _end_of(as_of)
    query = (
        select(
            Application.customer_id,
            func.count().label("decided"),
            func.sum(case((Decision.outcome == DecisionOutcome.APPROVE, 1), else_=0)),
        )
        .join(Application, Application.id == Decision.application_id)
        .where(
            Decision.outcome.in_([DecisionOutcome.APPROVE, DecisionOutcome.DECLINE]),
            Decision.decided_at < end,
        )
        .group_by(Application.customer_id)
    )
    frame = pd.DataFrame(
        session.execute(query).all(), columns=["customer_id", "decided", "approved"]
    )
    return frame.set_index("customer_id").astype(float)


def product_uptake(session: Session, as_of: date) -> pd.DataFrame:
    """Per customer and product: applications submitted up to ``as_of`` and loans taken."""
    end = _end_of(as_of)
    applied = (
        select(Application.customer_id, Application.product_id, func.count().label("applications"))
        .where(Application.status != ApplicationStatus.DRAFT, Application.submitted_at < end)
        .group_by(Application.customer_id, Application.product_id)
    )
    taken = (
        select(Loan.customer_id, Loan.product_id, func.count().label("loans"))
        .where(Loan.parent_loan_id.is_(None), Loan.disbursed_on <= as_of)
        .group_by(Loan.customer_id, Loan.product_id)
    )
    keys = ["customer_id", "product_id"]
    a = pd.DataFrame(session.execute(applied).all(), columns=[*keys, "applications"])
    loans = pd.DataFrame(session.execute(taken).all(), columns=[*keys, "loans"])
    frame = a.merge(loans, on=keys, how="outer").fillna(0)
    return frame.astype(
        {"customer_id": np.int64, "product_id": np.int64, "applications": float, "loans": float}
    )


def products(session: Session) -> pd.DataFrame:
    """Every product's code, type and names (index ``product_id``)."""
    query = select(
        LoanProduct.id,
        LoanProduct.code,
        LoanProduct.product_type,
        LoanProduct.name_zh,
        LoanProduct.name_en,
    )
    rows = [(i, c, str(t.value), zh, en) for i, c, t, zh, en in session.execute(query)]
    frame = pd.DataFrame(rows, columns=["product_id", "code", "product_type", "name_zh", "name_en"])
    return frame.set_index("product_id")
