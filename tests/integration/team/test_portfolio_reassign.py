"""Portfolio hand-overs on a small hand-built bank (both backends): history kept, customers'
current manager updated, counts and balances per manager, scope refusals, and atomicity (a refused
or failing hand-over changes nothing)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.integration.team import test_team_bank as shared
from tests.integration.team.test_team_bank import Bank, branch_head

from loanpilot.audit.models import AuditLog
from loanpilot.customers.models import Customer
from loanpilot.db.session import transaction
from loanpilot.kit.errors import ValidationError
from loanpilot.team import people
from loanpilot.team import repository_people as repo
from loanpilot.team.models import PortfolioAssignment

team_url, team_db, bank = shared.team_url, shared.team_db, shared.bank  # the fixtures
TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


def _state(session: Session) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], int]:
    """Every assignment, every customer's manager and the number of audit rows."""
    assignments = [tuple(r) for r in session.execute(select(
        PortfolioAssignment.customer_id, PortfolioAssignment.staff_id, PortfolioAssignment.start_on,
        PortfolioAssignment.end_on, PortfolioAssignment.reason).order_by(PortfolioAssignment.id))]  # fmt: skip
    managers = [tuple(r) for r in session.execute(
        select(Customer.id, Customer.manager_id).order_by(Customer.id))]  # fmt: skip
    audits = session.execute(select(func.count(AuditLog.id))).scalar_one()
    return assignments, managers, int(audits)


def test_whole_portfolio_handover_keeps_history_and_moves_the_current_manager(
    team_db: sessionmaker[Session], bank: Bank
) -> None:
    with transaction(team_db) as s:
        done = people.reassign(s, to_staff=bank.e("E004"), from_staff=bank.e("E001"), reason="离职交接",
                               actor=people.CLI_ACTOR, today=TODAY, now=NOW)  # fmt: skip
    assert done.moved == 3
    assert done.source is not None
    assert done.source.employee_no == bank.e("E001")
    with team_db() as s:
        for no in ("C1", "C2", "C3"):
            history = repo.manager_history(s, bank.customers[no])
            assert [(h.employee_no, h.start_on, h.end_on, h.reason) for h in history] == [
                (bank.e("E004"), TODAY, None, "离职交接"),
                (bank.e("E001"), date(2024, 1, 1), TODAY, None),
            ]
            assert s.get(Customer, bank.customers[no]).manager_id == bank.staff["E004"]
        assert s.get(Customer, bank.customers["C4"]).manager_id == bank.staff["E002"]
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "team.reassign")).one()
        assert audit.actor_label == "cli"
        assert audit.detail["customers"] == 3
        assert audit.detail["from_staff_id"] == bank.staff["E001"]
        assert sorted(audit.detail["customer_ids"]) == sorted(
            bank.customers[c] for c in ("C1", "C2", "C3")
        )


def test_counts_and_balances_per_manager(team_db: sessionmaker[Session], bank: Bank) -> None:
    with team_db() as s:
        rows = {r.employee_no[len(bank.prefix):]: r for r in repo.portfolio_summary(s, None)
                if r.employee_no.startswith(bank.prefix)}  # fmt: skip
        # customer-facing staff only (E006 risk officer and E007 branch head are left out)
        assert set(rows) == {"E001", "E002", "E003", "E004", "E005"}
        assert (rows["E001"].customers, rows["E001"].balance_fen) == (3, 1_500_000)
        assert (rows["E002"].customers, rows["E002"].balance_fen) == (1, 200_000)
        assert (rows["E004"].customers, rows["E004"].balance_fen) == (0, 0)
        scoped = repo.portfolio_summary(s, {bank.branches["A1"]})
        assert [r.employee_no for r in scoped] == [bank.e("E002")]
        mine = {c.customer_no: c for c in repo.portfolio_customers(s, bank.staff["E001"])}
        assert (
            mine[bank.c("C1")].loans,
            mine[bank.c("C1")].balance_fen,
            mine[bank.c("C1")].since,
        ) == (
            2,
            1_500_000,
            date(2024, 1, 1),
        )


