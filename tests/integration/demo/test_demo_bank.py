"""The demo bank as written to a real database (SQLite file and PostgreSQL): consistent books,
valid personal data, honest history, and the truth of the latent model saved beside it."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loanpilot.campaigns.models import CampaignTarget
from loanpilot.customers.models import Customer
from loanpilot.demo import builder
from loanpilot.kit.crypto import FieldCipher
from loanpilot.kit.errors import ConflictError
from loanpilot.kit.ids import parse_mobile, parse_resident_id
from loanpilot.lending.models import Application, Loan, Repayment, ScheduleLine
from loanpilot.risk.models import DelinquencySnapshot
from loanpilot.risk.rules import five_class_floor, worse_class


def test_every_customer_has_a_valid_encrypted_id_and_phone(demo_bank) -> None:
    cipher = FieldCipher(demo_bank.settings.data_key_bytes(), demo_bank.settings.data_key_id)
    with Session(demo_bank.engine) as s:
        rows = s.execute(
            select(
                Customer.id_number_enc,
                Customer.id_number_hash,
                Customer.phone_enc,
                Customer.birth_date,
                Customer.gender,
            )
        ).all()
    assert len(rows) == 1_500
    for enc, index, phone_enc, birth, gender in rows:
        number = cipher.decrypt(enc, "id_number")
        parsed = parse_resident_id(number, today=date(2026, 11, 29))
        assert parsed.birth_date == birth
        assert parsed.gender == (gender.value if hasattr(gender, "value") else gender)
        assert cipher.blind_index(number, "id_number") == index
        assert parse_mobile(cipher.decrypt(phone_enc, "phone"))
    assert len({r[1] for r in rows}) == len(rows), "one customer per ID number"


def test_ledger_balances_for_every_loan(demo_bank) -> None:
    """disbursed = repaid principal + outstanding principal + written off, to the fen."""
    with Session(demo_bank.engine) as s:
        repaid = dict(
            s.execute(
                select(Repayment.loan_id, func.sum(Repayment.principal_fen)).group_by(
                    Repayment.loan_id
                )
            ).all()
        )
        scheduled = dict(
            s.execute(
                select(ScheduleLine.loan_id, func.sum(ScheduleLine.principal_fen)).group_by(
                    ScheduleLine.loan_id
                )
            ).all()
        )
        paid_lines = dict(
            s.execute(
                select(ScheduleLine.loan_id, func.sum(ScheduleLine.paid_principal_fen)).group_by(
                    ScheduleLine.loan_id
                )
            ).all()
        )
        loans = s.scalars(select(Loan)).all()
    assert len(loans) > 100
    for loan in loans:
        assert scheduled[loan.id] == loan.principal_fen
        assert int(repaid.get(loan.id, 0)) == int(paid_lines[loan.id])
        assert (
            loan.principal_fen
            == int(repaid.get(loan.id, 0)) + loan.outstanding_principal_fen + loan.written_off_fen
        )


def test_classification_never_better_than_the_rules(demo_bank) -> None:
    with Session(demo_bank.engine) as s:
        loans = s.scalars(select(Loan).where(Loan.status == "repaying")).all()
        snaps = s.scalars(select(DelinquencySnapshot)).all()
    for loan in loans:
        # the most lenient floor: a delay of up to 7 days may have been technical
        floor = five_class_floor(loan.dpd, technical=loan.dpd <= 7)
        assert worse_class(floor, loan.five_class) == loan.five_class
    for snap in snaps:
        rule = five_class_floor(snap.dpd)
        if snap.class_source == "rule":
            assert snap.five_class.value == rule
        else:
            assert snap.class_source == "override"
            assert worse_class(rule, snap.five_class.value) == snap.five_class.value != rule
    assert any(loan.five_class in ("substandard", "doubtful", "loss") for loan in loans), (
        "some NPLs"
    )
    assert any(loan.five_class == "special_mention" for loan in loans), "some 关注"


def test_customers_are_adults_and_act_only_after_joining(demo_bank) -> None:
    with Session(demo_bank.engine) as s:
        rows = s.execute(select(Customer.birth_date, Customer.since)).all()
        early = s.scalar(
            select(func.count())
            .select_from(Application)
            .join(Customer, Customer.id == Application.customer_id)
            .where(Application.submitted_at.is_not(None))
        )
        apps = s.execute(
            select(Application.submitted_at, Customer.since)
            .join(Customer, Customer.id == Application.customer_id)
            .where(Application.submitted_at.is_not(None))
        ).all()
    assert early > 0
    for birth, since in rows:
        assert (since - birth).days >= 18 * 365
        assert since <= date(2026, 11, 29)
    shanghai = ZoneInfo("Asia/Shanghai")
    for submitted, since in apps:
        assert submitted.astimezone(shanghai).date() >= since


def test_application_stages_are_in_order(demo_bank) -> None:
    stages = (
        "submitted_at",
        "review_started_at",
        "decided_at",
        "offer_accepted_at",
        "signed_at",
        "disbursed_at",
    )
    with Session(demo_bank.engine) as s:
        apps = s.scalars(select(Application)).all()
    statuses = defaultdict(int)
    for app in apps:
        statuses[app.status.value] += 1
        times = [getattr(app, name) for name in stages if getattr(app, name) is not None]
        assert times == sorted(times), app.application_no
    assert statuses["disbursed"] > 0
    assert statuses["declined"] > 0
    assert statuses["withdrawn"] > 0


def test_control_groups_are_never_contacted_and_contacts_need_consent(demo_bank) -> None:
    with Session(demo_bank.engine) as s:
        control_contacted = s.scalar(
            select(func.count())
            .select_from(CampaignTarget)
            .where(CampaignTarget.group == "control", CampaignTarget.contacted_at.is_not(None))
        )
        n_control = s.scalar(
            select(func.count())
            .select_from(CampaignTarget)
            .where(CampaignTarget.group == "control")
        )
        no_consent = s.scalar(
            select(func.count())
            .select_from(CampaignTarget)
            .join(Customer, Customer.id == CampaignTarget.customer_id)
            .where(Customer.marketing_consent.is_(False), Customer.opted_out_at.is_(None))
        )
        after_opt_out = s.scalar(
            select(func.count())
            .select_from(CampaignTarget)
            .join(Customer, Customer.id == CampaignTarget.customer_id)
            .where(
                Customer.opted_out_at.is_not(None),
                CampaignTarget.contacted_at >= Customer.opted_out_at,
            )
        )
        answered_before_contact = s.scalar(
            select(func.count())
            .select_from(CampaignTarget)
            .where(CampaignTarget.responded_at < CampaignTarget.contacted_at)
        )
    assert n_control > 0
    assert control_contacted == 0
    assert no_consent == 0
    assert after_opt_out == 0, "opt-outs are honoured at once"
    assert answered_before_contact == 0


def test_truth_is_saved_beside_the_data(demo_bank) -> None:
    path = Path(demo_bank.settings.var_dir) / "demo-truth.json"
    truth = json.loads(path.read_text(encoding="utf-8"))
    assert truth["seed"] == 7
    assert truth["customers"] == 1_500
    assert truth["default"]["dti"] > 0
    assert truth["default"]["income"] < 0
    assert set(truth["response"]["uplift"]) == {"young", "middle", "senior"}
    loans_truth = (Path(demo_bank.settings.var_dir) / "demo-truth-loans.csv").read_text(
        encoding="utf-8"
    )
    assert (
        loans_truth.splitlines()[0]
        == "loan_id,true_pd12,months_observed,first_missed_period,cured,default_12m"
    )


def test_build_refuses_to_overwrite_without_reset(demo_bank) -> None:
    with pytest.raises(ConflictError, match="--reset"):
        builder.build(
            demo_bank.engine,
            n_customers=200,
            seed=1,
            as_of=date(2026, 11, 29),
            cipher=FieldCipher(demo_bank.settings.data_key_bytes()),
            truth_dir=Path(demo_bank.settings.var_dir) / "other",
        )
    assert builder.customer_count(demo_bank.engine) == 1_500


@pytest.fixture
def small_demo(tmp_path, migrated_sqlite):
    """A 150-customer demo bank (seed 1) on a SQLite file of its own: (engine, cipher)."""
    from loanpilot.db.session import make_engine

    url = migrated_sqlite(tmp_path / "demo.db")
    engine = make_engine(url)
    cipher = FieldCipher(bytes(64))
    builder.build(
        engine, n_customers=150, seed=1, as_of=date(2026, 11, 29), cipher=cipher, truth_dir=tmp_path
    )
    yield engine, cipher
    engine.dispose()


def _rebuild(engine, cipher, truth_dir) -> None:
    builder.build(
        engine,
        n_customers=200,
        seed=2,
        as_of=date(2026, 11, 29),
        cipher=cipher,
        truth_dir=truth_dir,
        reset=True,
    )


def test_reset_refuses_a_banks_own_data(small_demo, tmp_path) -> None:
    """A database whose customers were not made by the demo is never wiped by --reset."""
    from loanpilot.audit.models import AuditLog

    engine, cipher = small_demo
    with Session(engine) as s:  # make it look like a bank's own data: no demo audit row
        s.query(AuditLog).delete()
        s.commit()
    with pytest.raises(ConflictError, match="not made by `demo build`"):
        _rebuild(engine, cipher, tmp_path)
    assert builder.customer_count(engine) == 150


def test_failed_rebuild_keeps_the_previous_bank(small_demo, tmp_path, monkeypatch) -> None:
    engine, cipher = small_demo
    real_insert = builder.bulk_insert

    def failing(conn, table, columns):
        if table.name == "loans":
            raise RuntimeError("disk full")
        return real_insert(conn, table, columns)

    monkeypatch.setattr(builder, "bulk_insert", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        _rebuild(engine, cipher, tmp_path)
    assert builder.customer_count(engine) == 150


def test_secured_loans_have_collateral_within_the_ltv_and_guarantors_are_real_people(
    demo_bank,
) -> None:
    from loanpilot.lending.models import Collateral, Guarantor
    from loanpilot.products.models import LoanProduct

    cipher = FieldCipher(demo_bank.settings.data_key_bytes(), demo_bank.settings.data_key_id)
    with Session(demo_bank.engine) as s:
        secured = s.execute(
            select(Loan.id, Loan.principal_fen, LoanProduct.max_ltv)
            .join(LoanProduct, LoanProduct.id == Loan.product_id)
            .where(
                LoanProduct.collateral_required.in_(["property", "vehicle", "deposit"]),
                Loan.parent_loan_id.is_(None),
            )
        ).all()
        collateral = {c.loan_id: c for c in s.scalars(select(Collateral))}
        parts = dict(
            s.execute(
                select(Loan.parent_loan_id, Loan.principal_fen).where(
                    Loan.parent_loan_id.is_not(None)
                )
            ).all()
        )
        guarantors = s.scalars(select(Guarantor)).all()
    assert secured
    for loan_id, principal, max_ltv in secured:
        pledged = collateral[loan_id]
        exposure = principal + parts.get(loan_id, 0)
        assert exposure <= pledged.appraised_value_fen * float(max_ltv or 0.7) * 1.01
    assert guarantors
    for g in guarantors:
        parse_resident_id(cipher.decrypt(g.id_number_enc, "id_number"), today=date(2026, 11, 29))
        assert (
            cipher.blind_index(cipher.decrypt(g.id_number_enc, "id_number"), "id_number")
            == g.id_number_hash
        )


def test_back_book_of_older_mortgages_is_migrated(demo_bank) -> None:
    from loanpilot.products.models import LoanProduct
    from loanpilot.risk.models import Decision

    window_start = date(2024, 12, 1)  # 24 months before the as-of month of 2026-11
    with Session(demo_bank.engine) as s:
        old = s.execute(
            select(Loan.disbursed_on, LoanProduct.product_type, Decision.model_version)
            .join(LoanProduct, LoanProduct.id == Loan.product_id)
            .join(Decision, Decision.application_id == Loan.application_id)
            .where(Loan.disbursed_on < window_start)
        ).all()
    assert old, "the book has loans older than the 24-month window"
    for disbursed_on, product_type, model_version in old:
        assert disbursed_on >= date(2019, 9, 1)  # priced on the LPR, which began in August 2019
        assert product_type.value == "housing"
        assert model_version == "core-banking-migration"
