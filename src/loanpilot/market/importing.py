"""Importing market sizes and competitors' products from CSV (UTF-8 or GBK) or Excel files.

The file is read by ``imports.readers`` (spreadsheet row numbers; rows of the wrong shape already
rejected); its headers may be our column names or their Chinese names (``market_rules``). A file
that lacks a required column is refused whole (``ImportFileError`` naming the columns). Otherwise
every row is validated, every rejected row is reported with its file, row, column and reason, and
the good rows are written: a market size whose line, region and period is stored already updates
it, one whose period overlaps another of the same line and region (in the file or stored) is
refused; a competitor product observed on the same date is updated. One audit row per import.
Services only flush; the entry point commits."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from loanpilot.imports.readers import read_table
from loanpilot.imports.table import RawTable
from loanpilot.kit.errors import FieldProblem, ImportFileError
from loanpilot.market import market_rules as rules
from loanpilot.market import repository as repo
from loanpilot.market.models import Competitor, CompetitorKind, CompetitorProduct, ProductLine
from loanpilot.market.service import Actor, apply_size, audit


@dataclass
class ImportReport:
    """What an import did: rows read, created, updated, and every rejected row's problems."""

    kind: str  # sizes | competitors
    source: str
    encoding: str
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    competitors_added: int = 0
    rejected: list[FieldProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.rejected})

    @property
    def kept(self) -> int:
        return self.created + self.updated

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind, "source": self.source, "encoding": self.encoding,
            "rows_read": self.rows_read, "created": self.created, "updated": self.updated,
            "competitors_added": self.competitors_added, "rejected_rows": self.rejected_rows,
            "rejected": [p.public() | {"code": getattr(p, "code", "")} for p in self.rejected],
            "ignored_columns": self.ignored_columns,
        }  # fmt: skip


def _rows(table: RawTable, required: tuple[str, ...], optional: tuple[str, ...]) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:  # fmt: skip
    """Each data row as {column: text} with its row number, and the columns ignored."""
    headers = rules.canonical_headers(table.headers)
    missing = [c for c in required if c not in headers]
    if missing:
        raise ImportFileError(
            "import.columns",
            f"{table.source}: the file lacks the column(s) {', '.join(missing)}; "
            f"expected {', '.join(required + optional)}",
            [FieldProblem(c, "missing column", 1, table.source) for c in missing],
        )
    known = set(required) | set(optional)
    ignored = [table.headers[i] for i, h in enumerate(headers) if h and h not in known]
    rows = []
    for number, values in zip(
        table.rows.tolist(), table.frame.itertuples(index=False), strict=True
    ):
        cells = {h: str(v) for h, v in zip(headers, values, strict=False) if h in known}
        rows.append((int(number), cells))
    return rows, ignored


def _sorted(problems: list[FieldProblem]) -> list[FieldProblem]:
    return sorted(problems, key=lambda p: p.row if p.row is not None else 0)


def import_sizes_file(
    session: Session, path: Path, *, actor: Actor, today: date, now: datetime
) -> ImportReport:
    return import_sizes(session, read_table(path), actor=actor, today=today, now=now)


def import_sizes(
    session: Session, table: RawTable, *, actor: Actor, today: date, now: datetime
) -> ImportReport:
    """Validate every row, refuse overlapping periods, write the good rows (see the module)."""
    report = ImportReport("sizes", table.source, table.encoding, rows_read=table.rows_read)
    rows, report.ignored_columns = _rows(table, rules.SIZE_REQUIRED, rules.SIZE_OPTIONAL)
    problems: list[FieldProblem] = list(table.problems)
    drafts: list[rules.SizeDraft] = []
    for number, cells in rows:
        draft, found = rules.validate_size(cells, today=today, row=number, source=table.source)
        problems += found
        if draft is not None:
            drafts.append(draft)
    keys = {(d.product_line, d.region) for d in drafts}
    stored = repo.stored_sizes(session, keys)
    check = rules.check_overlaps(
        drafts, {k: list(v) for k, v in stored.items()}, source=table.source
    )
    problems += check.rejected.values()
    for index, draft in enumerate(drafts):
        if index in check.rejected:
            continue
        existing = stored[(draft.product_line, draft.region)].get(draft.period)
        apply_size(session, draft, existing)
        if existing is None:
            report.created += 1
        else:
            report.updated += 1
    session.flush()
    report.rejected = _sorted(problems)
    audit(session, actor, "market.sizes.import", "market_size", None, {
        "source": table.source, "sha256": table.sha256, "created": report.created,
        "updated": report.updated, "rejected_rows": report.rejected_rows,
    }, now)  # fmt: skip
    return report