def test_a_selection_with_one_bad_customer_is_refused_whole(
    team_db: sessionmaker[Session], bank: Bank
) -> None:
    with team_db() as s:
        before = _state(s)
    with pytest.raises(ValidationError) as caught, transaction(team_db) as s:
        people.reassign(s, to_staff=bank.e("E004"), from_staff=bank.e("E001"), reason="调整",
                        customers=[(bank.c("C1"), None), (bank.c("C4"), None), (bank.c("C9"), None)],
                        actor=people.CLI_ACTOR, today=TODAY, now=NOW)  # fmt: skip
    assert [(p.field, p.code) for p in caught.value.problems] == [
        ("customers", "not_in_portfolio"), ("customers", "unknown_customer")
    ]  # fmt: skip
    with team_db() as s:
        assert _state(s) == before


def test_a_failure_while_writing_changes_nothing(
    team_db: sessionmaker[Session], bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    with team_db() as s:
        before = _state(s)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr(people, "audit", broken)
    with pytest.raises(RuntimeError), transaction(team_db) as s:
        people.reassign(s, to_staff=bank.e("E004"), from_staff=bank.e("E001"), reason="调整",
                        actor=people.CLI_ACTOR, today=TODAY, now=NOW)  # fmt: skip
    with team_db() as s:
        assert _state(s) == before


@pytest.mark.parametrize(
    ("to", "frm", "field", "code"),
    [
        ("E003", "E001", "to_staff", "target_out_of_scope"),  # branch B
        ("E004", "E003", "from_staff", "source_out_of_scope"),
        ("E005", "E001", "to_staff", "target_not_active"),  # left the bank
        ("E006", "E001", "to_staff", "target_not_customer_facing"),  # risk officer
        ("E001", "E001", "to_staff", "same_person"),
        ("E999", "E001", "to_staff", "unknown_staff"),
    ],
)
def test_refusals_name_the_reason(
    team_db: sessionmaker[Session], bank: Bank, to: str, frm: str, field: str, code: str
) -> None:
    head = people.Actor.of(branch_head(bank), None)
    with pytest.raises(ValidationError) as caught, transaction(team_db) as s:
        people.reassign(s, to_staff=bank.e(to), from_staff=bank.e(frm), reason="调整", actor=head, today=TODAY,
                        now=NOW)  # fmt: skip
    assert (field, code) in [(p.field, p.code) for p in caught.value.problems]


def test_a_branch_head_hands_over_within_their_subtree(
    team_db: sessionmaker[Session], bank: Bank
) -> None:
    head = people.Actor.of(branch_head(bank), "10.0.0.1")
    with transaction(team_db) as s:
        done = people.reassign(s, to_staff=bank.e("E002"), reason="就近服务", customers=[(bank.c("C2"), None)],
                               actor=head, today=TODAY, now=NOW)  # fmt: skip
    assert done.customer_ids == [bank.customers["C2"]]
    with team_db() as s:
        assert s.get(Customer, bank.customers["C2"]).manager_id == bank.staff["E002"]
        found = people.customer_managers(s, branch_head(bank), bank.customers["C2"])
        assert [h.employee_no for h in found.history] == [bank.e("E002"), bank.e("E001")]
        # a customer of branch B is not theirs to look at
        with pytest.raises(Exception, match="No customer"):
            people.customer_managers(s, branch_head(bank), bank.customers["C5"])
    with pytest.raises(ValidationError) as caught, transaction(team_db) as s:
        people.reassign(s, to_staff=bank.e("E002"), reason="x", customers=[(bank.c("C5"), None)], actor=head,
                        today=TODAY, now=NOW)  # fmt: skip
    assert [p.code for p in caught.value.problems] == ["customer_out_of_scope"]
