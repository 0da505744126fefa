"""SQL of the daily close: plain Core selects and aggregates (no ORM objects for the book, so it
scales to millions of loans), the close runs, the snapshots and the classification overrides.
The behavioural score inputs (the monthly step of the close) are in ``repository_behaviour``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

import numpy as np
from sqlalchemy import (
    Integer,
    Select,
    String,
    Table,
    bindparam,
    delete,
    func,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session

from loanpilot.batch.close_kernel import Closed, LoanState, OpenLines, class_ranks
from loanpilot.db.bulk import bulk_insert
from loanpilot.lending.models import Loan, LoanStatus, ScheduleLine
from loanpilot.risk.models import ClassificationOverride, DelinquencySnapshot
from loanpilot.risk.models_post import CloseRun, CloseStatus

LOANS = cast(Table, Loan.__table__)
LINES = cast(Table, ScheduleLine.__table__)
SNAPSHOTS = cast(Table, DelinquencySnapshot.__table__)
OVERRIDES = cast(Table, ClassificationOverride.__table__)
RUNS = cast(Table, CloseRun.__table__)


def _columns(session: Session, stmt: Any, width: int) -> list[Sequence[Any]]:
    """The statement's result as columns of plain driver values: the rows are fetched from the
    DBAPI cursor itself, skipping per-row ``Row`` objects (the selected columns carry no result
    processing: integers, text, and dates as the driver gives them)."""
    rows = session.connection().execute(stmt).cursor.fetchall()
    return list(zip(*rows, strict=True)) if rows else [()] * width


def _days(values: Sequence[Any]) -> np.ndarray[Any, Any]:
    """Dates as the driver gives them (date objects, or ISO strings on SQLite) → datetime64[D]."""
    out = np.full(len(values), np.datetime64("NaT"), dtype="M8[D]")
    given = [i for i, v in enumerate(values) if v is not None]  # mostly none: NaT is slow to parse
    if given:
        out[given] = np.array([values[i] for i in given], dtype="M8[D]")
    return out


# --- close runs -------------------------------------------------------------------------------------


def run_of(session: Session, as_of: date) -> CloseRun | None:
    return session.scalars(select(CloseRun).where(CloseRun.as_of == as_of)).one_or_none()


def run_by_id(session: Session, run_id: int) -> CloseRun | None:
    return session.get(CloseRun, run_id, populate_existing=True)


def recent_runs(session: Session, limit: int = 30) -> list[CloseRun]:
    return list(
        session.scalars(select(CloseRun).order_by(CloseRun.as_of.desc()).limit(limit)).all()
    )


def latest_done(session: Session) -> CloseRun | None:
    return session.scalars(
        select(CloseRun)
        .where(CloseRun.status == CloseStatus.DONE)
        .order_by(CloseRun.as_of.desc())
        .limit(1)
    ).one_or_none()


def latest_closed_date(session: Session) -> date | None:
    """The latest date a close was started for (done or not)."""
    value = session.scalar(select(func.max(CloseRun.as_of)))
    return None if value is None else value


def lock_run(session: Session, run_id: int) -> CloseRun:
    """Take the write lock on the run's row (a no-op update: a row lock on PostgreSQL, the
    database's write lock on SQLite) and read it afresh: two runners never process the same chunk
    or step at once."""
    session.execute(update(RUNS).where(RUNS.c.id == run_id).values(attempts=RUNS.c.attempts))
    run = run_by_id(session, run_id)
    assert run is not None
    return run


def count_repaying(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).where(LOANS.c.status == LoanStatus.REPAYING.value)) or 0
    )


# --- one chunk of loans -----------------------------------------------------------------------------


def last_repaying_id(session: Session) -> int:
    """The largest id of a repaying loan (0: none): the close's chunks go up to it."""
    return int(
        session.scalar(
            select(func.max(LOANS.c.id)).where(LOANS.c.status == LoanStatus.REPAYING.value)
        )
        or 0
    )


