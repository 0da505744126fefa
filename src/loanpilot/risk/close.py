"""The daily close (日终): resumable and idempotent, in chunks of loans, then its summary and the
after-close steps; and the manual five-category overrides it applies.

``run_close`` keeps one ``close_runs`` row per business date. The repaying loans are closed in
chunks by id (windows of ``CHUNK_LOANS`` ids up to the largest repaying loan's id), each chunk one
transaction that replaces the chunk's snapshots of
the date, updates the loans whose DPD, class, worst DPD or first 30+/90+ days changed, and moves
``cursor_loan_id`` past the chunk. Then the summary (counts and balances by bucket and class, the
NPL ratio, provisions, the ledger check) and each step of ``risk.close_steps.AFTER_CLOSE``, each in
its own transaction and recorded in ``steps_done``. A run killed anywhere resumes where its last
committed transaction left it, and a finished date is not closed again (``force`` redoes it), so
running twice changes nothing and an interrupted run ends as an uninterrupted one would.

Two runners never work at once on one database: within a process a lock refuses a second run
(``ConflictError``), and across processes every chunk and step first takes the write lock on the
run's row and reads where the run got to, so they would take turns instead of repeating work.

Closes go forward: a date before the latest closed date is refused (the loans hold the latest
close's state).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.audit.service import record
from loanpilot.batch.close_kernel import changed, close_loans, summarise
from loanpilot.db.session import transaction
from loanpilot.kit.clock import SHANGHAI, now_utc
from loanpilot.kit.errors import ConflictError, FieldProblem, NotFoundError, ValidationError
from loanpilot.lending.models import LoanStatus
from loanpilot.risk import repository_close as repo
from loanpilot.risk.models import ClassificationOverride, FiveClass
from loanpilot.risk.models_post import CloseRun, CloseStatus
from loanpilot.risk.rules import FIVE_CLASS_ZH, FIVE_CLASSES, five_class_floor, worse_class

if TYPE_CHECKING:
    from loanpilot.risk.close_steps import Step

logger = logging.getLogger(__name__)

CHUNK_LOANS = 20_000
SUMMARY_STEP = "summary"
REASON_MAX = 2000

Progress = Callable[[int, int], None]  # (loans done, loans in the run)
OnChunk = Callable[[int], None]  # the last loan id of a committed chunk

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _process_lock(factory: sessionmaker[Session]) -> threading.Lock:
    bind = factory.kw.get("bind")
    key = str(getattr(bind, "url", id(factory)))
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def is_running(factory: sessionmaker[Session]) -> bool:
    """Whether this process is running a close on the factory's database now."""
    return _process_lock(factory).locked()


def day_end(as_of: date, tz: ZoneInfo = SHANGHAI) -> datetime:
    """The instant the business day ``as_of`` ends (midnight after it, in ``tz``)."""
    return datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=tz)


def run_close(
    session_factory: sessionmaker[Session],
    as_of: date,
    now: datetime,
    progress: Progress | None = None,
    on_chunk: OnChunk | None = None,
    *,
    chunk: int = CHUNK_LOANS,
    steps: Sequence[tuple[str, Step]] | None = None,
    force: bool = False,
    tz: ZoneInfo = SHANGHAI,
    actor_label: str = "system",
    by_id: int | None = None,
    clock: Callable[[], datetime] = now_utc,
) -> CloseRun:
    """Close the business date ``as_of`` (see the module); returns its run, ``done`` or ``failed``
    (with ``error``: a rerun resumes there). Each transaction commits on its own.

    ``steps`` are the after-close steps (default ``risk.close_steps.AFTER_CLOSE``)."""
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    if steps is None:
        from loanpilot.risk.close_steps import AFTER_CLOSE

        steps = AFTER_CLOSE
    lock = _process_lock(session_factory)
    if not lock.acquire(blocking=False):
        raise ConflictError("close.running", "A daily close is already running; wait for it")
    try:
        run_id, resume = _start(session_factory, as_of, now, force, actor_label, by_id)
        if not resume:
            return _read(session_factory, run_id)
        stage = "loans"
        try:
            _close_loans(session_factory, run_id, as_of, tz, chunk, progress, on_chunk)
            stage = SUMMARY_STEP
            _summary(session_factory, run_id, as_of)
            for name, step in steps:
                stage = name
                _step(session_factory, run_id, as_of, now, name, step)
        except Exception as exc:  # recorded on the run and logged: a rerun resumes at ``stage``
            logger.exception("daily close of %s failed at %s", as_of, stage)
            return _fail(session_factory, run_id, stage, exc)
        return _finish(session_factory, run_id, clock(), actor_label, by_id)
    finally:
        lock.release()


def _read(factory: sessionmaker[Session], run_id: int) -> CloseRun:
    with transaction(factory) as session:
        run = repo.run_by_id(session, run_id)
        assert run is not None
        return run


