"""Pure access rules: the permissions, the default role-permission matrix, each role's data scope,
the password policy and the lock-out rule. No session, clock or I/O here (house rule 2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from loanpilot.kit.errors import FieldProblem, PermissionDeniedError
from loanpilot.team.models import Role


class Permission(StrEnum):
    """What a route may require. Stored as text in ``role_permissions``."""

    DASHBOARD_VIEW = "dashboard:view"
    CUSTOMERS_READ = "customers:read"
    PII_VIEW = "pii:view"
    PRODUCTS_READ = "products:read"
    PRODUCTS_WRITE = "products:write"
    STAFF_READ = "staff:read"
    STAFF_WRITE = "staff:write"
    PERMISSIONS_READ = "permissions:read"
    PERMISSIONS_WRITE = "permissions:write"
    AUDIT_READ = "audit:read"
    AUDIT_EXPORT = "audit:export"
    RISK_READ = "risk:read"  # models, policies, decisions and the review queue
    MODELS_WRITE = "models:write"  # fit, register, promote and retire credit models
    POLICY_WRITE = "policy:write"  # draft and activate credit policies
    APPLICATIONS_REVIEW = "applications:review"  # decide referred applications by hand
    LOANS_READ = "loans:read"  # the application pipeline, loans, schedules and repayments
    LOANS_SERVICE = "loans:service"  # accept, sign, disburse; post, prepay and reverse payments
    LOANS_WRITE_OFF = "loans:write_off"  # write a loan off (核销)
    PORTFOLIO_CLOSE = "portfolio:close"  # run the daily close; override a five-category class
    ALERTS_WORK = "alerts:work"  # work early-warning alerts and monitoring tasks; edit the rules
    COLLECTIONS_WORK = "collections:work"  # work the collections queue and its cases
    MARKETING_READ = "marketing:read"  # segments, next-best-offers, campaigns and their results
    SEGMENTS_WRITE = "segments:write"  # band edges; build segments, offers and marketing models
    CAMPAIGNS_WRITE = "campaigns:write"  # plan and optimise campaigns, record spend, export lists
    LISTS_UNMASK = "lists:unmask"  # export a campaign's target lists with clear names and phones
    TEAM_WRITE = "team:write"  # portfolios (reassign), training, certificates, mentors, rotations
    APPRAISAL_READ = "appraisal:read"  # appraisal results: one's own, or one's team's for managers
    APPRAISAL_WRITE = "appraisal:write"  # appraisal plans and runs
    APPRAISAL_RATE = "appraisal:rate"  # rate the qualitative indicators of one's team
    SERVICE_READ = "service:read"  # survey results, SLA breaches, quality reviews
    SERVICE_WRITE = "service:write"  # build and send surveys, set SLA targets, record reviews
    FEEDBACK_READ = "feedback:read"  # feedback tickets and improvement actions
    FEEDBACK_WORK = "feedback:work"  # register, assign, resolve tickets; raise and verify actions
    MARKET_WRITE = "market:write"  # enter or import market sizes and competitors' products
    KPI_READ = "kpi:read"  # the KPI suite and generated work plans, within one's scope
    KPI_WRITE = "kpi:write"  # set KPI targets and recompute the KPI snapshots
    PLAN_READ = "plan:read"  # read the generated work plans (bank-wide figures, named top staff)
    PLAN_WRITE = "plan:write"  # generate the marketing work plan (营销工作方案)


class ScopeKind(StrEnum):
    """Which customers a role sees."""

    ALL = "all"  # the whole bank
    BRANCH = "branch"  # customers of the staff member's branch and the branches below it
    OWN = "own"  # only the customers assigned to the staff member


P = Permission
_EVERYONE: Final = frozenset({P.DASHBOARD_VIEW, P.PRODUCTS_READ, P.APPRAISAL_READ, P.KPI_READ})
_CUSTOMER_WORK: Final = _EVERYONE | {P.CUSTOMERS_READ, P.PII_VIEW, P.LOANS_READ}
_SELLING: Final = _CUSTOMER_WORK | {
    P.LOANS_SERVICE,
    P.MARKETING_READ,
    P.FEEDBACK_READ,
    P.FEEDBACK_WORK,
}
#: The loop of issue 7 a manager runs: team, appraisal, service, feedback, KPIs and the plan.
_MANAGING: Final = frozenset(
    {
        P.TEAM_WRITE,
        P.APPRAISAL_RATE,
        P.SERVICE_READ,
        P.SERVICE_WRITE,
        P.FEEDBACK_READ,
        P.FEEDBACK_WORK,
    }
)

#: The matrix the database starts with; an administrator's later changes to the stored matrix win.
DEFAULT_MATRIX: Final[dict[Role, frozenset[Permission]]] = {
    Role.ADMINISTRATOR: frozenset(
        {
            *_EVERYONE,
            P.PRODUCTS_WRITE,
            P.STAFF_READ,
            P.STAFF_WRITE,
            P.PERMISSIONS_READ,
            P.PERMISSIONS_WRITE,
            P.AUDIT_READ,
            P.RISK_READ,
            P.LOANS_READ,
            P.PORTFOLIO_CLOSE,
            P.MARKETING_READ,
            P.TEAM_WRITE,
            P.APPRAISAL_WRITE,
            P.SERVICE_READ,
            P.FEEDBACK_READ,
            P.KPI_WRITE,
            P.PLAN_READ,
            P.PLAN_WRITE,
        }
    ),
    Role.MARKETING_MANAGER: _EVERYONE
    | {
        P.CUSTOMERS_READ,
        P.PRODUCTS_WRITE,
        P.STAFF_READ,
        P.LOANS_READ,
        P.MARKETING_READ,
        P.SEGMENTS_WRITE,
        P.CAMPAIGNS_WRITE,
        P.LISTS_UNMASK,  # hands the call centre its list with phone numbers (each export audited)
        *_MANAGING,
        P.APPRAISAL_WRITE,
        P.MARKET_WRITE,
        P.KPI_WRITE,
        P.PLAN_READ,
        P.PLAN_WRITE,
    },
    Role.MARKET_ANALYST: _EVERYONE
    | {
        P.CUSTOMERS_READ,
        P.MARKETING_READ,
        P.SEGMENTS_WRITE,
        P.MARKET_WRITE,
        P.SERVICE_READ,
        P.FEEDBACK_READ,
        P.PLAN_READ,
    },
    Role.CUSTOMER_MANAGER: _SELLING,
    Role.SENIOR_CUSTOMER_MANAGER: _SELLING,
    Role.SALES_CONSULTANT: _SELLING,
    Role.RISK_OFFICER: _SELLING
    | {
        P.PRODUCTS_WRITE,
        P.RISK_READ,
        P.MODELS_WRITE,
        P.POLICY_WRITE,
        P.APPLICATIONS_REVIEW,
        P.LOANS_WRITE_OFF,
        P.PORTFOLIO_CLOSE,
        P.ALERTS_WORK,
        P.COLLECTIONS_WORK,
        P.PLAN_READ,
    },
    Role.APPROVER: _CUSTOMER_WORK | {P.RISK_READ, P.APPLICATIONS_REVIEW},
    Role.COLLECTOR: _CUSTOMER_WORK | {P.COLLECTIONS_WORK},
    Role.SERVICE_AGENT: _SELLING | {P.SERVICE_READ, P.SERVICE_WRITE},
    Role.AUDITOR: _EVERYONE
    | {
        P.CUSTOMERS_READ,
        P.STAFF_READ,
        P.PERMISSIONS_READ,
        P.AUDIT_READ,
        P.AUDIT_EXPORT,
        P.RISK_READ,
        P.LOANS_READ,
        P.MARKETING_READ,
        P.SERVICE_READ,
        P.FEEDBACK_READ,
        P.PLAN_READ,
    },
    Role.BRANCH_HEAD: _CUSTOMER_WORK
    | _MANAGING
    | {P.STAFF_READ, P.RISK_READ, P.ALERTS_WORK, P.MARKETING_READ, P.PLAN_READ},
}

#: Whose customers each role sees; roles not named see the whole bank.
ROLE_SCOPE: Final[dict[Role, ScopeKind]] = {
    Role.CUSTOMER_MANAGER: ScopeKind.OWN,
    Role.SENIOR_CUSTOMER_MANAGER: ScopeKind.OWN,
    Role.SALES_CONSULTANT: ScopeKind.OWN,
    Role.BRANCH_HEAD: ScopeKind.BRANCH,
}

#: Read-only roles: refused every change of state whatever the matrix says.
READ_ONLY_ROLES: Final = frozenset({Role.AUDITOR})
#: Permissions that change state; a read-only role never holds them.
WRITE_PERMISSIONS: Final = frozenset(
    {
        P.PRODUCTS_WRITE,
        P.STAFF_WRITE,
        P.PERMISSIONS_WRITE,
        P.MODELS_WRITE,
        P.POLICY_WRITE,
        P.APPLICATIONS_REVIEW,
        P.LOANS_SERVICE,
        P.LOANS_WRITE_OFF,
        P.PORTFOLIO_CLOSE,
        P.ALERTS_WORK,
        P.COLLECTIONS_WORK,
        P.SEGMENTS_WRITE,
        P.CAMPAIGNS_WRITE,
        P.LISTS_UNMASK,
        P.TEAM_WRITE,
        P.APPRAISAL_WRITE,
        P.APPRAISAL_RATE,
        P.SERVICE_WRITE,
        P.FEEDBACK_WORK,
        P.MARKET_WRITE,
        P.KPI_WRITE,
        P.PLAN_WRITE,
    }
)
#: Cells nobody can take away: the administrator always keeps the matrix in hand (no lock-out).
FIXED_CELLS: Final = frozenset(
    {(Role.ADMINISTRATOR, P.PERMISSIONS_READ), (Role.ADMINISTRATOR, P.PERMISSIONS_WRITE)}
)


def scope_for(role: Role) -> ScopeKind:
    return ROLE_SCOPE.get(role, ScopeKind.ALL)


def effective_permissions(role: Role, stored: frozenset[str]) -> frozenset[Permission]:
    """The permissions ``role`` holds given its stored rows: unknown names are ignored and a
    read-only role never holds a write permission, whatever was stored."""
    known = {Permission(name) for name in stored if name in Permission._value2member_map_}
    known |= {permission for fixed_role, permission in FIXED_CELLS if fixed_role is role}
    if role in READ_ONLY_ROLES:
        known -= WRITE_PERMISSIONS
    return frozenset(known)


def matrix_change_problem(role: Role, permission: Permission, granted: bool) -> str | None:
    """Why the cell (``role``, ``permission``) cannot be set to ``granted``; None when it can."""
    if (role, permission) in FIXED_CELLS and not granted:
        return "the administrator always keeps the permission matrix (no lock-out)"
    if granted and role in READ_ONLY_ROLES and permission in WRITE_PERMISSIONS:
        return f"{role.value} is read-only and cannot hold {permission.value}"
    return None


# --- passwords ------------------------------------------------------------------------------------

PASSWORD_MIN_LENGTH: Final = 10
PASSWORD_MAX_LENGTH: Final = 128
PASSWORD_MIN_CLASSES: Final = 3
#: Passwords too common to allow whatever their classes (lower-cased comparison).
COMMON_PASSWORDS: Final = frozenset(
    {
        "password123!",
        "p@ssw0rd123",
        "qwerty12345!",
        "admin123456!",
        "abc123456789",
        "1qaz2wsx3edc",
        "1q2w3e4r5t6y",
        "password1234",
        "loanpilot123",
    }
)


def password_problems(password: str, username: str, field: str = "password") -> list[FieldProblem]:
    """Every way ``password`` breaks the policy (empty when it is acceptable).

    Policy: 10–128 characters; at least three of lower case, upper case, digits and symbols; not
    containing the user name; not a well-known password. Messages never repeat the password.
    """
    problems: list[FieldProblem] = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(
            FieldProblem(field, f"must be at least {PASSWORD_MIN_LENGTH} characters long")
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append(FieldProblem(field, f"must be at most {PASSWORD_MAX_LENGTH} characters"))
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < PASSWORD_MIN_CLASSES:
        problems.append(
            FieldProblem(
                field,
                "must mix at least three of: lower-case letters, upper-case letters, digits, symbols",
            )
        )
    if username and username.lower() in password.lower():
        problems.append(FieldProblem(field, "must not contain the user name"))
    if password.lower() in COMMON_PASSWORDS:
        problems.append(FieldProblem(field, "is too common"))
    return problems


# --- lock-out -------------------------------------------------------------------------------------

MAX_FAILED_LOGINS: Final = 5
LOCKOUT: Final = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginState:
    failed_attempts: int
    locked_until: datetime | None


def is_locked(state: LoginState, now: datetime) -> bool:
    return state.locked_until is not None and now < state.locked_until


def after_failure(state: LoginState, now: datetime) -> LoginState:
    """The state after one more wrong password: the fifth in a row locks for 15 minutes."""
    failed = state.failed_attempts + 1
    if failed >= MAX_FAILED_LOGINS:
        return LoginState(failed_attempts=0, locked_until=now + LOCKOUT)
    return LoginState(failed_attempts=failed, locked_until=state.locked_until)


def after_success() -> LoginState:
    return LoginState(failed_attempts=0, locked_until=None)


# --- who is asking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """A signed-in staff member (console session or API token) and what they may see and do.

    ``branch_ids`` is the branch and every branch below it (used when ``scope`` is BRANCH).
    """

    account_id: int
    staff_id: int
    username: str
    name: str
    role: Role
    branch_id: int
    branch_ids: frozenset[int]
    permissions: frozenset[Permission]
    scope: ScopeKind
    via: str  # "session" or "token"
    session_id: int | None = None
    token_id: int | None = None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def sees_customer(self, home_branch_id: int | None, manager_id: int | None) -> bool:
        """Whether a customer of ``home_branch_id`` looked after by ``manager_id`` is in scope."""
        if self.scope is ScopeKind.ALL:
            return True
        if self.scope is ScopeKind.OWN:
            return manager_id == self.staff_id
        return home_branch_id is not None and home_branch_id in self.branch_ids


def check_customer_scope(
    principal: Principal, home_branch_id: int | None, manager_id: int | None
) -> None:
    """Raise PermissionDeniedError unless the customer is in ``principal``'s scope."""
    if not principal.sees_customer(home_branch_id, manager_id):
        raise PermissionDeniedError(
            "scope.forbidden", "This customer is outside your branch or your assigned customers"
        )
