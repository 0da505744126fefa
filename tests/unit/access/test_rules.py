"""Pure access rules: password policy, lock-out, the default matrix, scopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.access.rules import (
    DEFAULT_MATRIX,
    LOCKOUT,
    MAX_FAILED_LOGINS,
    READ_ONLY_ROLES,
    WRITE_PERMISSIONS,
    LoginState,
    Permission,
    Principal,
    ScopeKind,
    after_failure,
    after_success,
    check_customer_scope,
    effective_permissions,
    is_locked,
    password_problems,
    scope_for,
)
from loanpilot.kit.errors import PermissionDeniedError
from loanpilot.team.models import Role

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "password",
    ["Abcdefgh1!", "correct-Horse-battery", "贷款Pilot2026", "ZXCVBNM-123456"],
)
def test_good_passwords_pass(password: str) -> None:
    assert password_problems(password, "wangmin") == []


def test_a_bad_password_lists_every_problem_without_repeating_it() -> None:
    problems = password_problems("wangmin", "wangmin")
    messages = [p.message for p in problems]
    assert len(problems) == 3  # too short, one class only, contains the user name
    assert any("at least 10" in m for m in messages)
    assert any("three of" in m for m in messages)
    assert any("user name" in m for m in messages)
    assert all("wangmin" not in m for m in messages)
    assert {p.field for p in problems} == {"password"}


def test_common_and_overlong_passwords_are_refused() -> None:
    assert [p.message for p in password_problems("Password123!", "x")] == ["is too common"]
    assert any("at most" in p.message for p in password_problems("Aa1!" * 40, "x"))


def test_five_failures_in_a_row_lock_for_fifteen_minutes() -> None:
    state = LoginState(0, None)
    for attempt in range(1, MAX_FAILED_LOGINS):
        state = after_failure(state, NOW)
        assert state.failed_attempts == attempt
        assert not is_locked(state, NOW)
    state = after_failure(state, NOW)
    assert is_locked(state, NOW)
    assert is_locked(state, NOW + LOCKOUT - timedelta(seconds=1))
    assert not is_locked(state, NOW + LOCKOUT)
    assert after_success() == LoginState(0, None)


def test_every_role_has_a_default_row_and_the_auditor_is_read_only() -> None:
    assert set(DEFAULT_MATRIX) == set(Role)
    for role in READ_ONLY_ROLES:
        assert not DEFAULT_MATRIX[role] & WRITE_PERMISSIONS
    assert Permission.AUDIT_READ in DEFAULT_MATRIX[Role.AUDITOR]
    assert Permission.PII_VIEW not in DEFAULT_MATRIX[Role.ADMINISTRATOR]
    assert Permission.PII_VIEW in DEFAULT_MATRIX[Role.CUSTOMER_MANAGER]


def test_a_read_only_role_never_holds_a_write_permission_whatever_is_stored() -> None:
    stored = frozenset({"products:write", "audit:read", "no-such:permission"})
    assert effective_permissions(Role.AUDITOR, stored) == {Permission.AUDIT_READ}
    assert effective_permissions(Role.RISK_OFFICER, stored) == {
        Permission.PRODUCTS_WRITE,
        Permission.AUDIT_READ,
    }


def _principal(
    role: Role, staff_id: int = 7, branch_ids: frozenset[int] = frozenset({3, 4})
) -> Principal:
    return Principal(
        account_id=1,
        staff_id=staff_id,
        username="u",
        name="n",
        role=role,
        branch_id=3,
        branch_ids=branch_ids,
        permissions=DEFAULT_MATRIX[role],
        scope=scope_for(role),
        via="token",
    )


@given(
    home=st.one_of(st.none(), st.integers(1, 8)),
    manager=st.one_of(st.none(), st.integers(1, 12)),
)
def test_scopes(home: int | None, manager: int | None) -> None:
    assert _principal(Role.RISK_OFFICER).sees_customer(home, manager)
    own = _principal(Role.CUSTOMER_MANAGER)
    assert own.scope is ScopeKind.OWN
    assert own.sees_customer(home, manager) == (manager == 7)
    branch = _principal(Role.BRANCH_HEAD)
    assert branch.scope is ScopeKind.BRANCH
    assert branch.sees_customer(home, manager) == (home in {3, 4})


def test_check_customer_scope_raises_the_scope_code() -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        check_customer_scope(_principal(Role.CUSTOMER_MANAGER), 3, 99)
    assert caught.value.code == "scope.forbidden"
    check_customer_scope(_principal(Role.CUSTOMER_MANAGER), 3, 7)


def test_the_administrator_always_keeps_the_matrix_and_the_auditor_never_writes() -> None:
    from loanpilot.access.rules import matrix_change_problem

    assert Permission.PERMISSIONS_WRITE in effective_permissions(Role.ADMINISTRATOR, frozenset())
    assert matrix_change_problem(Role.ADMINISTRATOR, Permission.PERMISSIONS_WRITE, False)
    assert matrix_change_problem(Role.ADMINISTRATOR, Permission.PERMISSIONS_WRITE, True) is None
    assert matrix_change_problem(Role.AUDITOR, Permission.PRODUCTS_WRITE, True)
    assert matrix_change_problem(Role.AUDITOR, Permission.PRODUCTS_WRITE, False) is None
    assert matrix_change_problem(Role.MARKETING_MANAGER, Permission.PRODUCTS_WRITE, False) is None
