"""Collections on SQLite and PostgreSQL: the close's step opens, moves and closes cases
idempotently, follows up promises, counts recoveries and assigns collectors; contacts are held
to the compliance rules in the service (an injected ``now``); a branch-scoped role with
collections:work sees and works only its branches' cases; a guarantor's phone is revealed only
with pii:view, and every reveal is audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests import post_loan_site as site

from loanpilot.access.rules import DEFAULT_MATRIX, Permission, Principal, scope_for
from loanpilot.audit.models import AuditLog
from loanpilot.customers.models import Customer
from loanpilot.kit.crypto import FieldCipher, generate_key
from loanpilot.kit.errors import NotFoundError, PermissionDeniedError, ValidationError
from loanpilot.lending.models import (
    Guarantor,
    Loan,
    LoanStatus,
    Repayment,
    ScheduleLine,
    WorkflowEvent,
)
from loanpilot.products.models import LoanProduct
from loanpilot.risk import collections as col
from loanpilot.risk import collections_close
from loanpilot.risk import collections_views as views
from loanpilot.risk.collection_rules import Rung
from loanpilot.risk.models import CollectionAction, CollectionCase
from loanpilot.risk.models_post import CollectionPromise, LadderStep, PromiseStatus
from loanpilot.team.models import Branch, Role, Staff

D = date(2026, 11, 29)


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` Shanghai time on ``day`` as a UTC instant."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


NOW = utc(D, 23, 30)  # the close runs late in the evening


class Bank:
    """Two branches, two collectors in branch 1, one in branch 2; debtor 1 has loans A and B
    (A with a guarantor), debtor 2 has loan C (branch 2)."""

    def __init__(self, session: Session) -> None:
        b1 = site.branch("B1", "一分行")
        b2 = site.branch("B2", "二分行", city="宁波市")
        product = site.consumer_product("P1", max_amount_fen=100_000_000)
        session.add_all([b1, b2, product])
        session.flush()
        self.collectors = []
        for no, branch in (("E1", b1), ("E2", b1), ("E3", b2)):
            s = Staff(
                employee_no=no, name=f"催收{no}", gender="F", role=Role.COLLECTOR,
                branch_id=branch.id, hired_on=date(2020, 1, 1),
            )  # fmt: skip
            session.add(s)
            self.collectors.append(s)
        self.debtors = []
        for i, branch in ((1, b1), (2, b2)):
            c = site.customer(
                f"C{i}", bytes([i]) * 16, name=f"客户{i}", birth_date=date(1988, 5, i),
                home_branch_id=branch.id,
            )  # fmt: skip
            session.add(c)
            self.debtors.append(c)
        session.flush()
        self.loans = {
            name: self._loan(session, name, debtor, branch, product)
            for name, debtor, branch in (
                ("A", self.debtors[0], b1),
                ("B", self.debtors[0], b1),
                ("C", self.debtors[1], b2),
            )
        }
        session.flush()
        self.guarantor = Guarantor(
            loan_id=self.loans["A"].id, name="担保人", id_number_enc=b"y" * 16,
            id_number_hash=b"g" * 16, relation="spouse", guaranteed_fen=1_000_000,
        )  # fmt: skip
        self.other_guarantor = Guarantor(
            loan_id=self.loans["C"].id, name="他人", id_number_enc=b"z" * 16,
            id_number_hash=b"h" * 16, relation="friend", guaranteed_fen=1_000_000,
        )  # fmt: skip
        session.add_all([self.guarantor, self.other_guarantor])
        session.flush()

    @staticmethod
    def _loan(session: Session, no: str, c: Customer, b: Branch, p: LoanProduct) -> Loan:
        loan = site.loan(
            f"L-{no}", principal_fen=1_200_000, term_months=12, customer_id=c.id,
            product_id=p.id, branch_id=b.id, disbursed_on=date(2026, 1, 1),
            first_due_on=date(2026, 2, 1), maturity_on=date(2027, 1, 1),
            outstanding_principal_fen=1_000_000,
        )  # fmt: skip
        session.add(loan)
        session.flush()
        for k in range(12):  # 100,000 fen principal + 5,000 interest a month
            due = date(2026 + (1 + k) // 12, (1 + k) % 12 + 1, 1)
            session.add(
                ScheduleLine(
                    loan_id=loan.id, period_no=k + 1, due_on=due, opening_principal_fen=1_200_000,
                    principal_fen=100_000, interest_fen=5_000,
                    settled_on=due if due < date(2026, 10, 1) else None,
                    paid_principal_fen=100_000 if due < date(2026, 10, 1) else 0,
                    paid_interest_fen=5_000 if due < date(2026, 10, 1) else 0,
                )
            )  # fmt: skip
        return loan


@pytest.fixture
def bank(session_factory: sessionmaker[Session]) -> Bank:
    with session_factory() as s, s.begin():
        return Bank(s)


def _set(session: Session, name: str, bank: Bank, **values: object) -> Loan:
    loan = session.get(Loan, bank.loans[name].id)
    assert loan is not None
    for k, v in values.items():
        setattr(loan, k, v)
    session.flush()
    return loan


def _case(session: Session, bank: Bank, name: str) -> CollectionCase:
    return session.scalars(
        select(CollectionCase)
        .where(CollectionCase.loan_id == bank.loans[name].id)
        .order_by(CollectionCase.id.desc())
    ).first()  # type: ignore[return-value]


def _events(session: Session, bank: Bank, name: str) -> list[str]:
    return list(
        session.scalars(
            select(WorkflowEvent.action)
            .where(WorkflowEvent.entity == "loan", WorkflowEvent.entity_id == bank.loans[name].id)
            .order_by(WorkflowEvent.id)
        )
    )


def test_after_close_opens_moves_and_closes_cases_idempotently(
    session_factory: sessionmaker[Session], bank: Bank
) -> None:
    with session_factory() as s, s.begin():
        _set(s, "A", bank, dpd=59)  # Oct and Nov unpaid: 210,000 fen overdue
        _set(s, "C", bank, dpd=5)
        first = collections_close.after_close(s, D, NOW)
    assert first["ladder_seeded"] == 1
    assert first["opened"] == 2
    assert first["assigned"] == 2
    with session_factory() as s, s.begin():
        assert s.scalar(select(func.count()).select_from(LadderStep)) == 4
        a, c = _case(s, bank, "A"), _case(s, bank, "C")
        assert (a.ladder_step, a.stage.value, a.dpd_at_open) == ("visit", "hard", 59)
        assert c.ladder_step == "sms"
        assert a.assigned_to_id == bank.collectors[0].id  # branch 1's collector, fewest cases
        assert c.assigned_to_id == bank.collectors[2].id  # branch 2's only collector
        assert a.next_action_on == D
        assert _events(s, bank, "A") == ["transfer_to_collections"]
        assert _case(s, bank, "B") is None
        again = collections_close.after_close(s, D, NOW)
    assert again == {}
    with session_factory() as s, s.begin():
        assert s.scalar(select(func.count()).select_from(CollectionCase)) == 2
        assert _events(s, bank, "A") == ["transfer_to_collections"]
        # DPD falls but the loan is still past due: the case stays on its rung
        _set(s, "A", bank, dpd=35)
        _set(s, "C", bank, dpd=12)
        moved = collections_close.after_close(s, D + timedelta(days=1), NOW + timedelta(days=1))
        assert moved == {"moved": 1}
        assert _case(s, bank, "A").ladder_step == "visit"
        assert _case(s, bank, "C").ladder_step == "phone"
    with session_factory() as s, s.begin():
        _set(s, "A", bank, dpd=0)  # cured
        _set(s, "C", bank, status=LoanStatus.WRITTEN_OFF)
        day = D + timedelta(days=2)
        closed = collections_close.after_close(s, day, NOW + timedelta(days=2))
        assert closed == {"closed_cured": 1, "closed_written_off": 1}
        a, c = _case(s, bank, "A"), _case(s, bank, "C")
        assert (a.closed_on, a.outcome, a.stage.value, a.next_action_on) == (
            day,
            "cured",
            "closed",
            None,
        )
        assert (c.closed_on, c.outcome) == (day, "written_off")
        assert _events(s, bank, "A") == ["transfer_to_collections", "cure"]
        assert collections_close.after_close(s, day, NOW + timedelta(days=2)) == {}
    with session_factory() as s, s.begin():  # past due again: a new case
        _set(s, "A", bank, dpd=3)
        assert collections_close.after_close(s, D + timedelta(days=3), NOW)["opened"] == 1
        assert _events(s, bank, "A")[-1] == "transfer_to_collections"


def test_promises_kept_and_broken_and_recoveries(
    session_factory: sessionmaker[Session], bank: Bank
) -> None:
    with session_factory() as s, s.begin():
        _set(s, "A", bank, dpd=20)
        collections_close.after_close(s, D, NOW)
        case_id = _case(s, bank, "A").id
        for amount, due in ((50_000, D + timedelta(days=2)), (80_000, D + timedelta(days=3))):
            col.log_contact(
                s, case_id,
                col.Contact("phone", "debtor", "promise_to_pay", promise_amount_fen=amount,
                            promise_date=due),
                by_id=bank.collectors[0].id, actor_label="test", now=utc(D, 10),
            )  # fmt: skip
        s.add(Repayment(txn_ref="R1", loan_id=bank.loans["A"].id, paid_on=D + timedelta(days=1),
                        amount_fen=60_000))  # fmt: skip
        s.add(Repayment(txn_ref="R0", loan_id=bank.loans["A"].id, paid_on=D - timedelta(days=1),
                        amount_fen=99_000))  # before the case opened: not recovered  # fmt: skip
        done = collections_close.after_close(s, D + timedelta(days=1), NOW)
        assert done == {"promises_kept": 1}
        promises = s.scalars(select(CollectionPromise).order_by(CollectionPromise.id)).all()
        assert [(p.status, p.paid_fen) for p in promises] == [
            (PromiseStatus.KEPT, 60_000),
            (PromiseStatus.OPEN, 60_000),
        ]
        assert _case(s, bank, "A").recovered_fen == 60_000
        assert _case(s, bank, "A").next_action_on == D + timedelta(days=4)
        done = collections_close.after_close(s, D + timedelta(days=3), NOW)
        assert done == {"promises_broken": 1}
        assert promises[1].status is PromiseStatus.BROKEN
        assert promises[1].resolved_on == D + timedelta(days=3)
        assert collections_close.after_close(s, D + timedelta(days=3), NOW) == {}


def test_demo_style_cases_get_their_rung_and_promises_at_the_first_run(
    session_factory: sessionmaker[Session], bank: Bank
) -> None:
    with session_factory() as s, s.begin():
        _set(s, "B", bank, dpd=15)
        case = CollectionCase(case_no="CC0000000001", loan_id=bank.loans["B"].id,
                              opened_on=D - timedelta(days=5), dpd_at_open=10, stage="soft",
                              recovered_fen=0)  # fmt: skip
        s.add(case)
        s.flush()
        s.add(CollectionAction(case_id=case.id, at=utc(D - timedelta(days=4), 10), kind="phone",
                               result="promise_to_pay", promise_amount_fen=10_000,
                               promise_date=D - timedelta(days=1)))  # fmt: skip
        s.flush()
        done = collections_close.after_close(s, D, NOW)
        assert done["placed"] == 1
        assert done["promises_recorded"] == 1
        assert done["promises_broken"] == 1
        assert case.ladder_step == "phone"
        assert _events(s, bank, "B") == ["transfer_to_collections"]
        assert collections_close.after_close(s, D, NOW) == {}


def _contact(**kw: object) -> col.Contact:
    base: dict[str, object] = {"kind": "phone", "party": "debtor", "result": "no_answer"}
    return col.Contact(**{**base, **kw})  # type: ignore[arg-type]


def test_compliance_is_enforced_in_the_service(
    session_factory: sessionmaker[Session], bank: Bank
) -> None:
    with session_factory() as s, s.begin():
        _set(s, "A", bank, dpd=20)
        _set(s, "B", bank, dpd=20)
        collections_close.after_close(s, D, NOW)
        case_a, case_b = _case(s, bank, "A").id, _case(s, bank, "B").id

    def log(case_id: int, at: datetime, **kw: object) -> col.ContactRefusedError | None:
        with session_factory() as s:
            try:
                col.log_contact(s, case_id, _contact(**kw), by_id=None, actor_label="t", now=at)
            except col.ContactRefusedError as exc:
                s.commit()  # the denial's audit row is kept
                return exc
            s.commit()
            return None

    refused = log(case_a, utc(D + timedelta(days=1), 7, 59))
    assert refused is not None
    assert [v.rule for v in refused.violations] == ["hours"]
    assert "outside the contact hours 08:00–21:00" in refused.message
    assert log(case_a, utc(D + timedelta(days=1), 8, 0)) is None
    assert log(case_a, utc(D + timedelta(days=1), 20, 59)) is None
    refused = log(case_a, utc(D + timedelta(days=1), 21, 0))
    assert refused is not None
    # the cap counts every case of the debtor: A twice, then B once (the 3rd) is allowed
    assert log(case_b, utc(D + timedelta(days=1), 12)) is None
    refused = log(case_b, utc(D + timedelta(days=1), 13))
    assert refused is not None
    assert [v.rule for v in refused.violations] == ["daily_cap"]
    # the next day starts afresh; a guarantor of this loan may be contacted, not of another
    day = D + timedelta(days=2)
    assert log(case_a, utc(day, 9), party="guarantor", guarantor_id=bank.guarantor.id) is None
    refused = log(case_a, utc(day, 9), party="guarantor", guarantor_id=bank.other_guarantor.id)
    assert refused is not None
    assert [v.rule for v in refused.violations] == ["third_party"]
    refused = log(case_a, utc(day, 22), party="relative", kind="lawsuit")
    assert refused is not None
    assert [v.rule for v in refused.violations] == ["hours", "third_party", "kind"]
    assert "third parties" in refused.message
    with session_factory() as s:
        actions = s.scalar(
            select(func.count())
            .select_from(CollectionAction)
            .where(CollectionAction.kind != "note")
        )
        assert actions == 4  # only the allowed contacts were recorded
        denied = s.scalars(
            select(AuditLog).where(
                AuditLog.action == "collections.contact", AuditLog.outcome == "denied"
            )
        ).all()
        assert len(denied) == 5
        assert denied[-1].detail["violations"] == ["hours", "third_party", "kind"]


def test_contact_input_and_notes(session_factory: sessionmaker[Session], bank: Bank) -> None:
    with session_factory() as s, s.begin():
        _set(s, "A", bank, dpd=20)
        collections_close.after_close(s, D, NOW)
        case_id = _case(s, bank, "A").id
        with pytest.raises(ValidationError) as bad:
            col.log_contact(
                s, case_id, _contact(kind="fax", result="promise_to_pay"), by_id=None,
                actor_label="t", now=utc(D, 10),
            )  # fmt: skip
        assert {p.field for p in bad.value.problems} == {"kind", "promise_amount", "promise_date"}
        note = col.add_note(s, case_id, "客户称下周发工资后还款", by_id=None, actor_label="t",
                            now=utc(D, 22))  # fmt: skip
        assert note.kind == "note"
        # a note is not a contact: it does not count against the cap
        assert col.contacts_today(s, bank.debtors[0].id, utc(D, 22), col.DEFAULT_POLICY.tz) == 0
        with pytest.raises(ValidationError):
            col.add_note(s, case_id, "  ", by_id=None, actor_label="t", now=utc(D, 22))


def test_ladder_update_is_validated_and_used(
    session_factory: sessionmaker[Session], bank: Bank
) -> None:
    with session_factory() as s, s.begin():
        ladder = col.rungs(s)
        bad = [*ladder[:3], Rung("legal", 4, 20, 0, 0, frozenset({"lawsuit"}))]
        with pytest.raises(ValidationError) as exc:
            col.update_ladder(s, bad, by_id=None, actor_label="t", now=NOW)
        assert exc.value.problems[0].field == "ladder.legal.min_dpd"
        fewer = [
            Rung("phone", 1, 1, 0, 0, frozenset({"sms", "phone"})),
            Rung("legal", 2, 60, 0, 1, frozenset({"phone", "lawsuit"})),
        ]
        rows = col.update_ladder(s, fewer, by_id=None, actor_label="t", now=NOW)
        assert [(r.step, r.position) for r in rows] == [("phone", 1), ("legal", 2)]
        _set(s, "A", bank, dpd=70)
        collections_close.after_close(s, D, NOW)
        assert _case(s, bank, "A").ladder_step == "phone"  # no broken promise yet


# --- data scope and the guarantor's phone ------------------------------------------------------


def _principal(
    role: Role,
    staff: Staff,
    *,
    extra: frozenset[Permission] = frozenset(),
    drop: Permission | None = None,
) -> Principal:
    """A signed-in ``staff`` member of ``role`` with the default permissions (+ ``extra``,
    - ``drop``) and the role's data scope, as ``access.service`` would build it."""
    permissions = (DEFAULT_MATRIX[role] | extra) - ({drop} if drop else set())
    return Principal(
        account_id=staff.id, staff_id=staff.id, username=f"u{staff.id}", name=staff.name,
        role=role, branch_id=staff.branch_id, branch_ids=frozenset({staff.branch_id}),
        permissions=frozenset(permissions), scope=scope_for(role), via="session",
    )  # fmt: skip


