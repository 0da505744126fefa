"""Service-quality reviews: the score computed from the checklist, a reviewer never reviewing
themselves nor staff outside their branch subtree, every problem at once, the averages per staff."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests import post_loan_site as site

from loanpilot.kit.clock import SHANGHAI
from loanpilot.kit.errors import ValidationError
from loanpilot.kit.periods import parse_period
from loanpilot.service import quality
from loanpilot.service.schemas import ReviewCreate, ReviewItemWrite
from loanpilot.service.surveys import Actor
from loanpilot.team.models import Role, Staff

TODAY = date(2026, 11, 29)
NOW = datetime.combine(TODAY, time(10), tzinfo=SHANGHAI)
ITEMS = [
    ReviewItemWrite(label="迎宾与礼仪", max_points=20, points=18),
    ReviewItemWrite(label="产品知识", max_points=30, points=21),
    ReviewItemWrite(label="APR 明示", max_points=30, points=30),
    ReviewItemWrite(label="个人信息保护", max_points=20, points=10),
]


def test_reviews_scored_checked_and_averaged(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        b1, b2 = site.branch("B1", "一分行"), site.branch("B2", "二分行")
        session.add_all([b1, b2])
        session.flush()
        b11 = site.branch("B11", "一分行下属支行")
        b11.parent_id = b1.id
        session.add(b11)
        session.flush()

        def staff(no: str, branch: int, role: Role) -> Staff:
            s = Staff(employee_no=no, name=no, gender="F", role=role, branch_id=branch,
                      hired_on=date(2020, 1, 1))  # fmt: skip
            session.add(s)
            session.flush()
            return s

        head = staff("E1", b1.id, Role.BRANCH_HEAD)
        seller = staff("E2", b11.id, Role.CUSTOMER_MANAGER)  # in a sub-branch of the head's
        elsewhere = staff("E3", b2.id, Role.CUSTOMER_MANAGER)
        actor = Actor(head.id, "user:branch")

        def review(staff_id: int, items: list[ReviewItemWrite], on: date = TODAY) -> Decimal:
            body = ReviewCreate(kind="mystery_shopper", staff_id=staff_id, reviewed_on=on,
                                items=items)  # fmt: skip
            r = quality.record_review(session, body, reviewer_id=head.id, actor=actor,
                                      today=TODAY, now=NOW)  # fmt: skip
            assert r.branch_id == b11.id
            return r.score

        assert review(seller.id, ITEMS) == Decimal("79.00")
        assert review(seller.id, [ReviewItemWrite(label="x", max_points=10, points=9)]) == Decimal(
            "90.00"
        )
        assert review(seller.id, ITEMS, date(2026, 9, 30)) == Decimal("79.00")
        assert quality.average_scores(session, parse_period("2026Q4")) == {
            seller.id: Decimal("84.50")
        }
        assert quality.average_scores(session, parse_period("2026")) == {
            seller.id: Decimal("82.67")
        }
        for staff_id, field, code in (
            (head.id, "staff_id", "self_review"),
            (elsewhere.id, "staff_id", "outside_branch"),
            (999, "staff_id", "unknown_staff"),
        ):
            with pytest.raises(ValidationError) as refused:
                review(staff_id, ITEMS)
            assert [(p.field, getattr(p, "code", "")) for p in refused.value.problems] == [
                (field, code)
            ]
        over = [ReviewItemWrite(label="产品知识", max_points=30, points=31)]
        with pytest.raises(ValidationError) as bad:
            review(seller.id, over, date(2026, 12, 1))
        assert {p.field for p in bad.value.problems} == {"items[0].points", "reviewed_on"}
