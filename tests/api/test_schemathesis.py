"""Schemathesis against the live OpenAPI spec: no generated input makes the API answer 5xx.

Every operation of ``/api/openapi.json`` is called with generated data (valid and invalid) and an
administrator's bearer token, over real HTTP. The only check is ``not_a_server_error``: a bad
input must get a 4xx that says why, never a 500. Reproducible (derandomized, no example database)
and bounded (25 examples per operation).

The fuzzer may create, change or revoke things, so it runs on its own copy of the SQLite demo bank
served by its own app, never on the shared demo site (and not on PostgreSQL: the same API code,
for twice the time).
"""

from __future__ import annotations

import socket
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy.engine import make_url

from loanpilot.app import create_app
from loanpilot.config import get_settings
from loanpilot.demo.accounts import DEMO_PASSWORD

if TYPE_CHECKING:
    from tests.conftest import DemoBank

MAX_EXAMPLES = 25
#: Raised so the fuzzer measures the API, not the rate limiter.
RATE_LIMITS = {
    "rate_limit_portal_per_minute": 1_000_000,
    "rate_limit_submit_per_minute": 1_000_000,
    "rate_limit_login_per_minute": 1_000_000,
}


@dataclass(frozen=True)
class FuzzSite:
    url: str
    headers: dict[str, str]  # the administrator's token
    revoker_headers: dict[str, str]  # another account's, for the token-revoking operation


def _copy_sqlite(source_url: str, target: Path) -> str:
    source = make_url(source_url).database
    assert source, source_url
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target.as_posix()}"


@contextmanager
def _serving(app: FastAPI) -> Iterator[str]:
    """Uvicorn on a free loopback port in a thread (as tests/conftest.py's ``serve``, but usable
    by a module-scoped fixture)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    try:
        while not server.started:
            assert thread.is_alive(), "uvicorn stopped before it started"
            assert time.monotonic() < deadline, "uvicorn did not start within 15 s"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture(scope="module")
def fuzz_site(demo_bank: DemoBank, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzSite]:
    """The demo bank copied to a file of its own, served on a loopback port."""
    if not demo_bank.url.startswith("sqlite"):
        pytest.skip("schemathesis runs on a copy of the SQLite demo bank only")
    var_dir = tmp_path_factory.mktemp("fuzz")
    url = _copy_sqlite(demo_bank.url, var_dir / "fuzz.db")
    app_settings = demo_bank.settings.model_copy(
        update={"database_url": url, "var_dir": var_dir, **RATE_LIMITS}
    )
    with _serving(create_app(app_settings)) as base_url:

        def bearer(username: str) -> dict[str, str]:
            response = httpx.post(
                f"{base_url}/api/v1/auth/token",
                json={"username": username, "password": DEMO_PASSWORD, "name": "schemathesis"},
                timeout=30,
            )
            assert response.status_code == 201, response.text
            return {"Authorization": f"Bearer {response.json()['token']}"}

        yield FuzzSite(base_url, bearer("admin"), bearer("auditor"))


def _spec() -> dict[str, Any]:
    """The OpenAPI document, from an app on a database that is never opened (the spec is the
    routes', not the data's); the tests then call the live copy of the demo bank."""
    var_dir = Path(tempfile.gettempdir())
    spec_settings = get_settings(
        environment="test", var_dir=var_dir, database_url="sqlite:///:memory:"
    )
    spec: dict[str, Any] = create_app(spec_settings).openapi()
    return spec


# Loaded at collection: schemathesis's lazy ``from_fixture`` loader does not work with pytest 9
# (it sets ``node._nodeid``, which pytest 9 no longer has).
schema = schemathesis.openapi.from_dict(_spec())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_input_gets_a_server_error(case: Any, fuzz_site: FuzzSite) -> None:
    # A generated token id may be the administrator's own: revoking it would leave the rest of
    # the run unauthenticated, so that operation runs with another account's token.
    revoking = case.method.upper() == "DELETE" and case.path.startswith("/api/v1/auth/tokens/")
    headers = fuzz_site.revoker_headers if revoking else fuzz_site.headers
    response = case.call(base_url=fuzz_site.url, headers=headers)
    case.validate_response(response, checks=[not_a_server_error])


def test_the_spec_lists_the_api_and_its_error_shape() -> None:
    """A sanity check that the fuzzer has something to fuzz."""
    spec = _spec()
    paths = spec["paths"]
    assert "/api/v1/auth/token" in paths
    assert "/api/v1/auth/me" in paths
    assert not [p for p in paths if p.startswith("/console")]
    assert set(spec["components"]["schemas"]["ErrorRead"]["properties"]) == {
        "error",
        "detail",
        "fields",
    }
