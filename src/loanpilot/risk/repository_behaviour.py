"""SQL of the behavioural score inputs: the monthly refresh of ``risk.monitoring``, a step of the
daily close. Plain Core aggregates read as columns (``repository_close._columns``), so the first
close of a month scores the whole book in a few queries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from itertools import chain
from typing import Any, cast

import numpy as np
from sqlalchemy import Integer, String, Table, and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from loanpilot.db.bulk import bulk_insert
from loanpilot.lending.models import LoanStatus
from loanpilot.risk.models_post import BehaviourScore
from loanpilot.risk.repository_close import LINES, LOANS, SNAPSHOTS, _columns, _days

BEHAVIOUR = cast(Table, BehaviourScore.__table__)


#: Up to this many loans to score, the snapshot and schedule aggregates read only those loans
#: (by id, through the indexes); more (the first close of a month), one pass over each table.
FEW_TO_SCORE = 20_000


def _batches(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def behaviour_inputs(
    session: Session, month: date, as_of: date, since6: date, since12: date
) -> dict[str, np.ndarray[Any, Any]]:
    """The raw inputs of the behavioural score of every repaying loan disbursed by ``as_of``
    without a score for ``month``, as columns by loan id: the loan's DPD, outstanding, principal
    and disbursement day; its worst snapshot DPD in (``since6``, ``as_of``] and (``since12``,
    ``as_of``] (0: none) and its last snapshot day past due up to ``as_of`` (NaT: never); the
    instalments of its schedule version due by ``as_of`` and how many of them were paid late or
    are unpaid past due."""
    scored = (
        select(BEHAVIOUR.c.loan_id)
        .where(BEHAVIOUR.c.loan_id == LOANS.c.id, BEHAVIOUR.c.month == month)
        .exists()
    )
    loans = _columns(
        session,
        select(
            type_coerce(LOANS.c.id, Integer), type_coerce(LOANS.c.dpd, Integer),
            type_coerce(LOANS.c.outstanding_principal_fen, Integer),
            type_coerce(LOANS.c.principal_fen, Integer), type_coerce(LOANS.c.disbursed_on, String),
        )
        .where(LOANS.c.status == LoanStatus.REPAYING.value, LOANS.c.disbursed_on <= as_of, ~scored)
        .order_by(LOANS.c.id),
        5,
    )  # fmt: skip
    loan_id = np.array(loans[0], dtype=np.int64)
    s, line = SNAPSHOTS.c, LINES.c
    late = or_(
        and_(line.settled_on.is_not(None), line.settled_on > line.due_on),
        and_(line.settled_on.is_(None), line.due_on < as_of),
    )
    snaps_q = (
        select(
            type_coerce(s.loan_id, Integer),
            type_coerce(func.max(case((s.as_of > since6, s.dpd))), Integer),
            type_coerce(func.max(case((s.as_of > since12, s.dpd))), Integer),
            type_coerce(func.max(case((s.dpd > 0, s.as_of))), String),
        )
        .where(s.as_of <= as_of)
        .group_by(s.loan_id)
    )
    counts_q = (
        select(
            type_coerce(line.loan_id, Integer), type_coerce(func.count(), Integer),
            type_coerce(func.sum(case((late, 1), else_=0)), Integer),
        )
        .join(LOANS, and_(LOANS.c.id == line.loan_id, LOANS.c.schedule_version == line.version))
        .where(line.due_on <= as_of, LOANS.c.status == LoanStatus.REPAYING.value)
        .group_by(line.loan_id)
    )  # fmt: skip
    if len(loan_id) > FEW_TO_SCORE:
        snaps, counts = _columns(session, snaps_q, 4), _columns(session, counts_q, 3)
    else:
        parts = [(_columns(session, snaps_q.where(s.loan_id.in_(ids)), 4),
                  _columns(session, counts_q.where(line.loan_id.in_(ids)), 3))
                 for ids in _batches(loan_id.tolist(), 500)]  # fmt: skip
        snaps = [list(chain.from_iterable(p[0][k] for p in parts)) for k in range(4)]
        counts = [list(chain.from_iterable(p[1][k] for p in parts)) for k in range(3)]

    def spread(keys: Sequence[Any], values: Sequence[Any], fill: Any, dtype: Any) -> np.ndarray:
        """``values`` by ``keys`` placed on ``loan_id`` (``fill`` where absent or NULL)."""
        out = np.full(len(loan_id), fill, dtype=dtype)
        if not len(loan_id) or not len(keys):
            return out
        pos = np.searchsorted(loan_id, np.array(keys, dtype=np.int64))
        hit = loan_id[np.minimum(pos, len(loan_id) - 1)] == np.array(keys, dtype=np.int64)
        hit &= np.array([v is not None for v in values], dtype=bool)
        out[pos[hit]] = np.array([v for v, h in zip(values, hit, strict=True) if h], dtype=dtype)
        return out

    last_bad = [None if v is None else str(v)[:10] for v in snaps[3]]
    return {
        "loan_id": loan_id,
        "dpd": np.array(loans[1], dtype=np.int64),
        "outstanding": np.array(loans[2], dtype=np.float64),
        "principal": np.array(loans[3], dtype=np.float64),
        "disbursed_on": _days(loans[4]),
        "max6": spread(snaps[0], snaps[1], 0, np.int64),
        "max12": spread(snaps[0], snaps[2], 0, np.int64),
        "last_bad": spread(snaps[0], last_bad, np.datetime64("NaT"), "M8[D]"),
        "due": spread(counts[0], counts[1], 0, np.float64),
        "late": spread(counts[0], counts[2], 0, np.float64),
    }


def insert_behaviour_scores(session: Session, month: date, rows: dict[str, Any]) -> int:
    """Add the scores of one month: columns ``loan_id``, ``score``, ``pd`` (float), ``grade`` and
    ``inputs`` (JSON text per row, as ``json.dumps`` writes it)."""
    n = len(rows["loan_id"])
    if not n:
        return 0
    conn = session.connection()
    pds = [f"{p:.8f}" for p in rows["pd"].tolist()]
    if conn.dialect.name == "sqlite":  # plain tuples through the driver, the JSON text as stored
        conn.exec_driver_sql(
            "INSERT INTO behaviour_scores (loan_id, month, score, pd, grade, inputs) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            list(zip(rows["loan_id"].tolist(), [month.isoformat()] * n, rows["score"].tolist(),
                     pds, rows["grade"].tolist(), rows["inputs"], strict=True)),
        )  # fmt: skip
        return n
    return bulk_insert(
        conn,
        BEHAVIOUR,
        {
            "loan_id": rows["loan_id"], "month": np.full(n, np.datetime64(month, "D")),
            "score": rows["score"], "pd": [Decimal(p) for p in pds],
            "grade": rows["grade"].astype(object), "inputs": [json.loads(t) for t in rows["inputs"]],
        },
    )  # fmt: skip
