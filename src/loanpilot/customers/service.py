"""The customer directory and the customer 360, as the console and the API see them.

ID and phone numbers leave this module masked (JR/T 0171-2020 C2), except through :func:`reveal`,
which needs the ``pii:view`` permission (checked by the route) and writes an audit record.
Services flush, never commit.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal, ScopeKind, check_customer_scope
from loanpilot.audit.service import record
from loanpilot.config import Settings
from loanpilot.customers import repository
from loanpilot.customers.models import BureauReport, ConsentKind, Customer, CustomerFinancials
from loanpilot.customers.rules import (
    AgeBand,
    CustomerFilters,
    IncomeBand,
    RevealField,
    age_band,
    age_on,
    income_band,
)
from loanpilot.db.paging import Page, PageRequest
from loanpilot.kit.crypto import DecryptionError, FieldCipher
from loanpilot.kit.errors import FieldProblem, NotFoundError, PermissionDeniedError, ValidationError
from loanpilot.kit.masking import mask_id, mask_phone


@dataclass(frozen=True)
class Masking:
    """How many characters of an ID or phone number stay visible (configurable in Settings)."""

    id_head: int = 3
    id_tail: int = 4
    phone_head: int = 3
    phone_tail: int = 4

    @classmethod
    def from_settings(cls, settings: Settings) -> Masking:
        return cls(
            id_head=settings.mask_id_keep_head,
            id_tail=settings.mask_id_keep_tail,
            phone_head=settings.mask_phone_keep_head,
            phone_tail=settings.mask_phone_keep_tail,
        )

    def id_number(self, value: str) -> str:
        return mask_id(value, self.id_head, self.id_tail)

    def phone(self, value: str | None) -> str | None:
        return None if value is None else mask_phone(value, self.phone_head, self.phone_tail)

    def search(self, text: str) -> str:
        """A search text as the page repeats it: masked when it is an ID or a mobile number."""
        compact = text.strip()
        if len(compact) == 18 and compact[:17].isdigit():
            return self.id_number(compact)
        if len(compact) == 11 and compact.isdigit():
            return mask_phone(compact, self.phone_head, self.phone_tail)
        return text


_SEARCH_FIELD = "customer_search"


@dataclass(frozen=True)
class Crypto:
    """The field cipher and the masking rule, from the application's settings."""

    cipher: FieldCipher
    masking: Masking

    @classmethod
    def from_settings(cls, settings: Settings) -> Crypto:
        return cls(
            FieldCipher(settings.data_key_bytes(), settings.data_key_id),
            Masking.from_settings(settings),
        )

    def seal_search(self, text: str) -> str:
        """A search text as an opaque, authenticated URL token: a search for an ID or phone number
        never stands in clear in an address (browser history, proxies, server logs)."""
        blob = self.cipher.encrypt(text, field=_SEARCH_FIELD)
        return base64.urlsafe_b64encode(blob).decode().rstrip("=")

    def open_search(self, token: str) -> str:
        """The text of :meth:`seal_search`'s token; ValidationError for any other value."""
        try:
            blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            return self.cipher.decrypt(blob, field=_SEARCH_FIELD)
        except (ValueError, DecryptionError):
            raise ValidationError(
                "customers.invalid_query",
                "The search parameters are not valid",
                [FieldProblem("qs", "is not a search made on this page; search again")],
            ) from None


# --- the list --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerItem:
    """One row of the customer list; ID and phone masked."""

    id: int
    customer_no: str
    name: str
    gender: str
    birth_date: date
    age: int
    segment: AgeBand
    occupation: str
    monthly_income_fen: int
    income_band: IncomeBand
    city: str
    home_branch_id: int | None
    branch_name: str | None
    marketing_consent: bool
    since: date
    id_number_masked: str
    phone_masked: str | None


@dataclass(frozen=True)
class BranchOption:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class CustomerList:
    page: Page[CustomerItem]
    branches: list[BranchOption]  # the branches the caller may filter by


def _search_keys(crypto: Crypto, text: str | None) -> repository.SearchKeys | None:
    if text is None:
        return None
    return repository.SearchKeys(
        text=text,
        id_number_hash=crypto.cipher.blind_index(text, field="id_number"),
        phone_hash=crypto.cipher.blind_index(text, field="phone"),
    )


def _decrypt_column(
    cipher: FieldCipher, blobs: Sequence[bytes | None], field: str
) -> list[str | None]:
    present = [blob for blob in blobs if blob is not None]
    clear = iter(cipher.decrypt_many(present, field=field)) if present else iter(())
    return [next(clear) if blob is not None else None for blob in blobs]


