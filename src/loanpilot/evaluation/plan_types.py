"""The building blocks of the generated marketing work plan (营销工作方案).

Each chapter of the plan is a :class:`Section` that an area builds from its own data
(``market.plan_section``, ``team.plan_section``, ``service.plan_section``,
``evaluation.plan_feedback`` ...) and ``evaluation.plan`` renders to HTML/PDF. Every number the
reader sees is a :class:`Figure` (or a cell of a :class:`Table`, a point of a :class:`Chart`) that
carries its ``source``: the query that produced it, written so a reader can rerun it (a KPI code
with its period and dimension, e.g. ``kpi:disbursed_fen period=2026Q4 by=branch``, or a named
query with its parameters, e.g. ``market.share period=2026Q4 line=housing``). The renderer lists
every source in the appendix (数据来源) and links each number to it.

Paragraphs are templates: ``{key}`` placeholders name figures of the same section and are filled
(formatted by unit and language) by the renderer, so no number is typed into prose by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

#: How a value is formatted: fen → ¥ amount (万元 for large), pct → fraction shown as %, count,
#: score (two decimals), rate → annual rate fraction shown as %, pp → a difference of two rates or
#: shares (a fraction) shown in percentage points (个百分点 / pp), days, text.
Unit = Literal["fen", "pct", "count", "score", "rate", "pp", "days", "text"]
Value = Decimal | int | float | str | None


@dataclass(frozen=True)
class Figure:
    key: str  # unique within its section, used by the paragraphs' {key} placeholders
    label_zh: str
    label_en: str
    value: Value
    unit: Unit
    source: str


@dataclass(frozen=True)
class Column:
    label_zh: str
    label_en: str
    unit: Unit = "text"


@dataclass(frozen=True)
class Table:
    title_zh: str
    title_en: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]
    source: str


@dataclass(frozen=True)
class Series:
    name_zh: str
    name_en: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Chart:
    title_zh: str
    title_en: str
    kind: Literal["bar", "line", "pie"]
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    unit: Unit
    source: str


@dataclass(frozen=True)
class Section:
    key: str  # market, customers, products, channels, team, campaigns, risk, service, evaluation
    title_zh: str
    title_en: str
    paragraphs_zh: tuple[str, ...] = ()
    paragraphs_en: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    notes: tuple[str, ...] = field(default=())  # data gaps the reader should know (its language)
