"""``loanpilot demo``: build the demo bank."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from loanpilot.config import Environment, Settings
from loanpilot.demo.accounts import DemoLogin
from loanpilot.kit.errors import DomainError

demo_app = typer.Typer(
    help="The demo bank: a realistic Chinese retail-lending book to explore.", no_args_is_help=True
)
console = Console()
SUMMARY_TABLES = 12  # the largest tables shown after a build


@demo_app.command("build")
def build_command(
    customers: Annotated[
        int, typer.Option("--customers", "-n", min=100, help="Number of customers")
    ] = 20_000,
    seed: Annotated[
        int,
        typer.Option(
            help="Random seed: the same seed, as-of date and customer count give the same bank"
        ),
    ] = 20261129,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Last business date of the history, YYYY-MM-DD, 2021-08-01 or later (default: today)",
        ),
    ] = None,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Replace an earlier demo build (never a bank's own data; refused in production)",
        ),
    ] = False,
    if_missing: Annotated[
        bool,
        typer.Option("--if-missing", help="Do nothing when the database already has customers"),
    ] = False,
) -> None:
    """Build the demo bank: 24 months of customers, campaigns, loans, repayments, service and more."""
    from loanpilot.cli import load_settings
    from loanpilot.db import migrate
    from loanpilot.db.session import make_engine
    from loanpilot.demo import builder
    from loanpilot.kit.clock import business_today
    from loanpilot.kit.crypto import FieldCipher

    settings = load_settings()
    try:
        day = date.fromisoformat(as_of) if as_of else business_today(settings.tz)
    except ValueError as exc:
        raise typer.BadParameter(f"--as-of must be a date like 2026-11-29, got {as_of!r}") from exc
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        existing = builder.customer_count(engine)
        if existing and if_missing:
            console.print(f"The database already has {existing:,} customers; nothing to do.")
            from loanpilot.db.session import make_session_factory, transaction
            from loanpilot.demo.accounts import existing_demo_logins

            with transaction(make_session_factory(engine)) as session:
                print_logins(existing_demo_logins(session))
            return
        if settings.environment is Environment.PRODUCTION:
            # The demo bank comes with logins whose password is published in the README.
            console.print(
                "[red]demo.production[/red]: the demo bank (and its demo logins) is refused in "
                "production"
            )
            raise typer.Exit(1)
        if existing and not reset:
            console.print(
                f"[red]demo.exists[/red]: the database already holds {existing:,} customers; "
                "use --reset to replace them or --if-missing to keep them"
            )
            raise typer.Exit(1)
        cipher = FieldCipher(settings.data_key_bytes(), settings.data_key_id)
        with Progress(
            TextColumn("[bold]{task.description:<36}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            gen = bar.add_task("generating 生成", total=1)
            wrote = bar.add_task("writing 写入", total=1, visible=False)

            def progress(label: str, done: int, total: int) -> None:
                task = wrote if label.startswith("write") else gen
                bar.update(
                    task, description=label, completed=done, total=max(total, 1), visible=True
                )

            report = builder.build(
                engine,
                n_customers=customers,
                seed=seed,
                as_of=day,
                cipher=cipher,
                truth_dir=settings.var_dir,
                reset=reset,
                progress=progress,
            )
    except DomainError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    table = Table(title=f"Demo bank built 演示银行已生成 (seed {seed}, as of {day})")
    table.add_column("table")
    table.add_column("rows", justify="right")
    largest = sorted(report.rows.items(), key=lambda kv: -kv[1])
    for name, count in largest[:SUMMARY_TABLES]:
        table.add_row(name, f"{count:,}")
    if len(largest) > SUMMARY_TABLES:
        rest = largest[SUMMARY_TABLES:]
        table.add_row(f"… {len(rest)} more tables", f"{sum(c for _, c in rest):,}")
    console.print(table)
    console.print(
        f"{report.total_rows:,} rows: generated in {report.seconds_generate:.1f}s, "
        f"written in {report.seconds_write:.1f}s. Truth of the latent model: {report.truth_path}"
    )
    if report.champion and report.truth_path is not None:
        from loanpilot.demo import credit

        folder = report.truth_path.parent
        console.print(
            f"Credit: champion scorecard [bold]{report.champion}[/bold] and policy "
            f"{credit.POLICY_VERSION} decide every new application; its development sample and "
            f"model directory are {folder / credit.SAMPLE_FILE} and {folder / credit.MODEL_DIR}"
        )
    _close_demo_day(settings.database_url, day)
    _build_marketing(settings, day)
    _build_evaluation(settings, day)
    print_logins(report.logins)


def _close_demo_day(database_url: str, day: date) -> None:
    """Run the daily close for the as-of day, so the demo bank starts with today's snapshots,
    collection cases on their rungs, alerts, monitoring tasks and behavioural scores."""
    from loanpilot.db.session import make_engine, make_session_factory
    from loanpilot.kit.clock import now_utc
    from loanpilot.risk.close import run_close

    engine = make_engine(database_url)
    try:
        with Progress(
            TextColumn("[bold]{task.description:<36}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task(f"daily close 日终 {day}", total=1)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=max(total, 1))

            run = run_close(make_session_factory(engine), day, now_utc(), progress)
    finally:
        engine.dispose()
    summary = run.summary or {}
    console.print(
        f"Daily close of {day}: {run.status.value}; NPL ratio {summary.get('npl_ratio', '-')}"
        + (f"; {run.error}" if run.error else "")
    )


def _build_marketing(settings: Settings, day: date) -> None:
    """Segments, the uplift model and every customer's next-best-offers as of the demo's day, so
    the marketing pages open on figures (each also a command: ``segments build``, ``uplift fit``,
    ``offers build``)."""
    from loanpilot.campaigns.uplift import fit_uplift
    from loanpilot.customers.segments import build_segments
    from loanpilot.db.session import make_engine, make_session_factory, transaction
    from loanpilot.kit.clock import now_utc
    from loanpilot.products.offers import run_offers

    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    try:
        with Progress(
            TextColumn("[bold]{task.description:<36}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("segments 客群细分", total=3)
            with transaction(factory) as session:
                runs = build_segments(session, as_of=day, now=now_utc(), actor_label="demo")
            bar.update(task, completed=1, description="uplift model 增量模型")
            with transaction(factory) as session:
                uplift = fit_uplift(session, as_of=day, now=now_utc())
            bar.update(task, completed=2, description="next-best-offers 产品推荐")

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=2 + done / max(total, 1))

            run = run_offers(
                factory, day, now_utc(), settings, fit=True, actor_label="demo", progress=progress
            )
            bar.update(task, completed=3)
    finally:
        engine.dispose()
    console.print(
        f"Marketing: {', '.join(f'{r.kind.value} v{r.version}' for r in runs)} segment runs; "
        f"uplift model {uplift.model.name}@{uplift.model.version}; "
        f"offer run {run.id}: {run.offers_count:,} offers for {run.customers_done:,} customers"
    )


def _build_evaluation(settings: Settings, day: date) -> None:
    """The feedback topic model on the demo's labelled tickets, the KPI targets of the demo's
    quarter and that quarter's appraisal so far, so the feedback, KPI and appraisal pages and the
    work plan open on figures (each also a command: ``feedback topics fit``, ``kpi targets set``,
    ``appraisal run``)."""
    from loanpilot.db.session import make_engine, make_session_factory, transaction
    from loanpilot.demo.kpi_targets import run_quarter_appraisals, set_demo_targets
    from loanpilot.evaluation import topics
    from loanpilot.kit.clock import now_utc
    from loanpilot.kit.errors import ValidationError

    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    try:
        with console.status("feedback topics 反馈主题模型 · KPI targets 指标目标"):
            model_note = "no topic model (too few labelled tickets: a larger bank has them)"
            try:
                with transaction(factory) as session:
                    model = topics.fit(session, now=now_utc(), actor_label="demo")
                model_note = f"topic model {topics.model_label(model.version)}"
            except ValidationError as exc:
                if exc.code != "topics.too_few":
                    raise
            with transaction(factory) as session:
                targets = set_demo_targets(session, day, now_utc())
            with transaction(factory) as session:
                runs = run_quarter_appraisals(session, day, now_utc())
    finally:
        engine.dispose()
    console.print(
        f"Evaluation: {model_note}; {targets:,} KPI targets; "
        f"{runs} appraisal runs for the quarter so far"
    )


def print_logins(logins: list[DemoLogin]) -> None:
    """The demo accounts, one per role, for the console at /console/login."""
    if not logins:
        return
    table = Table(title="Demo logins 演示账户 (console: http://127.0.0.1:8000/console/login)")
    for column in ("user name 用户名", "password 密码", "role 角色", "staff 员工"):
        table.add_column(column)
    for login in logins:
        table.add_row(
            login.username,
            login.password,
            login.role.value,
            f"{login.staff_name} ({login.employee_no})",
        )
    console.print(table)
    console.print("These accounts share one published password: never use them with real data.")
