"""The campaign plan form of the console: its fields as text (what was typed is kept on a failed
submit), parsed into the API's shapes with every parsing problem named by its field, and the rows
of a stored plan turned back into text.

Field names follow the problems of ``campaigns.rules`` (``goals[1].target``); money is typed in
yuan and shares in per cent. Blank rows are left out; a problem of a row is reported under the row
the reader typed it in, not its position among the filled ones."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import pydantic

from loanpilot.campaigns import rules
from loanpilot.campaigns.schemas import (
    ArmWrite,
    BudgetLineWrite,
    CampaignCreate,
    CampaignUpdate,
    GoalWrite,
    PlaceWrite,
    WindowWrite,
)
from loanpilot.campaigns.service import Plan
from loanpilot.kit.clock import SHANGHAI
from loanpilot.kit.errors import FieldProblem

SCALARS = ("code", "name", "theme", "description", "channel", "product_id", "branch_id",
           "starts_on", "ends_on", "control_share", "contact_cost_fen", "budget_fen")  # fmt: skip
ROWS: dict[str, tuple[str, ...]] = {
    "goals": ("metric", "target"),
    "places": ("kind", "name", "branch_id", "city", "starts_at", "ends_at"),
    "windows": ("label", "starts_on", "ends_on", "weekdays", "start_hour", "end_hour", "segment_code"),
    "arms": ("arm", "product_id", "channel", "headline_zh", "headline_en", "rate_discount_bp",
             "fee_waived", "contact_cost_fen", "share"),
}  # fmt: skip
#: The fields whose being filled makes a row count (selects with a default do not).
_FILLED = {
    "goals": ("target",),
    "places": ("name", "starts_at", "ends_at"),
    "windows": ("label", "starts_on", "ends_on"),
    "arms": ("arm", "headline_zh"),
}
MIN_ROWS = {"goals": 3, "places": 2, "windows": 2, "arms": 2}
_INDEX = re.compile(r"^(goals|places|windows|arms)\[(\d{1,3})\]\.")
_HUNDRED = Decimal(100)
_EARLIEST, _LATEST = date(1900, 1, 1), date(9999, 12, 31)


def form_of(submitted: Mapping[str, Any], lists: Mapping[str, list[str]]) -> dict[str, Any]:
    """What was typed, as text: the scalars, the rows, the budget per category, the segments
    ticked (``segments``: ``run:code``) and the audiences to suggest windows for."""
    form: dict[str, Any] = {k: str(submitted.get(k, "")) for k in SCALARS}
    for key, value in submitted.items():
        if _INDEX.match(key) and isinstance(value, str):
            form[key] = value
    for category in rules.BUDGET_CATEGORIES:
        form[f"budget.{category}"] = str(submitted.get(f"budget.{category}", ""))
    form["segments"] = [v for v in lists.get("segments", []) if isinstance(v, str)]
    form["suggest_for"] = [v for v in lists.get("suggest_for", []) if isinstance(v, str)]
    return form


def row_count(form: Mapping[str, Any], part: str, extra: int = 1) -> int:
    """How many rows of ``part`` the form shows: those typed plus ``extra`` blank ones."""
    indices = [int(m.group(2)) for k in form if (m := _INDEX.match(k)) and m.group(1) == part]
    return max(MIN_ROWS[part], (max(indices) + 1 + extra) if indices else 0)


# --- text to values -------------------------------------------------------------------------------


@dataclass
class FormReader:
    form: Mapping[str, Any]
    problems: list[FieldProblem]

    def text(self, name: str) -> str:
        return str(self.form.get(name, "")).strip()

    def number(self, name: str, *, scale: Decimal = Decimal(1)) -> Decimal | None:
        raw = self.text(name).replace(",", "").replace("，", "")
        if not raw:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or abs(value) > Decimal(10) ** 15:
            self.problems.append(rules.problem(name, "not_a_number"))
            return None
        return value * scale

    def fen(self, name: str) -> int | None:
        """Yuan typed, fen returned (half up to the fen)."""
        value = self.number(name, scale=_HUNDRED)
        return None if value is None else int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def integer(self, name: str) -> int | None:
        value = self.number(name)
        if value is None:
            return None
        if value != value.to_integral_value():
            self.problems.append(rules.problem(name, "not_a_number"))
            return None
        return int(value)

    def percent(self, name: str) -> Decimal | None:
        value = self.number(name)
        return None if value is None else (value / _HUNDRED).quantize(Decimal("0.0001"))

    def day(self, name: str) -> date | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.problems.append(rules.problem(name, "not_a_date"))
            return None

    def moment(self, name: str) -> datetime | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            return datetime.fromisoformat(raw).replace(tzinfo=SHANGHAI)
        except ValueError:
            self.problems.append(rules.problem(name, "not_a_date"))
            return None

    def required(self, name: str, value: object) -> bool:
        if value is None:
            if not any(p.field == name for p in self.problems):
                self.problems.append(rules.problem(name, "required"))
            return False
        return True


@dataclass
class Parsed:
    """The form as the API's shapes, the parsing problems, and where each row was typed."""

    values: dict[str, Any]
    problems: list[FieldProblem]
    renames: dict[str, str]  # "goals[0]" (among the filled rows) -> "goals[2]" (as typed)

    def rename(self, problems: Sequence[FieldProblem]) -> list[FieldProblem]:
        out: list[FieldProblem] = []
        for problem in problems:
            p = problem
            m = _INDEX.match(p.field) or re.match(r"^(budget_lines)\[(\d+)\]", p.field)
            key = m.group(0).rstrip(".") if m else ""
            if key in self.renames:
                p = FieldProblem(
                    self.renames[key] + p.field[len(key) :], p.message, p.row, p.source
                )
            out.append(p)
        return out


