"""People development: certificates with their expiry reminders, mentor pairs (传帮带) and job
rotations (轮岗).

A certificate is renewed by recording its successor (same holder and name, issued later); the
reminders look only at the latest certificate of each holder and name, so a renewal silences the
old one's reminder. Reminders are worked out from the dates on every read (expiring within
``settings.cert_expiry_notice_days``, or expired): nothing is stored, so no nightly step is needed.
Services only flush; the entry point commits. Changes are audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from loanpilot.kit.errors import ConflictError, NotFoundError
from loanpilot.team import people_rules as rules
from loanpilot.team import people_rules_training as trules
from loanpilot.team import repository_people as repo
from loanpilot.team.models import Certification, JobRotation, MentorPair
from loanpilot.team.people import Actor, audit, invalid


def _staff(
    session: Session, given: str, field: str, actor: Actor, problems: list[rules.Problem]
) -> rules.StaffFacts | None:
    """The staff member ``given`` (employee number or id), or a problem on ``field``."""
    if not given.strip():
        problems.append(rules.problem(field, "required"))
        return None
    found = repo.staff_by_ref(session, given)
    if found is None:
        problems.append(rules.problem(field, "unknown_staff", given=given.strip()))
        return None
    if not rules.in_scope(found.branch_id, actor.branch_ids):
        problems.append(rules.problem(field, "out_of_scope", given=found.employee_no))
        return None
    return found


# --- certificates ---------------------------------------------------------------------------------------


def get_certification(session: Session, cert_id: int, actor: Actor) -> Certification:
    cert = session.get(Certification, cert_id)
    holder = repo.staff_facts(session, [cert.staff_id]).get(cert.staff_id) if cert else None
    if cert is None or holder is None or not rules.in_scope(holder.branch_id, actor.branch_ids):
        raise NotFoundError("certification.not_found", f"No certificate with id {cert_id}")
    return cert


def add_certification(
    session: Session, staff: str, draft: trules.CertificationDraft, *, actor: Actor, today: date,
    now: datetime, extra: Sequence[rules.Problem] = (),
) -> Certification:  # fmt: skip
    """Record a certificate of ``staff`` (employee number or id)."""
    problems = list(extra)
    holder = _staff(session, staff, "staff", actor, problems)
    problems += trules.certification_problems(draft, today)
    invalid("The certificate is not valid", problems)
    assert holder is not None
    assert draft.issued_on is not None
    cert = Certification(staff_id=holder.id, name=draft.name.strip(), issuer=draft.issuer.strip(),
                         issued_on=draft.issued_on, expires_on=draft.expires_on)  # fmt: skip
    session.add(cert)
    session.flush()
    audit(session, actor, "team.certification_added", "certification", cert.id,
          {"staff_id": holder.id, "name": cert.name,
           "expires_on": cert.expires_on.isoformat() if cert.expires_on else None}, now)  # fmt: skip
    return cert


def renew_certification(
    session: Session, cert_id: int, issued_on: date | None, expires_on: date | None, *,
    actor: Actor, today: date, now: datetime, extra: Sequence[rules.Problem] = (),
) -> Certification:  # fmt: skip
    """Record the renewal of a certificate: its successor, same holder, name and issuer, issued
    after the holder's latest certificate of that name."""
    old = get_certification(session, cert_id, actor)
    latest = max(r.facts.issued_on for r in repo.certifications(session, None, old.staff_id)
                 if r.facts.name == old.name)  # fmt: skip
    draft = trules.CertificationDraft(old.name, old.issuer, issued_on, expires_on)
    invalid("The renewal is not valid",
            [*extra, *trules.certification_problems(draft, today, renews=latest)])  # fmt: skip
    assert issued_on is not None
    cert = Certification(staff_id=old.staff_id, name=old.name, issuer=old.issuer,
                         issued_on=issued_on, expires_on=expires_on)  # fmt: skip
    session.add(cert)
    session.flush()
    audit(session, actor, "team.certification_renewed", "certification", cert.id,
          {"renews": old.id, "staff_id": old.staff_id,
           "expires_on": expires_on.isoformat() if expires_on else None}, now)  # fmt: skip
    return cert


@dataclass(frozen=True)
class ReminderRow:
    reminder: trules.Reminder
    cert: repo.CertRow


def reminders(
    session: Session, branch_ids: frozenset[int] | None, today: date, notice_days: int,
    staff_id: int | None = None,
) -> list[ReminderRow]:  # fmt: skip
    """Certificates of active staff in scope that expired or expire within ``notice_days``."""
    rows = repo.certifications(session, branch_ids, staff_id)
    by_id = {r.facts.id: r for r in rows}
    return [ReminderRow(rem, by_id[rem.cert.id])
            for rem in trules.reminders((r.facts for r in rows), today, notice_days)]  # fmt: skip


# --- mentor pairs ---------------------------------------------------------------------------------------


