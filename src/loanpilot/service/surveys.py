"""The survey builder: create a survey with its questions, edit it while it is a draft, activate
it, close it. Every problem is collected first (``survey_rules``), nothing is written unless all
is well; every change is audited. Services only flush; the entry point commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from loanpilot.audit.service import record
from loanpilot.kit.errors import ConflictError, NotFoundError, ValidationError
from loanpilot.service import repository as repo
from loanpilot.service import survey_rules as rules
from loanpilot.service.models import (
    QuestionKind,
    ServiceChannel,
    Survey,
    SurveyKind,
    SurveyQuestion,
    SurveyStatus,
    SurveyTrigger,
)
from loanpilot.service.schemas import SurveyWrite


@dataclass(frozen=True)
class Actor:
    """Who changes customer-service records, for the audit trail."""

    staff_id: int | None
    label: str
    client_address: str | None = None


def audit(
    session: Session, actor: Actor, action: str, entity: str, entity_id: int, now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    record(session, action=action, actor_label=actor.label, actor_staff_id=actor.staff_id,
           entity=entity, entity_id=str(entity_id), detail=detail,
           client_address=actor.client_address, at=now)  # fmt: skip


def get_survey(session: Session, survey_id: int, *, for_update: bool = False) -> Survey:
    found = repo.get_survey(session, survey_id, for_update=for_update)
    if found is None:
        raise NotFoundError("survey.not_found", f"No survey with id {survey_id}")
    return found


def draft_of(body: SurveyWrite) -> rules.SurveyDraft:
    return rules.SurveyDraft(
        code=body.code.strip(), title=body.title, kind=body.kind, trigger=body.trigger,
        channel=body.channel,
        questions=tuple(
            rules.QuestionDraft(
                position=q.position, kind=q.kind, text_zh=q.text_zh, text_en=q.text_en,
                choices=tuple(rules.ChoiceDraft(c.value, c.label_zh, c.label_en) for c in q.choices),
                required=q.required,
            )
            for q in body.questions
        ),
    )  # fmt: skip


def _check(session: Session, body: SurveyWrite, survey_id: int | None) -> None:
    problems = rules.validate_survey(draft_of(body))
    taken = repo.survey_by_code(session, body.code.strip())
    if taken is not None and taken.id != survey_id:
        problems.append(rules.problem("code", "code_taken", given=body.code.strip()))
    if problems:
        raise ValidationError("survey.invalid", "The survey is not valid", list(problems))


def _write(session: Session, s: Survey, body: SurveyWrite) -> None:
    s.code, s.title = body.code.strip(), body.title.strip()
    s.kind, s.trigger = SurveyKind(body.kind), SurveyTrigger(body.trigger)
    s.channel = ServiceChannel(body.channel)
    session.flush()
    repo.delete_questions(session, s.id)
    session.flush()
    session.add_all(
        [
            SurveyQuestion(
                survey_id=s.id, position=q.position, kind=QuestionKind(q.kind),
                text_zh=q.text_zh.strip(), text_en=q.text_en.strip() or q.text_zh.strip(),
                choices=[{"value": c.value.strip(), "label_zh": c.label_zh.strip(),
                          "label_en": c.label_en.strip() or c.label_zh.strip()} for c in q.choices]
                if q.kind in rules.CHOICE_KINDS else [],
                required=q.required,
            )
            for q in sorted(body.questions, key=lambda q: q.position)
        ]
    )  # fmt: skip
    session.flush()


def create_survey(session: Session, body: SurveyWrite, *, actor: Actor, now: datetime) -> Survey:
    """A new draft survey with its questions; every problem reported at once."""
    _check(session, body, None)
    s = Survey(status=SurveyStatus.DRAFT)
    s.code, s.title = body.code.strip(), body.title.strip()
    s.kind, s.trigger = SurveyKind(body.kind), SurveyTrigger(body.trigger)
    s.channel = ServiceChannel(body.channel)
    session.add(s)
    session.flush()
    _write(session, s, body)
    audit(session, actor, "survey.create", "survey", s.id, now, {"code": s.code})
    return s


def update_survey(
    session: Session, survey_id: int, body: SurveyWrite, *, actor: Actor, now: datetime
) -> Survey:
    """Replace a draft survey's fields and questions; an active or closed survey refuses."""
    s = get_survey(session, survey_id, for_update=True)
    if s.status is not SurveyStatus.DRAFT:
        raise ConflictError(
            "survey.not_draft", f"Survey {s.code} is {s.status.value}: only a draft can be edited"
        )
    _check(session, body, s.id)
    _write(session, s, body)
    audit(session, actor, "survey.update", "survey", s.id, now, {"code": s.code})
    return s


def change_status(
    session: Session, survey_id: int, status: str, *, actor: Actor, now: datetime
) -> Survey:
    """draft → active (checked again in full) → closed."""
    s = get_survey(session, survey_id, for_update=True)
    current = s.status.value
    if not rules.can_transition(current, status):
        raise ConflictError("survey.transition", f"A {current} survey cannot become {status}")
    if status == "active":
        body = write_of(session, s)
        _check(session, body, s.id)
    s.status = SurveyStatus(status)
    session.flush()
    audit(session, actor, "survey.status", "survey", s.id, now, {"from": current, "to": status})
    return s


def write_of(session: Session, s: Survey) -> SurveyWrite:
    """The stored survey as the form/API gives it (what an edit starts from)."""
    from loanpilot.service.schemas import ChoiceWrite, QuestionWrite

    return SurveyWrite(
        code=s.code, title=s.title, kind=s.kind.value, trigger=s.trigger.value,
        channel=s.channel.value,
        questions=[
            QuestionWrite(position=q.position, kind=q.kind.value, text_zh=q.text_zh,
                          text_en=q.text_en, required=q.required,
                          choices=[ChoiceWrite(**c) for c in (q.choices or [])])
            for q in repo.questions(session, s.id)
        ],
    )  # fmt: skip
