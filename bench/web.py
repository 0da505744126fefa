"""Console and API latency and throughput on a 100,000-customer demo bank, beside a bare endpoint.

Issue 3 targets: the dashboard's p99 latency under 300 ms, and API read endpoints at least 40 % of
the throughput of a bare FastAPI endpoint returning a constant on the same server settings.

    .venv/bin/python bench/web.py [--db PATH] [--customers 100000] [--seconds 10] [--clients 16]

Without ``--db`` the demo bank is built into a temporary directory (about 35 s) and removed at the
end; with ``--db PATH`` it is built there once and reused by later runs (its keys are kept beside
it in ``dev-keys.env``). The server (``bench/web_server.py``: the app plus ``/bench/bare``) runs in a
subprocess with one Uvicorn worker on 127.0.0.1; the load generator here keeps ``--clients``
HTTP/1.1 keep-alive connections busy (raw asyncio sockets: cheaper than an HTTP library, so the
client steals less of the machine from the server), after a warm-up, for ``--seconds`` per target.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

import httpx

from loanpilot.demo.accounts import DEMO_PASSWORD

HERE = Path(__file__).resolve().parent
DASHBOARD_P99_TARGET_MS = 300.0
API_RATIO_TARGET = 0.40
USER = "marketing"  # sees the whole bank (dashboard and customers), so the heaviest pages
PASSWORD = DEMO_PASSWORD
SEARCH = "王"


# --- the demo bank and the server ----------------------------------------------------------------


def build_bank(db: Path, customers: int) -> None:
    """Migrate ``db`` and build the demo bank into it (as tests/conftest.py's ``demo_bank``)."""
    from loanpilot.config import get_settings
    from loanpilot.db.migrate import upgrade
    from loanpilot.db.session import make_engine
    from loanpilot.demo import builder
    from loanpilot.kit.crypto import FieldCipher

    url = f"sqlite:///{db.as_posix()}"
    settings = get_settings(environment="test", var_dir=db.parent, database_url=url)
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    report = builder.build(
        engine,
        n_customers=customers,
        seed=20261129,
        as_of=date(2026, 11, 29),
        cipher=FieldCipher(settings.data_key_bytes(), settings.data_key_id),
        truth_dir=db.parent,
    )
    engine.dispose()
    print(
        f"built the demo bank: {customers:,} customers, {report.total_rows:,} rows "
        f"in {time.perf_counter() - started:.1f} s ({db})"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(db: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        str(HERE / "web_server.py"),
        "--database-url",
        f"sqlite:///{db.as_posix()}",
        "--var-dir",
        str(db.parent),
        "--port",
        str(port),
        *extra,
    ]
    server = subprocess.Popen(command, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit("the server did not start within 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def credentials(base: str) -> tuple[str, str]:
    """A console session cookie and an API bearer token of the benchmark user."""
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/console/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf, "no CSRF token on the login page"
        login = client.post(
            "/console/login",
            data={"username": USER, "password": PASSWORD, "csrf_token": csrf.group(1)},
        )
        assert login.status_code == 303, f"login failed: {login.status_code}"
        cookie = f"lp_session={client.cookies['lp_session']}"
        token = client.post(
            "/api/v1/auth/token", json={"username": USER, "password": PASSWORD, "name": "bench"}
        )
        assert token.status_code == 201, token.text
    return cookie, f"Bearer {token.json()['token']}"


# --- the load generator ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Result:
    target: Target
    requests: int
    errors: int
    seconds: float
    latencies: list[float]  # seconds, successful requests
    statuses: dict[int, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response (Content-Length or chunked); return its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if b":" in line:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
    if b"content-length" in headers:
        await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _client(
    port: int, request: bytes, stop_at: float, latencies: list[float], statuses: dict[int, int]
) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    errors = 0
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1
    finally:
        writer.close()
    return errors


async def _load(port: int, target: Target, clients: int, seconds: float) -> Result:
    headers = "".join(f"{k}: {v}\r\n" for k, v in target.headers.items())
    request = (
        f"GET {target.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}"
        "Accept-Encoding: identity\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    stop_at = started + seconds
    errors = await asyncio.gather(
        *(_client(port, request, stop_at, latencies, statuses) for _ in range(clients))
    )
    elapsed = time.perf_counter() - started
    return Result(target, len(latencies) + sum(errors), sum(errors), elapsed, latencies, statuses)


def measure(port: int, target: Target, clients: int, seconds: float, warmup: float) -> Result:
    asyncio.run(_load(port, target, clients, warmup))
    return asyncio.run(_load(port, target, clients, seconds))


# --- the run ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="SQLite file to build once and reuse")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per target")
    parser.add_argument("--warmup", type=float, default=2.0, help="per target, not counted")
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="loanpilot-bench-web-") as tmp:
        db = args.db.resolve() if args.db else Path(tmp) / "bench.db"
        if not db.exists():
            db.parent.mkdir(parents=True, exist_ok=True)
            build_bank(db, args.customers)
        else:
            print(f"reusing the demo bank in {db}")
        port = free_port()
        server = start_server(db, port)
        try:
            base = f"http://127.0.0.1:{port}"
            cookie, bearer = credentials(base)
            targets = [
                Target("bare FastAPI endpoint", "/bench/bare", {}),
                Target("dashboard /console/", "/console/", {"Cookie": cookie}),
                Target(
                    "customer search page",
                    f"/console/customers?q={quote(SEARCH)}",
                    {"Cookie": cookie},
                ),
                Target(
                    "API read /api/v1/customers", "/api/v1/customers", {"Authorization": bearer}
                ),
                Target("API read /api/v1/auth/me", "/api/v1/auth/me", {"Authorization": bearer}),
                Target("API read /api/v1/products", "/api/v1/products", {"Authorization": bearer}),
                Target(
                    "API read /api/v1/customers/{id}",
                    "/api/v1/customers/4242",
                    {"Authorization": bearer},
                ),
                Target(
                    "API read /api/v1/dashboard", "/api/v1/dashboard", {"Authorization": bearer}
                ),
            ]
            results = []
            for target in targets:
                probe = httpx.get(base + target.path, headers=target.headers, timeout=60)
                if probe.status_code != 200:
                    print(f"skipped {target.name}: {target.path} answers {probe.status_code}")
                    continue
                results.append(measure(port, target, args.clients, args.seconds, args.warmup))
        finally:
            stop_server(server)
        # The dashboard caches its figures for 30 s; measure it once more computing every time.
        port = free_port()
        server = start_server(db, port, "--no-dashboard-cache")
        try:
            base = f"http://127.0.0.1:{port}"
            cookie, _bearer = credentials(base)
            uncached = Target("dashboard, cache off", "/console/", {"Cookie": cookie})
            results.append(measure(port, uncached, args.clients, args.seconds, args.warmup))
        finally:
            stop_server(server)

    print()
    print(
        f"{args.clients} concurrent keep-alive clients, {args.seconds:.0f} s per target "
        f"after {args.warmup:.0f} s warm-up; one Uvicorn worker; {args.customers:,} customers"
    )
    print(f"{'target':32} {'req/s':>9} {'median ms':>10} {'p99 ms':>9} {'errors':>7}")
    for r in results:
        print(
            f"{r.target.name:32} {r.rps:9.1f} {statistics.median(r.latencies) * 1000:10.1f} "
            f"{r.percentile(0.99):9.1f} {r.errors:7d}"
        )
        if r.errors:
            print(f"{'':32} statuses {r.statuses}")
    by_name = {r.target.name: r for r in results}
    bare = by_name.get("bare FastAPI endpoint")
    dashboard = by_name.get("dashboard /console/")
    api = by_name.get("API read /api/v1/customers")
    print()
    if dashboard:
        p99 = dashboard.percentile(0.99)
        verdict = "OK" if p99 < DASHBOARD_P99_TARGET_MS else "MISSED"
        print(f"dashboard p99 {p99:.1f} ms (target < {DASHBOARD_P99_TARGET_MS:.0f} ms)  {verdict}")
    if api and bare:
        ratio = api.rps / bare.rps
        verdict = "OK" if ratio >= API_RATIO_TARGET else "MISSED"
        print(
            f"API read throughput / bare: {api.rps:.1f} / {bare.rps:.1f} = {ratio:.3f} "
            f"(target >= {API_RATIO_TARGET:.2f})  {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
