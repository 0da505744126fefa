"""Which permission each route requires, read from the routes themselves (the ``Require``
dependency), for the permission-matrix page and the test that tries every role on every route."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from loanpilot.access.rules import Permission
from loanpilot.web.auth import Require


@dataclass(frozen=True)
class RouteRule:
    method: str
    path: str
    protected: bool  # needs a signed-in staff member
    permission: Permission | None  # and this permission (None: any staff member)
    in_schema: bool
    session_only: bool = False  # refuses API tokens (a console session only)


def _requires(dependant: Any) -> Iterator[Require]:
    for dependency in getattr(dependant, "dependencies", []):
        if isinstance(dependency.call, Require):
            yield dependency.call
        yield from _requires(dependency)


def _contexts(app: FastAPI) -> Iterator[Any]:
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):  # FastAPI >= 0.120: included routers
            yield from route.effective_route_contexts()
        elif hasattr(route, "dependant"):
            yield route


def route_rules(app: FastAPI) -> list[RouteRule]:
    """Every HTTP route with what it requires, sorted by path then method."""
    rules: list[RouteRule] = []
    for context in _contexts(app):
        gates = list(_requires(context.dependant))
        permission = next((g.permission for g in gates if g.permission is not None), None)
        session_only = any(g.session_only for g in gates)
        for method in sorted(context.methods or ()):
            if method == "HEAD":
                continue
            rules.append(
                RouteRule(
                    method,
                    context.path,
                    bool(gates),
                    permission,
                    bool(context.include_in_schema),
                    session_only,
                )
            )
    return sorted(rules, key=lambda r: (r.path, r.method))
