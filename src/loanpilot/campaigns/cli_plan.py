"""``loanpilot campaign plan``: let the optimiser choose who gets which offer through which channel
under a budget (and optional channel capacities, segment minimums and product caps), print the
plan's summary and its gap to the LP bound, optionally apply it to a campaign's targets with a
randomised hold-out, and write the chosen list to ``--out`` (CSV or Excel).

The list is masked (name ``张*明``, phone ``138****5678``) by default. It holds only customers who
may be contacted now (consent given, not opted out, not blacklisted) and, once applied, only the
treated ones (never the hold-out nor those dropped at apply time). The CLI runs as an operator
with database access (the whole bank in scope), so ``--unmasked`` writes clear names and phone
numbers; that export is written to the audit log (``pii.export``, actor ``cli``), and nothing
personal is printed.

Exit status: 0 when a plan was found (and applied, if asked), 1 when the constraints cannot be met
(the explanation names the constraint) or the request was refused, 2 for a usage error.
The lead registers it with ``campaign_app.command("plan")(plan)``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from loanpilot.kit.errors import DomainError, ValidationError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from loanpilot.campaigns.models import CampaignPlan
    from loanpilot.config import Settings

console = Console()
err_console = Console(stderr=True)
SUFFIXES = (".csv", ".xlsx")


def _factory() -> tuple[sessionmaker[Session], Settings]:
    import loanpilot.db.models  # noqa: F401  (every mapper, before any flush)
    from loanpilot.cli import load_settings
    from loanpilot.db.session import make_engine, make_session_factory

    settings = load_settings()
    return make_session_factory(make_engine(settings.database_url)), settings


def _yuan(fen: int | float) -> str:
    return f"{fen / 100:,.2f}"


def print_plan(plan: CampaignPlan) -> None:
    """The plan's figures: selected, cost, expected incremental profit, bound and gap, the
    breakdowns by channel, product and segment, and the binding constraints."""
    s = plan.summary or {}
    gap = "—" if plan.gap is None else f"{plan.gap:.4%}"
    console.print(
        f"plan [bold]#{plan.id}[/bold] · {plan.status.value} · method {plan.method} · "
        f"candidates {plan.candidates:,} · selected [bold]{plan.selected:,}[/bold] · "
        f"cost {_yuan(plan.cost_fen)} yuan · expected incremental profit "
        f"[bold]{_yuan(plan.objective_fen)}[/bold] yuan · LP bound {_yuan(plan.bound_fen)} yuan "
        f"· gap [bold]{gap}[/bold]"
    )
    for key, title in (("by_channel", "channel 渠道"), ("by_product", "product 产品"),
                       ("by_segment", "segment 客群")):  # fmt: skip
        rows = s.get(key) or []
        if not rows:
            continue
        table = Table(title=f"By {title}")
        for col in (title.split()[0], "selected", "cost (yuan)", "profit (yuan)", "responses"):
            table.add_column(col, justify="left" if col == title.split()[0] else "right")
        for r in rows:
            table.add_row(
                r["key"] or "—",
                f"{r['selected']:,}",
                _yuan(r["cost_fen"]),
                _yuan(r["value_fen"]),
                f"{r['expected_responses']:.1f}",
            )
        console.print(table)
    binding = ", ".join(
        b["kind"] if b.get("name") is None else f"{b['kind']} {b['name']}"
        for b in s.get("binding") or []
    )
    console.print(f"binding constraints 约束已用尽: {binding or 'none'}")
    dropped = s.get("dropped") or {}
    if any(dropped.values()):
        console.print(
            "offers left out by the contact policy: "
            + ", ".join(f"{k} {v:,}" for k, v in dropped.items())
        )


def _fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]Error:[/red] {message}")
    return typer.Exit(code)


def plan(
    budget: Annotated[str, typer.Option("--budget", help="contact budget in yuan (> 0)")],
    out: Annotated[
        Path, typer.Option("--out", help="file for the chosen list: .csv or .xlsx", dir_okay=False)
    ],
    campaign: Annotated[
        int | None,
        typer.Option("--campaign", min=1, help="plan this campaign (its arms, audience)"),
    ] = None,
    channel_capacity: Annotated[
        str,
        typer.Option(
            "--channel-capacity",
            help="e.g. sms=100000,call_center=2000,branch=400 "
            "(contacts; the branch's in staff hours)",
        ),
    ] = "",
    segment_min: Annotated[
        str, typer.Option("--segment-min", help="minimum customers per segment, e.g. young=200")
    ] = "",
    product_cap: Annotated[
        str, typer.Option("--product-cap", help="most offers per product code, e.g. CL-GEN=500")
    ] = "",
    branch_hours: Annotated[
        float, typer.Option("--branch-hours", help="staff hours one branch contact takes")
    ] = 0.5,
    holdout: Annotated[
        float | None,
        typer.Option("--holdout", help="hold-out share when applying (default: the campaign's)"),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="hold-out seed")] = None,
    method: Annotated[str, typer.Option("--method", help="auto, milp or lagrangian")] = "auto",
    apply: Annotated[
        bool, typer.Option("--apply", help="write the list into the campaign's targets")
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="replace the campaign's list if not yet worked")
    ] = False,
    unmasked: Annotated[
        bool, typer.Option("--unmasked", help="clear names and phones in --out (audited)")
    ] = False,
    lang: Annotated[str, typer.Option("--lang", help="zh or en headers")] = "zh",
) -> None:
    """Plan an optimised target list under a budget and write it to --out (masked by default)."""
    from loanpilot.campaigns import exports, planning
    from loanpilot.campaigns import planning_rules as rules
    from loanpilot.campaigns.models import PlanStatus
    from loanpilot.customers.service import Crypto
    from loanpilot.db.session import transaction

    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise _fail(f"--out must end in .csv or .xlsx; got {out.name!r}", 2)
    if apply and campaign is None:
        raise _fail("--apply needs --campaign: a list is applied to a campaign", 2)
    if lang not in ("zh", "en"):
        raise _fail(f"--lang must be zh or en; got {lang!r}", 2)
    try:
        share = None if holdout is None else rules.holdout_share_of(holdout, "--holdout")
    except ValidationError as exc:
        raise _fail(str(exc), 2) from None
    raw: dict[str, Any] = {"budget_yuan": budget, "channel_capacity": channel_capacity,
                           "segment_min": segment_min, "product_cap": product_cap,
                           "branch_hours_per_contact": branch_hours}  # fmt: skip
    factory, settings = _factory()
    crypto = Crypto.from_settings(settings)
    now = datetime.now(UTC)
    try:
        with transaction(factory) as session:
            with Progress(SpinnerColumn(), TextColumn("optimising 优化中"), TimeElapsedColumn(),
                          console=console, transient=True):  # fmt: skip
                made = planning.solve_plan(
                    session, campaign_id=campaign, raw=raw, now=now, method=method
                )
            print_plan(made)
            plan_id, solved = made.id, made.status is PlanStatus.SOLVED
            if solved and apply and campaign is not None:
                result = planning.apply_plan(
                    session, campaign, made.id, now=now, holdout_share=share, seed=seed,
                    replace=replace, actor_label="cli",
                )  # fmt: skip
                console.print(
                    f"applied to campaign {campaign}: {result.treatment:,} treatment, "
                    f"{result.control:,} control (hold-out {result.holdout_share:.0%}, seed "
                    f"{result.seed}); dropped since solving: {result.dropped}"
                )
            if solved:
                content, rows = exports.plan_file(
                    session, made, crypto=crypto, lang=lang, fmt="csv" if suffix == ".csv" else "xlsx",
                    now=now, unmasked=unmasked, actor_label="cli",
                )  # fmt: skip
            else:
                reason = made.infeasible_reason
    except DomainError as exc:
        raise _fail(str(exc)) from None
    if not solved:
        err_console.print(f"[red]No plan meets the constraints (plan #{plan_id}):[/red] {reason}")
        raise typer.Exit(1)
    out.write_bytes(content)
    masked = "unmasked (audited)" if unmasked else "masked"
    console.print(f"wrote {rows:,} rows ({masked}) to [bold]{out}[/bold]")
