"""Render the work plan (``plan_doc.PlanDocument``) to one self-contained HTML page.

* Numbers: every value is formatted here by its unit and the language (``format_value``); the
  prose is a template whose ``{key}`` placeholders name figures of the same section
  (``fill``), so no number is typed into prose by hand. An unknown key is a
  ``PlanTemplateError`` when ``strict`` (the tests), otherwise a dash and a logged warning.
* Sources: every figure, table and chart carries its query; the sources are numbered in reading
  order (``SourceIndex``) and listed in the appendix (数据来源), and each number links to its
  entry.
* Charts: inline SVG from ``plan_svg``; the page has no script and fetches nothing, so the
  PDF printer needs no network or JavaScript. Print CSS starts each chapter on a new page.

The template is ``web/templates/plan/plan.html`` (read as a file; nothing of ``web`` is imported).
"""

from __future__ import annotations

import logging
import math
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jinja2
from markupsafe import Markup, escape

from loanpilot.evaluation import plan_svg
from loanpilot.evaluation.plan_common import period_name
from loanpilot.evaluation.plan_doc import PlanDocument
from loanpilot.evaluation.plan_types import Chart, Figure, Section, Table, Unit, Value

logger = logging.getLogger(__name__)
Lang = Literal["zh", "en"]
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "web" / "templates" / "plan"
TEMPLATE = "plan.html"
_FORMATTER = string.Formatter()


class PlanTemplateError(ValueError):
    """A paragraph names a figure its section does not have."""


# --- values ---------------------------------------------------------------------------------------


def _number(value: Value) -> float | None:
    if value is None or isinstance(value, str):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _exact(value: Value) -> Decimal | None:
    """A numeric value as an exact Decimal (floats through their shortest text); None for a
    missing, textual or non-finite value."""
    if value is None or isinstance(value, str | bool):
        return None
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    return exact if exact.is_finite() else None


def _half_up(value: Decimal, places: int = 2) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 40
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return abs(rounded) if rounded == 0 else rounded  # no "-0.00"


def format_fen(fen: Decimal | int | float, lang: Lang) -> str:
    """Money: ``123.46万元`` / ``1.20亿元`` / ``8,650.00元`` in Chinese; ``¥1.23 million`` /
    ``¥8,650.00`` in English. Rounded half-up in Decimal, as the dashboard and a bank counter
    round (12,345,678 fen → 12.35万元; 1,115,000 fen → 1.12万元, where a float would give 1.11)."""
    yuan = (fen if isinstance(fen, Decimal) else Decimal(str(fen))).scaleb(-2)
    size = abs(yuan)
    if lang == "zh":
        if size >= Decimal("1e8"):
            return f"{_half_up(yuan.scaleb(-8)):,}亿元"
        if size >= Decimal("1e4"):
            return f"{_half_up(yuan.scaleb(-4)):,}万元"
        return f"{_half_up(yuan):,}元"
    sign = "-" if yuan < 0 else ""
    if size >= Decimal("1e9"):
        return f"{sign}¥{_half_up(size.scaleb(-9)):,} billion"
    if size >= Decimal("1e6"):
        return f"{sign}¥{_half_up(size.scaleb(-6)):,} million"
    return f"{sign}¥{_half_up(size):,}"


def _grouped(number: Decimal, places: int) -> str:
    return f"{_half_up(number, places):,}"


def format_value(value: Value, unit: Unit, lang: Lang) -> str:
    """A value as the reader sees it, rounded half-up in Decimal; None (or a non-number where a
    number is due) is a dash. ``pp`` is a difference of two rates or shares, in percentage
    points: 0.0037 → ``0.37个百分点`` / ``0.37 pp``."""
    if unit == "text":
        return "—" if value is None or value == "" else str(value)
    number = _exact(value)
    if number is None:
        return "—" if value is None or not isinstance(value, str) else value
    if unit == "fen":
        return format_fen(number, lang)
    if unit in ("pct", "rate"):
        return f"{_half_up(number * 100)}%"
    if unit == "pp":
        points = _half_up(number * 100)
        return f"{points}个百分点" if lang == "zh" else f"{points} pp"
    if unit == "count":
        return _grouped(number, 0) if number == number.to_integral_value() else _grouped(number, 1)
    if unit == "score":
        return _grouped(number, 2)
    if unit == "days":
        days = _grouped(number, 0) if number == number.to_integral_value() else _grouped(number, 1)
        return f"{days}天" if lang == "zh" else f"{days} days"
    return str(value)  # pragma: no cover - every unit is handled above


