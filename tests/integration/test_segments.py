"""Segmentation on the demo bank: rule and cluster runs, versions, profiles checked against the
database, lookups, band edits; built inside a transaction that is rolled back (the demo bank is
read-only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from tests.conftest import DEMO_AS_OF, DemoBank

from loanpilot.audit.models import AuditLog
from loanpilot.campaigns.models import CampaignTarget, TargetGroup
from loanpilot.customers import rules as cr
from loanpilot.customers import segments
from loanpilot.customers.models import Customer
from loanpilot.customers.models_segments import CustomerSegment, SegmentBand, SegmentRun
from loanpilot.kit.errors import ValidationError

AS_OF = date.fromisoformat(DEMO_AS_OF)
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def session(demo_bank: DemoBank) -> Iterator[Session]:
    with Session(demo_bank.engine) as s:
        try:
            yield s
        finally:
            s.rollback()


def test_build_both_runs_with_profiles_and_lookups(session: Session) -> None:
    rules_run, clusters_run = segments.build_segments(session, as_of=AS_OF, now=NOW, kind="all")
    n = session.scalar(select(func.count()).select_from(Customer))
    for run in (rules_run, clusters_run):
        assert run.is_current
        assert run.version == 1
        assert run.customers == n
        segs = segments.run_segments(session, run.id)
        assert sum(s.size for s in segs) == n
        assert sum(s.profile["share"] for s in segs) == pytest.approx(1.0, abs=1e-4)
        assert all(s.name_zh and s.name_en and s.description_zh and s.description_en for s in segs)
        stored = session.scalar(select(func.count()).where(CustomerSegment.run_id == run.id))
        assert stored == n
    assert 4 <= clusters_run.params["k"] <= 8
    assert set(clusters_run.params["k_scores"]) == {"4", "5", "6", "7", "8"}
    assert (
        len({s.name_zh for s in segments.run_segments(session, clusters_run.id)})
        == clusters_run.params["k"]
    )

    # rule codes agree with the customer directory's bands
    customers = session.execute(select(Customer.id, Customer.birth_date, Customer.occupation,
                                       Customer.monthly_income_fen).limit(200)).all()  # fmt: skip
    codes = segments.segment_of(session, rules_run.id, [c.id for c in customers])
    for c in customers:
        expected = (f"{cr.age_band(cr.age_on(c.birth_date, AS_OF)).value}.{c.occupation.value}."
                    f"{cr.income_band(c.monthly_income_fen).value}")  # fmt: skip
        assert codes[c.id] == expected

    # the response rate of the largest rule segment, counted again in SQL
    largest = segments.run_segments(session, rules_run.id)[0]
    members = segments.customers_in_segments(session, rules_run.id, [largest.code])
    assert len(members) == largest.size
    targets, responded = session.execute(
        select(func.count(), func.coalesce(func.sum(case((CampaignTarget.responded.is_(True), 1), else_=0)), 0))
        .join(CustomerSegment, (CustomerSegment.customer_id == CampaignTarget.customer_id)
              & (CustomerSegment.run_id == rules_run.id))
        .where(CustomerSegment.segment_code == largest.code, CampaignTarget.group == TargetGroup.TREATMENT)
    ).one()  # fmt: skip
    assert largest.profile["response"]["targets"] == targets
    assert largest.profile["response"]["responded"] == responded
    assert 0 < largest.profile["channel"]["digital"] < 1
    assert {a["band"] for a in largest.profile["channel"]["by_age"]} <= {
        "young",
        "middle",
        "senior",
    }
    assert largest.profile["needs"]["products"], "the largest segment applied for something"
    assert session.scalar(select(func.count()).where(AuditLog.action == "segments.build")) >= 2


def test_a_rebuild_is_a_new_version_and_the_old_run_is_kept(session: Session) -> None:
    (first,) = segments.build_segments(session, as_of=AS_OF, now=NOW, kind="clusters", k=5)
    (second,) = segments.build_segments(session, as_of=AS_OF, now=NOW, kind="clusters", k="auto")
    session.refresh(first)
    assert first.params["k"] == 5
    assert len(segments.run_segments(session, first.id)) == 5
    assert (first.version, first.is_current, second.version, second.is_current) == (
        1,
        False,
        2,
        True,
    )
    assert segments.current_run(session, "clusters") == second
    assert segments.current_run(session, "rules") is None
    ids = segments.customers_in_segments(session, first.id, ["c01"])
    assert set(segments.segment_of(session, first.id, ids).values()) == {"c01"}


def test_band_edits_apply_to_the_next_rules_run(session: Session) -> None:
    assert session.scalar(select(func.count()).select_from(SegmentBand)) == 0
    assert [b.code for b in segments.band_table(session)["age"]] == ["young", "middle", "senior"]
    age = [{"code": "under30", "lower": None, "upper": "30", "label_zh": "三十岁以下", "label_en": "Under 30"},
           {"code": "over30", "lower": "30", "upper": None, "label_zh": "三十岁及以上", "label_en": "30 and over"}]  # fmt: skip
    segments.save_bands(session, {"age": age}, now=NOW, staff_id=None, actor_label="test")
    (run,) = segments.build_segments(session, as_of=AS_OF, now=NOW, kind="rules")
    assert {s.code.split(".")[0] for s in segments.run_segments(session, run.id)} == {
        "under30",
        "over30",
    }
    assert run.params["bands"]["age"][0][:2] == ["under30", None]
    assert float(run.params["bands"]["age"][0][2]) == 30
    assert (
        session.scalar(select(func.count()).where(AuditLog.action == "segment_bands.update")) == 1
    )


def test_bad_requests_change_nothing(session: Session) -> None:
    bad_age = [{"code": "a", "lower": "1", "upper": "20", "label_zh": "", "label_en": "A"}]
    bad_income = [{"code": "x", "lower": None, "upper": "10", "label_zh": "低", "label_en": "Low"}]
    with pytest.raises(ValidationError) as caught:
        segments.save_bands(session, {"age": bad_age, "income": bad_income}, now=NOW)
    assert {p.field for p in caught.value.problems} == {"age.0.lower", "age.0.upper", "age.0.label_zh",
                                                        "income.0.upper"}  # fmt: skip
    assert session.scalar(select(func.count()).select_from(SegmentBand)) == 0
    with pytest.raises(ValidationError, match="segmentation"):
        segments.build_segments(session, as_of=AS_OF, now=NOW, kind="everything")
    with pytest.raises(ValidationError):
        segments.build_segments(session, as_of=AS_OF, now=NOW, k=1)
    (early,) = segments.build_segments(session, as_of=date(2000, 1, 1), now=NOW, kind="clusters")
    assert "bureau_score" not in early.params["features"]["numeric"]  # no bureau data yet: left out
    session.rollback()
    assert session.scalar(select(func.count()).select_from(SegmentRun)) == 0