def _staff(session: Session, role: Role, branch_id: int, no: str) -> Staff:
    s = Staff(
        employee_no=no, name=f"员工{no}", gender="M", role=role, branch_id=branch_id,
        hired_on=date(2020, 1, 1),
    )  # fmt: skip
    session.add(s)
    session.flush()
    return s


def test_a_branch_scoped_role_sees_and_works_only_its_branches_cases(
    session_factory: sessionmaker[Session], bank: Bank
) -> None:
    with session_factory() as s, s.begin():
        _set(s, "A", bank, dpd=20)
        _set(s, "C", bank, dpd=20)
        collections_close.after_close(s, D, NOW)
        case_a, case_c = _case(s, bank, "A"), _case(s, bank, "C")
        b1 = bank.debtors[0].home_branch_id
        assert b1 is not None
        head = _principal(
            Role.BRANCH_HEAD, _staff(s, Role.BRANCH_HEAD, b1, "H1"),
            extra=frozenset({Permission.COLLECTIONS_WORK}),
        )  # fmt: skip
        collector = _principal(Role.COLLECTOR, bank.collectors[2])  # branch 2, sees every case
        manager = _principal(
            Role.CUSTOMER_MANAGER, _staff(s, Role.CUSTOMER_MANAGER, b1, "M1"),
            extra=frozenset({Permission.COLLECTIONS_WORK}),
        )  # fmt: skip
        everything = views.QueueFilter()
        assert [r.case.id for r in views.queue(s, D, everything, viewer=head).rows] == [case_a.id]
        assert {r.case.id for r in views.queue(s, D, everything, viewer=collector).rows} == {
            case_a.id,
            case_c.id,
        }
        assert views.queue(s, D, everything, viewer=manager).total == 0  # manages no debtor
        assert views.queue(s, D, everything).total == 2  # the system sees every case
        policy = col.DEFAULT_POLICY
        seen = views.case_view(
            s, case_a.id, now=utc(D, 10), policy=policy, mask_phone=lambda _b: None, viewer=head
        )
        assert seen.case.id == case_a.id
        with pytest.raises(PermissionDeniedError) as refused:
            views.case_view(
                s, case_c.id, now=utc(D, 10), policy=policy, mask_phone=lambda _b: None,
                viewer=head,
            )  # fmt: skip
        assert refused.value.code == "scope.forbidden"
        with pytest.raises(PermissionDeniedError):
            col.log_contact(s, case_c.id, _contact(), by_id=head.staff_id, actor_label="t",
                            now=utc(D, 10), viewer=head)  # fmt: skip
        with pytest.raises(PermissionDeniedError):
            col.add_note(s, case_c.id, "越权备注", by_id=head.staff_id, actor_label="t",
                         now=utc(D, 10), viewer=head)  # fmt: skip
        assert s.scalar(select(func.count()).select_from(CollectionAction)) == 0
        col.log_contact(s, case_c.id, _contact(), by_id=collector.staff_id, actor_label="t",
                        now=utc(D, 10), viewer=collector)  # fmt: skip
        assert s.scalar(select(func.count()).select_from(CollectionAction)) == 1
        with pytest.raises(NotFoundError):
            views.case_view(
                s, 10**9, now=utc(D, 10), policy=policy, mask_phone=lambda _b: None, viewer=head
            )


