"""Sending surveys after milestones, and capturing a customer's answers from the portal.

``send_due(session, as_of, now)`` sends, for every active survey, one invitation per customer and
loan (or complaint ticket) whose milestone falls on the survey's day: loans disbursed on ``as_of``
(``disbursed``), disbursed 30 days before (``disbursed_30d``), settled on ``as_of`` (``settled``),
complaints closed on ``as_of`` (``complaint_closed``). A loan or ticket already invited by a
survey is skipped, so a rerun for the same day sends nothing twice (a unique index holds it too).
Each invitation carries a random token: the link ``/survey/{token}`` is the customer's credential.

``submit`` checks the answers against the questions (range, choices, required), refuses a second
answer and an expired link, and attributes the response to the customer's branch, their manager
on the day and the loan's product."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from loanpilot.kit.clock import to_business_date
from loanpilot.kit.errors import ConflictError, NotFoundError, ValidationError
from loanpilot.service import repository as repo
from loanpilot.service import survey_rules as rules
from loanpilot.service.models import (
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
    SurveyTrigger,
)

_LOAN_TRIGGERS = {
    SurveyTrigger.DISBURSED: repo.loans_disbursed_on,
    SurveyTrigger.DISBURSED_30D: repo.loans_disbursed_on,
    SurveyTrigger.SETTLED: repo.loans_settled_on,
}


def new_token(session: Session) -> str:
    """A random 32-hex-character token not used yet."""
    while True:
        token = secrets.token_hex(16)
        if not repo.token_taken(session, token):
            return token


def send_due(session: Session, as_of: date, now: datetime) -> dict[str, int]:
    """Send the invitations due on ``as_of``; returns how many each trigger sent (idempotent)."""
    counts: dict[str, int] = {}
    for survey in repo.active_surveys(session):
        trigger = survey.trigger
        if trigger is SurveyTrigger.MANUAL:
            continue
        day = rules.milestone_day(trigger.value, as_of)
        by_loan = trigger in _LOAN_TRIGGERS
        pairs = (
            _LOAN_TRIGGERS[trigger](session, day)
            if by_loan
            else repo.complaints_closed_on(session, day)
        )
        done = repo.invited(session, survey.id, loans=by_loan, ids=[p[0] for p in pairs])
        fresh = [(ref, customer) for ref, customer in pairs if ref not in done]
        for ref, customer in fresh:
            session.add(
                SurveyInvitation(
                    survey_id=survey.id, customer_id=customer,
                    loan_id=ref if by_loan else None, ticket_id=None if by_loan else ref,
                    sent_at=now, channel=survey.channel, token=new_token(session),
                )
            )  # fmt: skip
        session.flush()
        counts[trigger.value] = counts.get(trigger.value, 0) + len(fresh)
    return counts


# --- the portal form ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """An invitation as the portal shows it; ``state`` is open, answered, expired or closed."""

    invitation: SurveyInvitation
    survey: Survey
    questions: list[SurveyQuestion]
    state: str


def open_invitation(session: Session, token: str, today: date, valid_days: int) -> Opened:
    found = repo.invitation_by_token(session, token) if 16 <= len(token) <= 64 else None
    if found is None:
        raise NotFoundError("survey.link_unknown", "This survey link is not known")
    survey = repo.get_survey(session, found.survey_id)
    assert survey is not None
    state = "open"
    if found.responded_at is not None:
        state = "answered"
    elif rules.expired(to_business_date(found.sent_at), today, valid_days):
        state = "expired"
    elif survey.status is SurveyStatus.CLOSED:
        state = "closed"
    return Opened(found, survey, repo.questions(session, survey.id), state)


def specs(questions: Sequence[SurveyQuestion]) -> list[rules.QuestionSpec]:
    return [
        rules.QuestionSpec(
            q.id, q.kind.value, q.required,
            tuple(str(c.get("value", "")) for c in (q.choices or [])),
        )
        for q in questions
    ]  # fmt: skip


def submit(
    session: Session, token: str, given: Mapping[int, Sequence[str]], *, now: datetime,
    today: date, valid_days: int,
) -> SurveyResponse:  # fmt: skip
    """Record the customer's answers once. 409 ``survey.answered`` for a second answer,
    ``survey.expired`` / ``survey.closed`` for a link no longer open, 422 for bad answers."""
    opened = open_invitation(session, token, today, valid_days)
    inv = repo.invitation_by_token(session, token, for_update=True)
    assert inv is not None
    if inv.responded_at is not None or opened.state == "answered":
        raise ConflictError("survey.answered", "This survey has already been answered; thank you")
    if opened.state == "expired":
        raise ConflictError("survey.expired", "This survey link has expired")
    if opened.state == "closed":
        raise ConflictError("survey.closed", "This survey is closed")
    problems, clean = rules.validate_answers(specs(opened.questions), given)
    if problems:
        raise ValidationError(
            "survey.answers_invalid", "Some answers are not valid", list(problems)
        )
    branch, staff, product = attribution(session, inv, to_business_date(now))
    response = SurveyResponse(
        invitation_id=inv.id, survey_id=inv.survey_id, customer_id=inv.customer_id,
        submitted_at=now, channel=inv.channel, branch_id=branch, staff_id=staff,
        product_id=product,
    )  # fmt: skip
    session.add(response)
    inv.responded_at = now
    session.flush()
    session.add_all(
        [
            SurveyAnswer(response_id=response.id, question_id=a.question_id, score=a.score,
                         choice=list(a.choice) if a.choice is not None else None, text=a.text)
            for a in clean
        ]
    )  # fmt: skip
    session.flush()
    return response


def attribution(
    session: Session, inv: SurveyInvitation, day: date
) -> tuple[int | None, int | None, int | None]:
    """(branch, manager, product) of a response: the customer's home branch (else the loan's or
    ticket's), the manager of the customer's portfolio on ``day`` (else the customer's, else the
    loan's), and the loan's (or ticket's) product."""
    customer = repo.customer(session, inv.customer_id)
    loan = repo.loan(session, inv.loan_id) if inv.loan_id else None
    ticket = repo.ticket(session, inv.ticket_id) if inv.ticket_id else None
    branch = customer.home_branch_id if customer else None
    staff = repo.manager_on(session, inv.customer_id, day)
    if staff is None and customer is not None:
        staff = customer.manager_id
    product = None
    if loan is not None:
        branch = branch or loan.branch_id
        staff = staff or loan.manager_id
        product = loan.product_id
    if ticket is not None:
        branch = branch or ticket.branch_id
        product = product or ticket.product_id
    return branch, staff, product