def list_customers(
    session: Session,
    principal: Principal,
    filters: CustomerFilters,
    request: PageRequest,
    *,
    today: date,
    crypto: Crypto,
) -> CustomerList:
    """One page of the customers ``principal`` may see, filtered, sorted, ID and phone masked."""
    page = repository.customer_page(
        session, principal, filters, today, _search_keys(crypto, filters.q), request
    )
    all_branches = [BranchOption(b.id, b.code, b.name) for b in repository.branches(session)]
    names = {b.id: b.name for b in all_branches}
    ids = _decrypt_column(crypto.cipher, [row.id_number_enc for row in page.rows], "id_number")
    phones = _decrypt_column(crypto.cipher, [row.phone_enc for row in page.rows], "phone")
    items = [
        CustomerItem(
            id=row.id,
            customer_no=row.customer_no,
            name=row.name,
            gender=str(row.gender),
            birth_date=row.birth_date,
            age=age_on(row.birth_date, today),
            segment=AgeBand(row.segment),
            occupation=str(row.occupation),
            monthly_income_fen=row.monthly_income_fen,
            income_band=income_band(row.monthly_income_fen),
            city=row.city,
            home_branch_id=row.home_branch_id,
            branch_name=names.get(row.home_branch_id) if row.home_branch_id else None,
            marketing_consent=row.marketing_consent,
            since=row.since,
            id_number_masked=crypto.masking.id_number(id_number or ""),
            phone_masked=crypto.masking.phone(phone),
        )
        for row, id_number, phone in zip(page.rows, ids, phones, strict=True)
    ]
    if principal.scope is ScopeKind.BRANCH:
        all_branches = [b for b in all_branches if b.id in principal.branch_ids]
    return CustomerList(
        page=Page(
            rows=items,
            total=page.total,
            number=page.number,
            size=page.size,
            sort=page.sort,
            desc=page.desc,
        ),
        branches=all_branches,
    )


# --- the 360 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentState:
    kind: ConsentKind
    granted: bool
    at: datetime | None
    channel: str | None


@dataclass(frozen=True)
class Profile:
    id: int
    customer_no: str
    name: str
    gender: str
    birth_date: date
    age: int
    segment: AgeBand
    occupation: str
    employer_kind: str | None
    education: str | None
    marital_status: str | None
    monthly_income_fen: int
    income_band: IncomeBand
    has_provident_fund: bool
    owns_home: bool
    province: str
    city: str
    home_branch_id: int | None
    branch_name: str | None
    manager_id: int | None
    manager_name: str | None
    source_channel: str
    preferred_channel: str | None
    marketing_consent: bool
    opted_out_at: datetime | None
    is_blacklisted: bool
    since: date
    id_number_masked: str
    phone_masked: str | None


@dataclass(frozen=True)
class Customer360:
    """Everything the bank knows of one customer, as staff may see it (ID and phone masked)."""

    profile: Profile
    consents: list[ConsentState]  # the latest state of each kind of consent
    consent_history: list[dict[str, Any]]
    bureau: dict[str, Any] | None
    financials: dict[str, Any] | None
    loans: list[dict[str, Any]]
    applications: list[dict[str, Any]]
    campaigns: list[dict[str, Any]]
    surveys: list[dict[str, Any]]
    tickets: list[dict[str, Any]]


def _in_scope(session: Session, principal: Principal, customer_id: int) -> Customer:
    """The customer, or NotFoundError; PermissionDeniedError(scope.forbidden) when outside scope."""
    found = repository.customer(session, customer_id)
    if found is None:
        raise NotFoundError("customer.not_found", f"No customer has id {customer_id}")
    check_customer_scope(principal, found.home_branch_id, found.manager_id)
    return found


def _row_dict(row: Any) -> dict[str, Any]:
    data: dict[str, Any] = dict(row._mapping)
    for key, value in data.items():
        if hasattr(value, "value") and not isinstance(value, Decimal | int | str):
            data[key] = value.value  # enums as their stored value
    return data


def bureau_and_financials(
    session: Session, customer_id: int, on: date
) -> tuple[BureauReport | None, CustomerFinancials | None]:
    """The customer's newest bureau report and month of card behaviour known on ``on`` (what a
    credit decision on that day may read)."""
    return (
        repository.latest_bureau(session, customer_id, on),
        repository.latest_financials(session, customer_id, on),
    )


