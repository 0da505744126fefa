"""Customer portfolios (客户经理名下客户): who looks after whom, the history of each customer's
managers, and hand-overs (one customer, a selection, or a whole portfolio when a manager leaves).

A hand-over closes each customer's open assignment (``end_on`` = today), opens one with the new
manager (``start_on`` = today, with the reason), and sets ``customers.manager_id``, the current
manager every scope check reads: both are written together, and the whole hand-over is validated
first, so a refused request changes nothing. Loans keep their ``manager_id`` (who sold them; the
sales figures of appraisal stay with the seller). Services only flush; the entry point commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.audit.service import record
from loanpilot.kit.errors import FieldProblem, NotFoundError, ValidationError
from loanpilot.team import people_rules as rules
from loanpilot.team import repository_people as repo
from loanpilot.team.service import visible_branch_ids


@dataclass(frozen=True)
class Actor:
    """Who changes the team's records, for the audit trail, and the branches they may change
    (None: the whole bank; a branch head: their branch subtree)."""

    staff_id: int | None
    label: str
    client_address: str | None = None
    branch_ids: frozenset[int] | None = None

    @classmethod
    def of(cls, principal: Principal, client_address: str | None) -> Actor:
        return cls(principal.staff_id, f"user:{principal.username}", client_address,
                   visible_branch_ids(principal))  # fmt: skip


CLI_ACTOR = Actor(None, "cli")


def audit(
    session: Session, actor: Actor, action: str, entity: str, entity_id: int | str,
    detail: dict[str, object], now: datetime,
) -> None:  # fmt: skip
    record(session, action=action, actor_label=actor.label, actor_staff_id=actor.staff_id,
           entity=entity, entity_id=str(entity_id), detail=detail,
           client_address=actor.client_address, at=now)  # fmt: skip


def invalid(message: str, problems: Sequence[rules.Problem], code: str = "team.invalid") -> None:
    """Raise once with every problem (a field a form reader already found wanting is not also
    reported as missing)."""
    if not problems:
        return
    seen: set[tuple[str, int | None, str]] = set()
    flagged = {(p.field, p.row) for p in problems if p.code != "required"}
    kept: list[FieldProblem] = []
    for p in problems:
        key = (p.field, p.row, p.code)
        if key in seen or (p.code == "required" and (p.field, p.row) in flagged):
            continue
        seen.add(key)
        kept.append(p)
    raise ValidationError(code, message, kept)


def staff_in_scope(
    session: Session, staff_id: int, scope: frozenset[int] | None
) -> rules.StaffFacts:
    """A staff member the caller may see; NotFound otherwise (a branch head does not learn of
    staff outside their branches)."""
    found = repo.staff_facts(session, [staff_id]).get(staff_id)
    if found is None or not rules.in_scope(found.branch_id, scope):
        raise NotFoundError("staff.not_found", f"No staff member with id {staff_id}")
    return found


# --- reading --------------------------------------------------------------------------------------------


def portfolios(
    session: Session, principal: Principal, q: str | None = None
) -> list[repo.PortfolioRow]:
    return repo.portfolio_summary(session, visible_branch_ids(principal), q)


def portfolio(
    session: Session, principal: Principal, staff_id: int
) -> tuple[rules.StaffFacts, list[repo.PortfolioCustomer]]:
    manager = staff_in_scope(session, staff_id, visible_branch_ids(principal))
    return manager, repo.portfolio_customers(session, staff_id)


@dataclass(frozen=True)
class CustomerManagers:
    customer_id: int
    customer_no: str
    name: str  # clear: surfaces mask it
    current_manager_id: int | None
    history: list[repo.HistoryRow]


def customer_managers(session: Session, principal: Principal, customer_id: int) -> CustomerManagers:
    """A customer's managers, newest first. Staff who may read customers see any customer in
    their customer scope; otherwise the customer must be held (now or once) by staff in scope."""
    header = repo.customer_header(session, customer_id)
    facts = repo.customers_by_ref(session, [str(customer_id)]).get(str(customer_id))
    if header is None or facts is None:
        raise NotFoundError("customer.not_found", f"No customer with id {customer_id}")
    history = repo.manager_history(session, customer_id)
    scope = visible_branch_ids(principal)
    if scope is not None:
        held = repo.staff_facts(session, [h.staff_id for h in history])
        seen = principal.can(Permission.CUSTOMERS_READ) and principal.sees_customer(
            header[2], facts.manager_id
        )
        if not seen and not any(rules.in_scope(s.branch_id, scope) for s in held.values()):
            raise NotFoundError("customer.not_found", f"No customer with id {customer_id}")
    return CustomerManagers(customer_id, header[0], header[1], facts.manager_id, history)


# --- the hand-over --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Handover:
    """A done hand-over: who gave (None: each customer's own manager), who took, which customers."""

    source: rules.StaffFacts | None
    target: rules.StaffFacts
    customer_ids: list[int]
    today: date

    @property
    def moved(self) -> int:
        return len(self.customer_ids)


def reassign(
    session: Session, *, to_staff: str, reason: str, actor: Actor, today: date, now: datetime,
    from_staff: str = "", customers: Sequence[tuple[str, int | None]] | None = None,
    source_file: str | None = None,
) -> Handover:  # fmt: skip
    """Hand customers to ``to_staff`` (employee number or id) with a reason.

    ``customers`` lists (customer number or id, file row or None); None hands over the whole
    portfolio of ``from_staff``. With ``from_staff`` given, every customer must be in that
    portfolio; without it each leaves their own current manager. Refused (ValidationError, every
    problem listed, nothing changed) when the target is not an active customer-facing staff
    member, is the giving manager, or either works outside the actor's branches."""
    target = repo.staff_by_ref(session, to_staff)
    source = repo.staff_by_ref(session, from_staff) if from_staff.strip() else None
    whole = customers is None
    if whole:
        found = repo.customers_of(session, source.id) if source is not None else []
        picks = tuple(rules.CustomerPick(c.customer_no, c) for c in found)
    else:
        assert customers is not None
        by_ref = repo.customers_by_ref(session, [given for given, _ in customers])
        picks = tuple(
            rules.CustomerPick(g.strip(), by_ref.get(g.strip()), row) for g, row in customers
        )
    managers = repo.staff_facts(session, {p.found.manager_id for p in picks
                                          if p.found is not None and p.found.manager_id is not None})  # fmt: skip
    request = rules.Reassignment(
        target=target, target_given=to_staff, source=source, source_given=from_staff, picks=picks,
        whole_portfolio=whole, reason=reason.strip(), scope=actor.branch_ids,
        source_file=source_file,
    )  # fmt: skip
    invalid("The reassignment is not valid", rules.reassignment_problems(request, managers),
            "team.reassign_invalid")  # fmt: skip
    assert target is not None
    ids = [p.found.id for p in picks if p.found is not None]
    repo.move_customers(session, ids, target.id, today, reason.strip())
    audit(session, actor, "team.reassign", "staff", target.id, {
        "from_staff_id": source.id if source is not None else None, "to_staff_id": target.id,
        "whole_portfolio": whole, "customers": len(ids), "customer_ids": ids,
        "reason": reason.strip(), "on": today.isoformat(),
    }, now)  # fmt: skip
    return Handover(source, target, ids, today)
