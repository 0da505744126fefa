"""Importing a bank's own data: ``import_file(kind, path, ...)`` for customers, loans, repayments.

One call is one unit of work: the file is read and its columns bound (problems there stop the
import before the database is touched), then every row is validated, and all the good rows are
written in ONE transaction together with an audit record; any unexpected failure rolls all of it
back. Rows already in the database (same ID number, loan number or transaction reference) are
counted as unchanged, never overwritten, so importing a file twice changes nothing.

Rejected rows go to a CSV file (UTF-8 with BOM, so Excel opens it) next to the input,
``<stem>.rejects.csv``, with the columns ``row, column, value, reason``; personal values are
masked. When an import has no rejects, an old rejects file at that path is REMOVED, so a rejects
file on disk always belongs to the latest import of its input.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from time import perf_counter
from types import ModuleType
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from loanpilot.audit.service import record
from loanpilot.config import Settings
from loanpilot.db.bulk import reset_sequences
from loanpilot.imports import customers, loans, repayments
from loanpilot.imports import repository as repo
from loanpilot.imports.context import ImportContext, Progress
from loanpilot.imports.mapping import FieldSpec, resolve_columns
from loanpilot.imports.readers import read_table
from loanpilot.imports.rejects import RejectLog, maskers, stage_rejects
from loanpilot.kit.clock import business_today, now_utc
from loanpilot.kit.crypto import FieldCipher
from loanpilot.kit.errors import ConflictError, DomainError, FieldProblem, ImportFileError

log = logging.getLogger(__name__)

IMPORTERS: dict[str, ModuleType] = {
    "customers": customers,
    "loans": loans,
    "repayments": repayments,
}
KINDS = tuple(IMPORTERS)
_TABLES = {
    "customers": (repo.customers_t, repo.consents_t),
    "loans": (repo.loans_t, repo.schedules_t),
    "repayments": (repo.repayments_t,),
}


@dataclass(frozen=True)
class ImportReport:
    """What one import did. ``problems`` are the rejects, masked, in row order."""

    kind: str
    file: str
    rows_read: int
    inserted: int
    unchanged: int
    rejected: int
    rejects_path: Path | None
    seconds: float
    encoding: str = ""
    blank_rows: int = 0
    written: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    problems: list[FieldProblem] = field(default_factory=list)


def default_rejects_path(path: Path) -> Path:
    """``customers.csv`` → ``customers.rejects.csv`` in the same directory."""
    return path.with_name(f"{path.stem}.rejects.csv")


def import_file(
    kind: str,
    path: Path | str,
    settings: Settings,
    engine: Engine,
    mapping: Mapping[str, str | None] | None = None,
    *,
    rejects_path: Path | None = None,
    ignore_unknown: bool = False,
    sheet: str | None = None,
    progress: Progress | None = None,
    today: date | None = None,
    now: datetime | None = None,
    actor: str = "cli",
) -> ImportReport:
    """Import ``path`` as ``kind``; raise ``ImportFileError`` when the file cannot be imported.

    ``today`` (business date, for "not in the future" checks and defaults) and ``now`` (consent
    and audit instants) default to the clock; ``actor`` is the audit log's ``actor_label``.
    The rejects file is written before the commit (to a temporary name, renamed after it), so a
    rejects file that cannot be written stops the import with nothing imported.
    """
    started = perf_counter()
    if kind not in IMPORTERS:
        raise ImportFileError(
            "import.kind", f"unknown import {kind!r}; use one of {', '.join(KINDS)}"
        )
    importer = IMPORTERS[kind]
    source = Path(path)
    rejects = Path(rejects_path) if rejects_path is not None else default_rejects_path(source)
    if rejects.resolve() == source.resolve():
        raise ImportFileError(
            "import.rejects", f"{source.name}: the rejects file cannot be the input"
        )
    today = today or business_today(settings.tz)
    now = now or now_utc()
    _report(progress, "read", 0, 1)
    try:
        table = read_table(source, sheet=sheet)
        columns = resolve_columns(
            table,
            kind,
            importer.FIELDS,
            mapping,
            ignore_unknown=ignore_unknown,
            one_of=getattr(importer, "ONE_OF", ()),
        )
    except DomainError as exc:
        _remove(rejects)
        _audit_failure(engine, kind, source.name, exc, now)
        raise
    _report(progress, "read", 1, 1)
    cipher = FieldCipher(settings.data_key_bytes(), settings.data_key_id)
    reject_log = RejectLog(table, columns, importer.FIELDS, maskers(settings))
    staged: Path | None = None
    try:
        with engine.begin() as conn:
            ctx = ImportContext(conn, table, columns, reject_log, cipher, today, now, progress)
            outcome = importer.run(ctx)
            reset_sequences(conn, _TABLES[kind])
            problems = reject_log.problems()
            report = ImportReport(
                kind=kind,
                file=str(source),
                rows_read=table.rows_read,
                inserted=outcome.inserted,
                unchanged=outcome.unchanged,
                rejected=reject_log.rejected_rows,
                rejects_path=rejects if problems else None,
                seconds=0.0,
                encoding=table.encoding,
                blank_rows=table.blank_rows,
                written=dict(outcome.written),
                updated=dict(outcome.updated),
                problems=problems,
            )
            staged = stage_rejects(rejects, problems) if problems else None
            with Session(bind=conn) as session:
                record(
                    session,
                    action=f"import.{kind}",
                    actor_label=actor,
                    entity=kind,
                    detail=_detail(report, table.sha256),
                    at=now,
                )
            _report(progress, "commit", 0, 1)
    except IntegrityError as exc:
        _discard(staged)
        conflict = ConflictError(
            "import.conflict",
            f"{source.name}: the database changed while the file was imported (another import "
            "or user added the same records); nothing was written, run the import again",
        )
        _remove(rejects)
        _audit_failure(engine, kind, source.name, conflict, now)
        raise conflict from exc
    except DomainError as exc:
        _discard(staged)
        _remove(rejects)
        _audit_failure(engine, kind, source.name, exc, now)
        raise
    except BaseException:
        _discard(staged)
        raise
    if staged is not None:
        staged.replace(rejects)
    else:
        _remove(rejects)
    _report(progress, "commit", 1, 1)
    return _finish(report, perf_counter() - started)


def _discard(staged: Path | None) -> None:
    if staged is not None:
        staged.unlink(missing_ok=True)


def _finish(report: ImportReport, seconds: float) -> ImportReport:
    return replace(report, seconds=seconds)


def _report(progress: Progress | None, phase: str, done: int, total: int) -> None:
    if progress is not None:
        progress(phase, done, total)


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _detail(report: ImportReport, sha256: str) -> dict[str, Any]:
    """Counts and the file NAME only: no personal data, no directory."""
    return {
        "file": Path(report.file).name,
        "sha256": sha256,
        "encoding": report.encoding,
        "rows_read": report.rows_read,
        "inserted": report.inserted,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "written": report.written,
        "updated": report.updated,
        "rejects_file": report.rejects_path.name if report.rejects_path else None,
    }


def _audit_failure(engine: Engine, kind: str, name: str, error: DomainError, at: datetime) -> None:
    """Record a refused import; a database that cannot take it must not hide the file's error."""
    try:
        with engine.begin() as conn, Session(bind=conn) as session:
            record(
                session,
                action=f"import.{kind}",
                actor_label="cli",
                entity=kind,
                detail={"file": name, "error": error.code},
                outcome="failed",
                at=at,
            )
    except SQLAlchemyError as exc:
        log.warning("could not audit the failed import of %s: %s", name, exc.__class__.__name__)


def summary_lines(report: ImportReport) -> Sequence[str]:
    """The report as short lines for logs (no personal data)."""
    return [
        f"{report.file}: {report.rows_read:,} rows read, {report.inserted:,} inserted, "
        f"{report.unchanged:,} unchanged, {report.rejected:,} rejected in {report.seconds:.1f}s"
    ]


def template_fields(kind: str) -> tuple[FieldSpec, ...]:
    """The fields an import of ``kind`` understands, in the order of its template."""
    if kind not in IMPORTERS:
        raise DomainError(
            "import.kind", f"unknown import {kind!r}; choose one of {', '.join(KINDS)}"
        )
    return tuple(IMPORTERS[kind].FIELDS)


def write_template(kind: str, path: Path) -> Path:
    """A header-only CSV (UTF-8 with BOM, so Excel opens it) with the usual Chinese header of every
    field of ``kind``: the starting point for a bank's own export."""
    headers = [spec.aliases[0] if spec.aliases else spec.name for spec in template_fields(kind)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(",".join(headers) + "\r\n", encoding="utf-8-sig")
    return path
