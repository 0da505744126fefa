"""Builds the demo bank: runs the generator steps, then writes every table in one transaction.

Deterministic for a given (seed, as-of date, customer count): the same arguments give the same
rows, the same ciphertexts included (the field cipher is deterministic, see ``kit.crypto``) as long
as the data key is the same. The whole build is one transaction: a crash leaves the database as it
was, and the build can simply be run again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, Table, func, select, text

from loanpilot.audit.models import AuditLog
from loanpilot.customers.models import Customer
from loanpilot.db.bulk import bulk_insert, reset_sequences
from loanpilot.db.models import metadata
from loanpilot.db.session import make_session_factory, transaction
from loanpilot.demo.accounts import DemoLogin, create_demo_accounts
from loanpilot.demo.context import DEMO_AUDIT_ACTION, DemoContext
from loanpilot.demo.credit import install_credit
from loanpilot.demo.truth import DemoTruth
from loanpilot.kit.clock import now_utc
from loanpilot.kit.crypto import FieldCipher
from loanpilot.kit.errors import ConflictError, ValidationError

#: Columns written as NULL first and filled after the referenced table exists (circular keys).
DEFERRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "org_units": ("head_staff_id",),
    "staff": ("manager_id",),
}

#: The first as-of date whose 24-month window starts after the LPR reform (2019-08-20).
EARLIEST_AS_OF = date(2021, 8, 1)

Progress = Callable[[str, int, int], None]
"""progress(label, done, total): called as steps and tables complete."""


@dataclass
class BuildReport:
    customers: int
    seed: int
    as_of: date
    rows: dict[str, int] = field(default_factory=dict)
    seconds_generate: float = 0.0
    seconds_write: float = 0.0
    truth_path: Path | None = None
    logins: list[DemoLogin] = field(default_factory=list)
    champion: str = ""

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _steps() -> list[tuple[str, Callable[[DemoContext], None]]]:
    from loanpilot.demo import (
        aftercare,
        applications,
        campaign_arms,
        campaigns,
        customers,
        debt_collection,
        loans,
        organisation,
        products,
        security,
    )

    return [
        ("organisation 机构与员工", organisation.organisation),
        ("products and rates 产品与利率", products.products),
        ("customers 客户", customers.customers),
        ("campaigns 营销活动", campaigns.campaigns),
        ("applications 贷款申请", applications.applications),
        ("loans and repayments 贷款与还款", loans.loans),
        ("collateral and guarantors 抵押与担保", security.collateral_and_guarantors),
        ("collections and alerts 催收与预警", debt_collection.collections),
        ("service and feedback 服务与反馈", aftercare.service),
        ("team and market 团队与市场", aftercare.team_and_market),
        # last: its A/B tests' leads would otherwise change the applications step's draws
        ("campaign arms and A/B tests 活动方案与 A/B 测试", campaign_arms.campaign_arms),
    ]


def customer_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Customer)).scalar_one())


def generate(
    n_customers: int, seed: int, as_of: date, cipher: FieldCipher, progress: Progress | None = None
) -> DemoContext:
    """Run every generator step in memory."""
    if as_of < EARLIEST_AS_OF:
        raise ValidationError(
            "demo.as_of",
            f"--as-of must be {EARLIEST_AS_OF} or later, got {as_of}: the 24 months of history must "
            "lie after the LPR reform of August 2019, where the rate tables begin",
        )
    if n_customers < 100:
        raise ValidationError(
            "demo.customers", f"--customers must be at least 100, got {n_customers}"
        )
    ctx = DemoContext(
        seed=seed,
        as_of=as_of,
        n_customers=n_customers,
        cipher=cipher,
        truth=DemoTruth(seed=seed, as_of=as_of.isoformat(), customers=n_customers),
    )
    steps = _steps()
    for i, (label, step) in enumerate(steps):
        if progress:
            progress(label, i, len(steps))
        step(ctx)
    if progress:
        progress("generated", len(steps), len(steps))
    return ctx


def _ordered_tables(ctx: DemoContext) -> list[Table]:
    return [t for t in metadata.sorted_tables if t.name in ctx.tables]


def write(
    engine: Engine, ctx: DemoContext, progress: Progress | None = None, *, clear_first: bool = False
) -> dict[str, int]:
    """Write every generated table in one transaction (FK order; circular keys filled after).

    With ``clear_first`` the old rows are deleted in the same transaction: a failed rebuild leaves
    the previous bank as it was.
    """
    tables = _ordered_tables(ctx)
    unknown = set(ctx.tables) - {t.name for t in tables}
    if unknown:
        raise ValueError(f"generator produced unknown tables: {sorted(unknown)}")
    rows: dict[str, int] = {}
    total = sum(ctx.count(t.name) for t in tables)
    done = 0
    with engine.begin() as conn:
        if clear_first:
            _clear(conn)
        later = []
        for table in tables:
            columns = dict(ctx.tables[table.name])
            deferred = {
                c: columns.pop(c) for c in DEFERRED_COLUMNS.get(table.name, ()) if c in columns
            }
            rows[table.name] = bulk_insert(conn, table, columns)
            done += rows[table.name]
            if progress:
                progress(f"write {table.name}", done, total)
            if deferred:
                later.append((table, columns["id"], deferred))
        for table, ids, deferred in later:
            _fill_deferred(conn, table, ids, deferred)
        reset_sequences(conn, tables)
    return rows


def _fill_deferred(conn: Any, table: Table, ids: Any, deferred: dict[str, Any]) -> None:
    for column, raw in deferred.items():
        pairs = [
            {"v": int(v), "i": int(i)}
            for v, i in zip(raw, np.asarray(ids), strict=True)
            if v is not None and not (isinstance(v, float) and np.isnan(v))
        ]
        if pairs:
            conn.execute(
                text(f'UPDATE "{table.name}" SET "{column}" = :v WHERE id = :i'),  # noqa: S608
                pairs,
            )


def _clear(conn: Connection) -> None:
    """Delete every row of every LoanPilot table, inside the caller's transaction."""
    if conn.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    conn.execute(text("PRAGMA defer_foreign_keys=ON"))
    for table in reversed(metadata.sorted_tables):
        conn.execute(table.delete())


