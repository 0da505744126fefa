"""Transport guards, as plain ASGI middleware: a body-size limit, a per-address rate limit on the
portal and on login, and security headers on every response.

The rate limiter is a token bucket per (client address, zone) held in the process: with several
server processes each has its own buckets (documented in the README).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]
ASGIApp = Callable[[Scope, Receive, Send], Any]

_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'"
)
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
#: Swagger UI builds its page with an inline script; it gets no CSP of its own.
_NO_CSP_PATHS = ("/api/docs",)


_HTML_ERRORS = {
    413: ("提交的内容过大", "What was sent is too large"),
    429: ("请求过于频繁，请稍后再试", "Too many requests: please wait a moment and try again"),
}


def _error(
    status: int,
    code: str,
    detail: str,
    headers: list[tuple[bytes, bytes]],
    path: str = "/api/",
) -> list[Message]:
    """The answer of a guard: the API's JSON error shape, or a small bilingual page for browsers
    (these guards run before the application, so they cannot use its templates)."""
    if path.startswith("/api/"):
        body = json.dumps({"error": code, "detail": detail, "fields": []}).encode()
        content_type = b"application/json"
    else:
        zh, en = _HTML_ERRORS.get(status, ("请求无法处理", "The request cannot be handled"))
        body = (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{status}</title></head><body>"
            f'<main data-error="{code}"><h1>{zh}</h1><p lang="en">{en}</p>'
            '<p><a href="/">返回首页 · Back</a></p></main></body></html>'
        ).encode()
        content_type = b"text/html; charset=utf-8"
    return [
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        },
        {"type": "http.response.body", "body": body},
    ]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_csp = not scope["path"].startswith(_NO_CSP_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += _HEADERS
                own = any(name == b"content-security-policy" for name, _ in headers)
                if with_csp and not own:  # a page with its own, stricter policy keeps it
                    headers.append((b"content-security-policy", _CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int, uploads: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = dict(uploads or {})  # exact path -> its own (larger) limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.uploads.get(scope.get("path", ""), self.max_bytes)
        detail = f"The request body is larger than the limit of {limit:,} bytes"
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > limit
                except ValueError:
                    too_big = True
                if too_big:
                    for message in _error(413, "request.too_large", detail, [], scope["path"]):
                        await send(message)
                    return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message: Message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLargeError:
            if not started:
                for message in _error(413, "request.too_large", detail, [], scope["path"]):
                    await send(message)


class _BodyTooLargeError(Exception):
    pass


@dataclass(frozen=True)
class Zone:
    """A rate-limited kind of request: ``per_minute`` on average, bursts up to ``burst``."""

    name: str
    per_minute: int
    burst: int


class TokenBuckets:
    """Token buckets per key, the least recently used forgotten beyond ``max_keys``."""

    def __init__(self, max_keys: int = 100_000, now: Callable[[], float] = time.monotonic) -> None:
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_keys = max_keys
        self._now = now

    def take(self, key: str, zone: Zone) -> float:
        """Take one token; 0 when allowed, else the seconds until a token is available."""
        rate = zone.per_minute / 60.0
        now = self._now()
        with self._lock:
            tokens, last = self._buckets.pop((zone.name, key), (float(zone.burst), now))
            tokens = min(float(zone.burst), tokens + (now - last) * rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate
            self._buckets[(zone.name, key)] = (tokens, now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        return wait


def zone_for(method: str, path: str, zones: dict[str, Zone]) -> Zone | None:
    """Which zone a request counts against: login attempts, portal submissions, portal pages."""
    if method == "POST" and path in (
        "/console/login",
        "/api/v1/auth/token",
        "/console/account/password",
    ):
        return zones["login"]
    if path.startswith(("/console", "/api/docs", "/api/openapi", "/static", "/healthz")):
        return None
    if path.startswith("/api/") and not path.startswith("/api/v1/portal"):
        return None
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        return zones["portal_write"]
    return zones["portal_read"]


class RateLimit:
    """429 with ``Retry-After`` once a client address exceeds its zone's rate."""

    def __init__(self, app: ASGIApp, zones: dict[str, Zone], buckets: TokenBuckets) -> None:
        self.app = app
        self.zones = zones
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            zone = zone_for(scope["method"], scope["path"], self.zones)
            if zone is not None:
                client = scope.get("client")
                wait = self.buckets.take(client[0] if client else "unknown", zone)
                if wait > 0:
                    seconds = max(1, math.ceil(wait))
                    detail = f"Too many requests from your address; retry in {seconds} s"
                    headers = [(b"retry-after", str(seconds).encode())]
                    for message in _error(
                        429, "request.rate_limited", detail, headers, scope["path"]
                    ):
                        await send(message)
                    return
        await self.app(scope, receive, send)
