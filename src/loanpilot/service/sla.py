"""Stage SLAs (服务时效): targets per stage and optional product type, dated (the latest
``valid_from`` on or before the day a span ends wins; a product type's own target before the
general one), and the breaches: application → decision, decision → disbursement and application →
disbursement, measured from the application's stage timestamps, each span counted in the period in
which it ended. A span taking exactly its target is on time."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from loanpilot.kit.clock import to_business_date
from loanpilot.kit.errors import ValidationError
from loanpilot.kit.periods import Period
from loanpilot.products.models import ProductType
from loanpilot.service import repository as repo
from loanpilot.service import repository_ops as repo_ops
from loanpilot.service import survey_rules as rules
from loanpilot.service.models import ServiceSla, SlaStage
from loanpilot.service.schemas import SlaWrite
from loanpilot.service.surveys import Actor, audit

#: The measured spans: (stage, start column, end column) of ``repo_ops.StageRow``.
SPANS: tuple[tuple[str, str, str], ...] = (
    ("application_to_decision", "submitted_at", "decided_at"),
    ("decision_to_disbursement", "decided_at", "disbursed_at"),
    ("application_to_disbursement", "submitted_at", "disbursed_at"),
)
MEASURED_STAGES = tuple(s[0] for s in SPANS)


def set_target(session: Session, body: SlaWrite, *, actor: Actor, now: datetime) -> ServiceSla:
    """A new dated target; every problem at once. A later ``valid_from`` supersedes."""
    problems: list[rules.Problem] = []
    stages = tuple(s.value for s in SlaStage)
    types = tuple(t.value for t in ProductType)
    ptype = body.product_type or None
    if body.stage not in stages:
        problems.append(rules.problem("stage", "unknown_stage", given=body.stage,
                                      allowed=", ".join(stages)))  # fmt: skip
    if ptype is not None and ptype not in types:
        problems.append(rules.problem("product_type", "unknown_product_type", given=ptype,
                                      allowed=", ".join(types)))  # fmt: skip
    if body.target_hours <= 0:
        problems.append(rules.problem("target_hours", "target_positive"))
    if not problems and repo_ops.sla_exists(session, body.stage, ptype, body.valid_from):
        problems.append(rules.problem("valid_from", "sla_exists", given=body.valid_from))
    if problems:
        raise ValidationError("sla.invalid", "The SLA target is not valid", list(problems))
    row = ServiceSla(
        stage=SlaStage(body.stage), product_type=ProductType(ptype) if ptype else None,
        target_hours=body.target_hours, valid_from=body.valid_from,
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit(session, actor, "sla.set", "service_sla", row.id, now,
          {"stage": body.stage, "product_type": ptype, "target_hours": str(body.target_hours),
           "valid_from": body.valid_from.isoformat()})  # fmt: skip
    return row


class Targets:
    """The SLA table, answering "what was the target of this stage for this product type then"."""

    def __init__(self, rows: list[ServiceSla]) -> None:
        self._rows: dict[tuple[str, str | None], list[tuple[date, Decimal]]] = defaultdict(list)
        for r in rows:
            key = (r.stage.value, r.product_type.value if r.product_type else None)
            self._rows[key].append((r.valid_from, Decimal(r.target_hours)))
        for dated in self._rows.values():
            dated.sort(reverse=True)

    def target(self, stage: str, product_type: str, day: date) -> Decimal | None:
        for key in ((stage, product_type), (stage, None)):
            for valid_from, hours in self._rows.get(key, []):
                if valid_from <= day:
                    return hours
        return None


@dataclass(frozen=True)
class Span:
    application_id: int
    application_no: str
    stage: str
    product_id: int
    product: str
    product_type: str
    branch_id: int | None
    branch: str
    started_at: datetime
    ended_at: datetime
    hours: Decimal  # as shown: rounded to the hundredth
    target_hours: Decimal
    seconds: float  # the exact span, which decides a breach

    @property
    def breached(self) -> bool:
        return rules.breached(self.seconds, self.target_hours)


@dataclass(frozen=True)
class Tally:
    key: str
    label: str
    measured: int
    breached: int

    @property
    def attainment(self) -> Decimal | None:
        return rules.ratio(self.measured - self.breached, self.measured)


@dataclass(frozen=True)
class SlaReport:
    period: Period
    spans: list[Span]
    by_stage: list[Tally]
    by_branch: list[Tally]

    @property
    def breaches(self) -> list[Span]:
        return [s for s in self.spans if s.breached]


def measure(session: Session, period: Period, scope: repo.Scope | None = None) -> SlaReport:
    """Every stage span that ended in ``period`` and had a target, with the tallies."""
    targets = Targets(repo_ops.slas(session))
    products = repo.product_names(session)
    branches = repo.branch_names(session)
    spans: list[Span] = []
    for row in repo_ops.stage_rows(session, period.start, period.end, scope or repo.Scope()):
        name_zh, _, ptype = products.get(row.product_id, ("—", "—", ""))
        for stage, start_col, end_col in SPANS:
            began: datetime | None = getattr(row, start_col)
            ended: datetime | None = getattr(row, end_col)
            if began is None or ended is None or ended < began:
                continue
            day = to_business_date(ended)
            if not period.contains(day):
                continue
            target = targets.target(stage, ptype, day)
            if target is None:
                continue
            seconds = (ended - began).total_seconds()
            hours = rules.hours_between(seconds)
            spans.append(
                Span(
                    row.application_id, row.application_no, stage, row.product_id, name_zh, ptype,
                    row.branch_id, branches.get(row.branch_id, "—") if row.branch_id else "—",
                    began, ended, hours, target, seconds,
                )
            )  # fmt: skip
    return SlaReport(period, spans, _tally(spans, "stage", None), _tally(spans, "branch", branches))


def _tally(spans: list[Span], by: str, labels: dict[int, str] | None) -> list[Tally]:
    measured: dict[str, int] = defaultdict(int)
    breached: dict[str, int] = defaultdict(int)
    for s in spans:
        key = s.stage if by == "stage" else str(s.branch_id or "")
        measured[key] += 1
        breached[key] += int(s.breached)
    order = MEASURED_STAGES if by == "stage" else sorted(measured, key=lambda k: -breached[k])
    return [
        Tally(
            k,
            (labels or {}).get(int(k), k) if by == "branch" and k else k,
            measured[k],
            breached[k],
        )
        for k in order
        if k in measured
    ]