def chunk_loans(session: Session, low: int, high: int) -> dict[str, Any]:
    """The repaying loans with id in (low, high], as columns sorted by id. Values are read raw
    (no per-row type processing: dates come as ISO text on SQLite, dates on PostgreSQL)."""
    raw: list[Any] = [
        type_coerce(LOANS.c.id, Integer),
        type_coerce(LOANS.c.outstanding_principal_fen, Integer),
        type_coerce(LOANS.c.dpd, Integer),
        type_coerce(LOANS.c.five_class, String),
        type_coerce(LOANS.c.max_dpd, Integer),
        type_coerce(LOANS.c.first_dpd30_on, String),
        type_coerce(LOANS.c.first_dpd90_on, String),
    ]
    stmt = (
        select(*raw)
        .where(LOANS.c.status == LoanStatus.REPAYING.value, LOANS.c.id > low, LOANS.c.id <= high)
        .order_by(LOANS.c.id)
    )
    cols = _columns(session, stmt, 7)
    return {
        "loan_id": np.array(cols[0], dtype=np.int64),
        "outstanding": np.array(cols[1], dtype=np.int64),
        "dpd": np.array(cols[2], dtype=np.int64),
        "five_class": np.array(cols[3], dtype=object),
        "max_dpd": np.array(cols[4], dtype=np.int64),
        "first_dpd30_on": _days(cols[5]),
        "first_dpd90_on": _days(cols[6]),
    }


def open_lines_query(low: int, high: int, as_of: date) -> Select[int, str, int, int]:
    """Per repaying loan with id in (low, high]: the oldest due date of its unpaid lines of the
    schedule version in force that fell due before ``as_of``, and what they still owe. Reads the
    partial index ``ix_repayment_schedules_open`` (loan_id, due_on WHERE settled_on IS NULL)."""
    return (
        select(
            type_coerce(LINES.c.loan_id, Integer),
            type_coerce(func.min(LINES.c.due_on), String),
            type_coerce(func.sum(LINES.c.principal_fen - LINES.c.paid_principal_fen), Integer),
            type_coerce(func.sum(LINES.c.interest_fen - LINES.c.paid_interest_fen), Integer),
        )
        .join(LOANS, LOANS.c.id == LINES.c.loan_id)
        .where(
            LINES.c.settled_on.is_(None),
            LINES.c.loan_id > low,
            LINES.c.loan_id <= high,
            LINES.c.due_on < as_of,
            LINES.c.version == LOANS.c.schedule_version,
            LOANS.c.status == LoanStatus.REPAYING.value,
        )
        .group_by(LINES.c.loan_id)
    )


def chunk_lines(session: Session, low: int, high: int, as_of: date) -> OpenLines:
    cols = _columns(session, open_lines_query(low, high, as_of), 4)
    return OpenLines(
        loan_id=np.array(cols[0], dtype=np.int64),
        due_on=_days(cols[1]),
        unpaid_principal_fen=np.array(cols[2], dtype=np.int64),
        unpaid_interest_fen=np.array(cols[3], dtype=np.int64),
    )


def _active_at(as_of: date, day_end: datetime) -> Any:
    """Overrides in force on ``as_of``: made before the day ended, not revoked by then, and not
    expired (``expires_on`` is the last day an override applies)."""
    return (
        (OVERRIDES.c.at < day_end)
        & or_(OVERRIDES.c.revoked_at.is_(None), OVERRIDES.c.revoked_at >= day_end)
        & or_(OVERRIDES.c.expires_on.is_(None), OVERRIDES.c.expires_on >= as_of)
    )