def test_a_guarantors_phone_is_revealed_audited_and_only_with_pii_view(
    session_factory: sessionmaker[Session], bank: Bank
) -> None:
    cipher = FieldCipher(generate_key())
    with session_factory() as s, s.begin():
        _set(s, "A", bank, dpd=20)
        collections_close.after_close(s, D, NOW)
        case_a = _case(s, bank, "A")
        g = s.get(Guarantor, bank.guarantor.id)
        assert g is not None
        g.phone_enc = cipher.encrypt("13912345678", views.PHONE_FIELD)
        collector = _principal(Role.COLLECTOR, bank.collectors[0])
        masked = views.case_view(
            s, case_a.id, now=utc(D, 10), policy=col.DEFAULT_POLICY, viewer=collector,
            mask_phone=lambda b: None if b is None else "139****5678",
        )  # fmt: skip
        assert [x.phone for x in masked.guarantors] == ["139****5678"]

        def reveals() -> list[AuditLog]:
            return list(s.scalars(select(AuditLog).where(AuditLog.action == "pii.reveal")))

        value = views.reveal_guarantor_phone(
            s, case_a.id, g.id, viewer=collector, cipher=cipher, client_address="10.0.0.1",
            at=utc(D, 10),
        )  # fmt: skip
        assert value == "13912345678"
        [entry] = reveals()
        assert (entry.entity, entry.entity_id, entry.actor_staff_id) == (
            "guarantor", str(g.id), collector.staff_id,
        )  # fmt: skip
        assert entry.detail == {"field": "phone", "case": case_a.case_no}
        assert "13912345678" not in str(entry.detail)
        no_pii = _principal(Role.COLLECTOR, bank.collectors[0], drop=Permission.PII_VIEW)
        with pytest.raises(PermissionDeniedError) as refused:
            views.reveal_guarantor_phone(
                s, case_a.id, g.id, viewer=no_pii, cipher=cipher, client_address=None,
                at=utc(D, 10),
            )  # fmt: skip
        assert refused.value.code == "auth.forbidden"
        assert "pii:view" in refused.value.message
        with pytest.raises(NotFoundError):  # a guarantor of another loan, through this case
            views.reveal_guarantor_phone(
                s, case_a.id, bank.other_guarantor.id, viewer=collector, cipher=cipher,
                client_address=None, at=utc(D, 10),
            )  # fmt: skip
        b2 = bank.debtors[1].home_branch_id
        assert b2 is not None
        other_head = _principal(
            Role.BRANCH_HEAD, _staff(s, Role.BRANCH_HEAD, b2, "H2"),
            extra=frozenset({Permission.COLLECTIONS_WORK}),
        )  # fmt: skip
        with pytest.raises(PermissionDeniedError) as refused:
            views.reveal_guarantor_phone(
                s, case_a.id, g.id, viewer=other_head, cipher=cipher, client_address=None,
                at=utc(D, 10),
            )  # fmt: skip
        assert refused.value.code == "scope.forbidden"
        assert len(reveals()) == 1  # only the allowed reveal is in the log
