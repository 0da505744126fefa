"""One login per role for the demo bank, printed by ``demo build`` so a new user can look around.

Each account belongs to a real staff member of the demo bank: the customer manager with the most
customers, the head of the branch with the most customers, and the first active staff member of
every other role. All share :data:`DEMO_PASSWORD`; never use these accounts with real data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loanpilot.access.service import create_account, sync_permission_matrix
from loanpilot.customers.models import Customer
from loanpilot.team.models import Role, Staff, StaffStatus

DEMO_PASSWORD = "Demo-2026-pilot"  # noqa: S105 - published on purpose: demo data only

#: User name of each demo role (the roles the issue names; others log in through `user create`).
DEMO_USERS: tuple[tuple[str, Role], ...] = (
    ("admin", Role.ADMINISTRATOR),
    ("marketing", Role.MARKETING_MANAGER),
    ("manager", Role.CUSTOMER_MANAGER),
    ("risk", Role.RISK_OFFICER),
    ("approver", Role.APPROVER),
    ("service", Role.SERVICE_AGENT),
    ("auditor", Role.AUDITOR),
    ("branch", Role.BRANCH_HEAD),
    ("collector", Role.COLLECTOR),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    staff_name: str
    employee_no: str


def _pick(session: Session, role: Role) -> Staff | None:
    active = select(Staff).where(Staff.role == role, Staff.status == StaffStatus.ACTIVE)
    if role is Role.CUSTOMER_MANAGER:
        busiest = (
            select(Customer.manager_id)
            .join(Staff, Staff.id == Customer.manager_id)
            .where(Staff.role == role, Staff.status == StaffStatus.ACTIVE)
            .group_by(Customer.manager_id)
            .order_by(func.count().desc(), Customer.manager_id)
            .limit(1)
        )
        return session.scalar(active.where(Staff.id == busiest.scalar_subquery()))
    if role is Role.BRANCH_HEAD:
        busiest_branch = (
            select(Staff.branch_id)
            .join(Customer, Customer.home_branch_id == Staff.branch_id)
            .where(Staff.role == role, Staff.status == StaffStatus.ACTIVE)
            .group_by(Staff.branch_id)
            .order_by(func.count().desc(), Staff.branch_id)
            .limit(1)
        )
        return session.scalar(
            active.where(Staff.branch_id == busiest_branch.scalar_subquery()).order_by(Staff.id)
        )
    return session.scalar(active.order_by(Staff.id).limit(1))


def create_demo_accounts(session: Session, now: datetime) -> list[DemoLogin]:
    """Accounts for :data:`DEMO_USERS` (skipping a role the bank has no staff for); flushes."""
    sync_permission_matrix(session)
    logins: list[DemoLogin] = []
    for username, role in DEMO_USERS:
        staff = _pick(session, role)
        if staff is None:
            continue
        create_account(
            session, staff_id=staff.id, username=username, password=DEMO_PASSWORD, now=now
        )
        logins.append(DemoLogin(username, DEMO_PASSWORD, role, staff.name, staff.employee_no))
    return logins


def existing_demo_logins(session: Session) -> list[DemoLogin]:
    """The demo accounts that still have the published password (to remind ``make demo`` users)."""
    from loanpilot.access.models import StaffAccount
    from loanpilot.access.service import verify_password

    logins: list[DemoLogin] = []
    for username, role in DEMO_USERS:
        row = session.execute(
            select(StaffAccount, Staff)
            .join(Staff, Staff.id == StaffAccount.staff_id)
            .where(StaffAccount.username == username)
        ).first()
        if row is not None and verify_password(row[0].password_hash, DEMO_PASSWORD):
            logins.append(DemoLogin(username, DEMO_PASSWORD, role, row[1].name, row[1].employee_no))
    return logins
