"""``loanpilot import customers|loans|repayments FILE``: import a bank's own data.

Exit status: 0 when the file was processed (even if some rows were rejected: they are listed in
the rejects file), 1 when the file could not be imported at all (unreadable, wrong columns,
database conflict), 2 for a configuration error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from loanpilot.kit.errors import DomainError

import_app = typer.Typer(
    help=(
        "Import the bank's own data from CSV (UTF-8 or GBK) or Excel: customers, loans, "
        "repayments. Bad rows go to a rejects file; good rows are written in one transaction; "
        "importing the same file twice changes nothing."
    ),
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)
SHOWN_REJECTS = 10
_PHASES = {
    "read": "reading 读取",
    "validate": "validating 校验",
    "encrypt": "encrypting 加密",
    "write": "writing 写入",
    "commit": "committing 提交",
}

FileArg = Annotated[
    Path,
    typer.Argument(
        help="CSV (UTF-8 or GBK) or Excel .xlsx file", dir_okay=False, show_default=False
    ),
]
MappingOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        help='JSON object {"file column": "field"}; a field of null ignores the column',
        dir_okay=False,
    ),
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option("--map", help="One column mapping, e.g. --map '证件号码=id_number' (repeatable)"),
]
SheetOpt = Annotated[
    str | None, typer.Option("--sheet", help="Excel sheet name or number (default: the first)")
]
RejectsOpt = Annotated[
    Path | None,
    typer.Option(
        "--rejects", help="Where to write the rejected rows (default: <file>.rejects.csv)"
    ),
]
IgnoreOpt = Annotated[
    bool,
    typer.Option("--ignore-unknown", help="Skip columns that map to no field instead of failing"),
]


#: The import commands and their help: what each file holds.
COMMANDS = {
    "customers": "Import customers (姓名, 证件号码, 手机号, 职业, 月收入 …); existing ID numbers are left as they are.",
    "loans": "Import disbursed loans (借据号, 证件号码, 产品代码, 贷款金额, 年利率, 期限, 还款方式, 放款日期 …).",
    "repayments": "Import repayments (交易流水号, 借据号, 还款日期, 还款金额, optionally 本金/利息/费用/罚息).",
}


def _command(kind: str, help_text: str) -> Callable[..., None]:
    """One ``loanpilot import KIND FILE`` command; the three differ only in the kind of file."""

    def command(
        file: FileArg,
        mapping: MappingOpt = None,
        map_: MapOpt = None,
        sheet: SheetOpt = None,
        rejects: RejectsOpt = None,
        ignore_unknown: IgnoreOpt = False,
    ) -> None:
        _run(kind, file, mapping, map_, sheet, rejects, ignore_unknown)

    command.__doc__ = help_text
    command.__name__ = f"{kind}_command"
    return command


for _kind, _help in COMMANDS.items():
    import_app.command(_kind)(_command(_kind, _help))


@import_app.command("template")
def template_command(
    kind: Annotated[str, typer.Argument(help="customers, loans or repayments")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write it (default: <kind>-template.csv)")
    ] = None,
) -> None:
    """Write an empty CSV with the usual Chinese headers of KIND, and list every column it accepts."""
    from loanpilot.imports.service import template_fields, write_template

    try:
        fields = template_fields(kind)
    except DomainError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc}")
        raise typer.Exit(2) from exc
    path = write_template(kind, out or Path(f"{kind}-template.csv"))
    table = Table(title=f"{kind}: columns 列说明")
    for title in ("field", "header 表头", "required 必填", "also accepted 其他表头"):
        table.add_column(title)
    for spec in fields:
        table.add_row(
            spec.name,
            spec.aliases[0] if spec.aliases else spec.name,
            "yes 是" if spec.required else "",
            ", ".join(spec.aliases[1:]),
        )
    console.print(table)
    console.print(f"Template written to {path}")


def _run(
    kind: str,
    file: Path,
    mapping_file: Path | None,
    pairs: list[str] | None,
    sheet: str | None,
    rejects: Path | None,
    ignore_unknown: bool,
) -> None:
    from loanpilot.cli import load_settings
    from loanpilot.db.session import make_engine
    from loanpilot.imports.mapping import load_mapping
    from loanpilot.imports.service import import_file

    settings = load_settings()
    _require_migrated(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        mapping = load_mapping(mapping_file, pairs or [])
        with _progress_bar() as bar:
            tasks: dict[str, TaskID] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(_PHASES.get(phase, phase), total=max(total, 1))
                bar.update(tasks[phase], completed=done, total=max(total, 1))

            report = import_file(
                kind,
                file,
                settings,
                engine,
                mapping,
                rejects_path=rejects,
                ignore_unknown=ignore_unknown,
                sheet=sheet,
                progress=progress,
            )
    except DomainError as exc:
        err_console.print(f"[red]Import failed 导入失败[/red] ({exc.code}): {exc}", highlight=False)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    _print_summary(report)


def _require_migrated(database_url: str) -> None:
    """Refuse to import into a database that is not at the newest schema."""
    from loanpilot.db import migrate

    current, head = migrate.current_revision(database_url), migrate.head_revision()
    if current != head:
        err_console.print(
            f"[red]Import failed 导入失败[/red]: the database is at schema {current or '(empty)'}, "
            f"not {head}; run `loanpilot db upgrade` first",
            highlight=False,
        )
        raise typer.Exit(1)


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<18}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _print_summary(report: object) -> None:
    from loanpilot.imports.service import ImportReport

    assert isinstance(report, ImportReport)
    table = Table(title=f"Import of {report.kind} 导入结果: {Path(report.file).name}")
    table.add_column("rows 行")
    table.add_column("count 数量", justify="right")
    table.add_row("read 读取", f"{report.rows_read:,}")
    table.add_row("inserted 新增", f"{report.inserted:,}")
    table.add_row("unchanged 未变 (already present)", f"{report.unchanged:,}")
    table.add_row("rejected 拒绝", f"{report.rejected:,}")
    console.print(table)
    console.print(
        f"{report.seconds:.1f}s, encoding {report.encoding}"
        + (f", {report.blank_rows:,} blank rows skipped" if report.blank_rows else ""),
        highlight=False,
    )
    if report.rejects_path is None:
        console.print("No rejects 无拒绝行.")
        return
    console.print(f"Rejects 拒绝明细: {report.rejects_path}", highlight=False, soft_wrap=True)
    shown = Table(
        title=f"First {min(SHOWN_REJECTS, len(report.problems))} of {len(report.problems):,} problems"
    )
    for name in ("row", "column", "value", "reason"):
        shown.add_column(name, overflow="fold")
    for problem in report.problems[:SHOWN_REJECTS]:
        shown.add_row(
            str(problem.row) if problem.row is not None else "",
            problem.field,
            problem.value or "",
            problem.message,
        )
    console.print(shown)
