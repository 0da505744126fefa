"""Server-side pages of a table: which page, sorted by what, and the SQL to fetch just that page.

Shared by every list of the console and the API (repositories import it; it imports no area)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from loanpilot.kit.errors import FieldProblem, ValidationError

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class PageRequest:
    """Page ``number`` (from 1) of ``size`` rows sorted by ``sort`` (descending if ``desc``)."""

    number: int = 1
    size: int = DEFAULT_PAGE_SIZE
    sort: str = ""
    desc: bool = False


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: Sequence[T]
    total: int
    number: int
    size: int
    sort: str
    desc: bool

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def page_request(
    page: int | None, size: int | None, sort: str | None, allowed: Sequence[str], default: str
) -> PageRequest:
    """Validate paging parameters. ``sort`` is a column key, ``-key`` for descending."""
    problems: list[FieldProblem] = []
    number = 1 if page is None else page
    if number < 1:
        problems.append(FieldProblem("page", "must be 1 or more"))
    rows = DEFAULT_PAGE_SIZE if size is None else size
    if not 1 <= rows <= MAX_PAGE_SIZE:
        problems.append(FieldProblem("size", f"must be between 1 and {MAX_PAGE_SIZE}"))
    key = sort or default
    desc = key.startswith("-")
    key = key.lstrip("-")
    if key not in allowed:
        problems.append(FieldProblem("sort", f"must be one of {', '.join(allowed)} (or -key)"))
    if problems:
        raise ValidationError("paging.invalid", "The paging parameters are not valid", problems)
    return PageRequest(number=number, size=rows, sort=key, desc=desc)


def fetch_page(
    session: Session,
    query: Select[*tuple[Any, ...]],
    request: PageRequest,
    sort_columns: Mapping[str, ColumnElement[Any]],
    tie_breaker: ColumnElement[Any],
) -> Page[Any]:
    """Count the query's rows and fetch one sorted page of them (a stable order: ties by
    ``tie_breaker``). Out-of-range page numbers give the last page."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // request.size))
    number = min(request.number, pages)
    column = sort_columns[request.sort]
    order = [column.desc() if request.desc else column.asc(), tie_breaker]
    rows = session.execute(
        query.order_by(*order).offset((number - 1) * request.size).limit(request.size)
    ).all()
    return Page(
        rows=rows,
        total=total,
        number=number,
        size=request.size,
        sort=request.sort,
        desc=request.desc,
    )