def chunk_override_ranks(
    session: Session, loan_ids: np.ndarray[Any, Any], as_of: date, day_end: datetime
) -> np.ndarray[Any, Any]:
    """Per loan of ``loan_ids`` (sorted), the rank of its worst override in force, or -1."""
    ranks = np.full(len(loan_ids), -1, dtype=np.int64)
    if not len(loan_ids):
        return ranks
    rows = session.execute(
        select(OVERRIDES.c.loan_id, OVERRIDES.c.five_class).where(
            OVERRIDES.c.loan_id >= int(loan_ids[0]),
            OVERRIDES.c.loan_id <= int(loan_ids[-1]),
            _active_at(as_of, day_end),
        )
    ).all()
    if not rows:
        return ranks
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    rank = class_ranks([str(getattr(r[1], "value", r[1])) for r in rows])
    pos = np.searchsorted(loan_ids, ids)
    hit = (pos < len(loan_ids)) & (loan_ids[np.minimum(pos, len(loan_ids) - 1)] == ids)
    np.maximum.at(ranks, pos[hit], rank[hit])
    return ranks


def loan_state(cols: dict[str, Any], override_rank: np.ndarray[Any, Any]) -> LoanState:
    return LoanState(
        loan_id=cols["loan_id"],
        outstanding_principal_fen=cols["outstanding"],
        max_dpd=cols["max_dpd"],
        first_dpd30_on=cols["first_dpd30_on"],
        first_dpd90_on=cols["first_dpd90_on"],
        override_rank=override_rank,
    )


def replace_snapshots(session: Session, as_of: date, low: int, high: int, closed: Closed) -> int:
    """The chunk's snapshots of ``as_of``: whatever an earlier run wrote for loans in (low, high]
    is replaced by ``closed``."""
    session.execute(
        delete(SNAPSHOTS).where(
            SNAPSHOTS.c.as_of == as_of, SNAPSHOTS.c.loan_id > low, SNAPSHOTS.c.loan_id <= high
        )
    )
    n = len(closed.loan_id)
    if not n:
        return 0
    conn = session.connection()
    if conn.dialect.name == "sqlite":  # plain tuples through the driver: no per-value conversion
        day = as_of.isoformat()
        rows = zip(
            closed.loan_id.tolist(),
            [day] * n,
            closed.dpd.tolist(),
            closed.bucket.tolist(),
            closed.outstanding_principal_fen.tolist(),
            closed.overdue_principal_fen.tolist(),
            closed.overdue_interest_fen.tolist(),
            closed.five_class.tolist(),
            closed.class_source.tolist(),
            strict=True,
        )
        conn.exec_driver_sql(
            "INSERT INTO delinquency_snapshots (loan_id, as_of, dpd, bucket, "
            "outstanding_principal_fen, overdue_principal_fen, overdue_interest_fen, five_class, "
            "class_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            list(rows),
        )
        return n
    return bulk_insert(
        conn,
        SNAPSHOTS,
        {
            "loan_id": closed.loan_id,
            "as_of": np.full(n, np.datetime64(as_of, "D")),
            "dpd": closed.dpd,
            "bucket": closed.bucket,
            "outstanding_principal_fen": closed.outstanding_principal_fen,
            "overdue_principal_fen": closed.overdue_principal_fen,
            "overdue_interest_fen": closed.overdue_interest_fen,
            "five_class": closed.five_class,
            "class_source": closed.class_source,
        },
    )


def update_loans(session: Session, closed: Closed, rows: np.ndarray[Any, Any]) -> int:
    """Write the close's DPD, class, worst DPD and first 30+/90+ days onto the loans at ``rows``."""
    if not len(rows):
        return 0
    first30 = closed.first_dpd30_on[rows].astype(object)
    first90 = closed.first_dpd90_on[rows].astype(object)
    params = [
        {"_id": i, "_dpd": d, "_class": c, "_max": m, "_d30": f30, "_d90": f90}
        for i, d, c, m, f30, f90 in zip(
            closed.loan_id[rows].tolist(),
            closed.dpd[rows].tolist(),
            closed.five_class[rows].tolist(),
            closed.max_dpd[rows].tolist(),
            first30.tolist(),
            first90.tolist(),
            strict=True,
        )
    ]
    session.execute(
        update(LOANS)
        .where(LOANS.c.id == bindparam("_id"))
        .values(
            dpd=bindparam("_dpd"),
            five_class=bindparam("_class"),
            max_dpd=bindparam("_max"),
            first_dpd30_on=bindparam("_d30"),
            first_dpd90_on=bindparam("_d90"),
        ),
        params,
    )
    return len(params)