def _rows(r: FormReader, part: str) -> list[tuple[int, dict[str, str]]]:
    count = row_count(r.form, part, extra=0)
    rows = []
    for i in range(count):
        at = f"{part}[{i}]"
        if any(r.text(f"{at}.{name}") for name in _FILLED[part]):
            rows.append((i, {name: f"{at}.{name}" for name in ROWS[part]}))
    return rows


def parse(form: Mapping[str, Any]) -> Parsed:
    """Parse the form; values hold what could be read (the rules report the rest)."""
    r = FormReader(form, [])
    renames: dict[str, str] = {}
    starts_on, ends_on = r.day("starts_on"), r.day("ends_on")
    r.required("starts_on", starts_on)
    r.required("ends_on", ends_on)
    product_id, branch_id = r.integer("product_id"), r.integer("branch_id")
    values: dict[str, Any] = {
        "code": r.text("code") or None, "name": r.text("name"), "theme": r.text("theme"),
        "description": r.text("description") or None, "channel": r.text("channel"),
        "product_id": product_id if product_id and product_id > 0 else None,
        "branch_id": branch_id if branch_id and branch_id > 0 else None,
        # unreadable dates stand aside so that no window or place reads as outside them
        "starts_on": starts_on or _EARLIEST, "ends_on": ends_on or _LATEST,
        "control_share": r.percent("control_share") if r.text("control_share") else Decimal("0.1"),
        "contact_cost_fen": r.fen("contact_cost_fen") or 0, "budget_fen": r.fen("budget_fen"),
    }  # fmt: skip
    if values["control_share"] is None:
        values["control_share"] = Decimal("0.1")
    goals: list[GoalWrite] = []
    for i, f in _rows(r, "goals"):
        target = r.number(f["target"])
        if target is not None:
            renames[f"goals[{len(goals)}]"] = f"goals[{i}]"
            goals.append(GoalWrite(metric=r.text(f["metric"]), target=target))
    places: list[PlaceWrite] = []
    for i, f in _rows(r, "places"):
        starts_at, ends_at = r.moment(f["starts_at"]), r.moment(f["ends_at"])
        pb = r.integer(f["branch_id"])
        if r.required(f["starts_at"], starts_at) & r.required(f["ends_at"], ends_at):
            renames[f"places[{len(places)}]"] = f"places[{i}]"
            places.append(PlaceWrite(kind=r.text(f["kind"]), name=r.text(f["name"])[:400],
                                     branch_id=pb if pb and pb > 0 else None,
                                     city=r.text(f["city"])[:32] or None,
                                     starts_at=starts_at, ends_at=ends_at))  # fmt: skip
    windows: list[WindowWrite] = []
    for i, f in _rows(r, "windows"):
        first, last = r.day(f["starts_on"]), r.day(f["ends_on"])
        start_hour, end_hour = r.integer(f["start_hour"]), r.integer(f["end_hour"])
        if r.required(f["starts_on"], first) & r.required(f["ends_on"], last):
            renames[f"windows[{len(windows)}]"] = f"windows[{i}]"
            windows.append(WindowWrite(
                label=r.text(f["label"])[:128], starts_on=first, ends_on=last,
                weekdays=r.text(f["weekdays"])[:16] or "1234567",
                start_hour=9 if start_hour is None else max(-1, min(start_hour, 99)),
                end_hour=21 if end_hour is None else max(-1, min(end_hour, 99)),
                segment_code=r.text(f["segment_code"])[:64] or None,
            ))  # fmt: skip
    arms: list[ArmWrite] = []
    for i, f in _rows(r, "arms"):
        arm_product = r.integer(f["product_id"])
        if r.required(f["product_id"], arm_product if arm_product and arm_product > 0 else None):
            renames[f"arms[{len(arms)}]"] = f"arms[{i}]"
            share = r.percent(f["share"]) if r.text(f["share"]) else Decimal(1)
            discount = r.integer(f["rate_discount_bp"])
            label = r.text(f["arm"])
            if len(label) > 16:  # the column's width: said beside the field, not a 500
                r.problems.append(rules.problem(f"arms[{i}].arm", "too_long", max=16))
            arms.append(ArmWrite(
                arm=label[:16], product_id=arm_product, channel=r.text(f["channel"]),
                headline_zh=r.text(f["headline_zh"])[:400], headline_en=r.text(f["headline_en"])[:400] or None,
                rate_discount_bp=max(-1, min(discount or 0, 1_000_000)),
                fee_waived=bool(r.text(f["fee_waived"])),
                contact_cost_fen=r.fen(f["contact_cost_fen"]) or 0,
                share=share if share is not None else Decimal(1),
            ))  # fmt: skip
    lines: list[BudgetLineWrite] = []
    for category in rules.BUDGET_CATEGORIES:
        planned = r.fen(f"budget.{category}")
        if planned is not None:
            renames[f"budget_lines[{len(lines)}]"] = f"budget.{category}"
            lines.append(BudgetLineWrite(category=category, planned_fen=planned))
    runs = {v.split(":", 1)[0] for v in form.get("segments", []) if ":" in v}
    codes = [v.split(":", 1)[1][:64] for v in form.get("segments", []) if ":" in v]
    if len(runs) > 1:
        r.problems.append(rules.problem("segment_codes", "one_run"))
    run = next(iter(runs)) if len(runs) == 1 else ""
    values |= {"goals": goals, "places": places, "windows": windows, "arms": arms,
               "budget_lines": lines, "segment_codes": codes,
               "segment_run_id": int(run) if run.isdigit() and 0 < int(run) < 2**53 else None}  # fmt: skip
    return Parsed(values, r.problems, renames)


