"""The plan editor's form: field names are the problems' field names (``indicators[2].weight``), so
every problem lands beside its field; what was typed is kept as typed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from loanpilot.team import appraisal_rules as rules
from loanpilot.team.appraisal_schemas import IndicatorWrite, PlanRead

ROW_FIELDS = ("code", "name", "kind", "weight", "target", "higher", "curve", "floor", "cap",
              "scale_min", "scale_max")  # fmt: skip
_NUMBERS = ("weight", "target", "floor", "cap", "scale_min", "scale_max")
_ATTR = {"weight": "weight_pct"}


def at(i: int, name: str) -> str:
    return f"indicators[{i}].{name}"


def _text(value: Decimal | None) -> str:
    return "" if value is None else rules.pct_text(Decimal(value))


def form_of_writes(name: str, role: str, period: str, inds: list[IndicatorWrite]) -> dict[str, Any]:
    form: dict[str, Any] = {"name": name, "role": role, "period": period}
    for i, w in enumerate(inds):
        form |= {at(i, "code"): w.code, at(i, "name"): w.name, at(i, "kind"): w.kind,
                 at(i, "weight"): _text(w.weight_pct), at(i, "target"): _text(w.target),
                 at(i, "higher"): "1" if w.higher_is_better else "", at(i, "curve"): w.curve,
                 at(i, "floor"): _text(w.floor), at(i, "cap"): _text(w.cap),
                 at(i, "scale_min"): _text(w.scale_min), at(i, "scale_max"): _text(w.scale_max)}  # fmt: skip
    return form


def form_of_plan(plan: PlanRead) -> dict[str, Any]:
    writes = []
    for i in plan.indicators:
        c = i.curve
        writes.append(IndicatorWrite.model_construct(
            code=i.code, name=i.name, kind=i.kind, weight_pct=i.weight_pct, target=i.target,
            higher_is_better=i.higher_is_better, curve=str(c.get("type", "linear")),
            floor=_dec(c.get("floor")), cap=_dec(c.get("cap")), scale_min=_dec(c.get("scale_min")),
            scale_max=_dec(c.get("scale_max"))))  # fmt: skip
    return form_of_writes(plan.name, plan.role, plan.period, writes)


def _dec(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def row_count(form: Mapping[str, Any], extra: int = 2) -> int:
    used = [i for i in range(200) if any(form.get(at(i, f)) for f in ("code", "name", "weight"))]
    return (max(used) + 1 if used else 0) + extra


def weights_total(form: Mapping[str, Any]) -> str:
    total = Decimal(0)
    for i in range(row_count(form, 0)):
        try:
            total += rules.parse_decimal(form.get(at(i, "weight"))) or Decimal(0)
        except ValueError:
            continue
    return rules.pct_text(rules.cents(total))


@dataclass
class Parsed:
    indicators: list[IndicatorWrite] = field(default_factory=list)
    problems: list[rules.Problem] = field(default_factory=list)


def parse(form: Mapping[str, Any]) -> Parsed:
    """The indicator rows that were filled in (blank rows ignored), numbers checked."""
    out = Parsed()
    kept = 0
    for i in range(row_count(form, 0)):
        if not any(str(form.get(at(i, f), "")).strip() for f in ("code", "name", "weight",
                                                                "target")):  # fmt: skip
            continue
        values: dict[str, Any] = {}
        for name in _NUMBERS:
            try:
                values[_ATTR.get(name, name)] = rules.parse_decimal(form.get(at(i, name)))
            except ValueError:
                out.problems.append(rules.problem(at(kept, name), "not_a_number"))
                values[_ATTR.get(name, name)] = None
        out.indicators.append(IndicatorWrite.model_construct(
            code=str(form.get(at(i, "code"), "")).strip(), name=str(form.get(at(i, "name"), "")),
            kind=str(form.get(at(i, "kind"), "")), higher_is_better=bool(form.get(at(i, "higher"))),
            curve=str(form.get(at(i, "curve"), "linear")), **values))  # fmt: skip
        kept += 1
    return out


def compact(form: Mapping[str, Any]) -> dict[str, Any]:
    """The form with blank rows removed and rows renumbered, as :func:`parse` numbered them, so
    problems (named by the parsed row) sit beside the row they are about."""
    out = {k: v for k, v in form.items() if not k.startswith("indicators[")}
    kept = 0
    for i in range(row_count(form, 0)):
        if not any(str(form.get(at(i, f), "")).strip() for f in ("code", "name", "weight",
                                                                "target")):  # fmt: skip
            continue
        for name in ROW_FIELDS:
            out[at(kept, name)] = form.get(at(i, name), "")
        kept += 1
    return out
