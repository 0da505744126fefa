"""SQL of the lending area: applications, and the customer rows an online application finds or
creates."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.customers.models import Consent, Customer
from loanpilot.lending.models import Application
from loanpilot.team.models import Branch


def application_by_key(session: Session, key: str) -> Application | None:
    return session.scalar(select(Application).where(Application.idempotency_key == key))


def application_by_no(session: Session, application_no: str) -> Application | None:
    return session.scalar(select(Application).where(Application.application_no == application_no))


def customer_by_id_hash(session: Session, id_hash: bytes) -> Customer | None:
    return session.scalar(select(Customer).where(Customer.id_number_hash == id_hash))


def customer(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def branch_ids(session: Session) -> frozenset[int]:
    return frozenset(session.scalars(select(Branch.id)))


def branch(session: Session, branch_id: int) -> Branch | None:
    return session.get(Branch, branch_id)


def branches(session: Session) -> list[Branch]:
    """Branches an applicant may choose, by code."""
    return list(session.scalars(select(Branch).order_by(Branch.code)))


def add_all(session: Session, rows: list[Customer | Consent | Application]) -> None:
    session.add_all(rows)
    session.flush()
