"""``loanpilot serve``: run the web application with Uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loanpilot.config import Settings

_DEFAULT_HOST = Settings.model_fields["host"].default
_DEFAULT_PORT = Settings.model_fields["port"].default


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""

    @app.command("serve")
    def serve(
        host: Annotated[
            str | None,
            typer.Option(
                help=f"Interface to listen on (default: LOANPILOT_HOST or {_DEFAULT_HOST})"
            ),
        ] = None,
        port: Annotated[
            int | None,
            typer.Option(
                min=1, max=65535, help=f"Port (default: LOANPILOT_PORT or {_DEFAULT_PORT})"
            ),
        ] = None,
        reload: Annotated[
            bool, typer.Option("--reload", help="Restart when the code changes (development)")
        ] = False,
    ) -> None:
        """Serve the web application: portal at /, staff console at /console, API docs at /api/docs."""
        import uvicorn

        from loanpilot.cli import load_settings  # here: loanpilot.cli imports this module

        settings = load_settings()
        bind_host = host or settings.host
        bind_port = port or settings.port
        log_level = settings.log_level.lower()
        base = f"http://{bind_host}:{bind_port}"
        typer.echo(
            f"LoanPilot on {base}/ — portal {base}/, console {base}/console/login, "
            f"API docs {base}/api/docs (Ctrl+C to stop)"
        )
        from loanpilot.batch.scheduler import start_for

        # The daily close of the previous day at LOANPILOT_CLOSE_AT (catching up a missed one
        # now); a daemon thread of this process, never of create_app (tests build many apps).
        if start_for(settings) is not None:
            typer.echo(f"Daily close scheduled at {settings.close_at} ({settings.timezone})")
        if reload:
            # The reloader imports the app in a fresh process: give it a factory, not an object,
            # and watch the package's source rather than the current directory.
            import loanpilot

            uvicorn.run(
                "loanpilot.app:create_app_from_env",
                factory=True,
                host=bind_host,
                port=bind_port,
                reload=True,
                reload_dirs=[str(Path(loanpilot.__file__).resolve().parent)],
                log_level=log_level,
                access_log=False,
            )
            return
        from loanpilot.app import create_app

        # No access log: request lines carry query strings, and a search may hold an ID or phone
        # number (JR/T 0171: personal data never in logs). The audit log records who did what.
        uvicorn.run(
            create_app(settings),
            host=bind_host,
            port=bind_port,
            log_level=log_level,
            access_log=False,
        )