def _pydantic_problems(exc: pydantic.ValidationError) -> list[FieldProblem]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        name = loc[0] if loc else "form"
        if len(loc) > 1 and loc[1].isdigit():
            name = f"{loc[0]}[{loc[1]}]" + (f".{loc[2]}" if len(loc) > 2 else "")
        out.append(FieldProblem(name, str(err.get("msg", ""))))
    return out


def to_create(parsed: Parsed) -> tuple[CampaignCreate | None, list[FieldProblem]]:
    try:
        return CampaignCreate(**parsed.values), []
    except pydantic.ValidationError as exc:
        return None, _pydantic_problems(exc)


def to_update(parsed: Parsed) -> tuple[CampaignUpdate | None, list[FieldProblem]]:
    values = {k: v for k, v in parsed.values.items() if k != "code"}
    try:
        return CampaignUpdate(**values), []
    except pydantic.ValidationError as exc:
        return None, _pydantic_problems(exc)


# --- values to text ---------------------------------------------------------------------------------


def yuan_text(fen: int | None) -> str:
    if fen is None:
        return ""
    whole, cents = divmod(int(fen), 100)
    return f"{whole}" if cents == 0 else f"{whole}.{cents:02d}"


def percent_text(share: Decimal) -> str:
    text = f"{(Decimal(share) * _HUNDRED).normalize():f}"
    return "0" if text in ("-0", "0") else text


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def form_of_plan(plan: Plan, code: str = "") -> dict[str, Any]:
    """A stored plan as the form shows it."""
    form: dict[str, Any] = {
        "code": code, "name": plan.name, "theme": plan.theme, "description": plan.description or "",
        "channel": plan.channel, "product_id": str(plan.product_id or ""),
        "branch_id": str(plan.branch_id or ""), "starts_on": plan.starts_on.isoformat(),
        "ends_on": plan.ends_on.isoformat(), "control_share": percent_text(plan.control_share),
        "contact_cost_fen": yuan_text(plan.contact_cost_fen), "budget_fen": yuan_text(plan.budget_fen),
        "segments": [f"{plan.segment_run_id}:{c}" for c in plan.segment_codes],
        "suggest_for": [],
    }  # fmt: skip
    for i, g in enumerate(plan.goals):
        form |= {f"goals[{i}].metric": g.metric, f"goals[{i}].target": f"{g.target.normalize():f}"}
    for i, p in enumerate(plan.places):
        form |= {f"places[{i}].{k}": v for k, v in {
            "kind": p.kind, "name": p.name, "branch_id": str(p.branch_id or ""), "city": p.city or "",
            "starts_at": _local(p.starts_at), "ends_at": _local(p.ends_at)}.items()}  # fmt: skip
    for i, w in enumerate(plan.windows):
        form |= window_fields(i, w.label, w.starts_on, w.ends_on, w.weekdays, w.start_hour,
                              w.end_hour, w.segment_code)  # fmt: skip
    for i, a in enumerate(plan.arms):
        form |= {f"arms[{i}].{k}": v for k, v in {
            "arm": a.arm, "product_id": str(a.product_id), "channel": a.channel,
            "headline_zh": a.headline_zh, "headline_en": a.headline_en or "",
            "rate_discount_bp": str(a.rate_discount_bp), "fee_waived": "1" if a.fee_waived else "",
            "contact_cost_fen": yuan_text(a.contact_cost_fen), "share": percent_text(a.share)}.items()}  # fmt: skip
    for line in plan.budget_lines:
        form[f"budget.{line.category}"] = yuan_text(line.planned_fen)
    return form


