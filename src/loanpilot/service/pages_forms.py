"""Reading the console's survey and review forms into their schemas, keeping what was typed so a
refused form comes back as it was. Question rows are ``q-{i}-{field}``; a row left blank is
ignored; choices are one per line ``value|中文|English``. Review items are ``item-{i}-{field}``."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from pydantic import ValidationError as SchemaError
from starlette.datastructures import FormData

from loanpilot.kit.errors import FieldProblem
from loanpilot.service import survey_rules as rules
from loanpilot.service.schemas import (
    ChoiceWrite,
    QuestionWrite,
    ReviewCreate,
    ReviewItemWrite,
    SurveyWrite,
)

SURVEY_SCALARS = ("code", "title", "kind", "trigger", "channel")
QUESTION_FIELDS = ("position", "kind", "text_zh", "text_en", "choices", "required")
ITEM_FIELDS = ("code", "label", "max_points", "points", "note")
MAX_ROWS = 30


def _text(form: FormData, key: str, limit: int = 2000) -> str:
    value = form.get(key, "")
    return value[:limit] if isinstance(value, str) else ""


def _rows(form: FormData, prefix: str) -> int:
    numbers = [int(m.group(1)) for k in form if (m := re.match(rf"^{prefix}-(\d+)-", k))]
    return min(max(numbers, default=-1) + 1, MAX_ROWS)


def survey_values(form: FormData) -> dict[str, Any]:
    """What the survey form holds, as typed."""
    values: dict[str, Any] = {k: _text(form, k, 400) for k in SURVEY_SCALARS}
    values["questions"] = [
        {f: _text(form, f"q-{i}-{f}") for f in QUESTION_FIELDS} for i in range(_rows(form, "q"))
    ]
    return values


def _choices(text: str) -> list[ChoiceWrite]:
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        value, zh = parts[0], parts[1] if len(parts) > 1 else parts[0]
        en = parts[2] if len(parts) > 2 else ""
        out.append(ChoiceWrite(value=value[:32], label_zh=zh[:100], label_en=en[:100]))
    return out


def choices_text(choices: list[dict[str, Any]]) -> str:
    return "\n".join(f"{c['value']}|{c['label_zh']}|{c.get('label_en', '')}" for c in choices)


def parse_survey(values: dict[str, Any]) -> tuple[SurveyWrite | None, list[FieldProblem]]:
    """The survey the form describes, or the problems that stop it being read."""
    problems: list[FieldProblem] = []
    questions: list[QuestionWrite] = []
    for i, q in enumerate(values["questions"]):
        if not (q["text_zh"].strip() or q["choices"].strip()):
            continue
        position = q["position"].strip() or str(len(questions) + 1)
        if not position.lstrip("-").isdecimal() or len(position) > 4:
            problems.append(rules.problem(f"questions[{i}].position", "position_range"))
            continue
        questions.append(
            QuestionWrite(
                position=int(position), kind=q["kind"], text_zh=q["text_zh"][:1000],
                text_en=q["text_en"][:1000], choices=_choices(q["choices"]),
                required=bool(q["required"]),
            )
        )  # fmt: skip
    try:
        body = SurveyWrite(
            code=values["code"][:40], title=values["title"][:400], kind=values["kind"][:20],
            trigger=values["trigger"][:20], channel=values["channel"][:20], questions=questions,
        )  # fmt: skip
    except SchemaError as exc:  # only a length bound can fail here
        return None, problems + [FieldProblem(str(e["loc"][0]), e["msg"]) for e in exc.errors()]
    return (None if problems else body), problems


def row_of(body: SurveyWrite, values: dict[str, Any]) -> dict[int, int]:
    """Index among the read questions → row of the form (blank rows skipped)."""
    rows = [
        i for i, q in enumerate(values["questions"]) if q["text_zh"].strip() or q["choices"].strip()
    ]
    return dict(enumerate(rows[: len(body.questions)]))


def remap(
    problems: list[FieldProblem], rows: dict[int, int], part: str = "questions"
) -> list[FieldProblem]:
    """Problems of the n-th read row renamed to the form's row."""
    out = []
    for p in problems:
        m = re.match(rf"^{part}\[(\d+)\](.*)$", p.field)
        if m and int(m.group(1)) in rows:
            out.append(replace(p, field=f"{part}[{rows[int(m.group(1))]}]{m.group(2)}"))
        else:
            out.append(p)
    return out


def item_rows(values: dict[str, Any]) -> dict[int, int]:
    rows = [
        i for i, it in enumerate(values["items"])
        if it["label"].strip() or it["points"].strip() or it["max_points"].strip()
    ]  # fmt: skip
    return dict(enumerate(rows))


def survey_form_of(body: SurveyWrite) -> dict[str, Any]:
    return {
        "code": body.code, "title": body.title, "kind": body.kind, "trigger": body.trigger,
        "channel": body.channel,
        "questions": [
            {"position": str(q.position), "kind": q.kind, "text_zh": q.text_zh,
             "text_en": q.text_en, "required": "1" if q.required else "",
             "choices": choices_text([c.model_dump() for c in q.choices])}
            for q in body.questions
        ],
    }  # fmt: skip


# --- quality reviews ---------------------------------------------------------------------------------


def review_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {
        k: _text(form, k, 2000) for k in ("kind", "staff_id", "reviewed_on", "comment")
    }
    values["items"] = [
        {f: _text(form, f"item-{i}-{f}", 200) for f in ITEM_FIELDS}
        for i in range(_rows(form, "item"))
    ]
    return values


def _int(text: str) -> int | None:
    t = text.strip()
    return int(t) if t.lstrip("-").isdecimal() and len(t) <= 6 else None


def parse_review(values: dict[str, Any]) -> tuple[ReviewCreate | None, list[FieldProblem]]:
    problems: list[FieldProblem] = []
    items: list[ReviewItemWrite] = []
    for i, it in enumerate(values["items"]):
        if not (it["label"].strip() or it["points"].strip() or it["max_points"].strip()):
            continue
        mx, pts = _int(it["max_points"]), _int(it["points"])
        if mx is None:
            problems.append(rules.problem(f"items[{i}].max_points", "item_max"))
        if pts is None:
            problems.append(rules.problem(f"items[{i}].points", "item_negative"))
        if mx is not None and pts is not None:
            items.append(ReviewItemWrite(code=it["code"][:32], label=it["label"][:100],
                                         max_points=max(min(mx, 1000), -1000),
                                         points=max(min(pts, 1000), -1000), note=it["note"][:200]))  # fmt: skip
    staff = _int(values["staff_id"])
    if staff is None or staff < 1:
        problems.append(rules.problem("staff_id", "required"))
    try:
        on = date.fromisoformat(values["reviewed_on"].strip())
    except ValueError:
        problems.append(rules.problem("reviewed_on", "required"))
        on = None
    if problems or staff is None or on is None:
        return None, problems
    return ReviewCreate(kind=values["kind"][:20], staff_id=staff, reviewed_on=on, items=items,
                        comment=values["comment"] or None), []  # fmt: skip
