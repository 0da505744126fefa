"""Market sizes entered one at a time (console form, API) and listed; shared by the imports.

The same rules as an import: a line, region and period already stored is updated (the caller is
told), a period that overlaps another stored for the same line and region is refused
(``ConflictError`` ``market.overlap`` naming both periods). Services only flush; the entry point
commits. Every change is audited (no personal data here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from loanpilot.audit.service import record
from loanpilot.kit.errors import ConflictError, NotFoundError, ValidationError
from loanpilot.kit.periods import Period, parse_period
from loanpilot.market import market_rules as rules
from loanpilot.market import repository as repo
from loanpilot.market.models import MarketSize, ProductLine


@dataclass(frozen=True)
class Actor:
    """Who changes market data, for the audit trail."""

    staff_id: int | None
    label: str
    client_address: str | None = None


@dataclass(frozen=True)
class Saved:
    size: MarketSize
    created: bool


def audit(session: Session, actor: Actor, action: str, entity: str, entity_id: str | None,
          detail: Mapping[str, object], now: datetime) -> None:  # fmt: skip
    record(
        session, action=action, actor_label=actor.label, actor_staff_id=actor.staff_id,
        entity=entity, entity_id=entity_id, detail=dict(detail),
        client_address=actor.client_address, at=now,
    )  # fmt: skip


def apply_size(session: Session, draft: rules.SizeDraft, existing: MarketSize | None) -> MarketSize:
    """Write a validated draft: a new row, or the stored row of the same line, region and period."""
    row = existing or MarketSize(
        product_line=ProductLine(draft.product_line), region=draft.region, period=draft.period.label
    )
    row.total_balance_fen = draft.total_balance_fen
    row.new_lending_fen = draft.new_lending_fen
    row.source = draft.source
    row.note = draft.note
    if existing is None:
        session.add(row)
    return row


def save_size(
    session: Session, values: Mapping[str, str], *, actor: Actor, today: date, now: datetime
) -> Saved:
    """Enter one market size (the fields of an import row, amounts in yuan); 422 lists every
    problem, 409 an overlapping period; the same line, region and period is updated."""
    draft, problems = rules.validate_size(values, today=today)
    if draft is None:
        raise ValidationError("market.invalid", "The market size is not valid", list(problems))
    key = (draft.product_line, draft.region)
    stored = repo.stored_sizes(session, [key])
    check = rules.check_overlaps([draft], {key: list(stored[key])})
    if 0 in check.rejected:
        found = check.rejected[0]
        raise ConflictError("market.overlap", found.message, [found])
    existing = stored[key].get(draft.period)
    row = apply_size(session, draft, existing)
    session.flush()
    audit(session, actor, "market.size.update" if existing else "market.size.create",
          "market_size", str(row.id), {"line": draft.product_line, "region": draft.region,
                                       "period": draft.period.label}, now)  # fmt: skip
    return Saved(row, existing is None)


def delete_size(session: Session, size_id: int, *, actor: Actor, now: datetime) -> None:
    """Remove a stored market size (to correct a period entered wrongly)."""
    row = repo.size(session, size_id)
    if row is None:
        raise NotFoundError("market.not_found", f"market size {size_id} does not exist")
    detail = {"line": row.product_line.value, "region": row.region, "period": row.period}
    session.delete(row)
    session.flush()
    audit(session, actor, "market.size.delete", "market_size", str(size_id), detail, now)


# --- reading ----------------------------------------------------------------------------------------


def filtered_sizes(
    session: Session, *, line: str | None = None, region: str | None = None,
    period: Period | None = None,
) -> list[MarketSize]:  # fmt: skip
    """Market sizes of a line and region whose period overlaps ``period`` (all when None)."""
    rows = repo.sizes(session, line=line, region=region)
    if period is None:
        return rows
    out = []
    for row in rows:
        try:
            if parse_period(row.period).overlaps(period):
                out.append(row)
        except ValidationError:
            continue
    return out


@dataclass(frozen=True)
class LineSize:
    """A product line's market in a period: balance at the period's end summed over regions, and
    new lending over the period; ``regions`` counts the regions with a figure."""

    product_line: str
    period: Period
    total_balance_fen: int
    new_lending_fen: int | None
    regions: int


def size_of(rows: list[MarketSize], period: Period) -> tuple[int, int | None] | None:
    """One line and region's balance at the end of ``period`` and its new lending over it: the row
    of that very period, else the latest row of a period within it (balance) and the sum of the
    rows within it (new lending; stored periods never overlap, so they add up)."""
    inside: list[tuple[Period, MarketSize]] = []
    for row in rows:
        try:
            p = parse_period(row.period)
        except ValidationError:
            continue
        if p == period:
            return row.total_balance_fen, row.new_lending_fen
        if period.start <= p.start and p.end <= period.end:
            inside.append((p, row))
    if not inside:
        return None
    inside.sort(key=lambda item: item[0].end)
    news = [r.new_lending_fen for _, r in inside]
    new = sum(n for n in news if n is not None) if all(n is not None for n in news) else None
    return inside[-1][1].total_balance_fen, new


def line_sizes(session: Session, period: Period) -> list[LineSize]:
    """The market of each product line in ``period`` (lines without a figure left out)."""
    by_key: dict[tuple[str, str], list[MarketSize]] = {}
    for row in repo.sizes(session):
        by_key.setdefault((row.product_line.value, row.region), []).append(row)
    out = []
    for line in rules.LINES:
        balance, new, regions, new_known = 0, 0, 0, True
        for (row_line, _region), rows in sorted(by_key.items()):
            if row_line != line:
                continue
            found = size_of(rows, period)
            if found is None:
                continue
            balance += found[0]
            regions += 1
            if found[1] is None:
                new_known = False
            else:
                new += found[1]
        if regions:
            out.append(LineSize(line, period, balance, new if new_known else None, regions))
    return out


def latest_period(session: Session, today: date) -> Period | None:
    """The latest stored period that has begun by ``today`` (quarters preferred, as the demo)."""
    periods = []
    for label in repo.period_labels(session):
        try:
            p = parse_period(label)
        except ValidationError:
            continue
        if p.start <= today:
            periods.append(p)
    if not periods:
        return None
    return max(periods, key=lambda p: (p.end, p.kind == "quarter"))