def window_fields(i: int, label: str, first: date, last: date, weekdays: str, start: int, end: int,
                  segment_code: str | None = None) -> dict[str, str]:  # fmt: skip
    return {f"windows[{i}].{k}": v for k, v in {
        "label": label, "starts_on": first.isoformat(), "ends_on": last.isoformat(),
        "weekdays": weekdays, "start_hour": str(start), "end_hour": str(end),
        "segment_code": segment_code or ""}.items()}  # fmt: skip


def add_windows(
    form: dict[str, Any], drafts: Sequence[rules.WindowDraft], labels: Mapping[str, str]
) -> int:
    """Append suggested windows after the typed ones (those already there skipped); how many."""
    taken = {(str(form.get(f"windows[{i}].label", "")), str(form.get(f"windows[{i}].starts_on", "")))
             for i in range(row_count(form, "windows", extra=0))}  # fmt: skip
    filled = [i for i in range(row_count(form, "windows", extra=0))
              if any(str(form.get(f"windows[{i}].{n}", "")).strip() for n in _FILLED["windows"])]  # fmt: skip
    at = (max(filled) + 1) if filled else 0
    added = 0
    for d in drafts:
        label = labels.get(d.suggestion or "", d.label)
        if (label, d.starts_on.isoformat()) in taken:
            continue
        form |= window_fields(
            at, label, d.starts_on, d.ends_on, d.weekdays, d.start_hour, d.end_hour
        )
        at += 1
        added += 1
    return added