def add_mentor_pair(
    session: Session, mentor: str, mentee: str, start_on: date | None, end_on: date | None, *,
    actor: Actor, now: datetime, extra: Sequence[rules.Problem] = (),
) -> MentorPair:  # fmt: skip
    """Pair a mentor with a mentee (different people; the mentee has no other pair at the time)."""
    problems = list(extra)
    mentor_f = _staff(session, mentor, "mentor", actor, problems)
    mentee_f = _staff(session, mentee, "mentee", actor, problems)
    spans = repo.mentee_spans(session, mentee_f.id) if mentee_f is not None else []
    problems += [p for p in rules.mentor_pair_problems(
        mentor_f.id if mentor_f else None, mentee_f.id if mentee_f else None, start_on, end_on,
        spans) if p.code != "required" or p.field not in ("mentor", "mentee")]  # fmt: skip
    invalid("The mentor pair is not valid", problems)
    assert mentor_f is not None
    assert mentee_f is not None
    assert start_on is not None
    pair = MentorPair(mentor_id=mentor_f.id, mentee_id=mentee_f.id, start_on=start_on,
                      end_on=end_on)  # fmt: skip
    session.add(pair)
    session.flush()
    audit(session, actor, "team.mentor_paired", "mentor_pair", pair.id,
          {"mentor_id": mentor_f.id, "mentee_id": mentee_f.id}, now)  # fmt: skip
    return pair


def _mine(session: Session, staff_ids: Sequence[int], actor: Actor, what: str, key: int) -> None:
    facts = repo.staff_facts(session, staff_ids)
    if not any(rules.in_scope(f.branch_id, actor.branch_ids) for f in facts.values()):
        raise NotFoundError(f"{what}.not_found", f"No {what.replace('_', ' ')} with id {key}")


def end_mentor_pair(
    session: Session, pair_id: int, end_on: date | None, *, actor: Actor, now: datetime
) -> MentorPair:
    pair = session.get(MentorPair, pair_id)
    if pair is None:
        raise NotFoundError("mentor_pair.not_found", f"No mentor pair with id {pair_id}")
    _mine(session, [pair.mentor_id, pair.mentee_id], actor, "mentor_pair", pair_id)
    _end(pair, end_on)
    session.flush()
    audit(session, actor, "team.mentor_pair_ended", "mentor_pair", pair.id,
          {"end_on": pair.end_on.isoformat() if pair.end_on else None}, now)  # fmt: skip
    return pair


def _end(item: MentorPair | JobRotation, end_on: date | None) -> None:
    problems = rules.end_problems(item.start_on, item.end_on, end_on)
    if any(p.code == "already_ended" for p in problems):
        raise ConflictError("team.already_ended", problems[0].message)
    invalid("The end date is not valid", problems)
    item.end_on = end_on


# --- rotations ------------------------------------------------------------------------------------------


def add_rotation(
    session: Session, staff: str, from_unit: int | None, to_unit: int | None,
    start_on: date | None, end_on: date | None, *, actor: Actor, now: datetime,
    extra: Sequence[rules.Problem] = (),
) -> JobRotation:  # fmt: skip
    """Record a move between org units (to ≠ from, end ≥ start)."""
    problems = list(extra)
    who = _staff(session, staff, "staff", actor, problems)
    known = repo.unit_ids(session, [u for u in (from_unit, to_unit) if u is not None])
    for field, unit in (("from_org_unit", from_unit), ("to_org_unit", to_unit)):
        if unit is not None and unit not in known:
            problems.append(rules.problem(field, "unknown_unit", given=unit))
    problems += [p for p in rules.rotation_problems(who.id if who else None, from_unit, to_unit,
                                                    start_on, end_on)
                 if p.field != "staff"]  # fmt: skip
    invalid("The rotation is not valid", problems)
    assert who is not None
    assert to_unit is not None
    assert start_on is not None
    rotation = JobRotation(staff_id=who.id, from_org_unit_id=from_unit, to_org_unit_id=to_unit,
                           start_on=start_on, end_on=end_on)  # fmt: skip
    session.add(rotation)
    session.flush()
    audit(session, actor, "team.rotation_added", "job_rotation", rotation.id,
          {"staff_id": who.id, "from": from_unit, "to": to_unit}, now)  # fmt: skip
    return rotation


def end_rotation(
    session: Session, rotation_id: int, end_on: date | None, *, actor: Actor, now: datetime
) -> JobRotation:
    rotation = session.get(JobRotation, rotation_id)
    if rotation is None:
        raise NotFoundError("job_rotation.not_found", f"No job rotation with id {rotation_id}")
    _mine(session, [rotation.staff_id], actor, "job_rotation", rotation_id)
    _end(rotation, end_on)
    session.flush()
    audit(session, actor, "team.rotation_ended", "job_rotation", rotation.id,
          {"end_on": rotation.end_on.isoformat() if rotation.end_on else None}, now)  # fmt: skip
    return rotation