def advance(session: Session, run_id: int, cursor: int, done: int) -> None:
    session.execute(
        update(RUNS)
        .where(RUNS.c.id == run_id)
        .values(cursor_loan_id=cursor, loans_done=RUNS.c.loans_done + done)
    )


# --- the summary ------------------------------------------------------------------------------------


def snapshot_totals(session: Session, as_of: date) -> dict[str, Any]:
    """One pass over the snapshots of ``as_of``: (count, outstanding principal) by bucket and by
    class, the overdue principal and interest, and how many loans an override classified."""
    rows = session.execute(
        select(
            type_coerce(SNAPSHOTS.c.bucket, String),
            type_coerce(SNAPSHOTS.c.five_class, String),
            SNAPSHOTS.c.class_source,
            func.count(),
            func.sum(SNAPSHOTS.c.outstanding_principal_fen),
            func.sum(SNAPSHOTS.c.overdue_principal_fen),
            func.sum(SNAPSHOTS.c.overdue_interest_fen),
        )
        .where(SNAPSHOTS.c.as_of == as_of)
        .group_by(SNAPSHOTS.c.bucket, SNAPSHOTS.c.five_class, SNAPSHOTS.c.class_source)
    ).all()
    by_bucket: dict[str, tuple[int, int]] = {}
    by_class: dict[str, tuple[int, int]] = {}
    over_p = over_i = by_override = 0
    for bucket, cls, source, count, total, op, oi in rows:
        n, balance = int(count), int(total or 0)
        b = by_bucket.get(bucket, (0, 0))
        by_bucket[bucket] = (b[0] + n, b[1] + balance)
        c = by_class.get(cls, (0, 0))
        by_class[cls] = (c[0] + n, c[1] + balance)
        over_p += int(op or 0)
        over_i += int(oi or 0)
        by_override += n if source == "override" else 0
    return {
        "by_bucket": by_bucket,
        "by_class": by_class,
        "overdue_principal_fen": over_p,
        "overdue_interest_fen": over_i,
        "by_override": by_override,
    }


# --- classification overrides -----------------------------------------------------------------------


def loan_by_no(session: Session, loan_no: str) -> Loan | None:
    return session.scalars(select(Loan).where(Loan.loan_no == loan_no)).one_or_none()


def loan_by_id(session: Session, loan_id: int) -> Loan:
    loan = session.get(Loan, loan_id)
    assert loan is not None
    return loan


def override_by_id(session: Session, override_id: int) -> ClassificationOverride | None:
    return session.get(ClassificationOverride, override_id)


def active_overrides_of(
    session: Session, loan_id: int, as_of: date, day_end: datetime
) -> list[ClassificationOverride]:
    return list(
        session.scalars(
            select(ClassificationOverride).where(
                ClassificationOverride.loan_id == loan_id, _active_at(as_of, day_end)
            )
        ).all()
    )


def active_overrides(
    session: Session, as_of: date, day_end: datetime, limit: int = 500
) -> list[tuple[ClassificationOverride, Loan]]:
    """Overrides in force, newest first, with their loans."""
    rows = session.execute(
        select(ClassificationOverride, Loan)
        .join(Loan, Loan.id == ClassificationOverride.loan_id)
        .where(_active_at(as_of, day_end))
        .order_by(ClassificationOverride.at.desc(), ClassificationOverride.id.desc())
        .limit(limit)
    ).all()
    return [(o, loan) for o, loan in rows]


def count_active_overrides(session: Session, as_of: date, day_end: datetime) -> int:
    return int(session.scalar(select(func.count()).where(_active_at(as_of, day_end))) or 0)
