"""What the feedback pages share: the actor of a request and problems in the page's language (by
their code, ``feedback.problem.<code>``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request

from loanpilot.access.rules import Principal
from loanpilot.evaluation import feedback, topics
from loanpilot.evaluation import feedback_rules as rules
from loanpilot.kit.errors import ConflictError, FieldProblem, ValidationError
from loanpilot.web.auth import client_address
from loanpilot.web.i18n import MESSAGES, Lang, translate


def actor_of(request: Request, principal: Principal) -> feedback.Actor:
    return feedback.Actor(principal.staff_id, f"user:{principal.username}", client_address(request))


def problem_text(p: FieldProblem, lang: Lang) -> str:
    if isinstance(p, rules.Problem) and p.code and f"feedback.problem.{p.code}" in MESSAGES:
        return translate(f"feedback.problem.{p.code}", lang, **dict(p.params))
    return p.message


def localised(problems: Iterable[FieldProblem], lang: Lang) -> list[dict[str, Any]]:
    return [{"field": p.field, "message": problem_text(p, lang)} for p in problems]


def refusal(exc: ConflictError | ValidationError, lang: Lang) -> str:
    texts = [problem_text(p, lang) for p in exc.problems] or [exc.message]
    return translate("feedback.refused", lang, reason=("；" if lang == "zh" else "; ").join(texts))


def topic_names(lang: Lang, codes: Iterable[str]) -> dict[str, str]:
    return {c: topics.topic_label(c, lang) for c in codes}