def _short(number: float, places: int = 2) -> str:
    """A chart label: grouped, at most ``places`` decimals, trailing zeros dropped, never in
    exponent notation (``193,700`` / ``1.5`` / ``0.06``)."""
    text = f"{number:,.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def axis_formatter(
    unit: Unit, lang: Lang, values: Sequence[float | None] = ()
) -> plan_svg.Formatter:
    """Tick and bar labels of a chart in ``unit``: money scaled once for the whole chart (万 or 亿
    in Chinese, ¥k / ¥m / ¥bn in English) so every label is short and readable; shares and rates
    as per cents with at most two decimals."""
    largest = max((abs(v) for v in values if v is not None and math.isfinite(v)), default=0.0)

    def percent(v: float) -> str:
        return f"{_short(v * 100)}%"

    def points(v: float) -> str:
        return _short(v * 100) + ("个百分点" if lang == "zh" else " pp")

    def plain(v: float) -> str:
        return _short(v)

    if unit == "fen":
        yuan = largest / 100
        if lang == "zh":
            scale, suffix = (1e10, "亿") if yuan >= 1e8 else (1e6, "万")
            return lambda v: f"{_short(v / scale)}{suffix}"
        scale, suffix = (1e11, "bn") if yuan >= 1e9 else (1e8, "m") if yuan >= 1e6 else (1e5, "k")
        return lambda v: f"¥{_short(v / scale)}{suffix}"
    if unit in ("pct", "rate"):
        return percent
    return points if unit == "pp" else plain


# --- sources --------------------------------------------------------------------------------------


@dataclass
class SourceIndex:
    """The sources in reading order: each gets a number the first time it is used, and records
    what used it (``section title: label``)."""

    numbers: dict[str, int] = field(default_factory=dict)
    uses: dict[str, list[str]] = field(default_factory=dict)

    def number(self, source: str, use: str) -> int:
        if source not in self.numbers:
            self.numbers[source] = len(self.numbers) + 1
            self.uses[source] = []
        if use not in self.uses[source]:
            self.uses[source].append(use)
        return self.numbers[source]

    def entries(self) -> list[tuple[int, str, list[str]]]:
        return [(n, s, self.uses[s]) for s, n in self.numbers.items()]


def placeholders(template: str) -> list[str]:
    """The ``{key}`` names of a paragraph template, in order."""
    return [name for _, name, _, _ in _FORMATTER.parse(template) if name is not None]


def check_section(section: Section) -> list[str]:
    """Problems of a section: placeholders naming no figure, duplicate figure keys."""
    keys = [f.key for f in section.figures]
    problems = [f"{section.key}: figure key {k!r} is used twice" for k in keys if keys.count(k) > 1]
    known = set(keys)
    for text in (*section.paragraphs_zh, *section.paragraphs_en):
        problems += [
            f"{section.key}: paragraph names unknown figure {{{name}}}"
            for name in placeholders(text)
            if name not in known
        ]
    return sorted(set(problems))


def _ref(number: int, source: str) -> Markup:
    return Markup('<sup class="ref"><a href="#src-{0}" title="{1}">{0}</a></sup>').format(
        number, source
    )


