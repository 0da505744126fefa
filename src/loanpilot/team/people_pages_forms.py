"""Helpers of the team's console forms: reading typed values out of a submitted form (each bad
value becomes a problem beside its field, what was typed is kept), problems in the page's language,
and the request's business date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

from loanpilot.access.rules import Principal
from loanpilot.config import Settings
from loanpilot.kit.clock import to_business_date
from loanpilot.kit.errors import FieldProblem
from loanpilot.team import people
from loanpilot.team import people_rules as rules
from loanpilot.team import people_rules_training as trules
from loanpilot.web.auth import client_address, clock
from loanpilot.web.i18n import MESSAGES, Lang, translate
from loanpilot.web.render import request_lang


def today(request: Request) -> date:
    settings: Settings = request.app.state.settings
    return to_business_date(clock(request), settings.tz)


def notice_days(request: Request) -> int:
    settings: Settings = request.app.state.settings
    return settings.cert_expiry_notice_days


def actor(request: Request, principal: Principal) -> people.Actor:
    return people.Actor.of(principal, client_address(request))


def problem_text(p: FieldProblem, lang: Lang) -> str:
    if isinstance(p, rules.Problem) and f"team.problem.{p.code}" in MESSAGES:
        return translate(f"team.problem.{p.code}", lang, **dict(p.params))
    return p.message


def localised(problems: Iterable[FieldProblem], request: Request) -> list[dict[str, Any]]:
    lang = request_lang(request)
    return [{"field": p.field, "row": p.row, "source": p.source, "message": problem_text(p, lang)}
            for p in problems]  # fmt: skip


def conflict_text(code: str, request: Request) -> str:
    key = f"team.conflict.{code}"
    return translate(key if key in MESSAGES else "team.conflict.other", request_lang(request))


def texts(form: FormData, names: Iterable[str]) -> dict[str, str]:
    """The submitted text of each field (missing or a file: empty), stripped."""
    out: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        out[name] = value.strip() if isinstance(value, str) else ""
    return out


class Reader:
    """Typed values out of a form's texts; each bad value is a problem on its field."""

    def __init__(self, form: dict[str, str]) -> None:
        self.form = form
        self.problems: list[rules.Problem] = []

    def date(self, name: str, *, required: bool = False) -> date | None:
        text = self.form.get(name, "")
        if not text:
            if required:
                self.problems.append(rules.problem(name, "required"))
            return None
        value = trules.parse_date(text)
        if value is None:
            self.problems.append(rules.problem(name, "not_a_date"))
        return value

    def decimal(self, name: str) -> Decimal | None:
        text = self.form.get(name, "")
        if not text:
            return None
        value = trules.parse_decimal(text)
        if value is None:
            self.problems.append(rules.problem(name, "not_a_number"))
        return value

    def integer(self, name: str) -> int | None:
        text = self.form.get(name, "")
        if not text:
            return None
        if not text.isdigit() or len(text) > 15:
            self.problems.append(rules.problem(name, "not_a_number"))
            return None
        return int(text)
