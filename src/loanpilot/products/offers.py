"""Next-best-offer runs (产品推荐): every customer's top offers, in resumable chunks, and the check a
single offer must pass.

``run_offers`` keeps one ``offer_runs`` row per build. Customers are taken in chunks by id (the
next ``chunk`` ids above ``cursor_customer_id``); each chunk is one transaction that scores the
chunk (``offers_inputs`` → ``offer_kernel.score_chunk``), writes its top offers with their reasons
in bulk, adds its counts (suppressed by reason, without an eligible product, with offers) to the
run's ``summary`` and moves the cursor past it. A run that stopped (crash, kill, error: ``failed``)
is resumed by the next build of the same date from its cursor, unless the take-up model or the
champion card changed since, in which case it starts over. Two builds never run at once in one
process (``ConflictError``), and every chunk first takes the write lock on the run's row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.access.rules import Principal, check_customer_scope
from loanpilot.audit.service import record
from loanpilot.config import Settings
from loanpilot.customers.models import Customer
from loanpilot.customers.models_segments import RunStatus
from loanpilot.db.session import transaction
from loanpilot.kit.clock import now_utc
from loanpilot.kit.errors import ConflictError, FieldProblem, NotFoundError, ValidationError
from loanpilot.products import offer_kernel as kernel
from loanpilot.products import offer_rules as rules
from loanpilot.products import offers_inputs as inputs_
from loanpilot.products import repository_offers as repo
from loanpilot.products.models import LoanProduct
from loanpilot.products.models_offers import Offer, OfferRun
from loanpilot.products.offers_check import SUPPRESSION_TEXT, check_offer
from loanpilot.products.offers_takeup import active_take_up, fit_take_up

logger = logging.getLogger(__name__)
__all__ = ["SUPPRESSION_TEXT", "begin", "check_offer", "customer_offers", "get_run", "run_offers"]

CHUNK_CUSTOMERS = 5_000
TOP_N = 3
#: An offer must be expected to earn at least this (so its stored, whole-fen profit is positive).
MIN_PROFIT_FEN = 0.5
Progress = Callable[[int, int], None]  # (customers done, customers in the run)
OnChunk = Callable[[int], None]  # the last customer id of a committed chunk

_LOCKS: dict[str, threading.Lock] = {}
_RUNNING: dict[str, tuple[int | None, date]] = {}  # the build holding a database's lock
_GUARD = threading.Lock()


def _key(factory: sessionmaker[Session]) -> str:
    return str(getattr(factory.kw.get("bind"), "url", id(factory)))


def _lock(factory: sessionmaker[Session]) -> threading.Lock:
    with _GUARD:
        return _LOCKS.setdefault(_key(factory), threading.Lock())


def _busy(factory: sessionmaker[Session]) -> ConflictError:
    run_id, day = _RUNNING.get(_key(factory), (None, None))
    which = "An offer build" if run_id is None else f"Offer run {run_id}"
    when = "" if day is None else f" (as of {day.isoformat()})"
    return ConflictError(
        "offers.running", f"{which}{when} is already running; wait for it to finish"
    )


def is_running(factory: sessionmaker[Session]) -> bool:
    return _lock(factory).locked()


def run_offers(
    factory: sessionmaker[Session],
    as_of: date,
    now: datetime,
    settings: Settings,
    *,
    chunk: int = CHUNK_CUSTOMERS,
    top_n: int = TOP_N,
    progress: Progress | None = None,
    on_chunk: OnChunk | None = None,
    by_id: int | None = None,
    actor_label: str = "system",
    fit: bool = False,
    funding_rate: Decimal = rules.DEFAULT_FUNDING_RATE,
    clock: Callable[[], datetime] = now_utc,
) -> OfferRun:
    """Build (or resume) the offers of ``as_of``; returns the run, ``done`` or ``failed`` (with
    ``error``: a rerun resumes there). Each chunk commits on its own. ValidationError before
    anything is written when there is no active take-up model (``fit``: fit one first if there
    is none) or no priceable product."""
    _run_id, work = begin(
        factory, as_of, now, settings, chunk=chunk, top_n=top_n, by_id=by_id,
        actor_label=actor_label, fit=fit, funding_rate=funding_rate,
    )  # fmt: skip
    return work(progress, on_chunk, clock)


Work = Callable[[Progress | None, OnChunk | None, Callable[[], datetime]], OfferRun]


def begin(
    factory: sessionmaker[Session],
    as_of: date,
    now: datetime,
    settings: Settings,
    *,
    chunk: int = CHUNK_CUSTOMERS,
    top_n: int = TOP_N,
    by_id: int | None = None,
    actor_label: str = "system",
    fit: bool = False,
    funding_rate: Decimal = rules.DEFAULT_FUNDING_RATE,
) -> tuple[int, Work]:
    """Start (or resume) a build and return its run id and the work that scores its chunks (to
    call now or in a background thread; it releases the build lock when it ends). ConflictError
    while another build runs in this process; ValidationError as ``run_offers``."""
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    if top_n < 1:
        raise ValueError(f"top_n must be >= 1, got {top_n}")
    lock = _lock(factory)
    if not lock.acquire(blocking=False):
        raise _busy(factory)
    key = _key(factory)
    _RUNNING[key] = (None, as_of)

    def release() -> None:
        _RUNNING.pop(key, None)
        lock.release()

    try:
        if fit:
            with transaction(factory) as session:
                if active_take_up(session) is None:
                    fit_take_up(session, as_of, now, staff_id=by_id)
        with transaction(factory) as session:
            inputs = inputs_.run_inputs(session, as_of, settings, funding_rate=funding_rate)
        _check_inputs(inputs)
        run_id = _start(factory, as_of, now, inputs, top_n, by_id, actor_label)
        _RUNNING[key] = (run_id, as_of)
    except BaseException:
        release()
        raise

    def work(
        progress: Progress | None, on_chunk: OnChunk | None, clock: Callable[[], datetime]
    ) -> OfferRun:
        try:
            try:
                _chunks(factory, run_id, as_of, inputs, chunk, top_n, progress, on_chunk)
            except Exception as exc:  # recorded on the run and logged: a rerun resumes there
                logger.exception("offer build of %s failed", as_of)
                with transaction(factory) as session:
                    run = repo.lock_run(session, run_id)
                    run.status = RunStatus.FAILED
                    run.error = f"{type(exc).__name__}: {exc}"[:2000]
                    return run
            return _finish(factory, run_id, clock(), by_id, actor_label)
        finally:
            release()

    return run_id, work


def _check_inputs(inputs: inputs_.RunInputs) -> None:
    problems = []
    if inputs.take is None:
        problems.append(FieldProblem("propensity_model", "no active take-up model: fit one first (offers build --fit)"))  # fmt: skip
    if not inputs.products:
        problems.append(FieldProblem("products", "no active product can be priced on this date"))
    if problems:
        raise ValidationError("offers.not_ready", "The offers cannot be built", problems)


def _start(
    factory: sessionmaker[Session],
    as_of: date,
    now: datetime,
    inputs: inputs_.RunInputs,
    top_n: int,
    by_id: int | None,
    actor_label: str,
) -> int:
    with transaction(factory) as session:
        run = repo.unfinished_run(session, as_of)
        same = run is not None and (run.propensity_model, run.risk_model, run.uplift_model) == (
            inputs.take_label,
            inputs.card_label,
            inputs.uplift_label,
        )
        if run is None or not same:
            if run is not None:  # the models changed: the stopped run is abandoned
                run.status, run.error = RunStatus.FAILED, "superseded by a new build"
            run = OfferRun(
                as_of=as_of, status=RunStatus.RUNNING, started_at=now, started_by_id=by_id,
                params={**inputs.params(), "top_n": top_n},
                propensity_model=inputs.take_label, risk_model=inputs.card_label,
                uplift_model=inputs.uplift_label, cursor_customer_id=0,
                customers_total=repo.count_customers(session), customers_done=0,
                customers_suppressed=0, offers_count=0, summary={},
            )  # fmt: skip
            session.add(run)
            session.flush()
        else:
            run.status, run.error = RunStatus.RUNNING, None
            repo.delete_offers_after(session, run.id, run.cursor_customer_id)
        record(
            session, action="offers.build", actor_label=actor_label, actor_staff_id=by_id,
            entity="offer_run", entity_id=str(run.id),
            detail={"as_of": as_of.isoformat(), "cursor": run.cursor_customer_id}, at=now,
        )  # fmt: skip
        return run.id


def _add(summary: dict[str, Any], key: str, counts: dict[str, int]) -> dict[str, int]:
    out = dict(summary.get(key, {}))
    for name, n in counts.items():
        out[name] = int(out.get(name, 0)) + int(n)
    return out


def _chunks(
    factory: sessionmaker[Session],
    run_id: int,
    as_of: date,
    inputs: inputs_.RunInputs,
    chunk: int,
    top_n: int,
    progress: Progress | None,
    on_chunk: OnChunk | None,
) -> None:
    while True:
        with transaction(factory) as session:
            run = repo.lock_run(session, run_id)
            ids = repo.customer_ids_after(session, run.cursor_customer_id, chunk)
            if not ids:
                return
            bound = inputs_.chunk_inputs(session, as_of, ids, inputs)
            result = kernel.score_chunk(
                bound.customers, inputs.arrays, inputs.cost_fen, take=bound.take,
                approve=bound.approve, uplift=bound.uplift, funding_rate=inputs.funding_rate,
                top_n=top_n, min_profit_fen=MIN_PROFIT_FEN,
            )  # fmt: skip
            repo.insert_offers(session, offer_columns(run_id, bound, inputs, result))
            suppressed = bound.customers.suppressed
            reasons = np.bincount(suppressed[suppressed >= 0], minlength=len(rules.SUPPRESSION))
            allowed = suppressed < 0
            with_offers = np.unique(result.row).size
            run.summary = {
                **run.summary,
                "suppressed": _add(run.summary, "suppressed", dict(zip(rules.SUPPRESSION, reasons.tolist(), strict=True))),
                "counts": _add(run.summary, "counts", {
                    "no_eligible_product": int((allowed & ~result.any_eligible).sum()),
                    "no_profitable_offer": int(result.any_eligible.sum()) - with_offers,
                    "with_offers": with_offers,
                    "eligible_pairs": result.eligible_pairs,
                }),
                "expected_profit_fen": int(run.summary.get("expected_profit_fen", 0))
                + int(np.rint(result.profit_fen[result.rank == 1]).sum()),
            }  # fmt: skip
            run.cursor_customer_id = int(ids[-1])
            run.customers_done += len(ids)
            run.customers_suppressed += int((~allowed).sum())
            run.offers_count += int(result.row.size)
            done, total = run.customers_done, max(run.customers_total, run.customers_done)
        if progress is not None:
            progress(done, total)
        if on_chunk is not None:
            on_chunk(int(ids[-1]))


def offer_columns(
    run_id: int, bound: inputs_.ChunkInputs, inputs: inputs_.RunInputs, res: kernel.ChunkOffers
) -> dict[str, Any]:
    """The offers of a chunk as columns of ``offers``, with their reasons."""
    frame = bound.frame.iloc[res.row]
    products = inputs.products
    channel = np.array(inputs.channels, dtype=object)[res.channel]
    masks = rules.reason_masks(
        product_type=np.array(inputs.arrays.type_names, dtype=object)[inputs.arrays.type_code[res.product]],
        subtype=np.array([p.subtype.value for p in products], dtype=object)[res.product],
        channel=channel, preferred_channel=frame["preferred_channel"].to_numpy(),
        occupation=frame["occupation"].to_numpy(), age=frame["age"].to_numpy(),
        salary_account=frame["salary_account"].to_numpy() > 0,
        has_provident_fund=frame["has_provident_fund"].to_numpy() > 0,
        owns_home=frame["owns_home"].to_numpy() > 0,
        responded_before=frame["responses_365d"].to_numpy() > 0,
        p_take=res.p_take, pd12=res.pd12,
    )  # fmt: skip
    reasons = [
        rules.reasons_of(int(m), channel=str(c), p_take=float(p), pd12=float(d))
        for m, c, p, d in zip(masks, channel, res.p_take, res.pd12, strict=True)
    ]
    ids = np.array([p.id for p in products], dtype=np.int64)
    return {
        "run_id": np.full(res.row.size, run_id, dtype=np.int64),
        "customer_id": bound.ids[res.row].astype(np.int64),
        "product_id": ids[res.product],
        "channel": channel,
        "rank": res.rank,
        "p_take": np.round(res.p_take, 8),
        "p_approve": np.round(res.p_approve, 8),
        "uplift": np.round(res.uplift, 8),
        "pd": np.round(res.pd12, 8),
        "amount_fen": np.rint(inputs.arrays.amount_fen[res.product]).astype(np.int64),
        "value_fen": np.rint(res.value_fen).astype(np.int64),
        "contact_cost_fen": np.rint(res.cost_fen).astype(np.int64),
        "expected_profit_fen": np.rint(res.profit_fen).astype(np.int64),
        "reasons": reasons,
    }


def _finish(
    factory: sessionmaker[Session], run_id: int, at: datetime, by_id: int | None, label: str
) -> OfferRun:
    with transaction(factory) as session:
        run = repo.lock_run(session, run_id)
        run.status, run.finished_at, run.error = RunStatus.DONE, at, None
        run.summary = {
            **run.summary,
            "by_product_channel": repo.by_product_channel(session, run_id),
        }
        record(
            session, action="offers.done", actor_label=label, actor_staff_id=by_id,
            entity="offer_run", entity_id=str(run.id),
            detail={"customers": run.customers_done, "offers": run.offers_count}, at=at,
        )  # fmt: skip
        return run


# --- reading ----------------------------------------------------------------------------------------


def get_run(session: Session, run_id: int) -> OfferRun:
    run = repo.run_by_id(session, run_id)
    if run is None:
        raise NotFoundError("offer_run.not_found", f"No offer run with id {run_id}")
    return run


def customer_offers(
    session: Session, principal: Principal | None, customer_no: str
) -> tuple[Customer, OfferRun | None, list[tuple[Offer, LoanProduct]]]:
    """A customer in ``principal``'s scope (NotFoundError; PermissionDeniedError
    ``scope.forbidden`` outside it; None: the command line, no scope), the latest finished run
    and the customer's offers in it."""
    customer = repo.customer_by_no(session, customer_no.strip())
    if customer is None:
        raise NotFoundError("customer.not_found", f"No customer with number {customer_no!r}")
    if principal is not None:
        check_customer_scope(principal, customer.home_branch_id, customer.manager_id)
    run = repo.latest_run(session, done_only=True)
    if run is None:
        return customer, None, []
    rows = repo.offers_of(session, run.id, customer.id)
    products = {p.id: p for p in session.scalars(select(LoanProduct))}
    return customer, run, [(o, products[o.product_id]) for o in rows]