def _start(
    factory: sessionmaker[Session],
    as_of: date,
    now: datetime,
    force: bool,
    actor_label: str,
    by_id: int | None,
) -> tuple[int, bool]:
    """The run of ``as_of``, created or resumed; (its id, whether there is work to do)."""
    with transaction(factory) as session:
        run = repo.run_of(session, as_of)
        if run is not None and run.status is CloseStatus.DONE and not force:
            return run.id, False
        latest = repo.latest_closed_date(session)
        if latest is not None and latest > as_of:
            raise ConflictError(
                "close.backdated",
                f"The close of {as_of.isoformat()} cannot run: {latest.isoformat()} is already "
                "closed and closes go forward (the loans hold the latest close's state)",
            )
        total = repo.count_repaying(session)
        if run is None:
            run = CloseRun(
                as_of=as_of,
                status=CloseStatus.RUNNING,
                started_at=now,
                attempts=1,
                cursor_loan_id=0,
                loans_total=total,
                loans_done=0,
                steps_done=[],
                summary={},
            )
            session.add(run)
        else:
            if force:
                run.cursor_loan_id, run.loans_done, run.loans_total = 0, 0, total
                run.steps_done, run.summary, run.started_at = [], {}, now
            run.attempts += 1
            run.status, run.error, run.finished_at = CloseStatus.RUNNING, None, None
        session.flush()
        record(
            session,
            action="close.start",
            actor_label=actor_label,
            actor_staff_id=by_id,
            entity="close_run",
            entity_id=as_of.isoformat(),
            detail={"attempt": run.attempts, "cursor": run.cursor_loan_id, "force": force},
            at=now,
        )
        return run.id, True


def _close_loans(
    factory: sessionmaker[Session],
    run_id: int,
    as_of: date,
    tz: ZoneInfo,
    chunk: int,
    progress: Progress | None,
    on_chunk: OnChunk | None,
) -> None:
    end = day_end(as_of, tz)
    with transaction(factory) as session:
        last = repo.last_repaying_id(session)
    while True:
        with transaction(factory) as session:
            run = repo.lock_run(session, run_id)
            low = run.cursor_loan_id
            if low >= last:
                return
            high = min(low + chunk, last)
            cols = repo.chunk_loans(session, low, high)
            ids = cols["loan_id"]
            lines = repo.chunk_lines(session, low, high, as_of)
            ranks = repo.chunk_override_ranks(session, ids, as_of, end)
            closed = close_loans(lines, repo.loan_state(cols, ranks), as_of)
            repo.replace_snapshots(session, as_of, low, high, closed)
            moved = changed(
                closed,
                cols["dpd"],
                cols["five_class"],
                cols["max_dpd"],
                cols["first_dpd30_on"],
                cols["first_dpd90_on"],
            )
            repo.update_loans(session, closed, np.flatnonzero(moved))
            repo.advance(session, run_id, high, len(ids))
            done, total = run.loans_done + len(ids), run.loans_total
        if progress is not None:
            progress(done, max(total, done))
        if on_chunk is not None:
            on_chunk(high)


def _jsonable(value: Any) -> Any:
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def ledger_check(session: Session) -> dict[str, Any]:
    """The ledger check of servicing: disbursed = repaid principal + outstanding + written off,
    for every loan; the number of loans that break it and the first few."""
    from loanpilot.lending.servicing import ledger_breaks

    breaks = list(ledger_breaks(session))
    return {"breaks": len(breaks), "sample": [_jsonable(b) for b in breaks[:20]]}


def _summary(factory: sessionmaker[Session], run_id: int, as_of: date) -> None:
    with transaction(factory) as session:
        run = repo.lock_run(session, run_id)
        if SUMMARY_STEP in run.steps_done:
            return
        totals = repo.snapshot_totals(session, as_of)
        summary = summarise(totals["by_bucket"], totals["by_class"])
        for key in ("overdue_principal_fen", "overdue_interest_fen", "by_override"):
            summary[key] = totals[key]
        summary["ledger"] = ledger_check(session)
        run.summary = summary
        run.steps_done = [*run.steps_done, SUMMARY_STEP]


def _step(
    factory: sessionmaker[Session], run_id: int, as_of: date, now: datetime, name: str, step: Step
) -> None:
    with transaction(factory) as session:
        run = repo.lock_run(session, run_id)
        if name in run.steps_done:
            return
        counts = step(session, as_of, now)
        run.summary = {
            **run.summary,
            "steps": {**run.summary.get("steps", {}), name: _jsonable(counts)},
        }
        run.steps_done = [*run.steps_done, name]


def _fail(factory: sessionmaker[Session], run_id: int, stage: str, exc: Exception) -> CloseRun:
    with transaction(factory) as session:
        run = repo.lock_run(session, run_id)
        run.status = CloseStatus.FAILED
        run.error = f"{stage}: {type(exc).__name__}: {exc}"[:2000]
        return run


