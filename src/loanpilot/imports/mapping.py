"""Column mapping: which column of the file holds which of our fields.

A header is matched, in this order, by the user's mapping (``--mapping mapping.json`` and
``--map "证件号码=id_number"``; a mapping to ``null`` or ``""`` ignores the column), by our field
name, and by the built-in Chinese and English aliases of each field. Headers are compared after
NFKC normalisation (full-width letters and brackets become ASCII), with spaces, underscores,
dashes and required-field stars removed, case-folded. A unit in brackets at the end of a header is
understood: ``月收入(元)``, ``贷款金额(万元)`` (amounts in ten thousands of yuan), ``年利率(%)``
(bare numbers are percentages), ``期限(月)``.

Every problem (unknown column, missing required field, two columns for one field, a mapping to a
field that does not exist) is collected and raised once as :class:`ImportFileError`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from loanpilot.imports.table import RawTable
from loanpilot.kit.errors import FieldProblem, ImportFileError

HEADER_ROW = 1
_UNITS = {
    "元": "yuan",
    "人民币元": "yuan",
    "yuan": "yuan",
    "rmb": "yuan",
    "cny": "yuan",
    "万元": "wan",
    "%": "percent",
    "百分比": "percent",
    "月": "months",
    "个月": "months",
}
_UNIT_SUFFIX = re.compile(r"\(([^()]*)\)$")
_SEPARATORS = re.compile(r"[\s_\-]+")


@dataclass(frozen=True)
class FieldSpec:
    """One field an import understands."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    personal: str | None = None
    """How values are masked in rejects and messages: ``id``, ``phone``, ``name`` or None."""


@dataclass(frozen=True)
class Column:
    """A file column bound to one of our fields."""

    field: str
    position: int
    header: str
    unit: str = ""
    """``yuan``, ``wan`` (万元), ``percent`` or ``months`` from the header's bracketed unit."""


def split_header(text: str) -> tuple[str, str]:
    """``(key, unit)``: the comparison key of a header and its bracketed unit, if any."""
    clean = unicodedata.normalize("NFKC", text).strip().strip("*").strip()
    unit = ""
    match = _UNIT_SUFFIX.search(clean)
    if match and match.group(1).strip().casefold() in _UNITS:
        unit = _UNITS[match.group(1).strip().casefold()]
        clean = clean[: match.start()]
    elif clean.endswith("%") and len(clean) > 1:
        unit, clean = "percent", clean[:-1]
    return _SEPARATORS.sub("", clean).strip("*").casefold(), unit


def header_key(text: str) -> str:
    return split_header(text)[0]


def load_mapping(mapping_file: Path | None, pairs: Sequence[str] = ()) -> dict[str, str | None]:
    """The user's mapping: ``mapping_file`` (a JSON object) overridden by ``--map`` pairs."""
    mapping: dict[str, str | None] = {}
    if mapping_file is not None:
        name = mapping_file.name
        try:
            loaded = json.loads(mapping_file.read_text(encoding="utf-8-sig"))
        except FileNotFoundError as exc:
            raise ImportFileError("import.mapping", f"{mapping_file}: no such file") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ImportFileError(
                "import.mapping", f"{name}: not a JSON file in UTF-8 ({exc})"
            ) from exc
        if not isinstance(loaded, dict):
            raise ImportFileError(
                "import.mapping",
                f'{name}: must be a JSON object of "file column": "field", '
                f"got {type(loaded).__name__}",
            )
        for column, target in loaded.items():
            if target is not None and not isinstance(target, str):
                raise ImportFileError(
                    "import.mapping",
                    f"{name}: the field for column {column!r} must be a string or null, "
                    f"got {target!r}",
                )
            mapping[str(column)] = target or None
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep or not column.strip():
            raise ImportFileError(
                "import.mapping",
                f"--map {pair!r}: write it as 'file column=field' (e.g. '证件号码=id_number')",
            )
        mapping[column.strip()] = target.strip() or None
    return mapping


def resolve_columns(
    table: RawTable,
    kind: str,
    specs: Sequence[FieldSpec],
    mapping: Mapping[str, str | None] | None = None,
    *,
    ignore_unknown: bool = False,
    one_of: Sequence[tuple[str, ...]] = (),
) -> dict[str, Column]:
    """Bind the file's columns to fields; raise one ``ImportFileError`` listing every problem."""
    source = table.source
    by_name = {spec.name: spec for spec in specs}
    index: dict[str, str] = {}
    for spec in specs:
        for alias in (spec.name, *spec.aliases):
            index.setdefault(header_key(alias), spec.name)
    user = {header_key(k): v for k, v in (mapping or {}).items()}
    problems: list[FieldProblem] = []
    for column, target in (mapping or {}).items():
        if target is not None and target not in by_name:
            problems.append(
                FieldProblem(
                    column,
                    f"the mapping sends column {column!r} to {target!r}, which is not a field "
                    f"of a {kind} import (fields: {', '.join(by_name)})",
                    None,
                    source,
                )
            )
    bound: dict[str, Column] = {}
    for position, header in enumerate(table.headers):
        key, unit = split_header(header)
        if not key:
            if _has_values(table, position):
                problems.append(
                    FieldProblem(
                        f"column {position + 1}",
                        "the column has values but no header",
                        HEADER_ROW,
                        source,
                    )
                )
            continue
        if key in user:
            target = user[key]
            if target is None or target not in by_name:
                continue  # ignored on purpose, or reported above
        elif key in index:
            target = index[key]
        else:
            if not ignore_unknown:
                problems.append(
                    FieldProblem(
                        header,
                        f"unknown column: map it with --map '{header}=<field>' or pass "
                        f"--ignore-unknown (fields of a {kind} import: {', '.join(by_name)})",
                        HEADER_ROW,
                        source,
                    )
                )
            continue
        if target in bound:
            problems.append(
                FieldProblem(
                    header,
                    f"columns {bound[target].header!r} and {header!r} both map to {target}",
                    HEADER_ROW,
                    source,
                )
            )
            continue
        bound[target] = Column(target, position, header, unit)
    for spec in specs:
        if spec.required and spec.name not in bound:
            problems.append(_missing(spec, source))
    for group in one_of:
        if not any(name in bound for name in group):
            problems.append(
                FieldProblem(
                    " or ".join(group),
                    f"missing column: the file needs one of {', '.join(group)}",
                    HEADER_ROW,
                    source,
                )
            )
    if problems:
        raise ImportFileError(
            "import.columns", f"{source}: the columns do not fit a {kind} import", problems
        )
    return bound


def _missing(spec: FieldSpec, source: str) -> FieldProblem:
    names = ", ".join(spec.aliases[:3])
    hint = f" (a header such as {names}, or map one with --map)" if names else ""
    return FieldProblem(
        spec.name, f"missing column: the field {spec.name} is required{hint}", HEADER_ROW, source
    )


def _has_values(table: RawTable, position: int) -> bool:
    values = table.frame[position].to_numpy(dtype=object)
    return any(str(v).strip() for v in values)