def import_competitors_file(
    session: Session, path: Path, *, actor: Actor, today: date, now: datetime
) -> ImportReport:
    return import_competitors(session, read_table(path), actor=actor, today=today, now=now)


def import_competitors(
    session: Session, table: RawTable, *, actor: Actor, today: date, now: datetime
) -> ImportReport:
    """Competitors' products: each row names its competitor (a new one needs its kind)."""
    report = ImportReport("competitors", table.source, table.encoding, rows_read=table.rows_read)
    rows, report.ignored_columns = _rows(
        table, rules.COMPETITOR_REQUIRED, rules.COMPETITOR_OPTIONAL
    )
    problems: list[FieldProblem] = list(table.problems)
    known = repo.known_competitor_names(session)
    # a competitor introduced (with its kind) in one row is known to the file's other rows
    known |= {c["competitor"].strip() for _, c in rows if (c.get("competitor_kind") or "").strip()}
    drafts: list[rules.ProductDraft] = []
    for number, cells in rows:
        draft, found = rules.validate_product(
            cells, today=today, known_competitors=known, row=number, source=table.source
        )
        problems += found
        if draft is not None:
            drafts.append(draft)
    duplicates = rules.duplicate_products(drafts, source=table.source)
    problems += duplicates.values()
    good = [d for i, d in enumerate(drafts) if i not in duplicates]
    competitors = repo.competitors_named(session, {d.competitor for d in good})
    for d in good:
        if d.competitor not in competitors and d.competitor_kind is not None:
            added = Competitor(
                name=d.competitor, short_name=d.competitor[:32],
                kind=CompetitorKind(d.competitor_kind),
            )  # fmt: skip
            session.add(added)
            competitors[d.competitor] = added
            report.competitors_added += 1
    orphans = [d for d in good if d.competitor not in competitors]  # its kind row was refused
    problems += [
        rules.problem("competitor_kind", "new_competitor", row=d.row, source=table.source,
                      name=d.competitor)
        for d in orphans
    ]  # fmt: skip
    good = [d for d in good if d.competitor in competitors]
    session.flush()
    stored = repo.products_keyed(
        session, {(competitors[d.competitor].id, d.name, d.observed_on) for d in good}
    )
    for d in good:
        key = (competitors[d.competitor].id, d.name, d.observed_on)
        row = stored.get(key)
        if row is None:
            row = CompetitorProduct(competitor_id=key[0], name=d.name, observed_on=d.observed_on)
            session.add(row)
            stored[key] = row
            report.created += 1
        else:
            report.updated += 1
        row.product_line = ProductLine(d.product_line)
        row.subtype = d.subtype
        row.min_annual_rate = d.min_annual_rate
        row.max_annual_rate = d.max_annual_rate
        row.apr = d.apr
        row.max_amount_fen = d.max_amount_fen
        row.max_term_months = d.max_term_months
        row.features = list(d.features)
        row.source = d.source
    session.flush()
    report.rejected = _sorted(problems)
    audit(session, actor, "market.competitors.import", "competitor_product", None, {
        "source": table.source, "sha256": table.sha256, "created": report.created,
        "updated": report.updated, "competitors_added": report.competitors_added,
        "rejected_rows": report.rejected_rows,
    }, now)  # fmt: skip
    return report


#: The largest import file accepted through the console or the API.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def upload_name(filename: str | None) -> str:
    """An uploaded file's own name without any directory, or a neutral one."""
    raw = Path((filename or "").replace("\\", "/")).name
    name = re.sub(r"[^\w.\-]", "_", raw)[-100:].lstrip(".")
    return name or "upload.csv"


def read_upload(filename: str | None, data: bytes) -> RawTable:
    """An uploaded CSV/Excel file as a table (read from a temporary copy, deleted at once)."""
    name = upload_name(filename)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            "import.too_large", f"{name}: the file is larger than {MAX_UPLOAD_BYTES // 2**20} MB"
        )
    if not name.lower().endswith((".csv", ".txt", ".xlsx", ".xlsm")):
        raise ImportFileError("import.format", f"{name}: upload a .csv or .xlsx file")
    with tempfile.TemporaryDirectory(prefix="loanpilot-market-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return read_table(path)
