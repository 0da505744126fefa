"""Benchmark: the daily close (日终) and the vintage and roll-rate reports on a book of 1,000,000
loans with about 30,000,000 schedule lines, beside DuckDB computing the same DPD aggregate.

    .venv/bin/python bench/daily_close.py                    # 1,000,000 loans (~30.6 M lines)
    .venv/bin/python bench/daily_close.py --loans 50000      # quick run
    .venv/bin/python bench/daily_close.py --rebuild          # build the book again

What one run does (issue 5, "Figures"):

1. Builds the book (once; cached as ``book-<loans>-<seed>.db`` under
   ``${LOANPILOT_BENCH_DIR:-/tmp/loanpilot-bench}``) directly in a SQLite file with the real
   schema: ``alembic upgrade head``, then numpy-generated columns bulk-inserted with sqlite3
   ``executemany`` (no ORM), the big tables' secondary indexes dropped during the load and
   created again after it. Loans are disbursed over the last 48 months with terms of 12/24/36/60
   months (mean 30.6 lines a loan), equal principal plus interest on the balance; lines due before
   the as-of date are paid (settled a few days after their due date) except: 8 % of loans stop
   paying at a random instalment (defaults: every line from there is unpaid; those more than 540
   days past due are written off), 3 % are behind on their latest instalment (1–30 days), and
   1 % of overdue lines are partly paid. Loans whose every line is paid, and 5 % that prepay, are
   settled. Each loan has one repayment row carrying its repaid principal (the ledger check sums
   repayments per loan). Two month-end snapshot sets (the last two month ends) give the roll-rate
   report its transition. The same columns are saved as ``.npy`` arrays beside the database.
2. Copies the cached database and, in a fresh child process of our venv, runs the real
   ``loanpilot.risk.close.run_close`` on it (chunks of 20,000 loans, snapshots, loan updates, the
   summary with the ledger check, and the after-close steps of ``risk.close_steps``), timing each
   phase; then our DPD aggregate alone (the close's read path: ``repository_close`` Core
   aggregates over the partial index + ``batch.close_kernel``, no writes); then
   ``loanpilot.risk.portfolio.vintage_report`` and ``roll_rate_report``; then the next business
   day's close on the same book (an ordinary day: the cases are open, the month's behavioural
   scores are there), timed the same way. Peak RSS of that process (``VmHWM``).
3. In a peer venv with DuckDB (``bench/peers.py``'s ``ensure_venv``): DuckDB cannot read a SQLite
   file without downloading its extension (no internet here), so the same arrays the book was
   written from are loaded into DuckDB tables (load time reported apart), and one SQL query
   computes the same DPD aggregate: per repaying loan the oldest unpaid line of its schedule
   version due before the as-of date → DPD → loans, balance, overdue principal and interest by
   bucket. Best of 3. Its figures are checked equal to ours.

Ratios printed: the whole close ÷ DuckDB's query, our DPD aggregate ÷ DuckDB's query, and our DPD
aggregate ÷ DuckDB's load + query (both sides starting from stored data).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import THREAD_ENV, bench_dir, ensure_venv, run_python

TARGET_CLOSE_S = 60.0
TARGET_REPORTS_S = 10.0
TARGET_RSS = 4 * 1024**3
TARGET_RATIO = 3.0
CHUNK_LOANS = 100_000  # loans generated and written at a time
BUCKET_EDGES = np.array([0, 30, 60, 90, 120, 150, 180])
BUCKETS = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+")
_BIG_TABLES = ("loans", "repayment_schedules", "delinquency_snapshots", "repayments")


def _log(msg: str) -> None:
    print(f"[daily_close] {msg}", file=sys.stderr, flush=True)


def _peak_rss() -> int:
    """Peak RSS of this process in bytes: ``VmHWM`` (``ru_maxrss`` of a child started by
    subprocess also counts the parent's peak before the exec, on Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# --- 1. the book ----------------------------------------------------------------------------------


def _iso(days: np.ndarray) -> list[Any]:
    out = days.astype("M8[D]").astype("U10").astype(object)
    out[np.isnat(days.astype("M8[D]"))] = None
    return out.tolist()


def _month_add(day: np.ndarray, months: np.ndarray) -> np.ndarray:
    """``day`` (datetime64[D], day of month <= 28) plus whole months."""
    month = day.astype("M8[M]")
    offset = (day - month.astype("M8[D]")).astype(np.int64)
    return (month + months.astype("m8[M]")).astype("M8[D]") + offset.astype("m8[D]")


def _reference_rows(conn: sqlite3.Connection) -> None:
    """One branch, one product, 1,000 customers: what the loans' foreign keys point at."""
    conn.execute(
        "INSERT INTO branches (id, code, name, level, province, city, city_tier, created_at, "
        "updated_at) VALUES (1, 'B001', '基准分行', 'branch', '浙江省', '杭州市', 1, "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    conn.execute(
        "INSERT INTO loan_products (id, code, name_zh, name_en, product_type, subtype, status, "
        "min_amount_fen, max_amount_fen, min_term_months, max_term_months, rate_basis, "
        "min_spread, max_spread, monthly_fee_rate, upfront_fee_rate, repayment_methods, "
        "collateral_required, eligibility, component_product_ids, launched_on, created_at, "
        "updated_at) VALUES (1, 'P-BENCH', '基准消费贷', 'Bench consumer loan', 'consumer', "
        "'general_consumer', 'active', 1000000, 100000000, 6, 60, 'fixed', 0.04, 0.12, 0, 0, "
        "'[\"equal_principal\"]', 'none', '{}', '[]', '2020-01-01', CURRENT_TIMESTAMP, "
        "CURRENT_TIMESTAMP)"
    )
    rows = [
        (i, f"C{i:07d}", "客户", b"x" * 16, i.to_bytes(16, "big"), "1988-05-01", "M",
         "company_employee", 1_500_000, "浙江省", "杭州市", 1, "branch", "2020-01-01")
        for i in range(1, 1001)
    ]  # fmt: skip
    conn.executemany(
        "INSERT INTO customers (id, customer_no, name, id_number_enc, id_number_hash, birth_date, "
        "gender, occupation, monthly_income_fen, province, city, home_branch_id, source_channel, "
        "since, has_provident_fund, owns_home, marketing_consent, is_blacklisted, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        rows,
    )


def _generate(first_id: int, n: int, as_of: date, rng: np.random.Generator) -> dict[str, Any]:
    """``n`` loans from id ``first_id``: loan columns, line columns, repayments, month-end
    snapshots (see the module)."""
    day0 = np.datetime64(as_of, "D")
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    term = rng.choice(np.array([12, 24, 36, 60]), n, p=[0.25, 0.25, 0.35, 0.15])
    months_back = rng.integers(1, 49, n)
    dom = rng.integers(0, 28, n)
    disbursed = (day0.astype("M8[M]") - months_back.astype("m8[M]")).astype("M8[D]") + dom.astype(
        "m8[D]"
    )
    principal = rng.integers(100, 5000, n) * 10_000  # ¥1,000 – ¥50,000 steps of ¥100
    rate = rng.uniform(0.04, 0.15, n)
    li = np.repeat(np.arange(n), term)
    starts = np.cumsum(term) - term
    period = np.arange(len(li)) - starts[li] + 1
    due = _month_add(disbursed[li], period)
    per = principal // term
    line_p = np.where(period == term[li], principal[li] - per[li] * (term[li] - 1), per[li])
    opening = principal[li] - per[li] * (period - 1)
    line_i = np.floor(opening * rate[li] / 12 + 0.5).astype(np.int64)
    elapsed = np.bincount(li, weights=due < day0, minlength=n).astype(np.int64)
    # behaviour
    defaults = (rng.random(n) < 0.08) & (elapsed > 0)
    stop_at = np.where(defaults, (rng.random(n) * elapsed).astype(np.int64) + 1, 10_000)
    behind = ~defaults & (rng.random(n) < 0.03) & (elapsed > 0)
    prepay = ~defaults & ~behind & (rng.random(n) < 0.05) & (elapsed < term)
    due_past = due < day0
    unpaid = due_past & (
        (period >= stop_at[li]) | (behind[li] & (period == elapsed[li]) & (due > day0 - 31))
    )
    paid = due_past & ~unpaid
    paid |= prepay[li]  # prepaid: every line paid, the future ones early
    partial = unpaid & (rng.random(len(li)) < 0.01)
    paid_p = np.where(paid, line_p, np.where(partial, line_p // 2, 0))
    paid_i = np.where(paid | partial, line_i, 0)
    settled_on = np.where(
        paid,
        np.minimum(due + rng.integers(0, 4, len(li)).astype("m8[D]"), day0 - 1),
        np.datetime64("NaT"),
    ).astype("M8[D]")
    repaid = np.bincount(li, weights=paid_p, minlength=n).astype(np.int64)
    outstanding = principal - repaid
    first_unpaid = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_unpaid, li[unpaid], due[unpaid].astype(np.int64))
    dpd = np.where(first_unpaid < np.iinfo(np.int64).max, day0.astype(np.int64) - first_unpaid, 0)
    written_off = dpd > 540
    settled = (outstanding == 0) & ~written_off
    status = np.where(settled, "settled", np.where(written_off, "written_off", "repaying"))
    last_pay = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last_pay, li[paid], settled_on[paid].astype(np.int64))
    loans = {
        "id": ids,
        "loan_no": np.char.add("BL", np.char.zfill(ids.astype("U10"), 10)),
        "customer_id": (ids % 1000) + 1,
        "principal_fen": principal,
        "annual_rate": np.round(rate, 6),
        "term_months": term,
        "disbursed_on": disbursed,
        "first_due_on": due[starts],
        "maturity_on": due[starts + term - 1],
        "status": status,
        "outstanding_principal_fen": np.where(written_off, 0, outstanding),
        "written_off_fen": np.where(written_off, outstanding, 0),
        "settled_on": np.where(settled, last_pay, np.iinfo(np.int64).min).astype("M8[D]"),
    }
    loans["settled_on"][~settled] = np.datetime64("NaT")
    lines = {
        "loan_id": ids[li],
        "period_no": period,
        "due_on": due,
        "opening_principal_fen": opening,
        "principal_fen": line_p,
        "interest_fen": line_i,
        "paid_principal_fen": paid_p,
        "paid_interest_fen": paid_i,
        "settled_on": settled_on,
    }
    # month-end snapshots of the last two month ends: DPD from the first unpaid due date then
    snaps: dict[str, list[np.ndarray]] = {k: [] for k in ("loan_id", "as_of", "dpd", "out")}
    for back in (2, 1):
        t = (day0.astype("M8[M]") - np.timedelta64(back - 1, "M")).astype("M8[D]") - 1
        ti = t.astype(np.int64)
        paid_by = np.bincount(
            li, weights=np.where(paid & (settled_on <= t), paid_p, 0), minlength=n
        ).astype(np.int64)
        active = (
            (disbursed <= t)
            & (principal - paid_by > 0)
            & ~(written_off & (first_unpaid + 540 < ti))
        )
        active &= ~(settled & (last_pay <= ti))
        late = first_unpaid < ti
        snaps["loan_id"].append(ids[active])
        snaps["as_of"].append(np.full(int(active.sum()), t))
        snaps["dpd"].append(np.where(late, ti - first_unpaid, 0)[active])
        snaps["out"].append((principal - paid_by)[active])
    snap = {k: np.concatenate(v) for k, v in snaps.items()}
    repay = np.flatnonzero(repaid > 0)
    pay_day = np.where(last_pay > np.iinfo(np.int64).min, last_pay, due[starts].astype(np.int64))
    return {
        "loans": loans,
        "lines": lines,
        "snaps": snap,
        "repaid": (ids[repay], repaid[repay], pay_day[repay]),
    }


def _insert(conn: sqlite3.Connection, table: str, cols: dict[str, list[Any]]) -> None:
    names = list(cols)
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    conn.executemany(sql, zip(*cols.values(), strict=True))


def _write_chunk(
    conn: sqlite3.Connection, g: dict[str, Any], line_id0: int, snap_id0: int
) -> tuple[int, int]:
    lo, ln, sn = g["loans"], g["lines"], g["snaps"]
    n, m = len(lo["id"]), len(ln["loan_id"])
    dpd_bucket = lambda d: np.asarray(BUCKETS, dtype=object)[np.searchsorted(BUCKET_EDGES, d)]  # noqa: E731
    _insert(conn, "loans", {
        "id": lo["id"].tolist(), "loan_no": lo["loan_no"].tolist(),
        "customer_id": lo["customer_id"].tolist(), "product_id": [1] * n, "branch_id": [1] * n,
        "channel": ["online"] * n, "principal_fen": lo["principal_fen"].tolist(),
        "rate_basis": ["fixed"] * n, "base_rate": [0.0] * n,
        "spread": lo["annual_rate"].tolist(), "annual_rate": lo["annual_rate"].tolist(),
        "monthly_fee_rate": [0.0] * n, "apr": lo["annual_rate"].tolist(),
        "term_months": lo["term_months"].tolist(), "repayment_method": ["equal_principal"] * n,
        "disbursed_on": _iso(lo["disbursed_on"]), "first_due_on": _iso(lo["first_due_on"]),
        "maturity_on": _iso(lo["maturity_on"]), "status": lo["status"].tolist(),
        "outstanding_principal_fen": lo["outstanding_principal_fen"].tolist(),
        "written_off_fen": lo["written_off_fen"].tolist(), "settled_on": _iso(lo["settled_on"]),
        "dpd": [0] * n, "five_class": ["normal"] * n, "schedule_version": [1] * n,
        "max_dpd": [0] * n, "created_at": ["2026-01-01 00:00:00.000000"] * n,
        "updated_at": ["2026-01-01 00:00:00.000000"] * n,
    })  # fmt: skip
    zeros = [0] * m
    _insert(conn, "repayment_schedules", {
        "id": list(range(line_id0, line_id0 + m)), "loan_id": ln["loan_id"].tolist(),
        "version": [1] * m, "period_no": ln["period_no"].tolist(), "due_on": _iso(ln["due_on"]),
        "opening_principal_fen": ln["opening_principal_fen"].tolist(),
        "principal_fen": ln["principal_fen"].tolist(), "interest_fen": ln["interest_fen"].tolist(),
        "fee_fen": zeros, "paid_principal_fen": ln["paid_principal_fen"].tolist(),
        "paid_interest_fen": ln["paid_interest_fen"].tolist(), "paid_fee_fen": zeros,
        "paid_penalty_fen": zeros, "penalty_fen": zeros, "settled_on": _iso(ln["settled_on"]),
    })  # fmt: skip
    k = len(sn["loan_id"])
    from loanpilot.risk.rules import five_class_floor_many

    _insert(conn, "delinquency_snapshots", {
        "id": list(range(snap_id0, snap_id0 + k)), "loan_id": sn["loan_id"].tolist(),
        "as_of": _iso(sn["as_of"]), "dpd": sn["dpd"].tolist(),
        "bucket": dpd_bucket(sn["dpd"]).tolist(), "outstanding_principal_fen": sn["out"].tolist(),
        "overdue_principal_fen": [0] * k, "overdue_interest_fen": [0] * k,
        "five_class": five_class_floor_many(sn["dpd"]).tolist(), "class_source": ["rule"] * k,
    })  # fmt: skip
    rid, amount, day = g["repaid"]
    r = len(rid)
    _insert(conn, "repayments", {
        "id": rid.tolist(), "txn_ref": np.char.add("BR", np.char.zfill(rid.astype("U10"), 10)).tolist(),
        "loan_id": rid.tolist(), "paid_on": _iso(day.astype("M8[D]")), "amount_fen": amount.tolist(),
        "principal_fen": amount.tolist(), "interest_fen": [0] * r, "fee_fen": [0] * r,
        "penalty_fen": [0] * r, "channel": ["auto_debit"] * r, "is_prepayment": [0] * r,
    })  # fmt: skip
    return line_id0 + m, snap_id0 + k


def _save_arrays(arrays: dict[str, list[np.ndarray]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, parts in arrays.items():
        np.save(out / f"{name}.npy", np.concatenate(parts))


def build_book(path: Path, loans: int, seed: int, as_of: date) -> dict[str, Any]:
    """The book in a fresh SQLite file at ``path`` (and its arrays beside it)."""
    from loanpilot.db import migrate

    if path.exists():
        path.unlink()
    started = time.perf_counter()
    migrate.upgrade(f"sqlite:///{path}")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1048576")
    dropped = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND "
        f"tbl_name IN ({', '.join(repr(t) for t in _BIG_TABLES)})"
    ).fetchall()
    for name, _ in dropped:
        conn.execute(f'DROP INDEX "{name}"')
    conn.execute("BEGIN")
    _reference_rows(conn)
    rng = np.random.default_rng(seed)
    arrays: dict[str, list[np.ndarray]] = {k: [] for k in (
        "line_loan_id", "line_due", "line_open", "line_version", "line_unpaid_p", "line_unpaid_i",
        "loan_id", "loan_repaying", "loan_outstanding", "loan_version",
    )}  # fmt: skip
    line_id, snap_id, total_lines = 1, 1, 0
    for first in range(1, loans + 1, CHUNK_LOANS):
        g = _generate(first, min(CHUNK_LOANS, loans - first + 1), as_of, rng)
        line_id, snap_id = _write_chunk(conn, g, line_id, snap_id)
        ln, lo = g["lines"], g["loans"]
        total_lines += len(ln["loan_id"])
        arrays["line_loan_id"].append(ln["loan_id"].astype(np.int32))
        arrays["line_due"].append(ln["due_on"].astype(np.int64).astype(np.int32))
        arrays["line_open"].append(np.isnat(ln["settled_on"]))
        arrays["line_version"].append(np.ones(len(ln["loan_id"]), dtype=np.int8))
        arrays["line_unpaid_p"].append(ln["principal_fen"] - ln["paid_principal_fen"])
        arrays["line_unpaid_i"].append(ln["interest_fen"] - ln["paid_interest_fen"])
        arrays["loan_id"].append(lo["id"].astype(np.int32))
        arrays["loan_repaying"].append(lo["status"] == "repaying")
        arrays["loan_outstanding"].append(lo["outstanding_principal_fen"])
        arrays["loan_version"].append(np.ones(len(lo["id"]), dtype=np.int8))
        _log(f"  wrote loans up to {first + len(lo['id']) - 1:,} ({total_lines:,} lines)")
    conn.execute("COMMIT")
    _log("  creating the indexes again")
    for _, sql in dropped:
        conn.execute(sql)
    conn.execute("ANALYZE")
    conn.close()
    _save_arrays(arrays, path.with_suffix(".arrays"))
    info = {"loans": loans, "lines": total_lines, "seconds": time.perf_counter() - started}
    path.with_suffix(".json").write_text(json.dumps(info))
    return info


# --- 2. our side (a fresh child process) ------------------------------------------------------------


def _ours(db: Path, as_of: date) -> dict[str, Any]:
    import loanpilot.db.models  # noqa: F401  (every mapper)
    from loanpilot.batch.close_kernel import close_loans
    from loanpilot.db.session import make_engine, make_session_factory, transaction
    from loanpilot.risk import repository_close as repo
    from loanpilot.risk.close import CHUNK_LOANS as CLOSE_CHUNK
    from loanpilot.risk.close import run_close
    from loanpilot.risk.close_steps import AFTER_CLOSE

    factory = make_session_factory(make_engine(f"sqlite:///{db}"))
    out: dict[str, Any] = {"rss_before": _peak_rss()}

    def close_day(day: date) -> tuple[Any, dict[str, Any]]:
        """Close ``day`` and time its phases (the loans, the summary, each after-close step)."""
        marks: dict[str, float] = {}

        def timed(name: str, step: Any) -> Any:
            def run(session: Any, day: date, now: datetime) -> dict[str, int]:
                t = time.perf_counter()
                marks.setdefault("steps_start", t)
                try:
                    return step(session, day, now)  # type: ignore[no-any-return]
                finally:
                    marks[f"step:{name}"] = time.perf_counter() - t

            return run

        def chunk_done(_: int) -> None:
            marks["chunks_end"] = time.perf_counter()

        now = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        t0 = time.perf_counter()
        result = run_close(
            factory, day, now, on_chunk=chunk_done,
            steps=[(name, timed(name, step)) for name, step in AFTER_CLOSE],
        )  # fmt: skip
        end = time.perf_counter()
        return result, {
            "close_s": end - t0,
            "loans_phase_s": marks.get("chunks_end", t0) - t0,
            "summary_s": marks.get("steps_start", end) - marks.get("chunks_end", t0),
            "steps_s": {k[5:]: v for k, v in marks.items() if k.startswith("step:")},
            "status": result.status.value,
            "error": result.error,
            "steps_done": dict(result.summary.get("steps", {})),
        }

    result, first = close_day(as_of)
    out.update(first)
    out["loans_closed"] = result.loans_done
    out["npl_ratio"] = result.summary.get("npl_ratio")
    out["ledger_breaks"] = result.summary.get("ledger", {}).get("breaks")
    out["buckets"] = {
        b["bucket"]: [b["loans"], b["balance_fen"]] for b in result.summary.get("buckets", [])
    }
    out["rss_after_close"] = _peak_rss()
    from loanpilot.risk.close import ledger_check

    with transaction(factory) as s:  # the summary's ledger check alone (servicing's query)
        t = time.perf_counter()
        ledger_check(s)
        out["ledger_s"] = time.perf_counter() - t

    # our DPD aggregate alone: the close's read path and kernel, no writes
    best = float("inf")
    for _ in range(2):
        t = time.perf_counter()
        agg: dict[str, list[int]] = {b: [0, 0, 0, 0] for b in BUCKETS}
        with transaction(factory) as s:
            last = repo.last_repaying_id(s)
            for low in range(0, last, CLOSE_CHUNK):
                high = min(low + CLOSE_CHUNK, last)
                cols = repo.chunk_loans(s, low, high)
                lines = repo.chunk_lines(s, low, high, as_of)
                state = repo.loan_state(cols, np.full(len(cols["loan_id"]), -1))
                closed = close_loans(lines, state, as_of)
                for b in BUCKETS:
                    sel = closed.bucket == b
                    agg[b][0] += int(sel.sum())
                    agg[b][1] += int(closed.outstanding_principal_fen[sel].sum())
                    agg[b][2] += int(closed.overdue_principal_fen[sel].sum())
                    agg[b][3] += int(closed.overdue_interest_fen[sel].sum())
        best = min(best, time.perf_counter() - t)
    out["aggregate_s"] = best
    out["aggregate"] = agg

    try:
        from loanpilot.risk.portfolio import roll_rate_report, vintage_report
    except ImportError as exc:  # another part writes them; say so, keep the call
        out["reports_error"] = f"{type(exc).__name__}: {exc}"
    else:
        with transaction(factory) as s:
            t = time.perf_counter()
            vintage = vintage_report(s, as_of)
            out["vintage_s"] = time.perf_counter() - t
            t = time.perf_counter()
            roll = roll_rate_report(s, as_of)
            out["roll_s"] = time.perf_counter() - t
            out["vintage_loans"] = getattr(vintage, "loans", None)
            out["roll_start"] = str(getattr(roll, "start", None))
            out["roll_end"] = str(getattr(roll, "end", None))
    # an ordinary day: the next business day's close on the same book (cases already open,
    # the month's behavioural scores already there)
    _, out["next_day"] = close_day(as_of + timedelta(days=1))
    out["peak_rss"] = _peak_rss()
    return out


# --- 3. DuckDB (in its own venv) --------------------------------------------------------------------

_DUCKDB = r'''
import json, sys, time
from pathlib import Path
import numpy as np, pandas as pd, duckdb

arrays, as_of_day = Path(sys.argv[1]), int(sys.argv[2])
a = {p.stem: np.load(p) for p in arrays.glob("*.npy")}
con = duckdb.connect()
t = time.perf_counter()
lines = pd.DataFrame({"loan_id": a["line_loan_id"], "due": a["line_due"], "open": a["line_open"],
                      "version": a["line_version"], "unpaid_p": a["line_unpaid_p"],
                      "unpaid_i": a["line_unpaid_i"]})
loans = pd.DataFrame({"id": a["loan_id"], "repaying": a["loan_repaying"],
                      "outstanding": a["loan_outstanding"], "version": a["loan_version"]})
con.execute("CREATE TABLE lines AS SELECT * FROM lines")
con.execute("CREATE TABLE loans AS SELECT * FROM loans")
del lines, loans, a
load = time.perf_counter() - t
QUERY = f"""
WITH od AS (
  SELECT s.loan_id, min(s.due) AS oldest, sum(s.unpaid_p) AS op, sum(s.unpaid_i) AS oi
  FROM lines s JOIN loans l ON l.id = s.loan_id AND s.version = l.version
  WHERE s.open AND s.due < {as_of_day} AND l.repaying
  GROUP BY s.loan_id
), d AS (
  SELECT l.outstanding, coalesce({as_of_day} - od.oldest, 0) AS dpd,
         coalesce(od.op, 0) AS op, coalesce(od.oi, 0) AS oi
  FROM loans l LEFT JOIN od ON od.loan_id = l.id WHERE l.repaying
)
SELECT CASE WHEN dpd = 0 THEN 'M0' WHEN dpd <= 30 THEN 'M1' WHEN dpd <= 60 THEN 'M2'
            WHEN dpd <= 90 THEN 'M3' WHEN dpd <= 120 THEN 'M4' WHEN dpd <= 150 THEN 'M5'
            WHEN dpd <= 180 THEN 'M6' ELSE 'M7+' END AS bucket,
       count(*), sum(outstanding), sum(op), sum(oi)
FROM d GROUP BY bucket ORDER BY bucket
"""
best, rows = float("inf"), None
for _ in range(3):
    t = time.perf_counter()
    rows = con.execute(QUERY).fetchall()
    best = min(best, time.perf_counter() - t)
hwm = [l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:")]
print(json.dumps({"load_s": load, "query_s": best, "threads": con.execute("select current_setting('threads')").fetchone()[0],
                  "version": duckdb.__version__, "peak_rss": int(hwm[0].split()[1]) * 1024,
                  "aggregate": {r[0]: [int(r[1]), int(r[2]), int(r[3]), int(r[4])] for r in rows}}))
'''


def _duckdb(arrays: Path, as_of: date) -> dict[str, Any]:
    python = ensure_venv("peers-duckdb", ["duckdb", "numpy", "pandas"], imports=["duckdb"])
    day = int(np.datetime64(as_of, "D").astype(np.int64))
    result: dict[str, Any] = run_python(python, _DUCKDB, [str(arrays), str(day)])
    return result


# --- the run -----------------------------------------------------------------------------------------


def _gib(n: float) -> str:
    return f"{n / 1024**3:.2f} GiB"


def _verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--as-of", default="2026-11-29")
    parser.add_argument("--rebuild", action="store_true", help="build the cached book again")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--_child", nargs=2, metavar=("DB", "AS_OF"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._child:
        print(json.dumps(_ours(Path(args._child[0]), date.fromisoformat(args._child[1]))))
        return 0
    as_of = date.fromisoformat(args.as_of)
    book = bench_dir() / f"book-{args.loans}-{args.seed}-{as_of.isoformat()}.db"
    if args.rebuild or not book.with_suffix(".json").is_file():
        _log(f"building the book: {args.loans:,} loans into {book} (once; cached)")
        info = build_book(book, args.loans, args.seed, as_of)
        _log(f"  built in {info['seconds']:.0f} s")
    info = json.loads(book.with_suffix(".json").read_text())
    work = bench_dir() / "daily-close-work.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(book, work)

    _log("our close, vintage and roll-rate reports (fresh process)")
    done = subprocess.run(
        [sys.executable, __file__, "--_child", str(work), as_of.isoformat()],
        stdout=subprocess.PIPE, text=True, env={**os.environ, **THREAD_ENV}, check=True,
    )  # fmt: skip
    ours = json.loads(done.stdout.strip().splitlines()[-1])
    _log("DuckDB on the same arrays (its own venv)")
    duck = _duckdb(book.with_suffix(".arrays"), as_of)
    work.unlink(missing_ok=True)

    agree = ours["aggregate"] == duck["aggregate"]
    reports_s = (ours.get("vintage_s") or 0) + (ours.get("roll_s") or 0)
    r_close = ours["close_s"] / duck["query_s"]
    r_agg = ours["aggregate_s"] / duck["query_s"]
    r_agg_load = ours["aggregate_s"] / (duck["query_s"] + duck["load_s"])
    figures = {"book": info, "ours": ours, "duckdb": duck, "agree": agree}
    print(f"\nDaily close on {info['loans']:,} loans / {info['lines']:,} schedule lines, SQLite, "
          f"as of {as_of} (book built in {info['seconds']:.0f} s, cached)")  # fmt: skip
    print(f"close status: {ours['status']}{' — ' + ours['error'] if ours['error'] else ''}; "
          f"loans closed {ours['loans_closed']:,}; NPL ratio {ours['npl_ratio']}; "
          f"ledger breaks {ours['ledger_breaks']}")  # fmt: skip
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in ours["steps_s"].items())
    print(
        f"  phases: loans {ours['loans_phase_s']:.1f} s, summary {ours['summary_s']:.1f} s "
        f"(of which the ledger check, timed again alone: {ours['ledger_s']:.1f} s), "
        f"after-close steps: {steps or '—'}"
    )
    nd = ours.get("next_day")
    if nd:
        nd_steps = ", ".join(f"{k} {v:.1f} s" for k, v in nd["steps_s"].items())
        print(f"next day ({as_of + timedelta(days=1)}, an ordinary day): close {nd['close_s']:.1f} s "
              f"({nd['status']}): loans {nd['loans_phase_s']:.1f} s, summary {nd['summary_s']:.1f} s, "
              f"after-close steps: {nd_steps}")  # fmt: skip
    print(f"DuckDB {duck['version']} ({duck['threads']} threads): load {duck['load_s']:.2f} s, "
          f"query {duck['query_s']:.3f} s; same figures as ours: {'yes' if agree else 'NO'}")  # fmt: skip
    if "reports_error" in ours:
        print(f"reports: not run ({ours['reports_error']})")
    print()
    print("| measure | LoanPilot | DuckDB (same run) | ratio | target | met? |")
    print("|---|---|---|---|---|---|")
    print(f"| daily close (all phases; first close of the month) | {ours['close_s']:.1f} s | query {duck['query_s']:.3f} s | "
          f"{r_close:.0f}× | < {TARGET_CLOSE_S:.0f} s | {_verdict(ours['close_s'] < TARGET_CLOSE_S)} |")  # fmt: skip
    print(f"| DPD aggregate (close read path + kernel, no writes) | {ours['aggregate_s']:.2f} s | "
          f"query {duck['query_s']:.3f} s | {r_agg:.1f}× | ≤ {TARGET_RATIO:.0f}× | "
          f"{_verdict(r_agg <= TARGET_RATIO)} |")  # fmt: skip
    print(f"| same, DuckDB incl. loading the arrays | {ours['aggregate_s']:.2f} s | "
          f"load + query {duck['load_s'] + duck['query_s']:.2f} s | {r_agg_load:.2f}× | "
          f"≤ {TARGET_RATIO:.0f}× | {_verdict(r_agg_load <= TARGET_RATIO)} |")  # fmt: skip
    if nd:
        print(f"| daily close, the next (ordinary) day | {nd['close_s']:.1f} s | — | — | "
              f"< {TARGET_CLOSE_S:.0f} s | {_verdict(nd['close_s'] < TARGET_CLOSE_S)} |")  # fmt: skip
    if "vintage_s" in ours:
        print(f"| vintage + roll-rate reports | {ours['vintage_s']:.2f} + {ours['roll_s']:.2f} s | — "
              f"| — | < {TARGET_REPORTS_S:.0f} s | {_verdict(reports_s < TARGET_REPORTS_S)} |")  # fmt: skip
    print(f"| peak RSS | {_gib(ours['peak_rss'])} | {_gib(duck['peak_rss'])} | — | < 4 GiB | "
          f"{_verdict(ours['peak_rss'] < TARGET_RSS)} |")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
