"""What the service pages and the survey form share: problems and conflicts in the reader's
language (``service.problem.<code>``, ``service.conflict.<code>``), and the actor of a request."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request

from loanpilot.access.rules import Principal
from loanpilot.kit.errors import FieldProblem
from loanpilot.service.survey_rules import Problem
from loanpilot.service.surveys import Actor
from loanpilot.web.auth import client_address
from loanpilot.web.i18n import MESSAGES, Lang, translate


def problem_text(p: FieldProblem, lang: Lang) -> str:
    if isinstance(p, Problem) and p.code and f"service.problem.{p.code}" in MESSAGES:
        return translate(f"service.problem.{p.code}", lang, **dict(p.params))
    return p.message


def localised(problems: Iterable[FieldProblem], lang: Lang) -> list[dict[str, Any]]:
    return [{"field": p.field, "message": problem_text(p, lang)} for p in problems]


def conflict_text(code: str, lang: Lang) -> str:
    key = f"service.conflict.{code.split('.', 1)[-1]}"
    return translate(key if key in MESSAGES else "service.conflict.other", lang)


def actor_of(request: Request, principal: Principal) -> Actor:
    return Actor(principal.staff_id, f"user:{principal.username}", client_address(request))