@dataclass
class Renderer:
    lang: Lang
    strict: bool = False
    sources: SourceIndex = field(default_factory=SourceIndex)

    def pick(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def value(self, figure: Figure) -> str:
        return format_value(figure.value, figure.unit, self.lang)

    def figure(self, section: Section, figure: Figure) -> Markup:
        """A figure's formatted value with the link to its source."""
        use = f"{self.pick(section.title_zh, section.title_en)}: "
        use += self.pick(figure.label_zh, figure.label_en)
        number = self.sources.number(figure.source, use)
        return Markup('<span class="fig" data-figure="{0}.{1}">{2}</span>').format(
            section.key, figure.key, self.value(figure)
        ) + _ref(number, figure.source)

    def fill(self, section: Section, template: str) -> Markup:
        """A paragraph with each ``{key}`` replaced by the figure's value and source link; a
        leading 【…】 or […] lead-in is set in bold (``split_lead_in``)."""
        figures = {f.key: f for f in section.figures}
        lead, template = split_lead_in(template)
        out = Markup("<strong>{0}</strong>").format(lead) if lead else Markup("")
        for literal, name, _spec, _conv in _FORMATTER.parse(template):
            out += escape(literal)
            if name is None:
                continue
            found = figures.get(name)
            if found is None:
                message = f"section {section.key!r}: paragraph names unknown figure {{{name}}}"
                if self.strict:
                    raise PlanTemplateError(message)
                logger.warning(message)
                out += Markup("—")
                continue
            out += self.figure(section, found)
        return out

    def paragraphs(self, section: Section) -> list[Markup]:
        texts = section.paragraphs_zh if self.lang == "zh" else section.paragraphs_en
        return [self.fill(section, text) for text in texts]

    def table(self, section: Section, table: Table) -> dict[str, Any]:
        title = self.pick(table.title_zh, table.title_en)
        number = self.sources.number(
            table.source, f"{self.pick(section.title_zh, section.title_en)}: {title}"
        )
        units = [c.unit for c in table.columns]
        rows = [
            [
                (format_value(cell, units[i] if i < len(units) else "text", self.lang),
                 units[i] != "text" if i < len(units) else False)
                for i, cell in enumerate(row)
            ]
            for row in table.rows
        ]  # fmt: skip
        return {
            "title": title,
            "columns": [
                (self.pick(c.label_zh, c.label_en), c.unit != "text") for c in table.columns
            ],
            "rows": rows,
            "ref": _ref(number, table.source),
            "source": table.source,
        }

    def chart(self, section: Section, chart: Chart) -> dict[str, Any]:
        title = self.pick(chart.title_zh, chart.title_en)
        number = self.sources.number(
            chart.source, f"{self.pick(section.title_zh, section.title_en)}: {title}"
        )
        series = [
            (self.pick(s.name_zh, s.name_en), [_number(v) for v in s.values]) for s in chart.series
        ]
        fmt = axis_formatter(chart.unit, self.lang, [v for _, vs in series for v in vs])
        if chart.kind == "pie":  # each slice labelled on its own scale (a small one is no "0亿")
            values = series[0][1] if series else []
            svg = plan_svg.pie_chart(title, chart.categories, values,
                                     lambda v: axis_formatter(chart.unit, self.lang, [v])(v))  # fmt: skip
        elif chart.kind == "line":
            svg = plan_svg.line_chart(title, chart.categories, series, fmt)
        else:
            svg = plan_svg.bar_chart(title, chart.categories, series, fmt)
        # plan_svg escapes every text it draws
        return {"title": title, "svg": Markup(svg), "ref": _ref(number, chart.source)}  # noqa: S704

    def section(self, section: Section) -> dict[str, Any]:
        return {
            "key": section.key,
            "title": self.pick(section.title_zh, section.title_en),
            "paragraphs": self.paragraphs(section),
            "figures": [
                {"label": self.pick(f.label_zh, f.label_en), "html": self.figure(section, f)}
                for f in section.figures
            ],
            "tables": [self.table(section, t) for t in section.tables],
            "charts": [self.chart(section, c) for c in section.charts],
            "notes": list(section.notes),
        }


def split_lead_in(template: str) -> tuple[str, str]:
    """A paragraph's leading 【…】 or […] (set in bold) and the rest."""
    for opening, closing in (("【", "】"), ("[", "]")):
        end = template.find(closing, 0, 40)
        if template.startswith(opening) and end > 0 and "{" not in template[:end]:
            return template[: end + 1], template[end + 1 :]
    return "", template


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(document: PlanDocument, lang: Lang = "zh", *, strict: bool = False) -> str:
    """The whole plan as one HTML page in ``lang``."""
    r = Renderer(lang=lang, strict=strict)
    summary = r.section(document.summary)
    chapters = []
    for chapter in document.chapters:
        chapters.append(
            {
                "number": chapter.number,
                "key": chapter.key,
                "title": r.pick(chapter.title_zh, chapter.title_en),
                "parts": [r.section(part) for part in chapter.parts],
                "multi": len(chapter.parts) > 1,
                "unavailable": chapter.unavailable,
            }
        )
    period = document.period
    context = {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "t": r.pick,
        "bank": r.pick(document.bank_name_zh, document.bank_name_en),
        "period_label": period_name(period, lang),
        "period": period.label,
        "as_of": document.as_of.isoformat(),
        "generated_at": document.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        "summary": summary,
        "chapters": chapters,
        "sources": r.sources.entries(),
    }
    return _environment().get_template(TEMPLATE).render(context)


def all_sources(sections: Sequence[Section]) -> list[str]:
    """Every source the sections name (figures, tables, charts), each once, in order."""
    seen: dict[str, None] = {}
    for s in sections:
        for source in (
            *(f.source for f in s.figures),
            *(t.source for t in s.tables),
            *(c.source for c in s.charts),
        ):
            seen.setdefault(source, None)
    return list(seen)


def as_decimal(value: Value) -> Decimal | None:
    """A figure's value as a Decimal (for comparisons in tests and the API)."""
    if value is None or isinstance(value, str):
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))
