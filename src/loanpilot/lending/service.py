"""Applications made by the applicant (online portal): submit once, however often the form is
sent, and track progress with the application number, the ID's last four and the query code.

Idempotency: the form carries a random key (an API client sends ``Idempotency-Key``); the unique
``applications.idempotency_key`` column makes a second row impossible. A retry finds the first row;
two requests racing both try to insert, the loser's insert fails inside a savepoint, which is
rolled back, and it returns the winner's application. Services flush; the caller commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loanpilot.customers.models import (
    Channel,
    Consent,
    ConsentKind,
    Customer,
    Gender,
    Occupation,
)
from loanpilot.kit.crypto import FieldCipher
from loanpilot.kit.errors import ConflictError, NotFoundError
from loanpilot.lending import repository as repo
from loanpilot.lending.events import transition
from loanpilot.lending.models import Application, ApplicationStatus
from loanpilot.lending.rules import (
    APPLICATION_PREFIX,
    CUSTOMER_PREFIX,
    RANDOM_DIGITS,
    ApplicationForm,
    CheckedApplication,
    ProductTerms,
    Stage,
    check_application,
    check_idempotency_key,
    numbered,
    query_code,
    same_last_four,
    stages,
)
from loanpilot.lending.workflow import Action
from loanpilot.products.models import LoanProduct, RepaymentMethod

CONSENT_TEXT_VERSION = "portal-v1"
_ID_FIELD = "id_number"  # the field names imports/customers_write.py uses
_PHONE_FIELD = "phone"
_CODE_FIELD = "query_code"
_CODE_SEED_FIELD = "query_code_seed"
_ATTEMPTS = 3
NOT_FOUND_MESSAGE = "No application matches these details"
#: Decrypted in place of an ID when no application matches, so every miss costs the same.
_NO_ID = "000000000000000000"


@dataclass(frozen=True)
class Submitted:
    """The application, its query code (shown to the applicant) and whether this was a replay."""

    application: Application
    query_code: str
    replayed: bool


@dataclass(frozen=True)
class Progress:
    application_id: int
    application_no: str
    status: ApplicationStatus
    product_id: int
    amount_fen: int
    term_months: int
    stages: tuple[Stage, ...]


def product_terms(product: LoanProduct) -> ProductTerms:
    return ProductTerms(
        min_amount_fen=product.min_amount_fen,
        max_amount_fen=product.max_amount_fen,
        min_term_months=product.min_term_months,
        max_term_months=product.max_term_months,
        methods=tuple(product.repayment_methods),
    )


def branch_choices(session: Session) -> list[tuple[int, str]]:
    return [(b.id, b.name) for b in repo.branches(session)]


def _code_for(cipher: FieldCipher, key: str) -> str:
    return query_code(cipher.blind_index(key, field=_CODE_SEED_FIELD))


def _replay(
    session: Session, cipher: FieldCipher, existing: Application, form: ApplicationForm, key: str
) -> Submitted:
    """The first application made with this key, if the same person sends it again."""
    owner = repo.customer(session, existing.customer_id)
    id_hash = cipher.blind_index(form.id_number.strip(), field=_ID_FIELD)
    if owner is None or owner.id_number_hash != id_hash:
        raise ConflictError(
            "application.key_reused",
            "This idempotency key was already used for another application; use a new key",
        )
    return Submitted(existing, _code_for(cipher, key), replayed=True)


def submit_application(
    session: Session,
    cipher: FieldCipher,
    product: LoanProduct,
    form: ApplicationForm,
    idempotency_key: str,
    *,
    now: datetime,
    today: date,
    client_address: str | None = None,
    random_number: Callable[[], int] = lambda: secrets.randbelow(10**RANDOM_DIGITS),
) -> Submitted:
    """Submit ``form`` for ``product`` once per ``idempotency_key`` (see the module's note)."""
    key = check_idempotency_key(idempotency_key)
    existing = repo.application_by_key(session, key)
    if existing is not None:
        return _replay(session, cipher, existing, form, key)
    checked = check_application(
        form,
        product_terms(product),
        today=today,
        occupations=tuple(o.value for o in Occupation),
        branch_ids=repo.branch_ids(session),
    )
    id_hash = cipher.blind_index(checked.id_number, field=_ID_FIELD)
    code = _code_for(cipher, key)
    customer = repo.customer_by_id_hash(session, id_hash)
    for attempt in range(_ATTEMPTS):
        # Every write of the submission, its audit row included, happens inside the savepoint:
        # on SQLite a savepoint taken before any write is the outer transaction and its release
        # commits (see db.session.make_engine), so nothing may be written after it.
        savepoint = session.begin_nested()
        try:
            application, created, verified = _write(
                session, cipher, product, checked, key, code, customer, id_hash, now, today,
                random_number,
            )  # fmt: skip
            detail = {
                "product": product.code,
                "channel": Channel.ONLINE.value,
                "amount_fen": application.amount_fen,
                "term_months": application.term_months,
                "new_customer": created,
                "identity_matched": verified,
                "marketing_consent": checked.consent_marketing,
            }
            _record_submission(session, application, now, client_address, detail)
            savepoint.commit()
        except IntegrityError:
            # Another request won a race: the same key (return its application), the same new
            # customer, or (rarely) the same random number (try again).
            savepoint.rollback()
            existing = repo.application_by_key(session, key)
            if existing is not None:
                return _replay(session, cipher, existing, form, key)
            if attempt == _ATTEMPTS - 1:
                raise
            customer = repo.customer_by_id_hash(session, id_hash)
            continue
        return Submitted(application, code, replayed=False)
    raise AssertionError("unreachable")  # pragma: no cover


def _write(
    session: Session,
    cipher: FieldCipher,
    product: LoanProduct,
    checked: CheckedApplication,
    key: str,
    code: str,
    customer: Customer | None,
    id_hash: bytes,
    now: datetime,
    today: date,
    random_number: Callable[[], int],
) -> tuple[Application, bool, bool]:
    """Customer (found or new), its two consents and the application; flushed. Returns the
    application, whether the customer is new, and whether the applicant matched the record."""
    created = customer is None
    branch = repo.branch(session, checked.branch_id) if checked.branch_id else None
    if customer is None:
        customer = Customer(
            customer_no=numbered(CUSTOMER_PREFIX, today, random_number()),
            name=checked.name,
            id_number_enc=cipher.encrypt(checked.id_number, field=_ID_FIELD),
            id_number_hash=id_hash,
            phone_enc=cipher.encrypt(checked.phone, field=_PHONE_FIELD),
            phone_hash=cipher.blind_index(checked.phone, field=_PHONE_FIELD),
            birth_date=checked.birth_date,
            gender=Gender(checked.gender),
            occupation=Occupation(checked.occupation),
            monthly_income_fen=checked.monthly_income_fen,
            province=branch.province if branch else "",
            city=branch.city if branch else "",
            home_branch_id=branch.id if branch else None,
            source_channel=Channel.ONLINE,
            preferred_channel=Channel.ONLINE,
            marketing_consent=checked.consent_marketing,
            opted_out_at=None,
            is_blacklisted=False,
            since=today,
        )
        repo.add_all(session, [customer])
    # Anyone who knows an ID number can fill in the portal's form. An existing customer's record
    # and consents change only when the name and the mobile number on file match as well; else
    # the application is attached for the bank to verify at review, and nothing else changes.
    verified = created or (
        customer.name == checked.name
        and customer.phone_hash is not None
        and secrets.compare_digest(
            customer.phone_hash, cipher.blind_index(checked.phone, field=_PHONE_FIELD)
        )
    )
    if not created and verified:
        if customer.marketing_consent and not checked.consent_marketing:
            customer.opted_out_at = now  # an opt-out is honoured at once
        customer.marketing_consent = checked.consent_marketing
    consents: list[Customer | Consent | Application] = (
        [
            Consent(
                customer_id=customer.id,
                kind=kind,
                granted=granted,
                at=now,
                channel=Channel.ONLINE,
                text_version=CONSENT_TEXT_VERSION,
            )
            for kind, granted in (
                (ConsentKind.DATA_PROCESSING, True),
                (ConsentKind.MARKETING, checked.consent_marketing),
            )
        ]
        if verified
        else []
    )
    application = Application(
        application_no=numbered(APPLICATION_PREFIX, today, random_number()),
        idempotency_key=key,
        query_code_hash=cipher.blind_index(code, field=_CODE_FIELD),
        customer_id=customer.id,
        product_id=product.id,
        channel=Channel.ONLINE,
        branch_id=branch.id if branch else customer.home_branch_id,
        amount_fen=checked.amount_fen,
        term_months=checked.term_months,
        repayment_method=RepaymentMethod(checked.method),
        purpose=checked.purpose,
        stated_monthly_income_fen=checked.monthly_income_fen,
        status=ApplicationStatus.DRAFT,  # submitted by the workflow (_record_submission)
    )
    repo.add_all(session, [*consents, application])
    return application, created, verified


def _record_submission(
    session: Session,
    application: Application,
    now: datetime,
    client_address: str | None,
    detail: dict[str, Any],
) -> None:
    """The SUBMIT transition (draft → submitted) through the workflow: its event, its one audit
    row (``application.submit``, with the portal's ``detail`` and the client address) and the
    submission time."""
    stage = transition(
        session,
        entity="application",
        entity_id=application.id,
        entity_label=application.application_no,
        stage=application.status.value,
        action=Action.SUBMIT,
        now=now,
        actor_label="portal",
        client_address=client_address,
        detail=detail,
    )
    application.status = ApplicationStatus(stage.value)
    application.submitted_at = now
    session.flush()


def find_progress(
    session: Session, cipher: FieldCipher, application_no: str, id_last_four: str, code: str
) -> Progress:
    """The application's progress when all three details match; one generic NotFoundError
    otherwise (never which detail was wrong)."""
    application = repo.application_by_no(session, application_no.strip().upper())
    code_hash = cipher.blind_index(code.strip(), field=_CODE_FIELD)
    # The same work whichever detail is wrong (no short cuts), so timing does not tell which.
    owner = repo.customer(session, application.customer_id if application else 0)
    stored_code = application.query_code_hash if application else None
    code_ok = secrets.compare_digest(stored_code or b"", code_hash)
    blob = owner.id_number_enc if owner else cipher.encrypt(_NO_ID, field=_ID_FIELD)
    id_ok = same_last_four(cipher.decrypt(blob, field=_ID_FIELD), id_last_four)
    ok = bool(application is not None and owner is not None and stored_code and code_ok & id_ok)
    if not ok or application is None:
        raise NotFoundError("application.not_found", NOT_FOUND_MESSAGE)
    return Progress(
        application_id=application.id,
        application_no=application.application_no,
        status=application.status,
        product_id=application.product_id,
        amount_fen=application.amount_fen,
        term_months=application.term_months,
        stages=stages(
            application.submitted_at,
            application.review_started_at,
            application.decided_at,
            application.disbursed_at,
        ),
    )