def built_by_demo(engine: Engine) -> bool:
    """True when the data in the database came from ``demo build`` (its audit row is there)."""
    with engine.connect() as conn:
        found = conn.execute(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == DEMO_AUDIT_ACTION)
        ).scalar_one()
    return bool(found)


def build(
    engine: Engine,
    *,
    n_customers: int,
    seed: int,
    as_of: date,
    cipher: FieldCipher,
    truth_dir: Path,
    reset: bool = False,
    progress: Progress | None = None,
) -> BuildReport:
    """Generate and write the demo bank in one transaction.

    Refuses to write over existing customers unless ``reset``, and refuses ``reset`` when the data
    was not made by ``demo build`` (a bank's own data is never wiped by the demo).
    """
    existing = customer_count(engine)
    if existing and not reset:
        raise ConflictError(
            "demo.exists",
            f"the database already holds {existing} customers; "
            "use --reset to replace them or --if-missing to keep them",
        )
    if existing and not built_by_demo(engine):
        raise ConflictError(
            "demo.not_demo_data",
            f"the database holds {existing} customers that were not made by `demo build`; "
            "refusing to delete them",
        )
    report = BuildReport(customers=n_customers, seed=seed, as_of=as_of)
    started = time.perf_counter()
    ctx = generate(n_customers, seed, as_of, cipher, progress)
    report.seconds_generate = time.perf_counter() - started
    started = time.perf_counter()
    report.rows = write(engine, ctx, progress, clear_first=bool(existing))
    with transaction(make_session_factory(engine)) as session:
        report.logins = create_demo_accounts(session, now_utc())
    if progress:
        progress("credit model and policy 评分卡与授信政策", 0, 1)
    with transaction(make_session_factory(engine)) as session:
        report.champion = install_credit(
            session, seed=seed, as_of=as_of, now=now_utc(), directory=truth_dir
        )
    report.seconds_write = time.perf_counter() - started
    report.truth_path = save_truth(ctx, truth_dir)
    return report


def save_truth(ctx: DemoContext, directory: Path) -> Path:
    """Write the latent model's parameters and the per-row true probabilities beside the data."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "demo-truth.json"
    ctx.truth.save(path)
    for name, columns in ctx.latent.get("truth_tables", {}).items():
        import pandas as pd

        pd.DataFrame(columns).to_csv(directory / f"demo-truth-{name}.csv", index=False)
    return path
