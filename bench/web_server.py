"""Serve LoanPilot for ``bench/web.py``: the real app plus a bare constant endpoint on it.

Run by ``bench/web.py`` in a subprocess, never by hand:

    python bench/web_server.py --database-url URL --var-dir DIR --port PORT

``/bench/bare`` is a plain FastAPI route returning a constant, added to the same application
(same middleware, one Uvicorn worker, same log level), so the two measure the same server and
differ only by what LoanPilot's handlers do.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from loanpilot.app import create_app
from loanpilot.config import get_settings

#: Raised so the benchmark measures the pages, not the rate limiter.
RATE_LIMITS = {
    "rate_limit_portal_per_minute": 10_000_000,
    "rate_limit_submit_per_minute": 10_000_000,
    "rate_limit_login_per_minute": 10_000_000,
}


def main() -> None:
    parser = argparse.ArgumentParser(description="serve LoanPilot for bench/web.py")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--var-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--no-dashboard-cache",
        action="store_true",
        help="compute the dashboard on every request (to measure the cost the cache hides)",
    )
    args = parser.parse_args()

    settings = get_settings(
        environment="test", var_dir=args.var_dir, database_url=args.database_url, **RATE_LIMITS
    )
    app = create_app(settings)
    if args.no_dashboard_cache:
        from loanpilot.evaluation.dashboard_cache import DashboardCache

        app.state.dashboard_cache = DashboardCache(0)

    @app.get("/bench/bare", include_in_schema=False)
    def bare() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=args.port, workers=1, log_level="warning")


if __name__ == "__main__":
    main()