def _finish(
    factory: sessionmaker[Session], run_id: int, at: datetime, actor_label: str, by_id: int | None
) -> CloseRun:
    with transaction(factory) as session:
        run = repo.lock_run(session, run_id)
        if run.status is CloseStatus.RUNNING:
            run.status, run.finished_at, run.error = CloseStatus.DONE, at, None
            record(
                session,
                action="close.done",
                actor_label=actor_label,
                actor_staff_id=by_id,
                entity="close_run",
                entity_id=run.as_of.isoformat(),
                detail={
                    "loans": run.loans_done,
                    "npl_ratio": run.summary.get("npl_ratio"),
                    "ledger_breaks": run.summary.get("ledger", {}).get("breaks"),
                },
                at=at,
            )
        return run


# --- manual classification overrides ------------------------------------------------------------------


def _class_label(name: str) -> str:
    return f"{FIVE_CLASS_ZH[name]} ({name})"


def set_override(
    session: Session,
    *,
    loan_no: str,
    five_class: str,
    reason: str,
    expires_on: date | None,
    officer_id: int,
    actor_label: str,
    now: datetime,
    today: date,
    tz: ZoneInfo = SHANGHAI,
) -> ClassificationOverride:
    """Classify a repaying loan worse than its rule floor (by its DPD at the last close), with the
    officer, the reason, the time and an optional last day. An override in force on the loan is
    replaced (revoked now). The loan's class follows at once; the close keeps it while in force."""
    problems: list[FieldProblem] = []
    if five_class not in FIVE_CLASSES:
        problems.append(
            FieldProblem(
                "five_class", f"must be one of {', '.join(FIVE_CLASSES)}; got {five_class!r}"
            )
        )
    if not reason.strip():
        problems.append(FieldProblem("reason", "say why the loan is classified by hand"))
    elif len(reason) > REASON_MAX:
        problems.append(FieldProblem("reason", f"at most {REASON_MAX} characters"))
    if expires_on is not None and expires_on < today:
        problems.append(
            FieldProblem(
                "expires_on",
                f"the last day must be today ({today.isoformat()}) or later; "
                f"got {expires_on.isoformat()}",
            )
        )
    loan = repo.loan_by_no(session, loan_no.strip()) if loan_no.strip() else None
    if loan is None:
        problems.append(FieldProblem("loan_no", f"no loan numbered {loan_no.strip()!r}"))
    elif loan.status is not LoanStatus.REPAYING:
        problems.append(
            FieldProblem(
                "loan_no",
                f"loan {loan.loan_no} is {loan.status.value}; only repaying loans are classified",
            )
        )
    if loan is not None and five_class in FIVE_CLASSES and not problems:
        floor = five_class_floor(loan.dpd)
        if FIVE_CLASSES.index(five_class) <= FIVE_CLASSES.index(floor):
            problems.append(
                FieldProblem(
                    "five_class",
                    f"an override may only classify worse than the rule: loan {loan.loan_no} is "
                    f"{loan.dpd} days past due, so the rule gives {_class_label(floor)}; "
                    f"{_class_label(five_class)} is not worse",
                )
            )
    if problems:
        raise ValidationError("override.invalid", "The override cannot be set", problems)
    assert loan is not None
    end = day_end(today, tz)
    for old in repo.active_overrides_of(session, loan.id, today, end):
        old.revoked_at = now
    row = ClassificationOverride(
        loan_id=loan.id,
        five_class=FiveClass(five_class),
        officer_id=officer_id,
        reason=reason.strip(),
        at=now,
        expires_on=expires_on,
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    loan.five_class = FiveClass(worse_class(five_class_floor(loan.dpd), five_class))
    record(
        session,
        action="classification.override",
        actor_label=actor_label,
        actor_staff_id=officer_id,
        entity="loan",
        entity_id=loan.loan_no,
        detail={
            "override_id": row.id,
            "five_class": five_class,
            "expires_on": expires_on.isoformat() if expires_on else None,
            "dpd": loan.dpd,
        },
        at=now,
    )
    return row


def revoke_override(
    session: Session,
    override_id: int,
    *,
    by_id: int,
    actor_label: str,
    now: datetime,
    today: date,
    tz: ZoneInfo = SHANGHAI,
) -> ClassificationOverride:
    """Revoke an override in force; the loan's class goes back to the rule floor (or another
    override still in force, the worse)."""
    row = repo.override_by_id(session, override_id)
    if row is None:
        raise NotFoundError("override.not_found", f"No classification override {override_id}")
    if row.revoked_at is not None:
        raise ConflictError("override.revoked", f"Override {override_id} is already revoked")
    row.revoked_at = now
    session.flush()
    loan = repo.loan_by_id(session, row.loan_id)
    cls = five_class_floor(loan.dpd)
    for other in repo.active_overrides_of(session, loan.id, today, day_end(today, tz)):
        cls = worse_class(cls, other.five_class.value)
    if loan.status is LoanStatus.REPAYING:
        loan.five_class = FiveClass(cls)
    record(
        session,
        action="classification.override_revoke",
        actor_label=actor_label,
        actor_staff_id=by_id,
        entity="loan",
        entity_id=loan.loan_no,
        detail={"override_id": row.id, "five_class": row.five_class.value, "now_class": cls},
        at=now,
    )
    return row
