"""The portal form where a customer answers a survey (``/survey/{token}``). Public: no login, the
token in the link is the credential. Chinese by default (``?lang=en``). The form carries the
anonymous CSRF token; a second answer, an expired link or a closed survey get a clear page, bad
answers the form again with each problem beside its question and what was typed kept."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse

from loanpilot.app import SessionDep, today_for
from loanpilot.config import Settings
from loanpilot.kit.errors import ConflictError, NotFoundError, ValidationError
from loanpilot.service import sending
from loanpilot.service.pages_common import problem_text
from loanpilot.web.auth import anon_csrf, clock, set_anon_csrf_cookie, verify_anon_csrf
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
_STATUS = {"answered": 409, "expired": 410, "closed": 410, "unknown": 404, "done": 200}


def _valid_days(request: Request) -> int:
    settings: Settings = request.app.state.settings
    return settings.survey_valid_days


def _ended(request: Request, state: str) -> HTMLResponse:
    return render(request, "portal/survey_done.html", {"state": state}, status_code=_STATUS[state])


@router.get("/survey/{token}", response_class=HTMLResponse)
def survey_form(token: Token, request: Request, session: SessionDep) -> HTMLResponse:
    try:
        opened = sending.open_invitation(session, token, today_for(request), _valid_days(request))
    except NotFoundError:
        return _ended(request, "unknown")
    if opened.state != "open":
        return _ended(request, opened.state)
    anon_csrf(request)
    response = render(
        request, "portal/survey.html",
        {"survey": opened.survey, "questions": opened.questions, "token": token, "values": {},
         "fields": []},
    )  # fmt: skip
    set_anon_csrf_cookie(request, response)
    return response


@router.post(
    "/survey/{token}", response_class=HTMLResponse, dependencies=[Depends(verify_anon_csrf)]
)
async def survey_submit(token: Token, request: Request, session: SessionDep) -> HTMLResponse:
    form = await request.form()
    given: dict[int, list[str]] = {}
    for key in form:
        if key.startswith("q") and key[1:].isdecimal() and len(key) <= 20:
            given[int(key[1:])] = [str(v)[:4000] for v in form.getlist(key)][:50]
    try:
        sending.submit(
            session, token, given, now=clock(request), today=today_for(request),
            valid_days=_valid_days(request),
        )  # fmt: skip
    except NotFoundError:
        return _ended(request, "unknown")
    except ConflictError as exc:
        return _ended(request, exc.code.split(".", 1)[1])
    except ValidationError as exc:
        lang = request_lang(request)
        opened = sending.open_invitation(session, token, today_for(request), _valid_days(request))
        fields: list[dict[str, Any]] = [
            {"field": p.field, "message": problem_text(p, lang)} for p in exc.problems
        ]
        return render(
            request, "portal/survey.html",
            {"survey": opened.survey, "questions": opened.questions, "token": token,
             "values": {f"q{k}": v for k, v in given.items()}, "fields": fields},
            status_code=422,
        )  # fmt: skip
    return _ended(request, "done")
