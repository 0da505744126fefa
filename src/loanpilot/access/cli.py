"""``loanpilot user …``: staff accounts and API tokens from the command line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from loanpilot.team.models import Role

user_app = typer.Typer(help="Staff accounts: create the first administrator, issue API tokens.")
console = Console()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password 密码", hide_input=True, confirmation_prompt=True))


@user_app.command("create")
def create(
    username: Annotated[str, typer.Option(help="Login name (letters, digits, . _ -)")],
    name: Annotated[str, typer.Option(help="The person's name, e.g. 王敏")],
    role: Annotated[Role, typer.Option(help="Role")] = Role.ADMINISTRATOR,
    branch: Annotated[
        str | None, typer.Option(help="Branch code (default: the head office; created if none)")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create a staff member with a login (the first administrator, typically)."""
    from loanpilot.access.service import create_staff_user, sync_permission_matrix
    from loanpilot.audit.service import record
    from loanpilot.cli import load_settings
    from loanpilot.db.session import make_engine, make_session_factory, transaction
    from loanpilot.kit.clock import now_utc
    from loanpilot.kit.errors import DomainError

    settings = load_settings()
    password = _password(password_stdin)
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            sync_permission_matrix(session)
            now = now_utc()
            account = create_staff_user(
                session,
                username=username,
                password=password,
                name=name,
                role=role,
                now=now,
                branch_code=branch,
            )
            record(
                session,
                action="account.create",
                actor_label="cli",
                entity="staff_account",
                entity_id=str(account.id),
                detail={"role": role.value},
                at=now,
            )
    except DomainError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    console.print(f"Created {username} ({role.value}). Log in at /console/login.")


@user_app.command("token")
def token(
    username: Annotated[str, typer.Option(help="The account the token acts as")],
    name: Annotated[str, typer.Option(help="What the token is for")] = "api",
    days: Annotated[int, typer.Option(min=1, max=365, help="Days until it expires")] = 90,
) -> None:
    """Issue an API bearer token for an account (printed once; only its digest is stored)."""
    from sqlalchemy import select

    from loanpilot.access.models import StaffAccount
    from loanpilot.access.service import issue_api_token
    from loanpilot.cli import load_settings
    from loanpilot.db.session import make_engine, make_session_factory, transaction
    from loanpilot.kit.clock import now_utc

    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            account = session.scalar(select(StaffAccount).where(StaffAccount.username == username))
            if account is None:
                console.print(f"[red]account.not_found[/red]: no account {username!r}")
                raise typer.Exit(1)
            value, row = issue_api_token(
                session, account_id=account.id, name=name, now=now_utc(), days=days
            )
    finally:
        engine.dispose()
    console.print(f"Token {row.prefix}… expires {row.expires_at:%Y-%m-%d}:")
    typer.echo(value)
