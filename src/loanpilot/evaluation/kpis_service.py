"""The KPI suite's use cases: targets (set, list; audited), snapshots (write, read), and the
table and trend the console and the API show. Services flush only; the entry point commits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from loanpilot.access.rules import ScopeKind
from loanpilot.audit.service import record
from loanpilot.evaluation import kpi_rules
from loanpilot.evaluation.filters import Viewer
from loanpilot.evaluation.kpi_rules import ALL_KEY, KPI_CODES
from loanpilot.evaluation.kpis import KpiValue, compute, source
from loanpilot.evaluation.models_kpi import KpiSnapshot, KpiTarget
from loanpilot.evaluation.repository import Slice
from loanpilot.kit.clock import SHANGHAI
from loanpilot.kit.errors import FieldProblem, ValidationError
from loanpilot.kit.periods import Period, parse_period

#: Periods in the console's trend chart, the chosen one included.
TREND_PERIODS = 6


@dataclass(frozen=True)
class Actor:
    """Who sets a target, for the audit trail."""

    staff_id: int | None
    label: str
    client_address: str | None = None


def viewer_slice(viewer: Viewer) -> Slice:
    """What a viewer may see: their own customers (OWN), their branch subtree (BRANCH), or all."""
    if viewer.scope is ScopeKind.OWN:
        return Slice(manager_id=viewer.staff_id)
    if viewer.scope is ScopeKind.BRANCH:
        return Slice(branch_ids=viewer.branch_ids)
    return Slice()


# --- targets ----------------------------------------------------------------------------------


def set_target(
    session: Session,
    *,
    code: str,
    period: str,
    value: str | int | float | Decimal,
    dimension: str = "all",
    key: str = ALL_KEY,
    actor: Actor,
    now: datetime,
) -> KpiTarget:
    """Create or replace the target of ``code`` for ``period`` and slice (dimension, key).

    Every problem (code, period, dimension, key, value) is collected and raised at once."""
    problems: list[FieldProblem] = []
    code = (code or "").strip()
    if code not in kpi_rules.DEFINITIONS:
        problems.append(
            FieldProblem("code", f"{code!r} is not a KPI: use one of {', '.join(KPI_CODES)}")
        )
    parsed: Period | None = None
    try:
        parsed = parse_period(period)
    except ValidationError as exc:
        problems.extend(exc.problems)
    dimension = (dimension or "all").strip()
    key = (key or "").strip() or ALL_KEY
    if dimension not in kpi_rules.DIMENSIONS:
        problems.append(
            FieldProblem(
                "dimension",
                f"{dimension!r} is not a dimension: use one of {', '.join(kpi_rules.DIMENSIONS)}",
            )
        )
    elif dimension == "all" and key != ALL_KEY:
        problems.append(FieldProblem("key", "the whole bank's target has key 'all'"))
    elif dimension != "all" and (key == ALL_KEY or len(key) > 64):
        problems.append(
            FieldProblem("key", f"name the {dimension} (its code, at most 64 characters)")
        )
    elif code in kpi_rules.DEFINITIONS and not kpi_rules.applies(code, dimension):
        problems.append(FieldProblem("dimension", f"{code} is not measured by {dimension}"))
    target: Decimal | None = None
    if code in kpi_rules.DEFINITIONS:
        try:
            target = kpi_rules.parse_target(code, value)
        except ValidationError as exc:
            problems.extend(exc.problems)
    if problems or parsed is None or target is None:
        raise ValidationError("kpi.target_invalid", "The KPI target is not valid", problems)
    row = session.execute(
        select(KpiTarget).where(
            KpiTarget.code == code,
            KpiTarget.period == parsed.label,
            KpiTarget.dimension == dimension,
            KpiTarget.key == key,
        )
    ).scalar_one_or_none()
    before = row.target if row is not None else None
    if row is None:
        row = KpiTarget(code=code, period=parsed.label, dimension=dimension, key=key)
        session.add(row)
    row.target = target
    row.set_by_id = actor.staff_id
    row.set_by = actor.label[:64]
    row.set_at = now
    session.flush()
    record(
        session,
        action="kpi.target.set",
        actor_label=actor.label,
        actor_staff_id=actor.staff_id,
        entity="kpi_target",
        entity_id=str(row.id),
        detail={
            "code": code,
            "period": parsed.label,
            "dimension": dimension,
            "key": key,
            "target": str(target),
            "before": None if before is None else str(before),
        },
        client_address=actor.client_address,
        at=now,
    )
    return row


def list_targets(
    session: Session, *, period: str | None = None, code: str | None = None
) -> list[KpiTarget]:
    stmt = select(KpiTarget)
    if period:
        stmt = stmt.where(KpiTarget.period == parse_period(period).label)
    if code:
        stmt = stmt.where(KpiTarget.code == kpi_rules.definition(code).code)
    stmt = stmt.order_by(KpiTarget.period, KpiTarget.code, KpiTarget.dimension, KpiTarget.key)
    return list(session.execute(stmt).scalars())


def targets_for(session: Session, period: Period, dimension: str) -> dict[tuple[str, str], Decimal]:
    """(code, key) → target of ``period`` and ``dimension``."""
    stmt = select(KpiTarget.code, KpiTarget.key, KpiTarget.target).where(
        KpiTarget.period == period.label, KpiTarget.dimension == dimension
    )
    return {(c, k): Decimal(t) for c, k, t in session.execute(stmt)}


# --- snapshots -----------------------------------------------------------------------------


def write_snapshots(
    session: Session,
    period: Period,
    dimensions: Sequence[str],
    *,
    now: datetime,
    today: date,
    tz: ZoneInfo = SHANGHAI,
    progress: Callable[[str], None] | None = None,
) -> int:
    """Replace ``period``'s snapshot rows of ``dimensions`` with freshly computed values; flushes
    only (the caller's transaction makes the replacement atomic). Returns the rows written."""
    for d in dimensions:
        kpi_rules.check_dimension(d)
    session.execute(
        delete(KpiSnapshot).where(
            KpiSnapshot.period == period.label, KpiSnapshot.dimension.in_(list(dimensions))
        )
    )
    written = 0
    for d in dimensions:
        for code in KPI_CODES:
            values = compute(session, period, codes=[code], dimension=d, today=today, tz=tz)
            session.add_all(
                KpiSnapshot(
                    kpi_code=v.code,
                    period=v.period,
                    dimension=v.dimension,
                    dimension_value=v.key[:64],
                    label=v.label[:100],
                    value=v.value,
                    numerator=v.numerator,
                    denominator=v.denominator,
                    computed_at=now,
                )
                for v in values
            )
            written += len(values)
            if progress is not None:
                progress(f"{d}:{code}")
    session.flush()
    return written


def read_snapshots(
    session: Session, period: Period, dimension: str = "all", code: str | None = None
) -> list[KpiValue]:
    stmt = select(KpiSnapshot).where(
        KpiSnapshot.period == period.label, KpiSnapshot.dimension == dimension
    )
    if code:
        stmt = stmt.where(KpiSnapshot.kpi_code == code)
    order = {c: i for i, c in enumerate(KPI_CODES)}
    rows = sorted(
        session.execute(stmt).scalars(),
        key=lambda r: (order.get(r.kpi_code, 99), r.dimension_value),
    )
    return [
        KpiValue(
            r.kpi_code,
            r.period,
            r.dimension,
            r.dimension_value,
            r.label or r.dimension_value,
            plain(r.value),
            plain(r.numerator),
            plain(r.denominator),
        )
        for r in rows
    ]


def plain(value: Decimal | None) -> Decimal | None:
    """A stored Numeric(24, 8) without its trailing zeros (``3.00000000`` → ``3``)."""
    if value is None:
        return None
    value = Decimal(value)
    return Decimal(int(value)) if value == value.to_integral_value() else value.normalize()


# --- the table and the trend ---------------------------------------------------------------


@dataclass(frozen=True)
class KpiRow:
    """One line of the console's table: a KPI for a key, with its target and last period."""

    value: KpiValue
    target: Decimal | None
    attainment: Decimal | None
    previous: Decimal | None
    change: Decimal | None
    source: str


def table(
    session: Session,
    period: Period,
    dimension: str,
    where: Slice,
    *,
    today: date,
    codes: Sequence[str] | None = None,
    tz: ZoneInfo = SHANGHAI,
) -> list[KpiRow]:
    """Every KPI of ``period`` by ``dimension`` with its target, attainment and the previous
    period's value (change = value − previous)."""
    now = compute(
        session, period, codes=codes, dimension=dimension, where=where, today=today, tz=tz
    )
    before = compute(
        session,
        period.previous(),
        codes=codes,
        dimension=dimension,
        where=where,
        today=today,
        tz=tz,
    )
    earlier = {(v.code, v.key): v.value for v in before}
    targets = targets_for(session, period, dimension)
    rows = []
    for v in now:
        target = targets.get((v.code, v.key))
        previous = earlier.get((v.code, v.key))
        change = v.value - previous if v.value is not None and previous is not None else None
        rows.append(
            KpiRow(
                v,
                target,
                kpi_rules.attainment(v.code, v.value, target),
                previous,
                change,
                source(v.code, period, dimension),
            )
        )
    return rows


def trend(
    session: Session,
    period: Period,
    where: Slice,
    *,
    today: date,
    periods: int = TREND_PERIODS,
    tz: ZoneInfo = SHANGHAI,
) -> tuple[list[str], dict[str, list[Decimal | None]]]:
    """The whole slice's value of every KPI over the ``periods`` periods ending with ``period``."""
    span = [period.shifted(-i) for i in range(periods - 1, -1, -1)]
    series: dict[str, list[Decimal | None]] = {code: [] for code in KPI_CODES}
    for p in span:
        values = {v.code: v.value for v in compute(session, p, where=where, today=today, tz=tz)}
        for code in KPI_CODES:
            series[code].append(values.get(code))
    return [p.label for p in span], series