def customer_360(
    session: Session, principal: Principal, customer_id: int, *, today: date, crypto: Crypto
) -> Customer360:
    """The customer 360 of ``customer_id``; NotFoundError if unknown, PermissionDeniedError
    (``scope.forbidden``) if outside ``principal``'s branch or assigned customers."""
    found = _in_scope(session, principal, customer_id)
    id_number = crypto.cipher.decrypt(found.id_number_enc, field="id_number")
    phone = crypto.cipher.decrypt(found.phone_enc, field="phone") if found.phone_enc else None
    age = age_on(found.birth_date, today)
    profile = Profile(
        id=found.id,
        customer_no=found.customer_no,
        name=found.name,
        gender=str(found.gender),
        birth_date=found.birth_date,
        age=age,
        segment=age_band(age),
        occupation=str(found.occupation),
        employer_kind=found.employer_kind,
        education=str(found.education) if found.education else None,
        marital_status=str(found.marital_status) if found.marital_status else None,
        monthly_income_fen=found.monthly_income_fen,
        income_band=income_band(found.monthly_income_fen),
        has_provident_fund=found.has_provident_fund,
        owns_home=found.owns_home,
        province=found.province,
        city=found.city,
        home_branch_id=found.home_branch_id,
        branch_name=repository.branch_name(session, found.home_branch_id),
        manager_id=found.manager_id,
        manager_name=repository.staff_name(session, found.manager_id),
        source_channel=str(found.source_channel),
        preferred_channel=str(found.preferred_channel) if found.preferred_channel else None,
        marketing_consent=found.marketing_consent,
        opted_out_at=found.opted_out_at,
        is_blacklisted=found.is_blacklisted,
        since=found.since,
        id_number_masked=crypto.masking.id_number(id_number),
        phone_masked=crypto.masking.phone(phone),
    )
    del id_number, phone
    history = repository.consents(session, customer_id)
    latest: dict[ConsentKind, ConsentState] = {}
    for consent in history:  # newest first: the first of each kind is its current state
        kind = ConsentKind(consent.kind)
        latest.setdefault(
            kind, ConsentState(kind, consent.granted, consent.at, str(consent.channel))
        )
    states = [
        latest.get(kind, ConsentState(kind, granted=False, at=None, channel=None))
        for kind in ConsentKind
    ]
    bureau = repository.latest_bureau(session, customer_id)
    financials = repository.latest_financials(session, customer_id)
    return Customer360(
        profile=profile,
        consents=states,
        consent_history=[
            {
                "kind": str(c.kind),
                "granted": c.granted,
                "at": c.at,
                "channel": str(c.channel),
                "text_version": c.text_version,
            }
            for c in history
        ],
        bureau=None
        if bureau is None
        else {
            "as_of": bureau.as_of,
            "bureau_score": bureau.bureau_score,
            "credit_history_months": bureau.credit_history_months,
            "open_accounts": bureau.open_accounts,
            "total_debt_fen": bureau.total_debt_fen,
            "monthly_debt_payment_fen": bureau.monthly_debt_payment_fen,
            "delinquent_accounts": bureau.delinquent_accounts,
            "max_dpd_24m": bureau.max_dpd_24m,
            "current_overdue": bureau.current_overdue,
            "inquiries_6m": bureau.inquiries_6m,
        },
        financials=None
        if financials is None
        else {
            "as_of": financials.as_of,
            "deposit_balance_fen": financials.deposit_balance_fen,
            "avg_deposit_6m_fen": financials.avg_deposit_6m_fen,
            "wealth_balance_fen": financials.wealth_balance_fen,
            "salary_account": financials.salary_account,
            "card_limit_fen": financials.card_limit_fen,
            "card_utilisation": financials.card_utilisation,
        },
        loans=[_row_dict(r) for r in repository.loans(session, customer_id)],
        applications=[_row_dict(r) for r in repository.applications(session, customer_id)],
        campaigns=[_row_dict(r) for r in repository.campaign_targets(session, customer_id)],
        surveys=[_row_dict(r) for r in repository.survey_responses(session, customer_id)],
        tickets=[_row_dict(r) for r in repository.feedback_tickets(session, customer_id)],
    )


# --- reveal ----------------------------------------------------------------------------------------


def reveal(
    session: Session,
    principal: Principal,
    customer_id: int,
    field: RevealField,
    *,
    crypto: Crypto,
    client_address: str | None,
    at: datetime,
) -> str | None:
    """The clear value of one personal-data field of a customer in ``principal``'s scope, audited
    as ``pii.reveal`` (the detail names the field, never the value). The route checks pii:view;
    revealing is reading a customer, so customers:read is needed too."""
    if not principal.can(Permission.CUSTOMERS_READ):
        raise PermissionDeniedError(
            "auth.forbidden", "Revealing needs customers:read as well as pii:view"
        )
    found = _in_scope(session, principal, customer_id)
    blob = found.id_number_enc if field is RevealField.ID_NUMBER else found.phone_enc
    value = None if blob is None else crypto.cipher.decrypt(blob, field=field.value)
    record(
        session,
        action="pii.reveal",
        actor_staff_id=principal.staff_id,
        actor_label=f"user:{principal.username}",
        entity="customer",
        entity_id=str(customer_id),
        detail={"field": field.value},
        client_address=client_address,
        at=at,
    )
    return value
