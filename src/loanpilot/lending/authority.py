"""Approval authority (what each role may approve alone, as data) and the maker-checker requests
an approval above it becomes.

Authority defaults, used while ``approval_authorities`` is empty and written by
``ensure_default_authorities``: an approver alone up to ¥500,000, a branch head ¥1,000,000, a risk
officer ¥3,000,000, every product type. An approval above the maker's amount needs a checker
whose own authority covers it. An authority is used only by a role that also holds the
``applications:review`` permission (``reviewing_roles``, from the stored permission matrix): the
authority table and the matrix are kept apart, so a role can have an authority it never uses.

A request keeps the maker's amount, term, rate, note and, for a secured loan, the appraised
collateral value the limit was computed with (the checker's confirmation recomputes the limit from
it). The request's own workflow move (a referred application goes under
review) is ``lending.lifecycle.request_approval``. Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission
from loanpilot.access.service import permission_matrix
from loanpilot.audit.service import record
from loanpilot.kit.errors import ConflictError, FieldProblem, NotFoundError, ValidationError
from loanpilot.lending import repository_lifecycle as repo
from loanpilot.lending.models import (
    Application,
    ApprovalAuthority,
    ApprovalRequest,
    ApprovalRequestStatus,
)
from loanpilot.lending.workflow import Authority
from loanpilot.products.models import ProductType
from loanpilot.team.models import Role

YUAN = 100
#: Authority while the table is empty (role -> what it may approve alone); see the docstring.
DEFAULT_AUTHORITIES: Mapping[str, Authority] = {
    Role.APPROVER.value: Authority(500_000 * YUAN),
    Role.BRANCH_HEAD.value: Authority(1_000_000 * YUAN),
    Role.RISK_OFFICER.value: Authority(3_000_000 * YUAN),
}
#: The largest authority one may set (¥10 bn): bounds the input, not policy.
MAX_AUTHORITY_FEN = 10**12


# --- authorities ---------------------------------------------------------------------------------


def authorities(session: Session) -> list[ApprovalAuthority]:
    """The stored authorities, smallest amount first."""
    return repo.authority_rows(session)


def authority_map(session: Session) -> dict[str, Authority]:
    """Role -> authority: the stored table, or ``DEFAULT_AUTHORITIES`` while it is empty."""
    rows = repo.authority_rows(session)
    if not rows:
        return dict(DEFAULT_AUTHORITIES)
    return {r.role: Authority(r.max_amount_fen, frozenset(r.product_types or ())) for r in rows}


def reviewing_roles(session: Session) -> frozenset[str]:
    """The roles holding ``applications:review`` in the stored permission matrix: the only ones
    whose authority is ever used (they alone may approve, decline and check)."""
    return frozenset(
        role.value
        for role, held in permission_matrix(session).items()
        if Permission.APPLICATIONS_REVIEW in held
    )


def ensure_default_authorities(session: Session, now: datetime) -> int:
    """Write ``DEFAULT_AUTHORITIES`` when the table is empty; how many rows were written."""
    if repo.authority_rows(session):
        return 0
    for role, authority in DEFAULT_AUTHORITIES.items():
        repo.add(
            session,
            ApprovalAuthority(
                role=role,
                max_amount_fen=authority.max_amount_fen,
                product_types=sorted(authority.product_types),
                updated_at=now,
            ),
        )
    record(
        session,
        action="approval_authority.defaults",
        entity="approval_authority",
        detail={r: a.max_amount_fen for r, a in DEFAULT_AUTHORITIES.items()},
        at=now,
    )
    return len(DEFAULT_AUTHORITIES)


def set_authority(
    session: Session,
    *,
    role: str,
    max_amount_fen: int,
    product_types: list[str],
    now: datetime,
    by_id: int | None,
    actor_label: str,
) -> ApprovalAuthority:
    """Create or change one role's authority (every problem reported at once; audited with the
    values before and after). The defaults are written first if the table is still empty."""
    problems: list[FieldProblem] = []
    if role not in Role._value2member_map_:
        problems.append(FieldProblem("role", f"Unknown role {role!r}"))
    if not 0 <= max_amount_fen <= MAX_AUTHORITY_FEN:
        problems.append(
            FieldProblem("max_amount", f"must be between 0 and {MAX_AUTHORITY_FEN // YUAN} yuan")
        )
    unknown = sorted(set(product_types) - set(ProductType._value2member_map_))
    if unknown:
        problems.append(FieldProblem("product_types", f"Unknown product types {unknown}"))
    if problems:
        raise ValidationError("authority.invalid", "The approval authority is not valid", problems)
    ensure_default_authorities(session, now)
    row = repo.authority_row(session, role)
    before = None if row is None else [row.max_amount_fen, list(row.product_types or [])]
    if row is None:
        row = ApprovalAuthority(role=role, max_amount_fen=0, product_types=[], updated_at=now)
    row.max_amount_fen = max_amount_fen
    row.product_types = sorted(set(product_types))
    row.updated_at, row.updated_by_id = now, by_id
    repo.add(session, row)
    record(
        session,
        action="approval_authority.set",
        actor_label=actor_label,
        actor_staff_id=by_id,
        entity="approval_authority",
        entity_id=role,
        detail={"before": before, "after": [max_amount_fen, row.product_types]},
        at=now,
    )
    return row


# --- maker-checker requests ---------------------------------------------------------------------


def pending_request(session: Session, application_id: int) -> ApprovalRequest | None:
    return repo.pending_request(session, application_id)


def get_request(session: Session, request_id: int) -> ApprovalRequest:
    row = repo.approval_request(session, request_id)
    if row is None:
        raise NotFoundError("approval.not_found", f"No approval request with id {request_id}")
    return row


def refuse_if_pending(session: Session, app: Application) -> None:
    if repo.pending_request(session, app.id) is not None:
        raise ConflictError(
            "approval.pending",
            f"An approval of application {app.application_no} is waiting for a checker; "
            "confirm or reject it first",
        )


def open_request(
    session: Session,
    app: Application,
    *,
    maker_id: int,
    maker_label: str,
    amount_fen: int,
    term_months: int,
    annual_rate: Decimal,
    note: str,
    now: datetime,
    collateral_value_fen: int | None = None,
) -> ApprovalRequest:
    """Write a pending request (audited), with the maker's appraised collateral value when there
    is one."""
    refuse_if_pending(session, app)
    row = ApprovalRequest(
        application_id=app.id, maker_id=maker_id, made_at=now, amount_fen=amount_fen,
        term_months=term_months, annual_rate=annual_rate, note=note,
        collateral_value_fen=collateral_value_fen, status=ApprovalRequestStatus.PENDING,
    )  # fmt: skip
    repo.add(session, row)
    record(
        session, action="approval.request", actor_label=maker_label, actor_staff_id=maker_id,
        entity="application", entity_id=app.application_no,
        detail={"request": row.id, "amount_fen": amount_fen, "term_months": term_months,
                "annual_rate": str(annual_rate), "collateral_value_fen": collateral_value_fen},
        at=now,
    )  # fmt: skip
    return row


def close_request(
    session: Session,
    row: ApprovalRequest,
    app: Application,
    *,
    status: ApprovalRequestStatus,
    checker_id: int | None,
    checker_label: str,
    note: str | None,
    now: datetime,
) -> None:
    """Mark a pending request confirmed, rejected or cancelled (audited)."""
    if row.status is not ApprovalRequestStatus.PENDING:
        raise ConflictError(
            "approval.not_pending", f"Approval request {row.id} is already {row.status.value}"
        )
    row.status, row.checker_id, row.checked_at, row.checker_note = status, checker_id, now, note
    session.flush()
    record(
        session, action=f"approval.{status.value}", actor_label=checker_label,
        actor_staff_id=checker_id, entity="application", entity_id=app.application_no,
        detail={"request": row.id, "maker": row.maker_id}, at=now,
    )  # fmt: skip
